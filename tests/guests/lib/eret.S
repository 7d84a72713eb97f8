/*
 * eret.S - running code at a chosen PSTATE (shared by the debug guests).
 *
 * u64 run_with_pstate(u64 arg0, u64 arg1, void *entry, u64 spsr, u64 sp_el0)
 * Enters @entry by ERET with x0/x1 = @arg0/@arg1 and PSTATE = @spsr (how
 * code gets PSTATE.SS set, or runs at EL0).  EL1 code returns with a
 * plain ret (x30 = eret_return); EL0 code with an SVC that the guest's
 * exception hook turns into a return to eret_return (ELR = eret_return,
 * SPSR = EL1h, DAIF masked).  Returns the code's x0, with DAIF and the
 * callee-saved registers as they were.
 */
	.text
	.balign	4
	.global	run_with_pstate, eret_return
	.type	run_with_pstate, %function
run_with_pstate:
	stp	x29, x30, [sp, #-112]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x9, daif
	str	x9, [sp, #96]
	msr	sp_el0, x4
	msr	elr_el1, x2
	msr	spsr_el1, x3
	adr	x30, eret_return
	eret
eret_return:
	ldr	x9, [sp, #96]
	msr	daif, x9
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret

/*
 * EL2 exception vectors, guest entry/exit, the MMU switch and secondary
 * CPU entry.
 *
 * While a guest runs, SP_EL2 points at the guest register frame at the top
 * of this CPU's EL2 stack. An exit saves the guest's x0-x30, ELR and SPSR
 * into that frame, calls the C handler with the frame as its argument (the
 * C stack grows down from below the frame), restores and erets. Nothing
 * else is switched on the common path: EL1 system registers and FP/SIMD
 * stay live because each physical CPU only ever runs its own vCPU.
 */
#include <generated/asm-offsets.h>

#include "regs.h"

	.arch	armv8-a+fp+simd

.macro save_guest_frame_from_x2
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x0, elr_el2
	mrs	x1, spsr_el2
	stp	x30, x0, [sp, #REGS_X30]
	str	x1, [sp, #REGS_PSTATE]
.endm

.macro save_guest_frame
	stp	x0, x1, [sp, #16 * 0]
	save_guest_frame_from_x2
.endm

/* Guest exits: save, call the C handler with the frame, resume. */
.macro guest_exit handler
	save_guest_frame
	mov	x0, sp
	bl	\handler
	b	guest_resume
.endm

/* vigil itself faulted: keep the frame below the current stack. */
.macro el2_fault kind
	sub	sp, sp, #REGS_SIZE
	save_guest_frame
	mov	x0, sp
	mov	x1, #\kind
	bl	arm64_el2_fault
	b	.
.endm

.macro vector target
	.balign	0x80
	b	\target
.endm

	.text
	.balign	0x800
	.global	el2_vectors
el2_vectors:
	/* Current EL with SP_EL0: vigil never runs on SP_EL0. */
	vector	el2_fault_sync
	vector	el2_fault_irq
	vector	el2_fault_fiq
	vector	el2_fault_serror
	/* Current EL with SP_EL2: a fault in vigil itself. */
	vector	el2_fault_sync
	vector	el2_fault_irq
	vector	el2_fault_fiq
	vector	el2_fault_serror
	/* Lower EL, AArch64: the guest. */
	vector	guest_sync
	vector	guest_irq
	vector	guest_fiq
	vector	guest_serror
	/* Lower EL, AArch32: HCR_EL2.RW keeps EL1 AArch64; EL0 AArch32
	 * exceptions are the guest's own and never come here. */
	vector	guest_sync
	vector	guest_irq
	vector	guest_fiq
	vector	guest_serror

/*
 * The hot path of a host range step (`make bench` counts it), taken before
 * the full save: a software step exit while this CPU's vCPU steps through
 * [range_start, range_end) for the debugger, pc still inside. It does what
 * debug_handle_step() does then, under the same conditions (keep the two
 * in step): count the step (range_steps) and set SPSR_EL2.SS, which makes
 * the step active-not-pending again (Arm ARM D2.12.3). It is taken only
 * when every exit hook of exceptions.c would have nothing to do (debug
 * registers not dirty, no list register in use, no interrupt in flight,
 * no pause requested), so the exit differs from the C one only in the
 * counters it skips (struct vcpu_stats). A physical interrupt arriving
 * meanwhile stays pending and is taken after the eret, as on the C path.
 * Anything else goes to arm64_guest_sync with x0-x3 already in the frame.
 */
guest_sync:
	stp	x0, x1, [sp, #16 * 0]
	mrs	x0, esr_el2
	lsr	w0, w0, #ESR_EC_SHIFT	/* EC: the top of ESR's low word */
	cmp	w0, #EC_SOFTSTP_LOW
	b.ne	guest_sync_full
	stp	x2, x3, [sp, #16 * 1]
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_VCPU]
	ldrb	w1, [x0, #VCPU_HOST_STEP]
	cbz	w1, guest_sync_slow
	ldrb	w1, [x0, #VCPU_STEP_OVER]
	cbnz	w1, guest_sync_slow
	ldr	w1, [x0, #VCPU_DBG_MODE]
	cmp	w1, #DBG_MODE_RANGE
	b.ne	guest_sync_slow
	ldrb	w1, [x0, #VCPU_DEBUG_STATE]
	cbnz	w1, guest_sync_slow
	ldr	w1, [x0, #VCPU_VGIC_USED_LRS]
	cbnz	w1, guest_sync_slow
	ldr	w1, [x0, #VCPU_VGIC_IN_FLIGHT]
	cbnz	w1, guest_sync_slow
	ldrb	w1, [x0, #VCPU_PAUSE_REQUESTED]
	cbnz	w1, guest_sync_slow
	/* pc - range_start < range_end - range_start, unsigned, as in C. */
	ldr	x2, [x0, #VCPU_DBG_RANGE_START]
	ldr	x3, [x0, #VCPU_DBG_RANGE_END]
	mrs	x1, elr_el2
	sub	x1, x1, x2
	sub	x3, x3, x2
	cmp	x1, x3
	b.hs	guest_sync_slow
	ldr	w1, [x0, #VCPU_RANGE_STEPS]
	add	w1, w1, #1
	str	w1, [x0, #VCPU_RANGE_STEPS]
	mrs	x1, spsr_el2
	orr	x1, x1, #PSR_SS
	msr	spsr_el2, x1
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x0, x1, [sp, #16 * 0]
	eret
	/* Nothing after an eret may be speculated into. */
	dsb	nsh
	isb
guest_sync_slow:
	ldp	x2, x3, [sp, #16 * 1]
guest_sync_full:
	save_guest_frame_from_x2
	mov	x0, sp
	bl	arm64_guest_sync
	b	guest_resume

guest_irq:
	guest_exit arm64_guest_irq
guest_fiq:
	guest_exit arm64_guest_irq
guest_serror:
	guest_exit arm64_guest_serror

el2_fault_sync:
	el2_fault 0
el2_fault_irq:
	el2_fault 1
el2_fault_fiq:
	el2_fault 2
el2_fault_serror:
	el2_fault 3

	.global	guest_resume
guest_resume:
	ldp	x30, x0, [sp, #REGS_X30]
	ldr	x1, [sp, #REGS_PSTATE]
	msr	elr_el2, x0
	msr	spsr_el2, x1
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	eret
	/* Nothing after an eret may be speculated into. */
	dsb	nsh
	isb

/* void guest_first_entry(struct arch_regs *frame): abandon the caller's
 * stack; from here on this CPU's EL2 stack belongs to guest exits. */
	.global	guest_first_entry
guest_first_entry:
	mov	sp, x0
	b	guest_resume

/*
 * void el2_switch_mmu(const struct el2_mmu_config *cfg)
 * Install vigil's tables. Runs with the MMU briefly off so that no access
 * can be translated by a mix of the old tables and the new MAIR/TCR; the
 * code touches no memory in that window and VA == PA throughout.
 */
	.global	el2_switch_mmu
el2_switch_mmu:
	ldp	x1, x2, [x0, #MMU_CFG_MAIR]
	ldp	x3, x4, [x0, #MMU_CFG_TTBR0]
	dsb	sy
	mrs	x5, sctlr_el2
	bic	x5, x5, #SCTLR_EL2_M
	msr	sctlr_el2, x5
	isb
	msr	mair_el2, x1
	msr	tcr_el2, x2
	msr	ttbr0_el2, x3
	isb
	tlbi	alle2
	dsb	sy
	isb
	msr	sctlr_el2, x4
	isb
	ic	iallu
	dsb	sy
	isb
	ret

/*
 * Secondary CPUs arrive here from firmware PSCI CPU_ON: EL2, MMU off,
 * x0 = &cpu_data[n].
 */
	.global	secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	adrp	x0, el2_mmu_config
	add	x0, x0, :lo12:el2_mmu_config
	bl	el2_switch_mmu
	adrp	x1, el2_vectors
	add	x1, x1, :lo12:el2_vectors
	msr	vbar_el2, x1
	msr	tpidr_el2, x19
	ldr	x1, [x19, #CPU_STACK_TOP]
	mov	sp, x1
	ldr	w0, [x19, #CPU_INDEX]
	bl	hv_secondary_main
	b	.

/* FP/SIMD state, saved only when the full vCPU context is needed. */
	.global	fpsimd_save
fpsimd_save:
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #FPSIMD_FPSR
	stp	x1, x2, [x0]
	ret

	.global	fpsimd_restore
fpsimd_restore:
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	add	x0, x0, #FPSIMD_FPSR
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret

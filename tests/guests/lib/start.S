/*
 * start.S - entry points, per-CPU setup and the EL1 exception vectors.
 *
 * Addresses are only ever formed PC-relatively (adr/adrp), so the image
 * runs wherever it was loaded.  The MMU and caches stay off throughout.
 */
#include "guest.h"

/*
 * SCTLR_EL1 for the whole run: the v8.0 RES1 bits (29, 28, 23, 22, 20, 11)
 * plus alignment checking (A, SA, SA0).  M, C and I stay clear.  Writing it
 * makes the state independent of whatever the loader left behind.
 */
#define SCTLR_EL1_GUEST		0x30d0081a

/* Address of a symbol, PC-relative (+-4 GiB). */
.macro	adr_l	reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .text.boot, "ax"

	/* First byte of NAME.bin: the loader jumps here with x0 = DTB. */
	.global	_start
_start:
	mov	x19, x0
	mov	x0, #0			/* the boot CPU is cpu index 0 */
	bl	cpu_setup
	mov	x0, x19
	bl	boot_main		/* runtime.c, does not return */
	b	park

	/* PSCI CPU_ON entry: x0 = context_id, which the guests set to the cpu index. */
	.global	secondary_entry
secondary_entry:
	mov	x19, x0
	bl	cpu_setup
	mov	x0, x19
	bl	secondary_boot		/* runtime.c, does not return */
	b	park

/* Known EL1 state, own stack and vectors for cpu index x0.  Clobbers x0-x2. */
cpu_setup:
	msr	daifset, #0xf
	msr	spsel, #1
	mov	x1, #(SCTLR_EL1_GUEST & 0xffff)
	movk	x1, #(SCTLR_EL1_GUEST >> 16), lsl #16
	msr	sctlr_el1, x1
	isb
	cmp	x0, #MAX_CPUS
	b.hs	park			/* no stack for it: nothing sane to do */
	msr	tpidr_el1, x0		/* read back by this_cpu() */
	adr_l	x1, cpu_stacks
	add	x2, x0, #1		/* stacks grow down from the end of a slot */
	add	x1, x1, x2, lsl #STACK_SHIFT
	mov	sp, x1
	adr_l	x1, exception_vectors
	msr	vbar_el1, x1
	isb
	msr	daifclr, #4		/* let SErrors in: they would mean a bug */
	ret

	.global	park
park:
	wfe
	b	park

/*
 * Exception vectors: 16 slots of 0x80 bytes.  Every slot pushes a struct
 * exception_frame and passes it, with the slot number, to
 * handle_exception().  The handler may move frame->elr to step over a
 * faulting instruction; everything else is restored as it was.
 */
	.text
	.balign	0x800
exception_vectors:
	.irp	slot, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	0x80
	sub	sp, sp, #EXCEPTION_FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\slot
	b	exception_common
	.endr

exception_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el1
	stp	x30, x1, [sp, #240]	/* x30, elr */
	mrs	x1, spsr_el1
	mrs	x2, esr_el1
	stp	x1, x2, [sp, #256]	/* spsr, esr */
	mrs	x1, far_el1
	str	x1, [sp, #272]		/* far */

	mov	x1, x0
	mov	x0, sp
	bl	handle_exception	/* exceptions.c */

	ldp	x30, x1, [sp, #240]
	msr	elr_el1, x1
	ldr	x1, [sp, #256]
	msr	spsr_el1, x1
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #EXCEPTION_FRAME_SIZE
	eret

	/* One stack per cpu index; guest.ld keeps .bss inside the image file. */
	.bss
	.balign	16
cpu_stacks:
	.space	MAX_CPUS << STACK_SHIFT

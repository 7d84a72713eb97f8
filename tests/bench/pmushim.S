/*
 * pmushim.S - a 2 MiB arm64 Image that turns the PMU on and then enters
 * the Linux Image appended to it (tools/bench.sh, boot_cost_ratio).
 *
 *   shim (this file, padded to 2 MiB) + Linux Image = one arm64 Image
 *
 * The loader (vigil, or plain QEMU -kernel) sees this header: text_offset
 * 0, image_size = 2 MiB + Linux's image_size (IMAGE_SIZE, from the link),
 * so it places the whole thing 2 MiB-aligned and keeps Linux's bss free.
 * Linux then runs 2 MiB above the shim, 2 MiB-aligned as it requires.
 *
 * At entry (EL1, MMU off, x0 = DTB, x1-x3 = 0, all preserved) it starts,
 * from zero:
 *   PMEVCNTR0  INST_RETIRED at EL0, EL1 and EL2 (everything executed)
 *   PMEVCNTR1  INST_RETIRED at EL2 only (the hypervisor's share)
 *   PMCCNTR    cycles at EL0, EL1 and EL2; under -icount shift=0 QEMU
 *              derives it from virtual time: 1 per ns, idle time included
 * Linux must not reset them: boot it with
 * initcall_blacklist=armv8_pmu_driver_init.
 */
	.section .text, "ax"
	.global	_start
_start:
	b	shim_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	IMAGE_SIZE		/* image_size */
	.quad	0xa			/* flags: LE, 4 KiB pages, anywhere */
	.quad	0, 0, 0			/* res2-res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

#define PMCR_E		(1 << 0)
#define PMCR_P		(1 << 1)	/* reset the event counters */
#define PMCR_C		(1 << 2)	/* reset the cycle counter */
#define FILTER_NSH	(1 << 27)	/* also count at EL2 */
#define FILTER_P	(1 << 31)	/* not at EL1 */
#define FILTER_U	(1 << 30)	/* not at EL0 */
#define INST_RETIRED	0x08

shim_entry:
	ldr	x4, =(FILTER_NSH | INST_RETIRED)
	msr	pmevtyper0_el0, x4
	ldr	x4, =(FILTER_P | FILTER_U | FILTER_NSH | INST_RETIRED)
	msr	pmevtyper1_el0, x4
	ldr	x4, =FILTER_NSH
	msr	pmccfiltr_el0, x4
	ldr	x4, =((1 << 31) | 3)	/* cycle counter, counters 0 and 1 */
	msr	pmovsclr_el0, x4
	msr	pmcntenset_el0, x4
	mrs	x4, pmcr_el0
	orr	x4, x4, #(PMCR_E | PMCR_P | PMCR_C)
	msr	pmcr_el0, x4
	isb
	adr	x4, _start
	add	x4, x4, #0x200000	/* the Linux Image */
	br	x4
	.ltorg

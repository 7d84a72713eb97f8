/*
 * bench.c - exact measurements for `make bench` (tools/bench.sh).
 *
 * Run under QEMU with -icount shift=0: then the PMU event INST_RETIRED
 * (0x08) counts exactly, and PMEVTYPER0_EL0 = 0xC8000008 (P and U set: no
 * EL1, no EL0; NSH set: EL2) makes counter 0 count only the instructions
 * the hypervisor executes on this CPU. vigil gives the guest every PMU
 * counter, untrapped. Run on one CPU: QEMU's count is the machine's, so
 * another vCPU would add its instructions to this one's counter.
 *
 * Bootargs words pick the measurements, in this order:
 *   null          N_HVC null exits (HVC PSCI_VERSION); prints
 *                 "guest: bench null_exit hvcs=N el2_insns=T baseline=B ..."
 *                 per round, where B is the same loop with no HVC
 *   irq           N_IRQ virtual timer interrupts (PPI 27), each taken at
 *                 EL2, injected through a list register, acked and EOId
 *                 by this guest; prints per round
 *                 "guest: bench fwd_irq irqs=N el2_insns=T baseline=B ..."
 *   steady        touches the debug registers once (OSLAR_EL1 unlock,
 *                 DBGBCR0_EL1 = 0), then STEADY_ITERATIONS x 4 = 10^9
 *                 instructions of a counted loop with an HVC every
 *                 HVC_EVERY iterations; "guest: bench steady done ..."
 *   steady-short  the same touch, and nothing after it
 * vigil's per-vCPU stats line at power-off gives the trap counts.
 */
#include "guest.h"

const char guest_name[] = "bench";

#define STR_(x) #x
#define STR(x)	STR_(x)

#define isb() asm volatile("isb" : : : "memory")

/* ---- null exits ------------------------------------------------------- */

#define N_HVC	    10000u
#define NULL_ROUNDS 3
#define WARMUP_HVCS 100u

/* SMCCC: x0-x3 return values, x4-x17 may be clobbered (as smccc_call()). */
#define SMCCC_CLOBBERS                                                      \
	"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", \
	    "x12", "x13", "x14", "x15", "x16", "x17", "memory"

/* The HVC loop and an identical one without the HVC. */
static void hvc_loop(u32 n)
{
	for (u32 i = 0; i < n; i++) {
		register u64 x0 asm("x0") = PSCI_VERSION;
		asm volatile("hvc #0" : "+r"(x0) : : SMCCC_CLOBBERS);
	}
}

static void empty_loop(u32 n)
{
	for (u32 i = 0; i < n; i++) {
		register u64 x0 asm("x0") = PSCI_VERSION;
		asm volatile("" : "+r"(x0) : : SMCCC_CLOBBERS);
	}
}

/*
 * Rounds back to back, printed afterwards: printing exits too (the UART is
 * emulated), and work an exit leaves for the next one (the vGIC folds the
 * list registers back at the next exit) must not fall into a round.
 */
static void bench_null_exit(void)
{
	u32 a, b, c, total[NULL_ROUNDS], baseline[NULL_ROUNDS];
	s32 version = psci_version();

	if (version <= 0) {
		report_fail("psci_version over hvc returned %d", version);
		return;
	}
	hvc_loop(WARMUP_HVCS);
	for (int round = 0; round < NULL_ROUNDS; round++) {
		a = pmu_read();
		empty_loop(N_HVC);
		b = pmu_read();
		hvc_loop(N_HVC);
		c = pmu_read();
		total[round] = c - b;
		baseline[round] = b - a;
	}
	for (int round = 0; round < NULL_ROUNDS; round++)
		print_line("bench null_exit hvcs=%u el2_insns=%u baseline=%u "
			   "overflow=%u",
			   N_HVC, total[round], baseline[round],
			   pmu_overflowed() ? 1u : 0u);
}

/* ---- forwarded interrupts: the virtual timer -------------------------- */

#define N_IRQ		 1000u
#define IRQ_ROUNDS	 2
#define IRQ_WARMUP	 10u
#define TIMER_DELTA	 200u	     /* CNTVCT ticks until the next interrupt */
#define TIMER_WAIT_TICKS (1UL << 26) /* > 1 s at 62.5 MHz: give up */

#define SLOT_EL1H_IRQ  5
#define PPI_VTIMER     27
#define INTID_SPURIOUS 1023

#define GICD_BASE	     0x08000000UL
#define GICR_BASE	     0x080A0000UL
#define GICD_CTLR	     0x0000
#define GICD_CTLR_ENABLE_G1  (1U << 0)
#define GICD_CTLR_ENABLE_G1A (1U << 1)
#define GICD_CTLR_ARE	     (1U << 4)
#define GICR_TYPER	     0x0008
#define GICR_WAKER	     0x0014
#define GICR_WAKER_SLEEP     (1U << 1)
#define GICR_WAKER_ASLEEP    (1U << 2)
#define GICR_SGI	     0x10000
#define GICR_IGROUPR0	     (GICR_SGI + 0x0080)
#define GICR_ISENABLER0	     (GICR_SGI + 0x0100)
#define GICR_IPRIORITYR(n)   (GICR_SGI + 0x0400 + (n))

#define CNTV_CTL_ENABLE (1UL << 0)
#define DAIF_IMM_I	2

static inline u32 mmio_read32(u64 addr)
{
	return *(volatile u32 *)addr;
}

static inline u64 mmio_read64(u64 addr)
{
	return *(volatile u64 *)addr;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	*(volatile u32 *)addr = v;
}

static inline void mmio_write8(u64 addr, u8 v)
{
	*(volatile u8 *)addr = v;
}

static volatile u32 irqs_taken, irqs_other;

/* The IRQ vector: ack, turn the timer off (its line drops), EOI. */
static bool irq_hook(struct exception_frame *frame, u64 slot)
{
	u64 intid;

	(void)frame;
	if (slot != SLOT_EL1H_IRQ)
		return false;
	intid = read_sysreg(s3_0_c12_c12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	if (intid == INTID_SPURIOUS)
		return true;
	if (intid == PPI_VTIMER) {
		write_sysreg(cntv_ctl_el0, 0);
		isb();
		irqs_taken++;
	} else {
		irqs_other++;
	}
	write_sysreg(s3_0_c12_c12_1, intid); /* ICC_EOIR1_EL1 */
	isb();
	return true;
}

static bool gic_setup(void)
{
	u64 typer = mmio_read64(GICR_BASE + GICR_TYPER);
	u64 deadline;

	if ((typer >> 32) != 0) {
		report_fail("first redistributor has affinity 0x%lx, not cpu 0",
			    typer >> 32);
		return false;
	}
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE |
						GICD_CTLR_ENABLE_G1A |
						GICD_CTLR_ENABLE_G1);
	mmio_write32(GICR_BASE + GICR_WAKER,
		     mmio_read32(GICR_BASE + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	deadline = deadline_after_ms(1000);
	while (mmio_read32(GICR_BASE + GICR_WAKER) & GICR_WAKER_ASLEEP) {
		if (deadline_passed(deadline)) {
			report_fail("redistributor still asleep");
			return false;
		}
	}
	mmio_write8(GICR_BASE + GICR_IPRIORITYR(PPI_VTIMER), 0x80);
	mmio_write32(GICR_BASE + GICR_IGROUPR0,
		     mmio_read32(GICR_BASE + GICR_IGROUPR0) |
			 (1U << PPI_VTIMER));
	mmio_write32(GICR_BASE + GICR_ISENABLER0, 1U << PPI_VTIMER);

	write_sysreg(s3_0_c12_c12_5,
		     read_sysreg(s3_0_c12_c12_5) | 1); /* ICC_SRE_EL1.SRE */
	isb();
	write_sysreg(s3_0_c4_c6_0, 0xff); /* ICC_PMR_EL1 */
	write_sysreg(s3_0_c12_c12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
	return true;
}

/* One timer interrupt: IRQs masked while arming, taken after the WFI. */
static bool one_timer_irq(void)
{
	u32 before = irqs_taken;
	u64 start = read_sysreg(cntvct_el0);

	asm volatile("msr daifset, #" STR(DAIF_IMM_I) : : : "memory");
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + TIMER_DELTA);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
	isb();
	while (irqs_taken == before) {
		asm volatile("wfi" : : : "memory");
		asm volatile("msr daifclr, #" STR(
				 DAIF_IMM_I) "\n\tisb\n\t"
					     "msr daifset, #" STR(DAIF_IMM_I)
			     :
			     :
			     : "memory");
		if (read_sysreg(cntvct_el0) - start > TIMER_WAIT_TICKS)
			return false;
	}
	return true;
}

static void bench_fwd_irq(void)
{
	u32 a, b, c, total[IRQ_ROUNDS], baseline[IRQ_ROUNDS];
	int rounds = 0;

	if (!gic_setup())
		return;
	set_exception_hook(irq_hook);
	for (u32 i = 0; i < IRQ_WARMUP; i++) {
		if (!one_timer_irq()) {
			report_fail("no virtual timer interrupt (warm-up %u)",
				    i);
			goto out;
		}
	}
	for (int round = 0; round < IRQ_ROUNDS; round++) {
		a = pmu_read();
		b = pmu_read(); /* nothing between: the baseline */
		for (u32 i = 0; i < N_IRQ; i++) {
			if (!one_timer_irq()) {
				report_fail(
				    "no virtual timer interrupt after %u", i);
				goto out;
			}
		}
		c = pmu_read();
		total[round] = c - b;
		baseline[round] = b - a;
		rounds++;
	}
out:
	write_sysreg(cntv_ctl_el0, 0);
	set_exception_hook(NULL);
	for (int round = 0; round < rounds; round++)
		print_line("bench fwd_irq irqs=%u el2_insns=%u baseline=%u "
			   "other_irqs=%u overflow=%u",
			   N_IRQ, total[round], baseline[round], irqs_other,
			   pmu_overflowed() ? 1u : 0u);
}

/* ---- steady state: debug registers touched once, then left alone ----- */

#define STEADY_ITERATIONS	   250000000u
#define STEADY_INSNS_PER_ITERATION 4 /* add, eor, subs, b.ne */
#define HVC_EVERY		   1000000u
#define STEADY_ROUNDS		   (STEADY_ITERATIONS / HVC_EVERY)

static void touch_debug_once(void)
{
	write_sysreg(oslar_el1, 0);
	write_sysreg(dbgbcr0_el1, 0);
	isb();
}

/* Exactly @iterations x STEADY_INSNS_PER_ITERATION instructions. */
static u64 counted_loop(u64 count, u32 iterations)
{
	u64 left = iterations, mix = 0;

	asm volatile("1:	add	%[count], %[count], #1\n"
		     "	eor	%[mix], %[mix], %[count]\n"
		     "	subs	%[left], %[left], #1\n"
		     "	b.ne	1b\n"
		     : [count] "+r"(count), [mix] "+r"(mix), [left] "+r"(left));
	return count;
}

static void bench_steady(bool short_run)
{
	s32 version = psci_version();
	u32 mismatches = 0;
	u64 count = 0;

	touch_debug_once();
	print_line("bench steady touched");
	if (short_run)
		return;
	for (u32 round = 0; round < STEADY_ROUNDS; round++) {
		count = counted_loop(count, HVC_EVERY);
		if (psci_version() != version)
			mismatches++;
	}
	if (count != STEADY_ITERATIONS || mismatches != 0) {
		report_fail(
		    "steady loop: %lu of %u iterations, %u bad psci_version",
		    count, STEADY_ITERATIONS, mismatches);
		return;
	}
	print_line("bench steady done loop_insns=%lu hvcs=%u",
		   (u64)STEADY_ITERATIONS * STEADY_INSNS_PER_ITERATION,
		   STEADY_ROUNDS);
}

void guest_main(void)
{
	bool any = false;

	if (bootargs_has("null") || bootargs_has("irq")) {
		if (!pmu_start())
			return;
		if (bootargs_has("null")) {
			bench_null_exit();
			any = true;
		}
		if (bootargs_has("irq")) {
			bench_fwd_irq();
			any = true;
		}
	}
	if (bootargs_has("steady") || bootargs_has("steady-short")) {
		bench_steady(bootargs_has("steady-short"));
		any = true;
	}
	if (!any)
		print_line("note: nothing to do (bootargs: null irq steady "
			   "steady-short)");
}

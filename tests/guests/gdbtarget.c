/*
 * gdbtarget.c - the guest that the gdb and lldb sessions of tests/system
 * debug (tests/system/gdbtest.py). Built with -O0 so that every source line
 * is its own stretch of code and every variable lives in memory.
 *
 * CPU 0 (thread 1) runs main_loop() forever; each iteration does exactly:
 *   - the call chain main_loop -> level1 -> level2 -> target_fn   (break, bt)
 *   - hw_target()                                                 (hbreak)
 *   - 2 writes of watch_write, values 2n-1 and 2n for iteration n (watch)
 *   - 3 reads of watch_read, never written                        (rwatch)
 *   - 1 read, then 1 write of watch_access (+1)                   (awatch)
 *   - source_walk(), which calls walk_helper()                    (next, step)
 *   - range_step_line(): one source line of 1000 instructions     (next, bench)
 *   - copies set_var_target to set_var_seen                       (set var)
 * CPU 1 (thread 2) increments cpu1_counter in cpu1_loop() forever.
 * CPU 0 takes a virtual timer interrupt every TICK_MS (timer_ticks), so that
 * a step that lands in the vector table would be seen (tick_period: a
 * session may change it). For the frozen-time sessions each records the
 * virtual counter (tick_cntvct) and how late after its deadline it came
 * (the most in tick_late_max); one that arrives while the timer's
 * condition does not hold (CNTV_CTL.ISTATUS clear: a hypervisor delivered
 * a stale one) is counted in spurious_ticks instead.
 * Each CPU n sets registers it never uses otherwise to known values, which
 * the registers session reads by their QEMU names: SP_EL0 = SP_EL0_BASE + n,
 * TPIDR_EL0 = TPIDR_EL0_BASE + n, CONTEXTIDR_EL1 = CONTEXTIDR_BASE + n,
 * MAIR_EL1 = MAIR_VALUE (the MMU stays off, so none of them matters).
 *
 * Lines the tests look up carry a "MARK:<name>" comment: the tests find
 * line numbers by these, never by number.
 *
 * Output: "guest: gdbtarget start", then "guest: gdbtarget: ready" once
 * both CPUs run. Nothing else is printed while the loops run.
 * Bootargs "selftest": 20000 iterations instead of forever, then the
 * counts above are checked from the inside and the guest powers off with
 * a verdict (so that plain-qemu-test can run it).
 */
#include "gicv3.h"

const char guest_name[] = "gdbtarget";

#define SELFTEST_ITERATIONS	20000
#define WATCH_READ_VALUE	0x5eedUL
#define CPU1_START_TIMEOUT_MS	5000
#define SLOT_EL1H_IRQ		5	/* IRQ, from EL1 using SP_EL1 */
#define PPI_VTIMER		27
#define PRIO_VTIMER		0xa0
#define INTID_SPURIOUS		1020	/* 1020..1023: no interrupt */
#define TICK_MS			2
#define CNTV_CTL_ISTATUS	(1UL << 2)
#define SP_EL0_BASE		0xffff000012345000UL
#define TPIDR_EL0_BASE		0x0000aaaabbbb0000UL
#define CONTEXTIDR_BASE		0x4c0UL
#define MAIR_VALUE		0x000000040044ff00UL

/* One watched variable per 16 bytes, so a watchpoint covers nothing else. */
#define WATCHED			__attribute__((aligned(16)))

volatile u64 iteration WATCHED;		/* completed main_loop iterations */
volatile u64 watch_write WATCHED;	/* written twice per iteration */
volatile u64 watch_read WATCHED = WATCH_READ_VALUE;
volatile u64 watch_access WATCHED;	/* read once, written once */
volatile u64 read_sink WATCHED;		/* sum of everything read from watch_read */
volatile u64 chain_result WATCHED;	/* what target_fn returned */
volatile u64 hw_target_calls WATCHED;
volatile u64 walk_result WATCHED;
volatile u64 range_step_runs WATCHED;
volatile u64 set_var_target WATCHED = 0x1111;	/* tests write it with set var */
volatile u64 set_var_seen WATCHED;	/* the guest's copy of it */
volatile u64 cpu1_counter WATCHED;	/* cpu1_loop() iterations */
volatile u64 timer_ticks WATCHED;	/* virtual timer interrupts on CPU 0 */
volatile u64 tick_cntvct WATCHED;	/* CNTVCT_EL0 at the last of them */
volatile u64 tick_late_max WATCHED;	/* CNTVCT - CNTV_CVAL, the most seen */
volatile u64 tick_period;		/* CNTV_TVAL for the next tick */
volatile u64 spurious_ticks WATCHED;	/* ... taken with ISTATUS clear */
volatile u64 timer_hz WATCHED;		/* CNTFRQ_EL0 */
volatile u64 scratch[4] WATCHED;	/* the fuzzer's M/X target; never read */

static volatile u32 cpu1_started;

/* The known values the registers session reads (see the top). */
static void set_known_sysregs(unsigned cpu)
{
	write_sysreg(sp_el0, SP_EL0_BASE + cpu);
	write_sysreg(tpidr_el0, TPIDR_EL0_BASE + cpu);
	write_sysreg(contextidr_el1, CONTEXTIDR_BASE + cpu);
	write_sysreg(mair_el1, MAIR_VALUE);
	isb();
}

/* ---- CPU 0: the code the sessions break, watch and step in ------------- */

static __attribute__((noinline)) u64 target_fn(u64 v)
{
	u64 r = v * 2 + 1;			/* MARK:target-1 */

	return r;				/* MARK:target-2 */
}

static __attribute__((noinline)) u64 level2(u64 v)
{
	return target_fn(v + 1);		/* MARK:level2 */
}

static __attribute__((noinline)) u64 level1(u64 v)
{
	return level2(v + 1);			/* MARK:level1 */
}

static __attribute__((noinline)) void hw_target(void)
{
	hw_target_calls = hw_target_calls + 1;	/* MARK:hw-target */
}

static __attribute__((noinline)) void watch_writes(u64 n)
{
	watch_write = 2 * n - 1;		/* MARK:watch-write-1 */
	watch_write = 2 * n;			/* MARK:watch-write-2 */
}

static __attribute__((noinline)) void watch_reads(void)
{
	u64 sum = watch_read;			/* MARK:watch-read-1 */

	sum += watch_read;			/* MARK:watch-read-2 */
	sum += watch_read;			/* MARK:watch-read-3 */
	read_sink = read_sink + sum;
}

static __attribute__((noinline)) void watch_accesses(void)
{
	watch_access = watch_access + 1;	/* MARK:watch-access */
}

static __attribute__((noinline)) u64 walk_helper(u64 v)
{
	u64 r = v * 3;				/* MARK:helper-1 */

	r = r + 1;				/* MARK:helper-2 */
	return r;				/* MARK:helper-3 */
}

static __attribute__((noinline)) void source_walk(u64 n)
{
	u64 a = n;				/* MARK:walk-1 */
	u64 b = a + 2;				/* MARK:walk-2 */

	b = walk_helper(b);			/* MARK:walk-3 */
	walk_result = a + b;			/* MARK:walk-4 */
}

/* 1000 instructions on one source line, no branch: what a source-line
 * `next` covers in one range step (make bench counts the packets). */
#define ONE_THOUSAND_ADDS() \
	asm volatile(".rept 1000\n\tadd x9, x9, #1\n\t.endr" : : : "x9")

static __attribute__((noinline)) void range_step_line(void)
{
	ONE_THOUSAND_ADDS();			/* MARK:range-line */
	range_step_runs = range_step_runs + 1;	/* MARK:range-after */
}

static void main_loop(u64 iterations)
{
	for (;;) {
		u64 n = iteration + 1;		/* MARK:loop-top */

		chain_result = level1(n);	/* MARK:loop-chain */
		hw_target();
		watch_writes(n);
		watch_reads();
		watch_accesses();
		source_walk(n);
		range_step_line();
		set_var_seen = set_var_target;	/* MARK:loop-set-var */
		iteration = n;			/* MARK:loop-end */
		if (iterations != 0 && n == iterations)
			return;
	}
}

/* ---- CPU 0: virtual timer tick ------------------------------------------ */

static bool tick_hook(struct exception_frame *frame, u64 slot)
{
	u32 intid;

	(void)frame;
	if (slot != SLOT_EL1H_IRQ)
		return false;
	intid = (u32)read_sysreg(S3_0_C12_C12_0) & 0xffffff;	/* ICC_IAR1_EL1 */
	if (intid >= INTID_SPURIOUS)
		return true;
	if (intid == PPI_VTIMER) {
		u64 now = read_sysreg(cntvct_el0);

		if (read_sysreg(cntv_ctl_el0) & CNTV_CTL_ISTATUS) {
			u64 late = now - read_sysreg(cntv_cval_el0);

			if (late > tick_late_max)
				tick_late_max = late;
			timer_ticks = timer_ticks + 1;
			write_sysreg(cntv_tval_el0, tick_period); /* MARK:tick */
		} else {
			/* Not due: CVAL stays, the timer fires when it is. */
			spurious_ticks = spurious_ticks + 1;
		}
		tick_cntvct = now;
	}
	write_sysreg(S3_0_C12_C12_1, intid);	/* ICC_EOIR1_EL1 */
	return true;
}

/* PPI 27 in group 1, a tick every TICK_MS, IRQs unmasked on this CPU. */
static bool start_tick(void)
{
	u64 hz = read_sysreg(cntfrq_el0);

	if (!gic_ppi_enable_here(PPI_VTIMER, PRIO_VTIMER))
		return false;
	timer_hz = hz ? hz : 62500000;
	tick_period = timer_hz / 1000 * TICK_MS;
	set_exception_hook(tick_hook);
	write_sysreg(cntv_tval_el0, tick_period);
	write_sysreg(cntv_ctl_el0, 1);		/* enabled, not masked */
	isb();
	irqs_unmask();
	return true;
}

/* ---- CPU 1 ------------------------------------------------------------- */

static __attribute__((noinline)) void cpu1_loop(void)
{
	for (;;)
		cpu1_counter = cpu1_counter + 1;	/* MARK:cpu1-loop */
}

void secondary_main(unsigned cpu)
{
	set_known_sysregs(cpu);
	dmb_sy();
	cpu1_started = 1;
	cpu1_loop();
}

static bool start_cpu1(void)
{
	u64 mpidr[MAX_CPUS], self = read_mpidr(), deadline;
	unsigned n = fdt_cpus(guest_dtb, mpidr, MAX_CPUS);

	for (unsigned i = 0; i < n && i < MAX_CPUS; i++) {
		s32 ret;

		if (mpidr[i] == self)
			continue;
		ret = psci_cpu_on(mpidr[i], (u64)secondary_entry, 1);
		if (ret != PSCI_SUCCESS) {
			report_fail("cpu_on(0x%lx) returned %d", mpidr[i], ret);
			return false;
		}
		deadline = deadline_after_ms(CPU1_START_TIMEOUT_MS);
		while (!cpu1_started && !deadline_passed(deadline))
			dmb_sy();
		return check_true("cpu 1 started", cpu1_started);
	}
	report_fail("the dtb lists %u cpus: gdbtarget needs 2", n);
	return false;
}

/* ---- main ------------------------------------------------------------- */

static void selftest_verdict(u64 n)
{
	check_eq("iterations", n, iteration);
	check_eq("watch_write", 2 * n, watch_write);
	check_eq("watch_read untouched", WATCH_READ_VALUE, watch_read);
	check_eq("read_sink", 3 * n * WATCH_READ_VALUE, read_sink);
	check_eq("watch_access", n, watch_access);
	check_eq("chain_result", 2 * (n + 2) + 1, chain_result);
	check_eq("hw_target_calls", n, hw_target_calls);
	check_eq("walk_result", n + 3 * (n + 2) + 1, walk_result);
	check_eq("range_step_runs", n, range_step_runs);
	check_eq("set_var_seen", set_var_target, set_var_seen);
	check_true("cpu 1 counts", cpu1_counter != 0);
	check_true("timer ticks", timer_ticks != 0);
	check_eq("spurious_ticks", 0, spurious_ticks);
}

void guest_main(void)
{
	bool selftest = bootargs_has("selftest");

	set_known_sysregs(0);
	if (!start_cpu1() || !start_tick())
		return;
	print_line("gdbtarget: ready");
	main_loop(selftest ? SELFTEST_ITERATIONS : 0);
	selftest_verdict(SELFTEST_ITERATIONS);
}

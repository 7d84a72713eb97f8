/*
 * gdbbench.c - the guest tools/bench-gdb.sh debugs to measure vigil's GDB
 * stub (make bench). One CPU, no interrupts, a loop that never ends unless
 * bootargs say "rounds=N":
 *
 *   step_line()   one source line of STEP_LINE_INSNS straight-line
 *                 instructions between two reads of PMU counter 0 (the
 *                 instructions EL2 executes: lib/pmu.c); the difference
 *                 goes to step_el2_insns. A gdb `next` over the line is one
 *                 range step (vCont;r): vigil steps each instruction at EL2
 *                 and sends nothing until the line is done, so the
 *                 difference is STEP_LINE_INSNS single steps and nothing
 *                 else. MARK:step-line is that line; a `next` from it
 *                 stops at MARK:step-after, in the same function.
 *   stop_round()  reads the counter, calls bench_stop(), on which gdb
 *                 breaks, reads the counter again: stop_el2_insns[i % 64]
 *                 gets the difference for the i-th call (i = stops before
 *                 the call), i.e. everything EL2 did while gdb held the
 *                 guest there: the stop, the packets gdb sent meanwhile,
 *                 the resume.
 *
 * Run under QEMU -icount shift=0 for exact counts; under plain QEMU (no
 * EL2) the counts are 0, which is what the reference runs of bench-gdb.sh
 * get (they only count packets and time stepping).
 * With "rounds=N" it does N iterations and prints
 * "guest: gdbbench rounds=N step_el2_insns=S" before its verdict.
 */
#include "guest.h"

const char guest_name[] = "gdbbench";

#define STOP_SLOTS 64

/* Read by gdb (tools/bench-gdb.sh), so global and volatile. */
volatile u32 step_el2_insns;		/* the last step_line() */
volatile u64 step_lines;		/* step_line() calls completed */
volatile u32 stop_el2_insns[STOP_SLOTS]; /* stop_round() i at [i % 64] */
volatile u64 stops;			/* stop_round() calls completed */
volatile u64 iterations;		/* main loop iterations completed */

/*
 * Counter read, STEP_LINE_INSNS - 1 adds, counter read: the second read
 * comes after STEP_LINE_INSNS stepped instructions (the first read and the
 * adds), each followed by a step exception taken to EL2. All on one
 * source line, with the address set-up before and the store of the
 * difference after: 1006 instructions in all.
 */
#define STEP_LINE_INSNS 1000
#define STR_(x) #x
#define STR(x) STR_(x)

static __attribute__((noinline)) void step_line(void)
{
	asm volatile("isb\n\t"			/* MARK:step-line */
		     "mrs x10, pmevcntr0_el0\n\t"
		     ".rept " STR(STEP_LINE_INSNS - 1) "\n\t"
		     "add x9, x9, #1\n\t"
		     ".endr\n\t"
		     "mrs x11, pmevcntr0_el0\n\t"
		     "sub w11, w11, w10\n\t"
		     "str w11, [%0]"
		     :
		     : "r"(&step_el2_insns)
		     : "x9", "x10", "x11", "memory");
	step_lines = step_lines + 1;		/* MARK:step-after */
}

/* Where gdb breaks. */
static __attribute__((noinline)) void bench_stop(void)
{
	asm volatile("" : : : "memory");
}

static __attribute__((noinline)) void stop_round(void)
{
	u32 before = pmu_read();

	bench_stop();
	stop_el2_insns[stops % STOP_SLOTS] = pmu_read() - before;
	stops = stops + 1;
}

void guest_main(void)
{
	u64 rounds = 0;

	bootargs_value("rounds", &rounds);
	if (!pmu_start())
		return;
	print_line("gdbbench: ready");
	for (;;) {
		step_line();
		stop_round();
		iterations = iterations + 1;
		if (rounds != 0 && iterations == rounds)
			break;
	}
	print_line("gdbbench rounds=%lu step_el2_insns=%u", rounds,
		   step_el2_insns);
}

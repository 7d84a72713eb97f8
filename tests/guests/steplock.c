/*
 * steplock.c - the guest's own software step left enabled while debug
 * exceptions are masked at EL1, across exclusive spin locks; then real
 * software steps, counted exactly.
 *
 * With MDSCR_EL1.SS and KDE set but PSTATE.D set, software step is
 * enabled but masked at EL1: on hardware nothing happens until the guest
 * unmasks D or returns to EL0 (Arm ARM D2.12, software step exceptions;
 * D2.2, enabling debug exceptions from the current Exception level).
 * A hypervisor that steps through that window one instruction at a time
 * clears the exclusive monitor at every step, and an LDAXR/STXR lock
 * taken there never succeeds. This guest checks that it does:
 *
 * Phase 1, on every CPU at once: MDSCR_EL1 = SS | KDE | MDE with PSTATE.D
 * set, then LOCK_ROUNDS acquisitions of one shared LDAXR/STXR lock, each
 * incrementing a shared plain counter, and one console line (the console
 * lock is another exclusive loop). No step exception may be taken, and the
 * counter must come out ncpus x LOCK_ROUNDS. Then SS is cleared and CPU 0
 * calls steplock_phase1_done() (where a debugger puts a breakpoint).
 *
 * Phase 2, on each CPU in turn: from that masked window with a lock taken
 * and released each time, the steps the architecture says, exactly:
 *   el0          ERET to 3 EL0 instructions with SPSR.SS = 1: each one
 *                completes, then a step exception from EL0 (EC 0x32,
 *                ISV = 1), ELR = the next instruction: 3 exceptions
 *   el0-pending  the same with SPSR.SS = 0: the step is active-pending on
 *                arrival, taken before the first instruction (ISV = 0),
 *                then one per instruction: 4 exceptions
 *   el1          ERET to EL1 with D clear and SPSR.SS = 1: 3 exceptions
 *                from EL1 (EC 0x33)
 *   unmask       MSR DAIFClr D at EL1 with PSTATE.SS = 0: a step exception
 *                before the next instruction (ISV = 0), then one per
 *                instruction: 3 exceptions
 *
 * Bootargs "wait-debugger": before phase 1, print "guest: steplock:
 * waiting for the debugger" and wait until a debugger sets debugger_ready
 * (tests/system/run.sh does that through vigil's GDB stub).
 */
#include "guest.h"

const char guest_name[] = "steplock";

#define STR_(x)			#x
#define STR(x)			STR_(x)

#define LOCK_ROUNDS		10000
#define SECONDARY_TIMEOUT_MS	120000	/* a stepped-through phase is slow */
#define MAX_LOGGED_STEPS	8
#define STEP_LIMIT		16	/* a runaway step stops here */
#define EL0_EXIT_SVC_IMM	0xe0



#define ESR_EC_SHIFT		26
#define ESR_IL			(1UL << 25)
#define EC_SOFTSTP_LOW		0x32
#define EC_SOFTSTP_CUR		0x33
#define ISS_DEBUG_FSC		0x22
#define ISS_SS_ISV		(1UL << 24)
#define STEP_ESR(ec, isv)	(((u64)(ec) << ESR_EC_SHIFT) | ESR_IL | ISS_DEBUG_FSC | \
				 ((isv) ? ISS_SS_ISV : 0))

/*
 * The lock: "1: ldaxr; cbnz 1b; mov; stxr; cbnz 1b", as kvm-unit-tests
 * (and this runtime's console lock) write it; released with a store-release.
 * The EL0 code ends with svc #EL0_EXIT_SVC_IMM (see run_with_pstate()).
 */
asm(
"	.pushsection .text, \"ax\"\n"
"	.balign	4\n"
"	.global	steplock_acquire\n"
"	.type	steplock_acquire, %function\n"
"steplock_acquire:\n"
"1:	ldaxr	w1, [x0]\n"
"	cbnz	w1, 1b\n"
"	mov	w1, #1\n"
"	stxr	w2, w1, [x0]\n"
"	cbnz	w2, 1b\n"
"	ret\n"

"	.global	steplock_release\n"
"	.type	steplock_release, %function\n"
"steplock_release:\n"
"	stlr	wzr, [x0]\n"
"	ret\n"

/* void step_unmask(u32 *lock): lock, unlock, unmask D, two NOPs, mask D. */
"	.global	step_unmask, step_unmask_first, step_unmask_end\n"
"	.type	step_unmask, %function\n"
"step_unmask:\n"
"1:	ldaxr	w1, [x0]\n"
"	cbnz	w1, 1b\n"
"	mov	w1, #1\n"
"	stxr	w2, w1, [x0]\n"
"	cbnz	w2, 1b\n"
"	stlr	wzr, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"step_unmask_first:\n"
"	nop\n"
"	nop\n"
"step_unmask_end:\n"
"	msr	daifset, #" STR(DAIF_IMM_D) "\n"
"	ret\n"

/* u64 el1_steps(u64 x): returns x + 3 */
"	.global	el1_steps, el1_steps_end\n"
"	.type	el1_steps, %function\n"
"el1_steps:\n"
"	nop\n"
"	add	x0, x0, #1\n"
"	add	x0, x0, #2\n"
"el1_steps_end:\n"
"	ret\n"

/* EL0: x0 = value; returns value + 3. */
"	.global	el0_steps, el0_steps_end\n"
"	.type	el0_steps, %function\n"
"el0_steps:\n"
"	nop\n"
"	add	x0, x0, #1\n"
"	add	x0, x0, #2\n"
"el0_steps_end:\n"
"	svc	#" STR(EL0_EXIT_SVC_IMM) "\n"

"	.popsection\n");

void steplock_acquire(volatile u32 *lock);
void steplock_release(volatile u32 *lock);
void step_unmask(volatile u32 *lock);
u64 el1_steps(u64 x);
extern char step_unmask_first[], step_unmask_end[], el1_steps_end[];
extern char el0_steps[], el0_steps_end[];

volatile u32 debugger_ready;		/* a debugger sets it (wait-debugger) */
volatile u64 phase1_counter;		/* incremented under the lock */
static volatile u32 shared_lock __attribute__((aligned(16)));
static volatile u32 phase1_done[MAX_CPUS], phase2_go[MAX_CPUS], phase2_done[MAX_CPUS];
static u64 el0_stacks[MAX_CPUS][32] __attribute__((aligned(16)));

/* This CPU's step exceptions since step_log_reset(). */
static struct step_log {
	volatile u32 count;
	volatile u64 stop_elr;		/* stepping stops at this ELR */
	volatile u64 esr[MAX_LOGGED_STEPS], elr[MAX_LOGGED_STEPS];
} step_logs[MAX_CPUS];

static void step_log_reset(u64 stop_elr)
{
	struct step_log *log = &step_logs[this_cpu()];

	log->count = 0;
	log->stop_elr = stop_elr;
}

/*
 * A step exception: logged, and stepping goes on (SPSR.SS = 1) until ELR
 * reaches the stop address, where MDSCR_EL1.SS is cleared. The SVC from
 * EL0 ends run_with_pstate().
 */
static bool step_hook(struct exception_frame *frame, u64 slot)
{
	struct step_log *log = &step_logs[this_cpu()];
	u64 ec = ESR_EC(frame->esr);
	u32 i;

	if (slot == SLOT_EL0_64_SYNC && ec == EC_SVC64 &&
	    ESR_ISS(frame->esr) == EL0_EXIT_SVC_IMM) {
		frame->elr = (u64)eret_return;
		frame->spsr = SPSR_M_EL1H | SPSR_D | SPSR_A | SPSR_I | SPSR_F;
		return true;
	}
	if (ec != EC_SOFTSTP_LOW && ec != EC_SOFTSTP_CUR)
		return false;
	i = log->count++;
	if (i < MAX_LOGGED_STEPS) {
		log->esr[i] = frame->esr;
		log->elr[i] = frame->elr;
	}
	if (frame->elr == log->stop_elr || log->count >= STEP_LIMIT)
		write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
	else
		frame->spsr |= SPSR_SS;
	return true;
}

/* The log holds exactly n steps: ELR first, first + 4, ...; ISV = 0 on the first if !isv0. */
static bool steps_match(const char *what, u64 ec, u64 first, unsigned n, bool isv0)
{
	struct step_log *log = &step_logs[this_cpu()];
	unsigned cpu = this_cpu();

	if (log->count != n) {
		report_fail("cpu%u %s: expected %u step exceptions got %u (first esr=0x%lx elr=0x%lx)",
			    cpu, what, n, log->count, log->esr[0], log->elr[0]);
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		u64 esr = STEP_ESR(ec, i > 0 || isv0), elr = first + 4 * i;

		if (log->esr[i] != esr || log->elr[i] != elr) {
			report_fail("cpu%u %s: step %u expected esr=0x%lx elr=0x%lx got esr=0x%lx elr=0x%lx",
				    cpu, what, i, esr, elr, log->esr[i], log->elr[i]);
			return false;
		}
	}
	return true;
}

/* Software step enabled, masked at EL1 by PSTATE.D (set in every guest). */
static void mask_window_start(void)
{
	write_sysreg(oslar_el1, 0);
	write_sysreg(mdscr_el1, MDSCR_SS | MDSCR_KDE | MDSCR_MDE);
	asm volatile("isb" : : : "memory");
}

static void step_off(void)
{
	write_sysreg(mdscr_el1, MDSCR_KDE | MDSCR_MDE);
	asm volatile("isb" : : : "memory");
}

static void phase1(unsigned cpu)
{
	step_log_reset(0);
	mask_window_start();
	for (u32 i = 0; i < LOCK_ROUNDS; i++) {
		steplock_acquire(&shared_lock);
		phase1_counter = phase1_counter + 1;
		steplock_release(&shared_lock);
	}
	print_line("cpu%u took the lock %u times with mdscr.ss set and pstate.d set",
		   cpu, LOCK_ROUNDS);
	step_off();
	if (step_logs[cpu].count)
		report_fail("cpu%u masked window: %u step exceptions taken (first esr=0x%lx elr=0x%lx)",
			    cpu, step_logs[cpu].count, step_logs[cpu].esr[0], step_logs[cpu].elr[0]);
}

static u64 el0_spsr(bool ss)
{
	return SPSR_M_EL0T | SPSR_D | SPSR_I | SPSR_F | (ss ? SPSR_SS : 0);
}

/*
 * From the masked window, with the lock taken and released in it: enter
 * @entry with PSTATE = @spsr, logging steps until ELR = @stop.
 */
static u64 after_window(void *entry, u64 spsr, u64 stop, unsigned cpu)
{
	u64 ret;

	mask_window_start();
	step_log_reset(stop);
	steplock_acquire(&shared_lock);
	steplock_release(&shared_lock);
	ret = run_with_pstate(40, 0, entry, spsr, (u64)&el0_stacks[cpu][32]);
	step_off();
	return ret;
}

static void phase2(unsigned cpu)
{
	u64 ret;

	/* el0: SPSR.SS = 1, the first EL0 instruction completes first. */
	ret = after_window(el0_steps, el0_spsr(true), (u64)el0_steps_end, cpu);
	if (steps_match("el0", EC_SOFTSTP_LOW, (u64)el0_steps + 4, 3, true) &&
	    check_eq("el0 result", 43, ret))
		report_ok("cpu%u el0 step after the masked window: 3 exceptions ec=0x32 isv=1"
			  " elr=pc+4, pc+8, pc+12", cpu);

	/* el0-pending: SPSR.SS = 0, taken before the first EL0 instruction. */
	ret = after_window(el0_steps, el0_spsr(false), (u64)el0_steps_end, cpu);
	if (steps_match("el0-pending", EC_SOFTSTP_LOW, (u64)el0_steps, 4, false) &&
	    check_eq("el0-pending result", 43, ret))
		report_ok("cpu%u el0 step active-pending after the masked window: 4 exceptions,"
			  " the first isv=0 elr=pc", cpu);

	/* el1: D clear, SPSR.SS = 1. */
	ret = after_window(el1_steps, SPSR_M_EL1H | SPSR_SS | SPSR_I | SPSR_F,
			   (u64)el1_steps_end, cpu);
	if (steps_match("el1", EC_SOFTSTP_CUR, (u64)el1_steps + 4, 3, true) &&
	    check_eq("el1 result", 43, ret))
		report_ok("cpu%u el1 step with d clear after the masked window: 3 exceptions"
			  " ec=0x33 isv=1", cpu);

	/* unmask: MSR DAIFClr D makes the pending step due at once. */
	mask_window_start();
	step_log_reset((u64)step_unmask_end);
	step_unmask(&shared_lock);
	step_off();
	if (steps_match("unmask", EC_SOFTSTP_CUR, (u64)step_unmask_first, 3, false))
		report_ok("cpu%u unmasking d in the window: 3 exceptions, the first isv=0"
			  " before the next instruction", cpu);
}

static void wait_flag(volatile u32 *flag, const char *what, unsigned cpu)
{
	u64 deadline = deadline_after_ms(SECONDARY_TIMEOUT_MS);

	while (!*flag && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	if (!*flag)
		report_fail("cpu%u did not finish %s within %u ms", cpu, what,
			    SECONDARY_TIMEOUT_MS);
}

void secondary_main(unsigned cpu)
{
	set_exception_hook(step_hook);
	phase1(cpu);
	dmb_sy();
	phase1_done[cpu] = 1;
	while (!phase2_go[cpu])
		dmb_sy();
	dmb_sy();
	phase2(cpu);
	dmb_sy();
	phase2_done[cpu] = 1;
}

/* CPU 0, once both CPUs are through phase 1: the debugger's breakpoint. */
void steplock_phase1_done(u64 counter);
__attribute__((noinline)) void steplock_phase1_done(u64 counter)
{
	asm volatile("" : : "r"(counter) : "memory");
}

void guest_main(void)
{
	u64 mpidr[MAX_CPUS], self = read_mpidr();
	unsigned ncpus = fdt_cpus(guest_dtb, mpidr, MAX_CPUS), cpu, started = 1;

	set_exception_hook(step_hook);
	if (bootargs_has("wait-debugger")) {
		print_line("steplock: waiting for the debugger");
		while (!debugger_ready)
			dmb_sy();
		print_line("steplock: debugger ready");
	}
	/* One other CPU is enough: the lock is contended either way. */
	if (ncpus > 1) {
		s32 r = psci_cpu_on(mpidr[mpidr[0] == self ? 1 : 0], (u64)secondary_entry, 1);

		if (check_ret("cpu_on cpu1", PSCI_SUCCESS, r))
			started = 2;
	}

	phase1(0);
	for (cpu = 1; cpu < started; cpu++)
		wait_flag(&phase1_done[cpu], "phase 1", cpu);
	if (check_eq("lock counter", (u64)started * LOCK_ROUNDS, phase1_counter))
		report_ok("%u cpus took the lock %u times each with the step masked at el1",
			  started, LOCK_ROUNDS);
	steplock_phase1_done(phase1_counter);

	phase2(0);
	for (cpu = 1; cpu < started; cpu++) {
		dmb_sy();
		phase2_go[cpu] = 1;
		wait_flag(&phase2_done[cpu], "phase 2", cpu);
	}
}

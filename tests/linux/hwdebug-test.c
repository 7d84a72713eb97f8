/*
 * hwdebug-test - ptrace test of arm64 hardware breakpoints, watchpoints and
 * single-step, run inside the Linux guest.
 *
 * The parent traces a forked child and programs the child's debug registers
 * through PTRACE_SETREGSET(NT_ARM_HW_BREAK / NT_ARM_HW_WATCH). The kernel
 * loads them into the real (or, under vigil, virtual) DBGBCR/DBGBVR and
 * DBGWCR/DBGWVR whenever the child is scheduled in, so the checks prove
 * that the guest keeps full use of its own debug hardware:
 *
 *   - every breakpoint slot, one at a time: an execute breakpoint on a
 *     function the child calls BP_CALLS times must hit exactly BP_CALLS times;
 *   - every watchpoint slot, one at a time, as a write, a read and an access
 *     watchpoint on an 8-byte variable that the child stores 3 times and
 *     loads 2 times: exactly 3, 2 and 5 hits, each with si_addr == the
 *     variable's address;
 *   - all breakpoint slots at once, and all watchpoint slots at once (the
 *     whole register set must be switched, not just slot 0);
 *   - PTRACE_SINGLESTEP over a straight-line sequence: the PC advances by 4
 *     per step and the registers change as the instructions say.
 *
 * Between hits the child moves itself between the CPUs it may run on
 * (sched_setaffinity), and between steps the parent moves it, so the debug
 * state must follow the task from one vCPU to another. The CPU of every
 * stop (from /proc/PID/stat) is printed and must cover two CPUs when the
 * system has two.
 *
 * After a hit the child is moved past the instruction the standard way: the
 * slot is disabled, the child single-stepped, the slot re-enabled.
 *
 * Output: "hwdebug: slots bp=N wp=M", one "hwdebug: ok ..." or
 * "hwdebug: FAIL ..." line per check, then "hwdebug: PASS" (exit 0) or
 * "hwdebug: FAIL (<number of failed checks>)" (exit 1).
 *
 * Options, for running under a debugger attached to the hypervisor (vigil's
 * GDB tests, tests/system/gdb/linux.py):
 *   --leave-bp N, --leave-wp N   the all-slots-at-once checks use N
 *        breakpoint (watchpoint) slots fewer: those the outside debugger
 *        holds. Where both want a slot the hypervisor's debugger wins, so a
 *        guest using every slot could not pass. Each single-slot check
 *        still uses every slot number the guest sees.
 *   --mark-getpid   each traced child makes a raw getpid system call with
 *        x0 = GETPID_MARK every time it moves to another CPU, while its own
 *        breakpoints or watchpoints are armed: an outside breakpoint on the
 *        kernel's getpid fires in between the guest's own debug exceptions,
 *        on every CPU. The number of such calls is printed at the end:
 *        "hwdebug: marked getpid calls N".
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
/* After <sys/ptrace.h>: struct user_hwdebug_state, struct user_pt_regs. */
#include <asm/ptrace.h>

/*
 * Fields of the control word of NT_ARM_HW_BREAK/NT_ARM_HW_WATCH slots. They
 * live in the kernel's arch/arm64/include/asm/hw_breakpoint.h, which is not
 * a uapi header: the kernel decodes ctrl as enable[0], privilege[2:1],
 * type[4:3], byte-address-select length[12:5].
 */
#ifndef ARM_BREAKPOINT_EXECUTE
#define ARM_BREAKPOINT_EXECUTE 0
#define ARM_BREAKPOINT_LOAD    1
#define ARM_BREAKPOINT_STORE   2
#endif
#ifndef AARCH64_BREAKPOINT_EL0
#define AARCH64_BREAKPOINT_EL0 2
#endif
#ifndef ARM_BREAKPOINT_LEN_4
#define ARM_BREAKPOINT_LEN_4   0x0f
#define ARM_BREAKPOINT_LEN_8   0xff
#endif

#define MAX_SLOTS      16	/* ARM_MAX_BRP / ARM_MAX_WRP */
#define BP_CALLS       6	/* calls of the breakpointed function */
#define WP_STORES      3	/* stores of the watched variable */
#define WP_LOADS       2	/* loads of the watched variable */
#define STEP_COUNT     16	/* single-steps over step_region */
#define MAX_HITS       64	/* more than any check expects: a runaway */
#define STOP_TIMEOUT_S 20	/* one ptrace stop must come within this */
#define GETPID_MARK    0x7669676967657470ull	/* "vigigetp": x0 of --mark-getpid */

static uint32_t hw_ctrl(unsigned int type, unsigned int len)
{
	return 1u | AARCH64_BREAKPOINT_EL0 << 1 | type << 3 | len << 5;
}

/* ------------------------------------------------------------ child side */

/* CPUs this program may run on, filled before the first fork. */
static int cpus[CPU_SETSIZE];
static int ncpus;

/* Slot counts from dbg_info, known to every child forked after the probe. */
static int nbp, nwp;
/* Slots the all-at-once checks use: nbp, nwp less --leave-bp, --leave-wp. */
static int nbp_all, nwp_all;

/* --mark-getpid: calls made, counted in memory shared with the children. */
static volatile uint64_t *marked_calls;

static volatile int bp_calls_made;

__attribute__((noinline, noipa)) void bp_target(void)
{
	bp_calls_made++;
}

/* One distinct function per breakpoint slot for the all-slots check. */
static volatile int slot_calls[MAX_SLOTS];
#define SLOT_TARGET(n) \
	__attribute__((noinline, noipa)) static void slot_target_##n(void) \
	{ slot_calls[n]++; }
SLOT_TARGET(0) SLOT_TARGET(1) SLOT_TARGET(2) SLOT_TARGET(3)
SLOT_TARGET(4) SLOT_TARGET(5) SLOT_TARGET(6) SLOT_TARGET(7)
SLOT_TARGET(8) SLOT_TARGET(9) SLOT_TARGET(10) SLOT_TARGET(11)
SLOT_TARGET(12) SLOT_TARGET(13) SLOT_TARGET(14) SLOT_TARGET(15)
static void (*const slot_targets[MAX_SLOTS])(void) = {
	slot_target_0, slot_target_1, slot_target_2, slot_target_3,
	slot_target_4, slot_target_5, slot_target_6, slot_target_7,
	slot_target_8, slot_target_9, slot_target_10, slot_target_11,
	slot_target_12, slot_target_13, slot_target_14, slot_target_15,
};

/*
 * Watched variables, each alone in its own 64-byte block so that no other
 * access of the child touches the 8 bytes a watchpoint covers.
 */
struct watched {
	volatile uint64_t v;
} __attribute__((aligned(64)));
static struct watched watch_vars[MAX_SLOTS];

/*
 * Straight-line code for the single-step check: x0 = 0, then 16 increments.
 * Returns 16. The parent steps it instruction by instruction.
 */
uint64_t step_region(void);
__asm__(".text\n"
	".global step_region\n"
	".type step_region, %function\n"
	".p2align 2\n"
	"step_region:\n"
	"	mov x0, #0\n"
	".rept 16\n"
	"	add x0, x0, #1\n"
	".endr\n"
	"	ret\n"
	".size step_region, . - step_region\n");

enum scenario {
	CHILD_PROBE,	/* stop once and exit: lets the parent read dbg_info */
	CHILD_BP_LOOP,	/* call bp_target() BP_CALLS times */
	CHILD_WP_SEQ,	/* 3 stores, 2 loads of watch_vars[0] */
	CHILD_BP_ALL,	/* call slot_target_0 .. slot_target_<nbp-1> once */
	CHILD_WP_ALL,	/* store, then load, each of watch_vars[0 .. nwp-1] */
	CHILD_STEP,	/* run step_region() */
};

/* Child exit codes that tell the parent what went wrong inside. */
enum { CHILD_OK = 0, CHILD_BAD_VALUE = 1, CHILD_BAD_CPU = 2, CHILD_NO_TRACE = 90 };

/* Moves the calling child to the k-th allowed CPU (round robin). */
static void child_move(int k)
{
	cpu_set_t set;
	int cpu = cpus[k % ncpus];

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0 || sched_getcpu() != cpu)
		_exit(CHILD_BAD_CPU);
	if (marked_calls) {
		/* The raw call: libc's getpid() takes no argument to mark. */
		syscall(SYS_getpid, GETPID_MARK);
		__atomic_fetch_add(marked_calls, 1, __ATOMIC_RELAXED);
	}
}

static __attribute__((noreturn)) void child_main(enum scenario what)
{
	int ok = 1;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
		_exit(CHILD_NO_TRACE);
	/*
	 * Write every page the checks touch before the parent arms anything,
	 * so copy-on-write faults from fork() do not mix with the debug
	 * exceptions under test.
	 */
	for (int i = 0; i < MAX_SLOTS; i++)
		watch_vars[i].v = 0;
	bp_calls_made = 0;
	slot_calls[0] = 0;
	raise(SIGSTOP);

	switch (what) {
	case CHILD_PROBE:
		break;
	case CHILD_BP_LOOP:
		for (int k = 0; k < BP_CALLS; k++) {
			child_move(k);
			bp_target();
		}
		ok = bp_calls_made == BP_CALLS;
		break;
	case CHILD_WP_SEQ: {
		/*
		 * WP_STORES stores and WP_LOADS loads, a CPU move before each,
		 * chosen so that the stores alone and the loads alone also
		 * run on two CPUs (with two CPUs: S0 L1 S1 L0 S0).
		 */
		volatile uint64_t *w = &watch_vars[0].v;
		uint64_t first, second;

		child_move(0);
		*w = 1;
		child_move(1);
		first = *w;
		child_move(3);
		*w = first + 1;
		child_move(2);
		second = *w;
		child_move(4);
		*w = second + 1;
		/* Each stepped-over store happened exactly once. */
		ok = first == 1 && second == 2;
		break;
	}
	case CHILD_BP_ALL:
		for (int n = 0; n < nbp_all; n++) {
			child_move(n);
			slot_targets[n]();
		}
		for (int n = 0; n < nbp_all; n++)
			ok &= slot_calls[n] == 1;
		break;
	case CHILD_WP_ALL:
		for (int n = 0; n < nwp_all; n++) {
			child_move(n);
			watch_vars[n].v = (uint64_t)n + 100;
		}
		for (int n = 0; n < nwp_all; n++) {
			child_move(n + 1);
			ok &= watch_vars[n].v == (uint64_t)n + 100;
		}
		break;
	case CHILD_STEP:
		ok = step_region() == 16;
		break;
	}
	_exit(ok ? CHILD_OK : CHILD_BAD_VALUE);
}

/* ----------------------------------------------------------- parent side */

static int failures;

static void report(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("hwdebug: %s ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

/* SIGALRM only interrupts waitpid(): a stop that never comes is a failure. */
static void on_alarm(int sig)
{
	(void)sig;
}

enum stop_kind { ST_TRAP, ST_SIGNAL, ST_EXITED, ST_KILLED, ST_TIMEOUT, ST_ERROR };

struct stop {
	enum stop_kind kind;
	int sig;		/* ST_TRAP, ST_SIGNAL, ST_KILLED */
	int code;		/* ST_TRAP: si_code; ST_EXITED: exit status */
	uintptr_t addr;		/* ST_TRAP: si_addr */
};

static struct stop wait_stop(pid_t pid)
{
	struct stop s = { .kind = ST_ERROR };
	int status;
	pid_t r;

	alarm(STOP_TIMEOUT_S);
	r = waitpid(pid, &status, __WALL);
	alarm(0);
	if (r < 0) {
		s.kind = errno == EINTR ? ST_TIMEOUT : ST_ERROR;
		return s;
	}
	if (WIFEXITED(status)) {
		s.kind = ST_EXITED;
		s.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		s.kind = ST_KILLED;
		s.sig = WTERMSIG(status);
	} else if (WIFSTOPPED(status)) {
		siginfo_t si;

		s.sig = WSTOPSIG(status);
		s.kind = ST_SIGNAL;
		if (s.sig == SIGTRAP &&
		    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0) {
			s.kind = ST_TRAP;
			s.code = si.si_code;
			s.addr = (uintptr_t)si.si_addr;
		}
	}
	return s;
}

static const char *describe(struct stop s)
{
	static char buf[96];

	switch (s.kind) {
	case ST_TRAP:
		snprintf(buf, sizeof(buf), "SIGTRAP si_code %d si_addr %#lx",
			 s.code, (unsigned long)s.addr);
		break;
	case ST_SIGNAL:
		snprintf(buf, sizeof(buf), "stopped by signal %d", s.sig);
		break;
	case ST_EXITED:
		snprintf(buf, sizeof(buf), "exited with status %d", s.code);
		break;
	case ST_KILLED:
		snprintf(buf, sizeof(buf), "killed by signal %d", s.sig);
		break;
	case ST_TIMEOUT:
		snprintf(buf, sizeof(buf), "no stop within %d s", STOP_TIMEOUT_S);
		break;
	case ST_ERROR:
		snprintf(buf, sizeof(buf), "waitpid: %s", strerror(errno));
		break;
	}
	return buf;
}

static void kill_child(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

/* Forks a traced child that is stopped (SIGSTOP) before it does `what`. */
static pid_t start_child(enum scenario what, char *err, size_t errlen)
{
	struct stop s;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_main(what);
	s = wait_stop(pid);
	if (s.kind != ST_SIGNAL || s.sig != SIGSTOP) {
		snprintf(err, errlen, "child did not stop at its start: %s",
			 describe(s));
		if (s.kind != ST_EXITED && s.kind != ST_KILLED)
			kill_child(pid);
		return -1;
	}
	/* Should this program die, its children must not linger stopped. */
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL);
	return pid;
}

struct slot {
	uint64_t addr;
	uint32_t ctrl;
};

/* Writes slots 0..n-1 of one regset (the kernel rejects slots past the last). */
static int set_slots(pid_t pid, int note, const struct slot *slots, int n)
{
	struct user_hwdebug_state st;
	struct iovec iov = {
		.iov_base = &st,
		.iov_len = offsetof(struct user_hwdebug_state, dbg_regs) +
			   (size_t)n * sizeof(st.dbg_regs[0]),
	};

	memset(&st, 0, sizeof(st));
	for (int i = 0; i < n; i++) {
		st.dbg_regs[i].addr = slots[i].addr;
		st.dbg_regs[i].ctrl = slots[i].ctrl;
	}
	return ptrace(PTRACE_SETREGSET, pid, (void *)(long)note, &iov);
}

static int get_slots(pid_t pid, int note, struct user_hwdebug_state *st)
{
	struct iovec iov = { .iov_base = st, .iov_len = sizeof(*st) };

	memset(st, 0, sizeof(*st));
	return ptrace(PTRACE_GETREGSET, pid, (void *)(long)note, &iov);
}

/* Sets the slots and checks that the kernel reads back what was written. */
static int arm_slots(pid_t pid, int note, const struct slot *slots, int n,
		     char *err, size_t errlen)
{
	struct user_hwdebug_state st;

	if (set_slots(pid, note, slots, n) != 0) {
		snprintf(err, errlen, "PTRACE_SETREGSET: %s", strerror(errno));
		return -1;
	}
	if (get_slots(pid, note, &st) != 0) {
		snprintf(err, errlen, "PTRACE_GETREGSET: %s", strerror(errno));
		return -1;
	}
	/*
	 * A disabled slot reads back with the kernel's default type and
	 * length bits, so only its enable bit is compared.
	 */
	for (int i = 0; i < n; i++) {
		uint32_t mask = slots[i].ctrl & 1u ? ~0u : 1u;

		if (st.dbg_regs[i].addr != slots[i].addr ||
		    (st.dbg_regs[i].ctrl & mask) != slots[i].ctrl) {
			snprintf(err, errlen,
				 "slot %d reads back addr %#llx ctrl %#x, wrote %#llx %#x",
				 i, (unsigned long long)st.dbg_regs[i].addr,
				 st.dbg_regs[i].ctrl,
				 (unsigned long long)slots[i].addr, slots[i].ctrl);
			return -1;
		}
	}
	return 0;
}

static int get_regs(pid_t pid, struct user_pt_regs *regs)
{
	struct iovec iov = { .iov_base = regs, .iov_len = sizeof(*regs) };

	return ptrace(PTRACE_GETREGSET, pid, (void *)(long)NT_PRSTATUS, &iov);
}

/* The CPU a stopped task last ran on: field 39 ("processor") of its stat. */
static int task_cpu(pid_t pid)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	int field = 3, cpu = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p)
		return -1;
	for (p = strtok(p + 1, " "); p; p = strtok(NULL, " "), field++) {
		if (field == 39) {
			cpu = atoi(p);
			break;
		}
	}
	return cpu;
}

static int set_task_cpu(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

/* Hits recorded by run_to_exit(). */
struct hits {
	int n;
	uintptr_t addr[MAX_HITS];	/* si_addr */
	uint64_t pc[MAX_HITS];
	int cpu[MAX_HITS];
	int exit_status;		/* child's, or -1 if it did not exit */
};

/* Distinct CPUs among the hits, and the list "0,1,0,..." in buf. */
static int cpu_list(const int *cpu, int n, char *buf, size_t len)
{
	bool seen[CPU_SETSIZE] = { false };
	int distinct = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		used += snprintf(buf + used, len - used, "%s%d", i ? "," : "",
				 cpu[i]);
		if (cpu[i] >= 0 && cpu[i] < CPU_SETSIZE && !seen[cpu[i]]) {
			seen[cpu[i]] = true;
			distinct++;
		}
	}
	return distinct;
}

/*
 * Continues the child until it exits, recording every hardware breakpoint
 * or watchpoint hit (SIGTRAP with si_code TRAP_HWBKPT) and stepping past it
 * with the slots disabled. Anything else ends the run with a message.
 */
static int run_to_exit(pid_t pid, int note, const struct slot *slots, int n,
		       struct hits *h, char *err, size_t errlen)
{
	struct slot off[MAX_SLOTS];
	struct user_pt_regs regs;
	struct stop s;

	for (int i = 0; i < n; i++) {
		off[i] = slots[i];
		off[i].ctrl &= ~1u;	/* same slot, enable bit clear */
	}
	h->n = 0;
	h->exit_status = -1;
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0) {
			snprintf(err, errlen, "PTRACE_CONT: %s", strerror(errno));
			return -1;
		}
		s = wait_stop(pid);
		if (s.kind == ST_EXITED) {
			h->exit_status = s.code;
			return 0;
		}
		if (s.kind != ST_TRAP || s.code != TRAP_HWBKPT) {
			snprintf(err, errlen, "after %d hits: %s", h->n, describe(s));
			return -1;
		}
		if (h->n == MAX_HITS) {
			snprintf(err, errlen, "more than %d hits", MAX_HITS);
			return -1;
		}
		if (get_regs(pid, &regs) != 0) {
			snprintf(err, errlen, "GETREGSET NT_PRSTATUS: %s",
				 strerror(errno));
			return -1;
		}
		h->addr[h->n] = s.addr;
		h->pc[h->n] = regs.pc;
		h->cpu[h->n] = task_cpu(pid);
		h->n++;

		/* Past the instruction that hit: disable, step, re-enable. */
		if (set_slots(pid, note, off, n) != 0) {
			snprintf(err, errlen, "disabling: %s", strerror(errno));
			return -1;
		}
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0) {
			snprintf(err, errlen, "PTRACE_SINGLESTEP: %s",
				 strerror(errno));
			return -1;
		}
		s = wait_stop(pid);
		if (s.kind != ST_TRAP || s.code != TRAP_TRACE) {
			snprintf(err, errlen, "stepping past hit %d: %s", h->n,
				 describe(s));
			return -1;
		}
		if (set_slots(pid, note, slots, n) != 0) {
			snprintf(err, errlen, "re-enabling: %s", strerror(errno));
			return -1;
		}
	}
}

/* Hits on fewer CPUs than the test moved the child between. */
static bool too_few_cpus(int distinct, int nhits)
{
	int want = ncpus < 2 ? 1 : 2;

	return nhits >= 2 && distinct < want;
}

static const char *child_status(int status)
{
	switch (status) {
	case CHILD_OK:
		return "ok";
	case CHILD_BAD_VALUE:
		return "child saw wrong values or call counts";
	case CHILD_BAD_CPU:
		return "child could not move to its CPU";
	case CHILD_NO_TRACE:
		return "PTRACE_TRACEME failed";
	default:
		return "child failed";
	}
}

/*
 * One check: start a child, arm the slots, run it to its end, compare the
 * hits with the expected si_addr sequence. `label` names the check.
 */
static void check_hits(const char *label, enum scenario what, int note,
		       const struct slot *slots, int n,
		       const uintptr_t *expect, int nexpect, bool pc_is_addr)
{
	char err[200] = "", cpus_str[MAX_HITS * 4];
	struct hits h;
	pid_t pid;
	int distinct;

	pid = start_child(what, err, sizeof(err));
	if (pid < 0) {
		report(false, "%s: %s", label, err);
		return;
	}
	if (arm_slots(pid, note, slots, n, err, sizeof(err)) != 0 ||
	    run_to_exit(pid, note, slots, n, &h, err, sizeof(err)) != 0) {
		kill_child(pid);
		report(false, "%s: %s", label, err);
		return;
	}
	distinct = cpu_list(h.cpu, h.n, cpus_str, sizeof(cpus_str));
	if (h.exit_status != CHILD_OK) {
		report(false, "%s: %s (exit %d)", label,
		       child_status(h.exit_status), h.exit_status);
		return;
	}
	if (h.n != nexpect) {
		report(false, "%s: %d hits, expected %d (cpus %s)", label, h.n,
		       nexpect, cpus_str);
		return;
	}
	for (int i = 0; i < h.n; i++) {
		if (h.addr[i] != expect[i]) {
			report(false, "%s: hit %d si_addr %#lx, expected %#lx",
			       label, i + 1, (unsigned long)h.addr[i],
			       (unsigned long)expect[i]);
			return;
		}
		if (pc_is_addr && h.pc[i] != expect[i]) {
			report(false, "%s: hit %d pc %#llx, expected %#lx",
			       label, i + 1, (unsigned long long)h.pc[i],
			       (unsigned long)expect[i]);
			return;
		}
	}
	if (too_few_cpus(distinct, h.n)) {
		report(false, "%s: all %d hits on one CPU (cpus %s)", label,
		       h.n, cpus_str);
		return;
	}
	report(true, "%s: %d hits at %#lx, cpus %s", label, h.n,
	       h.n ? (unsigned long)h.addr[0] : 0ul, cpus_str);
}

static void check_bp_slot(int slot)
{
	struct slot slots[MAX_SLOTS] = { { 0, 0 } };
	uintptr_t expect[BP_CALLS];
	char label[64];

	slots[slot].addr = (uintptr_t)bp_target;
	slots[slot].ctrl = hw_ctrl(ARM_BREAKPOINT_EXECUTE, ARM_BREAKPOINT_LEN_4);
	for (int k = 0; k < BP_CALLS; k++)
		expect[k] = (uintptr_t)bp_target;
	snprintf(label, sizeof(label), "bp slot %d exec", slot);
	check_hits(label, CHILD_BP_LOOP, NT_ARM_HW_BREAK, slots, slot + 1,
		   expect, BP_CALLS, true);
}

static void check_wp_slot(int slot, unsigned int type)
{
	static const char *const names[] = { "", "read", "write", "access" };
	struct slot slots[MAX_SLOTS] = { { 0, 0 } };
	uintptr_t expect[WP_STORES + WP_LOADS];
	int nexpect = 0;
	char label[64];

	slots[slot].addr = (uintptr_t)&watch_vars[0].v;
	slots[slot].ctrl = hw_ctrl(type, ARM_BREAKPOINT_LEN_8);
	if (type & ARM_BREAKPOINT_STORE)
		nexpect += WP_STORES;
	if (type & ARM_BREAKPOINT_LOAD)
		nexpect += WP_LOADS;
	for (int k = 0; k < nexpect; k++)
		expect[k] = (uintptr_t)&watch_vars[0].v;
	snprintf(label, sizeof(label), "wp slot %d %s", slot, names[type]);
	check_hits(label, CHILD_WP_SEQ, NT_ARM_HW_WATCH, slots, slot + 1,
		   expect, nexpect, false);
}

static void check_bp_all(void)
{
	struct slot slots[MAX_SLOTS];
	uintptr_t expect[MAX_SLOTS];
	char label[64];

	for (int i = 0; i < nbp_all; i++) {
		slots[i].addr = (uintptr_t)slot_targets[i];
		slots[i].ctrl = hw_ctrl(ARM_BREAKPOINT_EXECUTE,
					ARM_BREAKPOINT_LEN_4);
		expect[i] = slots[i].addr;
	}
	snprintf(label, sizeof(label), "all %d bp slots at once", nbp_all);
	check_hits(label, CHILD_BP_ALL, NT_ARM_HW_BREAK, slots, nbp_all, expect,
		   nbp_all, true);
}

static void check_wp_all(void)
{
	struct slot slots[MAX_SLOTS];
	uintptr_t expect[2 * MAX_SLOTS];
	char label[64];

	for (int i = 0; i < nwp_all; i++) {
		slots[i].addr = (uintptr_t)&watch_vars[i].v;
		slots[i].ctrl = hw_ctrl(ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE,
					ARM_BREAKPOINT_LEN_8);
		expect[i] = slots[i].addr;		/* the stores */
		expect[nwp_all + i] = slots[i].addr;	/* then the loads */
	}
	snprintf(label, sizeof(label), "all %d wp slots at once", nwp_all);
	check_hits(label, CHILD_WP_ALL, NT_ARM_HW_WATCH, slots, nwp_all, expect,
		   2 * nwp_all, false);
}

/*
 * Stops the child at step_region with a breakpoint, then single-steps
 * STEP_COUNT instructions, moving the stopped child to the next CPU before
 * each step: the PC must advance by 4 each time and x0 count up.
 */
static void check_single_step(void)
{
	const uint64_t start = (uintptr_t)step_region;
	struct slot bp = { start, hw_ctrl(ARM_BREAKPOINT_EXECUTE,
					   ARM_BREAKPOINT_LEN_4) };
	struct slot off = { start, 0 };
	char err[200] = "", cpus_str[STEP_COUNT * 4];
	int cpu[STEP_COUNT], distinct;
	struct user_pt_regs regs;
	struct stop s;
	pid_t pid;

	pid = start_child(CHILD_STEP, err, sizeof(err));
	if (pid < 0) {
		report(false, "single-step: %s", err);
		return;
	}
	if (arm_slots(pid, NT_ARM_HW_BREAK, &bp, 1, err, sizeof(err)) != 0)
		goto fail;
	if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0) {
		snprintf(err, sizeof(err), "PTRACE_CONT: %s", strerror(errno));
		goto fail;
	}
	s = wait_stop(pid);
	if (s.kind != ST_TRAP || s.code != TRAP_HWBKPT || s.addr != start) {
		snprintf(err, sizeof(err), "no breakpoint at step_region: %s",
			 describe(s));
		goto fail;
	}
	if (set_slots(pid, NT_ARM_HW_BREAK, &off, 1) != 0) {
		snprintf(err, sizeof(err), "disabling: %s", strerror(errno));
		goto fail;
	}
	for (int k = 1; k <= STEP_COUNT; k++) {
		if (set_task_cpu(pid, cpus[k % ncpus]) != 0) {
			snprintf(err, sizeof(err), "moving child to cpu %d: %s",
				 cpus[k % ncpus], strerror(errno));
			goto fail;
		}
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0) {
			snprintf(err, sizeof(err), "PTRACE_SINGLESTEP: %s",
				 strerror(errno));
			goto fail;
		}
		s = wait_stop(pid);
		if (s.kind != ST_TRAP || s.code != TRAP_TRACE) {
			snprintf(err, sizeof(err), "step %d: %s", k, describe(s));
			goto fail;
		}
		if (get_regs(pid, &regs) != 0) {
			snprintf(err, sizeof(err), "GETREGSET NT_PRSTATUS: %s",
				 strerror(errno));
			goto fail;
		}
		cpu[k - 1] = task_cpu(pid);
		if (regs.pc != start + 4ull * k) {
			snprintf(err, sizeof(err),
				 "step %d: pc %#llx, expected %#llx", k,
				 (unsigned long long)regs.pc,
				 (unsigned long long)(start + 4ull * k));
			goto fail;
		}
		/* Step 1 ran "mov x0, #0"; each later step one "add #1". */
		if (regs.regs[0] != (uint64_t)(k - 1)) {
			snprintf(err, sizeof(err), "step %d: x0 = %llu, expected %d",
				 k, (unsigned long long)regs.regs[0], k - 1);
			goto fail;
		}
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0) {
		snprintf(err, sizeof(err), "PTRACE_CONT: %s", strerror(errno));
		goto fail;
	}
	s = wait_stop(pid);
	if (s.kind != ST_EXITED || s.code != CHILD_OK) {
		snprintf(err, sizeof(err), "at the end: %s", describe(s));
		goto fail;
	}
	distinct = cpu_list(cpu, STEP_COUNT, cpus_str, sizeof(cpus_str));
	if (too_few_cpus(distinct, STEP_COUNT)) {
		report(false, "single-step: all steps on one CPU (cpus %s)",
		       cpus_str);
		return;
	}
	report(true, "single-step: %d steps, pc +4 each, cpus %s", STEP_COUNT,
	       cpus_str);
	return;
fail:
	kill_child(pid);
	report(false, "single-step: %s", err);
}

/* Reads the slot counts from dbg_info of a stopped probe child. */
static int probe_slots(void)
{
	struct user_hwdebug_state st;
	char err[200];
	pid_t pid;
	struct stop s;
	unsigned int arch;

	pid = start_child(CHILD_PROBE, err, sizeof(err));
	if (pid < 0) {
		report(false, "probe: %s", err);
		return -1;
	}
	if (get_slots(pid, NT_ARM_HW_BREAK, &st) != 0) {
		report(false, "probe: GETREGSET NT_ARM_HW_BREAK: %s",
		       strerror(errno));
		kill_child(pid);
		return -1;
	}
	nbp = st.dbg_info & 0xff;
	arch = st.dbg_info >> 8 & 0xff;
	if (get_slots(pid, NT_ARM_HW_WATCH, &st) != 0) {
		report(false, "probe: GETREGSET NT_ARM_HW_WATCH: %s",
		       strerror(errno));
		kill_child(pid);
		return -1;
	}
	nwp = st.dbg_info & 0xff;
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	s = wait_stop(pid);
	if (s.kind != ST_EXITED)
		kill_child(pid);

	printf("hwdebug: slots bp=%d wp=%d\n", nbp, nwp);
	printf("hwdebug: debug architecture %#x, %d cpus to move between\n",
	       arch, ncpus);
	if (nbp > MAX_SLOTS || nwp > MAX_SLOTS) {
		report(false, "probe: more slots than the ABI's %d", MAX_SLOTS);
		return -1;
	}
	report(nbp > 0, "probe: %d breakpoint slots", nbp);
	report(nwp > 0, "probe: %d watchpoint slots", nwp);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: hwdebug-test [--leave-bp N] [--leave-wp N] [--mark-getpid]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int leave_bp = 0, leave_wp = 0;
	struct sigaction sa;
	cpu_set_t set;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--mark-getpid") == 0) {
			void *page = mmap(NULL, sizeof(*marked_calls),
					  PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

			if (page == MAP_FAILED) {
				perror("hwdebug: mmap");
				return 1;
			}
			marked_calls = page;
		} else if ((strcmp(argv[i], "--leave-bp") == 0 ||
			    strcmp(argv[i], "--leave-wp") == 0) && i + 1 < argc) {
			long n = strtol(argv[i + 1], &end, 10);

			if (*end || n < 0 || n > MAX_SLOTS)
				return usage();
			if (strcmp(argv[i], "--leave-bp") == 0)
				leave_bp = (int)n;
			else
				leave_wp = (int)n;
			i++;
		} else {
			return usage();
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waitpid gets EINTR */
	sigaction(SIGALRM, &sa, NULL);

	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		perror("hwdebug: sched_getaffinity");
		return 1;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[ncpus++] = cpu;

	if (probe_slots() == 0) {
		nbp_all = nbp > leave_bp ? nbp - leave_bp : 0;
		nwp_all = nwp > leave_wp ? nwp - leave_wp : 0;
		if (leave_bp || leave_wp)
			printf("hwdebug: leaving %d bp and %d wp slots to an outside debugger\n",
			       leave_bp, leave_wp);
		for (int i = 0; i < nbp; i++)
			check_bp_slot(i);
		for (int j = 0; j < nwp; j++) {
			check_wp_slot(j, ARM_BREAKPOINT_STORE);
			check_wp_slot(j, ARM_BREAKPOINT_LOAD);
			check_wp_slot(j, ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE);
		}
		if (nbp_all > 0)
			check_bp_all();
		if (nwp_all > 0)
			check_wp_all();
		if (nbp > 0)
			check_single_step();
	}

	if (marked_calls)
		printf("hwdebug: marked getpid calls %llu\n",
		       (unsigned long long)*marked_calls);
	if (failures) {
		printf("hwdebug: FAIL (%d)\n", failures);
		return 1;
	}
	printf("hwdebug: PASS\n");
	return 0;
}

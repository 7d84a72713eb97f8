/*
 * What the GDB protocol layer (gdb.c) needs of the machine. target.c
 * implements it on vigil's vCPUs; tests/unit has a fake with the same
 * contract, so the protocol is tested on the host.
 *
 * Threads are vCPUs: thread id = vCPU index + 1 (GDB reserves 0 and -1).
 *
 * All-stop mode (the default): everything except target_interrupt() and
 * target_poll_stop() is called only while every vCPU is stopped, and one
 * stop stops them all.
 *
 * Non-stop mode (target_set_non_stop): each thread stops and resumes on
 * its own. target_poll_stop() then reports one thread's stop at a time,
 * and the rest - registers of a stopped thread, memory, breakpoints,
 * target_resume(), target_stop_thread() - may be called while other
 * threads run.
 */
#ifndef DEBUG_TARGET_H
#define DEBUG_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register numbers, in target.xml order (regs.c has the table). */
enum {
	REG_X0 = 0,
	REG_X29 = 29,
	REG_X30 = 30,
	REG_SP = 31,
	REG_PC = 32,
	REG_CPSR = 33, /* 32 bits */
	REG_V0 = 34,   /* v0..v31: 128 bits */
	REG_FPSR = 66, /* 32 bits */
	REG_FPCR = 67, /* 32 bits */
	REG_SYS_FIRST = 68, /* then the system registers of regs.c, 64 bits */
	REG_EL = 84,        /* the last: the vCPU's exception level */
};

struct target_reg {
	const char *name;
	uint8_t size;    /* bytes */
	bool writable;
	const char *type; /* target.xml type: "uint64", "code_ptr", ... */
	const char *group; /* target.xml group, or NULL */
};

/* The register table: number of entries, and entry n (NULL past the end). */
unsigned int target_nr_regs(void);
const struct target_reg *target_reg_info(unsigned int regnum);

unsigned int target_nr_threads(void);
/* "vCPU1 (EL1)", "vCPU2 (off)": what qXfer:threads shows. */
void target_thread_name(unsigned int tid, char *buf, size_t len);

/* Register bytes are target order (little-endian), size from the table. */
bool target_read_reg(unsigned int tid, unsigned int regnum, uint8_t *buf);
bool target_write_reg(unsigned int tid, unsigned int regnum,
		      const uint8_t *buf);

/*
 * Whether target_write_reg(tid, regnum, buf) would succeed, changing
 * nothing: a G packet checks every register before it writes any.
 */
bool target_reg_write_ok(unsigned int tid, unsigned int regnum,
			 const uint8_t *buf);

/*
 * Guest memory, at guest-virtual addresses as thread tid sees them, or at
 * guest-physical ones in physical mode. Returns the number of bytes done
 * from the start (short at the first byte that does not translate or is
 * not guest RAM); 0 means none. Writes keep the I-cache coherent, and
 * reads show the original instructions under software breakpoints.
 */
size_t target_read_mem(unsigned int tid, uint64_t addr, uint8_t *buf,
		       size_t len);
size_t target_write_mem(unsigned int tid, uint64_t addr, const uint8_t *buf,
			size_t len);
/*
 * Whether all of [addr, addr + len) translates to guest RAM for thread tid
 * now, so that target_write_mem() writes every byte: M and X check the
 * whole range before they write any.
 */
bool target_mem_writable(unsigned int tid, uint64_t addr, size_t len);
void target_set_phys(bool on);
bool target_phys(void);

/* Z/z types. */
enum target_bp_type {
	BP_SOFTWARE = 0,
	BP_HARDWARE = 1,
	BP_WATCH_WRITE = 2,
	BP_WATCH_READ = 3,
	BP_WATCH_ACCESS = 4,
};

enum target_result {
	TARGET_OK = 0,
	TARGET_ERROR,       /* reply E.. */
	TARGET_UNSUPPORTED, /* reply empty */
};

/* kind: the instruction length for 0/1, the watched length for 2..4. */
enum target_result target_insert_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind);
enum target_result target_remove_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind);

/* How each thread runs on target_resume(). */
enum target_action {
	/* All-stop: stays stopped (scheduler-locking). Non-stop: left as it
	 * is, stopped or running. */
	ACT_STOP = 0,
	ACT_CONTINUE,
	ACT_STEP,
	ACT_RANGE, /* step while start <= pc < end, then report a step */
};

struct target_resume {
	enum target_action action[16]; /* indexed by tid - 1 */
	uint64_t range_start, range_end;
	unsigned int resumed_tid; /* the thread Ctrl-C's stop is reported on */
};

/*
 * Resume per thread; the stop comes later through target_poll_stop().
 * Non-stop: only threads that are stopped and whose stop was reported
 * resume; a thread whose stop is still to be reported stays stopped.
 */
void target_resume(const struct target_resume *r);

/* All-stop Ctrl-C: stop every vCPU; reported through target_poll_stop(). */
void target_interrupt(void);

enum target_stop_reason {
	STOP_SIGINT,   /* target_interrupt() */
	STOP_SIGTRAP,  /* a step, or a stop with no more specific reason */
	STOP_SWBREAK,
	STOP_HWBREAK,
	STOP_WATCH,
	STOP_RWATCH,
	STOP_AWATCH,
	STOP_EXITED,   /* the guest powered off (W00) */
	STOP_HALTED,   /* non-stop: target_stop_thread() for vCont;t (T00) */
};

struct target_stop {
	enum target_stop_reason reason;
	unsigned int tid;
	uint64_t data_addr; /* watchpoints: the watched address */
};

/*
 * After target_resume() or target_interrupt(): true once every vCPU has
 * stopped, with what to report. Called from the transport's poll.
 * Non-stop: true for each thread that stopped since, one per call, each
 * reported once.
 */
bool target_poll_stop(struct target_stop *stop);

/*
 * Non-stop mode on or off, between target_attach() and the session's end.
 * On: only while every vCPU is stopped (false otherwise); every thread
 * starts stopped, its stop reported. Off: every thread that runs is asked
 * to stop, and target_poll_stop() reports the all-stop stop once all have
 * (at once if they already had). A new session starts in all-stop mode.
 */
bool target_set_non_stop(bool on);

/*
 * Non-stop: stop thread tid if it runs, reported through
 * target_poll_stop() with why (STOP_HALTED for vCont;t, STOP_SIGINT for
 * vCtrlC), unless it stops for a reason of its own first.
 */
void target_stop_thread(unsigned int tid, enum target_stop_reason why);
/*
 * Non-stop: thread tid is stopped and target_poll_stop() has reported it
 * (or it was stopped when non-stop mode began).
 */
bool target_thread_stopped(unsigned int tid);

/* A session opens: stop every vCPU (reported through target_poll_stop). */
void target_attach(void);
/* The session ends (D, or the connection went): breakpoints out, guest runs. */
void target_detach(void);
/* `k`: stop the guest for good or reset it, as gdb.on_kill says. */
void target_kill(void);
/* gdb.on_kill = reset: `k` would reset the guest. */
bool target_kill_resets(void);
/*
 * monitor reset: vigil has one guest, so its reset is the machine's (as
 * for the guest's own PSCI SYSTEM_RESET); it happens shortly after the call,
 * once the reply has left.
 */
void target_reset(void);

/*
 * gdb.wait: hold the guest at its first instruction until a debugger lets
 * it go. At start-up, before any vCPU has run: vCPU 0 stops before its
 * first instruction (its entry state in memory, as for any stopped vCPU),
 * the others stay off as PSCI leaves them, and the guest is "halted" with
 * no session, so the first attach reports a stop there. The first resume
 * (continue, step) or a detach starts it.
 */
void target_hold_at_entry(void);
/* The guest is held at its entry and no debugger has let it go yet. */
bool target_held_at_entry(void);

/*
 * The transport calls this on every poll, with or without a session: it
 * finishes a detach that had to wait for running vCPUs to stop, and a
 * reset once its reply has left.
 */
void target_service(void);

void target_set_step_irqs(bool on);
bool target_step_irqs(void);

/* monitor vcpus / stats: text for the console, '\n'-separated. */
void target_describe_vcpus(char *buf, size_t len);
void target_describe_stats(char *buf, size_t len);

#endif

/*
 * The host debugger's contract with the core and the arch layer.
 *
 * debug/ (the GDB stub) decides what the debug hardware should do; the arch
 * layer does it, on each vCPU's own CPU, and reports what fired. The split
 * follows DESIGN.md, "Debug ownership": while a debugger is attached every
 * vCPU is host-owned (debug exceptions are routed to EL2), the debugger's
 * breakpoints and watchpoints are in the hardware, and whatever the guest
 * programmed itself keeps working in the slots left over, its exceptions
 * handed back to it.
 *
 * Threading: struct dbg_host_state is written by debug/ only while every
 * vCPU is stopped (all-stop), and read by the arch layer when a vCPU is
 * about to run again, so it needs no lock.
 */
#ifndef VIGIL_DEBUGGER_H
#define VIGIL_DEBUGGER_H

#include <vigil/types.h>

struct vcpu;

#define DBG_MAX_HW_BREAKS 16
#define DBG_MAX_HW_WATCHES 16

/* GDB's Z2/Z3/Z4 kinds; the values are the DBGWCR_EL1.LSC encoding. */
enum dbg_watch_kind {
	DBG_WATCH_READ = 1,
	DBG_WATCH_WRITE = 2,
	DBG_WATCH_ACCESS = 3,
};

struct dbg_hw_watch {
	uint64_t addr; /* guest virtual, aligned to len when len > 8 */
	uint64_t len;  /* 1..8 within one doubleword, or a power of two */
	enum dbg_watch_kind kind;
};

/* What the debugger wants of every vCPU's debug hardware. */
struct dbg_host_state {
	bool attached;  /* a session is open: every vCPU is host-owned */
	bool step_irqs; /* deliver virtual interrupts during a step */
	unsigned int nr_breaks;
	uint64_t breaks[DBG_MAX_HW_BREAKS]; /* guest virtual addresses */
	unsigned int nr_watches;
	struct dbg_hw_watch watches[DBG_MAX_HW_WATCHES];
	uint32_t generation; /* bumped by debug/ on every change */
};

enum dbg_run_mode {
	DBG_RUN_CONTINUE = 0,
	DBG_RUN_STEP,  /* one instruction, then report DBG_EV_STEP */
	DBG_RUN_RANGE, /* step while range_start <= pc < range_end */
};

/* Per vCPU: how it runs when resumed. Set by debug/ while it is stopped. */
struct vcpu_dbg {
	enum dbg_run_mode mode;
	uint64_t range_start, range_end;
	/* Arch-private: the dbg_host_state generation in this CPU's hardware. */
	uint32_t loaded_generation;
};

enum dbg_event_kind {
	DBG_EV_BRK,      /* a BRK instruction; the debugger says whose */
	DBG_EV_HW_BREAK, /* one of the debugger's hardware breakpoints */
	DBG_EV_WATCH,    /* one of the debugger's watchpoints */
	DBG_EV_STEP,     /* the step (or the range step) is complete */
};

struct dbg_event {
	enum dbg_event_kind kind;
	uint64_t pc;        /* the guest PC the event is reported at */
	uint64_t data_addr; /* DBG_EV_WATCH: the address the access used */
	unsigned int slot;  /* DBG_EV_HW_BREAK/WATCH: index in dbg_host_state */
	bool write;         /* DBG_EV_WATCH: the access was a write */
	uint16_t brk_imm;   /* DBG_EV_BRK: the instruction's immediate */
};

/*
 * arch -> debug/, on the vCPU's own CPU at EL2 while it handles the exit.
 * Returns true if the debugger takes the event (every vCPU then stops, this
 * one at the end of the exit), false if it is the guest's own (the arch
 * layer hands it to the guest as the hardware would have), and always
 * false while no session is open.
 */
bool debugger_event(struct vcpu *vcpu, const struct dbg_event *ev);

/*
 * hv -> debug/: the guest is powering off or resetting the machine (PSCI),
 * on the calling vCPU's CPU. With a debugger attached it is told first
 * (GDB's W00, "exited"); returns once that has gone out, or after a short
 * bound if it cannot.
 */
void debugger_guest_exit(struct vcpu *vcpu);

/* The state every vCPU's hardware follows (owned by debug/). */
extern struct dbg_host_state dbg_host;

#endif

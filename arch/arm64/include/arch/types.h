/* arm64 types embedded by the core: guest registers and per-vCPU state. */
#ifndef ARCH_ARM64_TYPES_H
#define ARCH_ARM64_TYPES_H

#include <stdint.h>

/*
 * The guest's general-purpose state as the exception vectors save it.
 * While the guest runs, SP_EL2 points at this frame (the top of the CPU's
 * EL2 stack), so the vectors need no pointer load to find it. Offsets are
 * checked against entry.S by asm-offsets.h.
 */
struct arch_regs {
	uint64_t x[31];
	uint64_t pc;     /* ELR_EL2 */
	uint64_t pstate; /* SPSR_EL2 */
	uint64_t pad;    /* keep the frame a multiple of 16 bytes */
};

/* EL1 and EL0 system registers that belong to the guest. */
enum arch_el1_sysreg {
	EL1_SCTLR, EL1_ACTLR, EL1_CPACR, EL1_TTBR0, EL1_TTBR1, EL1_TCR,
	EL1_ESR, EL1_AFSR0, EL1_AFSR1, EL1_FAR, EL1_MAIR, EL1_AMAIR,
	EL1_VBAR, EL1_CONTEXTIDR, EL1_TPIDR, EL0_TPIDR, EL0_TPIDRRO,
	EL1_CNTKCTL, EL1_PAR, EL0_SP, EL1_SP, EL1_ELR, EL1_SPSR, EL1_CSSELR,
	EL0_CNTV_CTL, EL0_CNTV_CVAL,
	EL1_NR_SYSREGS,
};

struct arch_fpsimd {
	__uint128_t v[32];
	uint64_t fpsr;
	uint64_t fpcr;
};

/*
 * The guest's view of its debug registers (see arch/arm64/debug.h). The
 * hardware holds them only while the vCPU is DIRTY.
 */
struct arch_debug {
	uint64_t bvr[16], bcr[16], wvr[16], wcr[16];
	uint64_t mdscr;
	uint64_t mdccint;
	uint64_t oseccr;
	uint32_t claim;   /* DBGCLAIM tags (shadow only: no effect on debug) */
	uint8_t oslk;     /* OS lock (OSLSR_EL1.OSLK) */
	uint8_t osdlk;    /* OS double lock (OSDLR_EL1.DLK) */
	uint8_t corenpdrq; /* DBGPRCR_EL1 */
	uint8_t state;    /* enum debug_state, debug.c */
	uint8_t host_owned;
	/* Host-owned only (debug.c, "The host debugger's hardware"). */
	uint8_t host_loaded; /* the hardware follows dbg_host and the shadow */
	uint8_t host_step;   /* a host step or range step is in flight */
	uint8_t step_over;   /* stepping silently over one instruction */
	uint8_t step_through; /* stepping the guest where it takes no step */
	uint8_t nr_host_bps, nr_host_wps; /* host slots: the lowest ones */
	uint32_t range_steps; /* instructions range-stepped so far */
	/*
	 * The guest's own step, masked at EL1: an exclusive sequence run
	 * unstepped up to breakpoints of vigil's (debug.c, "exclusive
	 * sequences"), in the hardware slots excl_slots.
	 */
	uint8_t excl_run;
	uint8_t nr_excl_bps;
	uint16_t excl_slots;
	uint64_t excl_bps[4];
	uint64_t host_mdscr; /* MDSCR_EL1 as host_load() last wrote it */
	/* Hardware slot -> guest slot + 1 loaded there, or 0. */
	uint8_t hw_bp_guest[16], hw_wp_guest[16];
};

struct arch_vcpu {
	struct arch_regs *regs; /* the frame at the top of this CPU's stack */
	uint64_t hcr_el2;
	/*
	 * With one vCPU pinned per physical CPU, EL1 system registers and
	 * FP/SIMD stay live in hardware across exits (vigil's own code never
	 * touches them). They are copied here only when the full context is
	 * needed in memory: pause (for the debugger) and reset.
	 */
	uint64_t sysregs[EL1_NR_SYSREGS];
	struct arch_fpsimd fpsimd;
	struct arch_debug debug;
	uint64_t mdcr_el2;
	uint64_t cntvoff; /* what CNTVOFF_EL2 holds (vigil/vtime.h) */
	/* vGIC fast path: list registers in use, interrupts in flight. */
	uint32_t vgic_used_lrs;
	volatile uint32_t vgic_in_flight;
	/* Load only active interrupts: a host step holds pending ones back. */
	uint8_t vgic_hold_pending;
	/* Syndrome of the exit being handled. */
	uint64_t esr;
	uint64_t far;
	uint64_t hpfar;
};

typedef struct {
	volatile uint32_t locked;
} arch_spinlock_t;

#endif

/*
 * The guest's debug hardware: ownership and lazy switching.
 *
 * Per vCPU the debug registers are in one of these states (DESIGN.md,
 * "Debug ownership"):
 *
 *   TRAPPING   every guest access traps (MDCR_EL2.TDA/TDOSA/TDRA) and is
 *              emulated against the shadow in struct arch_debug; the
 *              hardware holds nothing enabled. Nothing is saved or
 *              restored: the exit path pays one predictable branch.
 *   DIRTY      the guest touched a debug register while its OS lock was
 *              clear: its values are in the hardware and the traps are off
 *              (except TDOSA, so vigil sees the OS lock), the full set is
 *              saved on every exit and restored on entry, and at an exit
 *              where nothing is enabled the vCPU goes back to TRAPPING.
 *
 * The OS lock (OSLAR_EL1) suppresses breakpoints, watchpoints and step but
 * not BRK (Arm ARM D2.5). QEMU does not apply that rule, so vigil does:
 * while the guest's OS lock is set the vCPU stays TRAPPING, with the
 * hardware disabled and the guest's values in the shadow.
 *
 * The host debugger's ownership (TDE) plugs in here:
 * arch_debug_host_acquire() and arch_debug_host_release() (arch_vcpu.h)
 * move the guest's state aside and back.
 */
#ifndef ARCH_ARM64_DEBUG_H
#define ARCH_ARM64_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct sysreg_trap;

#define DEBUG_MAX_BRPS 16
#define DEBUG_MAX_WRPS 16

/* Breakpoint and watchpoint counts of this CPU, from ID_AA64DFR0_EL1. */
unsigned int debug_nr_brps(void);
unsigned int debug_nr_wrps(void);

/* Once, at start-up. */
void debug_init(void);
/* Architectural reset of the vCPU's debug state (OS lock set). */
void debug_vcpu_reset(struct vcpu *vcpu);

/* The exit and entry hooks; only called while the vCPU is DIRTY. */
void debug_exit_dirty(struct vcpu *vcpu);
void debug_entry_dirty(struct vcpu *vcpu);

#ifdef VIGIL_EAGER_DEBUG
/* Benchmark variant: save and restore the whole set on every exit. */
void debug_eager_exit(struct vcpu *vcpu);
void debug_eager_entry(struct vcpu *vcpu);
#endif

/* Trapped-register accessor for every debug register (sysreg_trap.c). */
bool debug_access(struct vcpu *vcpu, const struct sysreg_trap *r, bool read,
		  uint64_t *val);

/* MDCR_EL2 for this vCPU now. */
uint64_t debug_mdcr(const struct vcpu *vcpu);

/*
 * Debug exceptions routed to EL2 while host-owned (MDCR_EL2.TDE): the
 * debugger's go to debugger_event(), the guest's are injected into EL1.
 */
void debug_handle_brk(struct vcpu *vcpu, uint64_t esr);
void debug_handle_breakpoint(struct vcpu *vcpu, uint64_t esr);
void debug_handle_watchpoint(struct vcpu *vcpu, uint64_t esr);
void debug_handle_step(struct vcpu *vcpu, uint64_t esr);

/* A WFI/WFE trapped during the debugger's step (and completed as a NOP). */
void debug_wfx_stepped(struct vcpu *vcpu);

/* SPSR_EL1 for an exception injected from pstate: the guest's own SS. */
uint64_t debug_guest_pstate(const struct vcpu *vcpu, uint64_t pstate);

#endif

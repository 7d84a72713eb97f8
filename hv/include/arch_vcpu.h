/*
 * vCPU operations the core needs: reset, register access for PSCI and the
 * debugger, exception injection, and entering the guest.
 */
#ifndef VIGIL_ARCH_VCPU_H
#define VIGIL_ARCH_VCPU_H

#include <arch_types.h>
#include <vigil/types.h>

struct vcpu;

/* One-time set-up of the vCPU's arch state on its own CPU. */
void arch_vcpu_init(struct vcpu *vcpu);

/*
 * Architectural reset of the vCPU into the guest's EL1 with the MMU off,
 * interrupts masked, PC = entry and the first argument register = arg
 * (PSCI CPU_ON and the primary boot use this).
 */
void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg);

/* Enter the guest on this CPU for the first time; never returns. */
void arch_vcpu_enter(struct vcpu *vcpu) __attribute__((noreturn));

uint64_t arch_vcpu_get_gpr(const struct vcpu *vcpu, unsigned int n);
void arch_vcpu_set_gpr(struct vcpu *vcpu, unsigned int n, uint64_t val);
uint64_t arch_vcpu_get_pc(const struct vcpu *vcpu);

/* Save/restore what stays live in hardware between exits (see vm.h). */
void arch_vcpu_save_full(struct vcpu *vcpu);
void arch_vcpu_restore_full(struct vcpu *vcpu);

/*
 * The host debugger takes the vCPU's debug hardware, or gives it back. The
 * guest's own debug state is kept (and its accesses emulated) meanwhile,
 * and is back in force, exactly as it was, after release. Called on the
 * vCPU's own CPU.
 */
void arch_debug_host_acquire(struct vcpu *vcpu);
void arch_debug_host_release(struct vcpu *vcpu);

/* Hardware the host debugger may use (after the guest's own is merged). */
unsigned int arch_debug_nr_hw_breaks(void);
unsigned int arch_debug_nr_hw_watches(void);
/* The largest aligned power-of-two range one watchpoint covers. */
uint64_t arch_debug_max_watch_len(void);

/*
 * On the vCPU's own CPU, after a pause and before the guest runs again:
 * make the debug hardware follow dbg_host and vcpu->dbg (vigil/debugger.h),
 * acquiring or releasing host ownership as dbg_host.attached says, and set
 * up the step or range step the vCPU was resumed with.
 */
void arch_debug_vcpu_resume(struct vcpu *vcpu);

/*
 * On the vCPU's own CPU, before it runs: its virtual counter is to be the
 * machine's counter (arch_timer_counter()) minus offset (vigil/vtime.h). A
 * virtual timer interrupt that fired while the vCPU was held and that the
 * new offset makes not yet due is taken back, to fire when it is due.
 */
void arch_vcpu_set_vtime_offset(struct vcpu *vcpu, uint64_t offset);

/* Inject an undefined-instruction exception at the guest's PC. */
void arch_vcpu_inject_undef(struct vcpu *vcpu);

/*
 * Make an SError (asynchronous abort) pending for the guest, taken when
 * the guest unmasks it. syndrome is the architecture's (arm64: the ISS,
 * IDS included, the guest sees in ESR_EL1 where the CPU has RAS).
 */
void arch_vcpu_inject_serror(struct vcpu *vcpu, uint64_t syndrome);

#endif

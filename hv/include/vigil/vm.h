/*
 * The one guest: its RAM, its vCPUs (one pinned to each physical CPU) and
 * its emulated devices.
 */
#ifndef VIGIL_VM_H
#define VIGIL_VM_H

#include <arch_types.h>
#include <vigil/debugger.h>
#include <vigil/mmio.h>
#include <vigil/types.h>
#include <vigil/vtime.h>

#define VM_MAX_VCPUS 8

enum vcpu_power {
	VCPU_OFF = 0,
	VCPU_ON_PENDING, /* CPU_ON accepted, the physical CPU has not started it yet */
	VCPU_ON,
};

/*
 * Exit counters, indexed by exception class where that makes sense.
 * exits and exits_by_class leave out the steps of a debugger's range step
 * that arm64's entry.S handles itself (guest_sync): that fast path skips
 * the C exit path, and these counters with it.
 */
struct vcpu_stats {
	uint64_t exits;
	uint64_t exits_by_class[64];
	uint64_t mmio;
	uint64_t smccc;
	uint64_t injected;
	uint64_t aborts_injected; /* guest accesses to unmapped IPAs */
	/* Debug ownership (see docs/architecture.md) */
	uint64_t dbg_traps;    /* guest debug-register accesses trapped */
	uint64_t dbg_switches; /* full save/restore of the debug registers */
	uint64_t dbg_dirty;    /* trapping -> guest-owned transitions */
	uint64_t dbg_clean;    /* guest-owned -> trapping transitions */
};

struct vm;
struct vigil_config;

struct vcpu {
	/* Arch state first: the exception vectors find it through the CPU. */
	struct arch_vcpu arch;
	struct vm *vm;
	uint32_t id;
	uint64_t mpidr; /* what the guest reads in MPIDR_EL1 */

	/*
	 * Power state machine, written by other CPUs (CPU_ON) and by this
	 * one (CPU_OFF, start). Guarded by vm->power_lock.
	 */
	volatile enum vcpu_power power;
	uint64_t on_entry;
	uint64_t on_context;

	/* Pause/resume: see vcpu_pause(). */
	volatile bool pause_requested;
	volatile bool paused;
	/* Reload the debug hardware at the next exit (vcpu_request_debug_reload). */
	volatile bool debug_reload;
	/* How the host debugger resumes it (vigil/debugger.h). */
	struct vcpu_dbg dbg;

	struct vcpu_stats stats;
};

struct vm {
	struct mem_range ram;
	struct vcpu vcpus[VM_MAX_VCPUS];
	uint32_t nr_vcpus;
	struct mmio_registry mmio;
	arch_spinlock_t power_lock;
	uint64_t dtb_ipa;
	bool test_hooks; /* vigil.cfg test_hooks: see smccc.h */
	/* Guest virtual time: changed by the debugger only while every vCPU
	 * is stopped, loaded by each vCPU before it runs (vtime.h). */
	struct vtime vtime;
	const struct vigil_config *cfg;
};

extern struct vm the_vm;

struct vcpu *vm_find_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr);
bool vm_ipa_is_ram(const struct vm *vm, uint64_t ipa, uint64_t len);

/*
 * Run the vCPU pinned to the calling physical CPU, starting it at
 * (entry, context) when it is powered on. Never returns.
 */
void vcpu_run_pinned(struct vcpu *vcpu) __attribute__((noreturn));

/*
 * Called by the arch layer on the vCPU's own CPU, after every exit has been
 * handled and before the guest is resumed. Cheap when nothing is pending.
 */
void vcpu_exit_epilogue(struct vcpu *vcpu);

/* Park this physical CPU until its vCPU is powered on again. */
void vcpu_power_off_self(struct vcpu *vcpu) __attribute__((noreturn));

/*
 * Pause/resume primitive for the debugger: vcpu_pause() asks the vCPU to
 * stop at its next exit, with its full context (GPRs, EL1 system registers,
 * FP/SIMD) saved in struct vcpu; vcpu_resume() lets it go on with whatever
 * that context then holds.
 */
void vcpu_pause(struct vcpu *vcpu);
void vcpu_resume(struct vcpu *vcpu);

/*
 * The same without waiting, for the debugger: it runs on a CPU whose own
 * vCPU can only stop once the debugger returns, so it asks, and later
 * checks vcpu_is_stopped(). A vCPU that is not powered on counts as
 * stopped, and when powered on while a stop is requested it stops before
 * its first instruction.
 */
void vcpu_request_stop(struct vcpu *vcpu);
void vcpu_request_run(struct vcpu *vcpu);
bool vcpu_is_stopped(const struct vcpu *vcpu);

/*
 * The debugger changed what it wants of the debug hardware (dbg_host)
 * while this vCPU may be running (GDB's non-stop mode): it reloads its
 * debug registers (arch_debug_vcpu_resume) at its next exit, which a kick
 * makes happen at once. The round trip to EL2 is invisible to the guest.
 */
void vcpu_request_debug_reload(struct vcpu *vcpu);



/*
 * One line of a vCPU's exit and debug counters, "vcpu=N exits=N
 * dbg_traps=N ..." (snprintf's result); what vm_report_stats() logs.
 */
#define VCPU_STATS_TEXT_MAX 160
int vcpu_format_stats(const struct vcpu *vcpu, char *buf, size_t len);

/* Per-vCPU counters at SYSTEM_OFF/RESET (log level info, more at debug). */
void vm_report_stats(const struct vm *vm);
#endif

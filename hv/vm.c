/*
 * The guest and its vCPUs: power state, the pinned run loop and the
 * pause/resume primitive.
 *
 * Each physical CPU runs exactly one vCPU. Guest exits are handled on the
 * vCPU's own CPU, inside the exception handler, so "running a vCPU" is just
 * returning from that handler; a stopped vCPU is its CPU waiting in EL2.
 */
#include <stdio.h>

#include <arch_cpu.h>
#include <arch_vcpu.h>
#include <vigil/idle.h>
#include <vigil/log.h>
#include <vigil/vm.h>

struct vm the_vm;

struct vcpu *vm_find_vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].mpidr == mpidr)
			return &vm->vcpus[i];
	}
	return NULL;
}

bool vm_ipa_is_ram(const struct vm *vm, uint64_t ipa, uint64_t len)
{
	return range_contains(&vm->ram, ipa, len);
}

static bool power_on_pending(void *ctx)
{
	return ((struct vcpu *)ctx)->power == VCPU_ON_PENDING;
}

/*
 * Wait, on this vCPU's CPU, until CPU_ON has made it pending. The CPU
 * keeps serving vigil's interrupts meanwhile (vigil/idle.h).
 */
static void wait_for_power_on(struct vcpu *vcpu)
{
	hv_idle_wait_until(power_on_pending, vcpu);

	arch_spin_lock(&vcpu->vm->power_lock);
	uint64_t entry = vcpu->on_entry, context = vcpu->on_context;
	arch_vcpu_reset(vcpu, entry, context);
	vcpu->power = VCPU_ON;
	arch_spin_unlock(&vcpu->vm->power_lock);
	log_debug("vCPU %u on: entry 0x%lx context 0x%lx", vcpu->id,
		  (unsigned long)entry, (unsigned long)context);
}

static bool resume_requested(void *ctx)
{
	return !((struct vcpu *)ctx)->pause_requested;
}

/*
 * Just powered on, and the debugger has everything stopped (or holds the
 * guest at its entry, gdb.wait): stop before the first instruction. The
 * context is the one arch_vcpu_reset() wrote to memory, so there is
 * nothing to save; what the debugger changed there meanwhile is loaded
 * before the vCPU runs.
 */
static void stop_before_entry(struct vcpu *vcpu)
{
	/* Checked again after paused is cleared: see vcpu_request_stop(). */
	while (vcpu->pause_requested) {
		vcpu->paused = true;
		arch_memory_barrier();
		arch_cpu_send_event();
		hv_idle_wait_until(resume_requested, vcpu);
		arch_vcpu_restore_full(vcpu);
		vcpu->paused = false;
		arch_memory_barrier();
		arch_cpu_send_event();
	}
}

/*
 * The guest time the debugger left (vtime.h): written before this vCPU
 * was let go, read after it saw that it may run, hence the barrier.
 */
static void load_vtime(struct vcpu *vcpu)
{
	arch_memory_barrier();
	arch_vcpu_set_vtime_offset(vcpu, vcpu->vm->vtime.offset);
}

static void __attribute__((noreturn)) enter_guest(struct vcpu *vcpu)
{
	stop_before_entry(vcpu);
	load_vtime(vcpu);
	arch_debug_vcpu_resume(vcpu);
	arch_vcpu_enter(vcpu);
}

void vcpu_run_pinned(struct vcpu *vcpu)
{
	arch_vcpu_init(vcpu);
	if (vcpu->power != VCPU_ON)
		wait_for_power_on(vcpu);
	enter_guest(vcpu);
}

void vcpu_power_off_self(struct vcpu *vcpu)
{
	arch_spin_lock(&vcpu->vm->power_lock);
	vcpu->power = VCPU_OFF;
	arch_spin_unlock(&vcpu->vm->power_lock);
	log_debug("vCPU %u off", vcpu->id);

	wait_for_power_on(vcpu);
	enter_guest(vcpu);
}

/*
 * The debugger runs on the boot CPU (with the network) and may be waiting
 * there for an interrupt rather than an event: tell it with one.
 */
#define DEBUGGER_CPU 0

static void vcpu_stop_here(struct vcpu *vcpu)
{
	arch_vcpu_save_full(vcpu);
	vcpu->paused = true;
	arch_memory_barrier();
	arch_cpu_send_event();
	if (vcpu->id != DEBUGGER_CPU)
		arch_cpu_kick(DEBUGGER_CPU);
	hv_idle_wait_until(resume_requested, vcpu);
	arch_vcpu_restore_full(vcpu);
	load_vtime(vcpu);
	arch_debug_vcpu_resume(vcpu);
	vcpu->paused = false;
	arch_memory_barrier();
	arch_cpu_send_event();
}

/*
 * A reload first (it may be what the kick was for); a stop after it
 * reloads again on resume anyway. Stops are checked again after paused is
 * cleared: see vcpu_request_stop().
 */
static void __attribute__((noinline)) vcpu_exit_requests(struct vcpu *vcpu)
{
	if (vcpu->debug_reload) {
		vcpu->debug_reload = false;
		/* Cleared before dbg_host is read: a later change asks again. */
		arch_memory_barrier();
		arch_debug_vcpu_resume(vcpu);
	}
	while (vcpu->pause_requested)
		vcpu_stop_here(vcpu);
}

void vcpu_exit_epilogue(struct vcpu *vcpu)
{
	/* Every exit passes here: two loads and a branch when nothing is asked. */
	if (__builtin_expect(vcpu->pause_requested | vcpu->debug_reload, 0))
		vcpu_exit_requests(vcpu);
}

void vcpu_pause(struct vcpu *vcpu)
{
	vcpu_request_stop(vcpu);
	while (!vcpu->paused && vcpu->power == VCPU_ON)
		arch_cpu_wait_event();
}

void vcpu_resume(struct vcpu *vcpu)
{
	vcpu_request_run(vcpu);
	while (vcpu->paused)
		arch_cpu_wait_event();
}

/*
 * No interrupt where none is needed: a vCPU already stopped stays stopped,
 * and one whose CPU is the caller's is in an exit (or idle) that ends with
 * the check. Waking a stopped CPU for nothing is not free: under QEMU it
 * makes one more host thread runnable, and the debugger's stop replies
 * waited for the host's scheduler behind it.
 *
 * Against a vCPU leaving its stop just now: it clears paused, then checks
 * pause_requested again (vcpu_exit_epilogue), while this sets
 * pause_requested, then reads paused, each with a full barrier in
 * between: at least one of the two sees the other's write, so either the
 * kick goes out or the vCPU stops again by itself.
 */
void vcpu_request_stop(struct vcpu *vcpu)
{
	vcpu->pause_requested = true;
	arch_memory_barrier();
	if (vcpu->paused || vcpu->id == arch_cpu_index())
		return;
	arch_cpu_kick(vcpu->id);
}

void vcpu_request_run(struct vcpu *vcpu)
{
	vcpu->pause_requested = false;
	arch_memory_barrier();
	arch_cpu_kick(vcpu->id);
}

void vcpu_request_debug_reload(struct vcpu *vcpu)
{
	vcpu->debug_reload = true;
	arch_memory_barrier();
	/* On this CPU it is in an exit now, which ends with the check. */
	if (vcpu->id != arch_cpu_index())
		arch_cpu_kick(vcpu->id);
}

bool vcpu_is_stopped(const struct vcpu *vcpu)
{
	return vcpu->paused || vcpu->power == VCPU_OFF;
}

int vcpu_format_stats(const struct vcpu *vcpu, char *buf, size_t len)
{
	const struct vcpu_stats *s = &vcpu->stats;

	/* Tests and `make bench` parse this: keep its form. */
	return snprintf(buf, len,
			"vcpu=%u exits=%llu dbg_traps=%llu dbg_switches=%llu "
			"dbg_dirty=%llu dbg_clean=%llu",
			vcpu->id, (unsigned long long)s->exits,
			(unsigned long long)s->dbg_traps,
			(unsigned long long)s->dbg_switches,
			(unsigned long long)s->dbg_dirty,
			(unsigned long long)s->dbg_clean);
}

void vm_report_stats(const struct vm *vm)
{
	char line[VCPU_STATS_TEXT_MAX];

	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu_stats *s = &vm->vcpus[i].stats;

		vcpu_format_stats(&vm->vcpus[i], line, sizeof(line));
		log_info("stats %s", line);
		log_debug("vCPU %u: smccc=%llu mmio=%llu injected=%llu "
			  "aborts=%llu",
			  i, (unsigned long long)s->smccc,
			  (unsigned long long)s->mmio,
			  (unsigned long long)s->injected,
			  (unsigned long long)s->aborts_injected);
		for (unsigned int ec = 0; ec < ARRAY_SIZE(s->exits_by_class);
		     ec++) {
			if (s->exits_by_class[ec] != 0)
				log_debug("vCPU %u: exits with EC 0x%02x: %llu", i,
					  ec,
					  (unsigned long long)s->exits_by_class[ec]);
		}
	}
}

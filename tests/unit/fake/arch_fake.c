/*
 * Fake architecture for host unit tests (Hafnium's src/arch/fake in
 * spirit): every arch_*.h function the core may call, recording what it was
 * asked to do. Functions that never return on hardware leave through
 * fake_call_noreturn()'s escape instead.
 */
#include <setjmp.h>
#include <string.h>

#include <arch_cpu.h>
#include <arch_firmware.h>
#include <arch_irq.h>
#include <arch_mm.h>
#include <arch_timer.h>
#include <arch_vcpu.h>
#include <vigil/vm.h>

#include "../test.h"
#include "fake.h"

struct fake_arch_state fake_arch;

static jmp_buf *escape;
static const char *escaped_from;

void fake_reset(void)
{
	memset(&fake_arch, 0, sizeof(fake_arch));
	escape = NULL;
	escaped_from = NULL;
	fake_log_reset();
}

const char *fake_call_noreturn(void (*fn)(void *ctx), void *ctx)
{
	jmp_buf here;
	jmp_buf *volatile prev = escape;

	escaped_from = NULL;
	escape = &here;
	if (setjmp(here) == 0) {
		fn(ctx);
		escape = prev;
		return NULL;
	}
	escape = prev;
	return escaped_from;
}

static void __attribute__((noreturn)) leave(const char *name)
{
	if (escape == NULL)
		test_abort("%s() does not return: call the code under test "
			   "through fake_call_noreturn()",
			   name);
	escaped_from = name;
	longjmp(*escape, 1);
}

/* arch_cpu.h */

uint32_t arch_cpu_index(void)
{
	return fake_arch.cpu_index;
}

uint64_t arch_cpu_hwid(void)
{
	return fake_arch.cpu_hwid;
}

void arch_cpu_wait_event(void)
{
	fake_arch.wait_events++;
	if (fake_arch.wait_events > 1000000)
		test_abort("arch_cpu_wait_event(): waiting forever");
	if (fake_arch.on_wait_event == NULL)
		leave("arch_cpu_wait_event");
	fake_arch.on_wait_event(fake_arch.on_wait_event_ctx);
}

/* The idle wait (vigil/idle.h): the same hook and count as wait_event. */
void arch_cpu_wait_interrupt(void)
{
	fake_arch.wait_events++;
	if (fake_arch.wait_events > 1000000)
		test_abort("arch_cpu_wait_interrupt(): waiting forever");
	if (fake_arch.on_wait_event == NULL)
		leave("arch_cpu_wait_interrupt");
	fake_arch.on_wait_event(fake_arch.on_wait_event_ctx);
}

void arch_cpu_send_event(void)
{
	fake_arch.send_events++;
}

void arch_spin_lock(arch_spinlock_t *lock)
{
	/* One thread: a held lock could never be released. */
	if (lock->locked)
		test_abort("arch_spin_lock(): deadlock, lock %p already held",
			   (void *)lock);
	lock->locked = 1;
	fake_arch.spin_locks++;
	fake_arch.locks_held++;
}

void arch_spin_unlock(arch_spinlock_t *lock)
{
	if (!lock->locked)
		test_abort("arch_spin_unlock(): lock %p is not held",
			   (void *)lock);
	lock->locked = 0;
	fake_arch.spin_unlocks++;
	fake_arch.locks_held--;
}

void arch_clean_dcache_range(uintptr_t addr, size_t size)
{
	(void)addr;
	(void)size;
}

void arch_sync_icache_range(uintptr_t addr, size_t size)
{
	(void)addr;
	(void)size;
}

void arch_cpu_kick(uint32_t cpu)
{
	(void)cpu;
	fake_arch.kicks++;
}

bool arch_cpu_start(uint32_t index, uint64_t hwid)
{
	(void)index;
	(void)hwid;
	return true;
}

void arch_memory_barrier(void)
{
	fake_arch.barriers++;
}

/* arch_firmware.h */

int64_t arch_fw_cpu_on(uint64_t hwid, uintptr_t context)
{
	(void)hwid;
	(void)context;
	return 0;
}

void arch_fw_system_off(void)
{
	fake_arch.system_off = true;
	leave("arch_fw_system_off");
}

void arch_fw_system_reset(void)
{
	fake_arch.system_reset = true;
	leave("arch_fw_system_reset");
}

/* arch_mm.h */

void arch_mm_init(const struct boot_info *info)
{
	(void)info;
}

bool arch_stage2_map_identity(ipaddr_t ipa, uint64_t size, enum mm_attr attr)
{
	(void)ipa;
	(void)size;
	(void)attr;
	fake_arch.stage2_maps++;
	return true;
}

void arch_stage2_enable(void)
{
}

/* arch_vcpu.h */

void arch_vcpu_init(struct vcpu *vcpu)
{
	vcpu->arch.inits++;
}

void arch_vcpu_reset(struct vcpu *vcpu, uint64_t entry, uint64_t arg)
{
	memset(&vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	vcpu->arch.regs.pc = entry;
	vcpu->arch.regs.x[0] = arg;
	vcpu->arch.resets++;
	fake_arch.reset_vcpu = vcpu;
	fake_arch.reset_entry = entry;
	fake_arch.reset_arg = arg;
}

void arch_vcpu_enter(struct vcpu *vcpu)
{
	vcpu->arch.enters++;
	leave("arch_vcpu_enter");
}

uint64_t arch_vcpu_get_gpr(const struct vcpu *vcpu, unsigned int n)
{
	return n < 31 ? vcpu->arch.regs.x[n] : 0; /* 31 = XZR */
}

void arch_vcpu_set_gpr(struct vcpu *vcpu, unsigned int n, uint64_t val)
{
	if (n < 31)
		vcpu->arch.regs.x[n] = val;
}

uint64_t arch_vcpu_get_pc(const struct vcpu *vcpu)
{
	return vcpu->arch.regs.pc;
}

void arch_vcpu_save_full(struct vcpu *vcpu)
{
	vcpu->arch.saves++;
}

void arch_vcpu_restore_full(struct vcpu *vcpu)
{
	vcpu->arch.restores++;
}

void arch_vcpu_set_vtime_offset(struct vcpu *vcpu, uint64_t offset)
{
	vcpu->arch.vtime_offset = offset;
}

void arch_vcpu_inject_serror(struct vcpu *vcpu, uint64_t syndrome)
{
	(void)syndrome;
	vcpu->arch.serrors++;
}

void arch_vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu->arch.undefs++;
}

void arch_debug_host_acquire(struct vcpu *vcpu)
{
	vcpu->arch.debug_host_owned = true;
}

void arch_debug_host_release(struct vcpu *vcpu)
{
	vcpu->arch.debug_host_owned = false;
}

unsigned int arch_debug_nr_hw_breaks(void)
{
	return 6;
}

unsigned int arch_debug_nr_hw_watches(void)
{
	return 4;
}

uint64_t arch_debug_max_watch_len(void)
{
	return 1ULL << 31;
}

void arch_debug_vcpu_resume(struct vcpu *vcpu)
{
	vcpu->arch.debug_host_owned = dbg_host.attached;
}

/* arch_irq.h */

void arch_irq_poll(void)
{
	fake_arch.irq_polls++;
}

/* arch_timer.h */

bool arch_timer_every(uint32_t period_ms, void (*fn)(void *ctx), void *ctx)
{
	fake_arch.timer_period_ms = period_ms;
	fake_arch.timer_fn = fn;
	fake_arch.timer_ctx = ctx;
	return true;
}

uint64_t arch_timer_now_ns(void)
{
	return fake_arch.now_ns;
}

uint64_t arch_timer_counter(void)
{
	return fake_arch.now_ns; /* a 1 GHz counter */
}

/*
 * Control and inspection of the fake architecture and the fake log/panic
 * used by the host unit tests. fake_reset() runs before every test.
 */
#ifndef VIGIL_UNIT_FAKE_H
#define VIGIL_UNIT_FAKE_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct fake_arch_state {
	/* arch_spin_lock/unlock: totals and how many locks are held now. */
	unsigned int spin_locks, spin_unlocks, locks_held;
	unsigned int send_events, wait_events, kicks, barriers, irq_polls;
	/* Called by arch_cpu_wait_event() and arch_cpu_wait_interrupt() (both
	 * count as wait_events). NULL: leave through the escape (see
	 * fake_call_noreturn) because nothing else could wake us. */
	void (*on_wait_event)(void *ctx);
	void *on_wait_event_ctx;
	/* Firmware calls that do not return. */
	bool system_off, system_reset;
	/* The last arch_vcpu_reset(). */
	struct vcpu *reset_vcpu;
	uint64_t reset_entry, reset_arg;
	/* arch_cpu_index()/arch_cpu_hwid() answers. */
	uint32_t cpu_index;
	uint64_t cpu_hwid;
	/* arch_stage2_map_identity() calls. */
	unsigned int stage2_maps;
	/* arch_timer_every(): the last callback registered; the clock. */
	uint32_t timer_period_ms;
	void (*timer_fn)(void *ctx);
	void *timer_ctx;
	uint64_t now_ns;
};

extern struct fake_arch_state fake_arch;

/* Reset the fake arch and the log capture (done before every test). */
void fake_reset(void);

/*
 * Run fn(ctx), which may end in a fake noreturn function (arch_fw_system_off,
 * arch_fw_system_reset, arch_vcpu_enter, or arch_cpu_wait_event with no
 * on_wait_event hook). Returns NULL if fn returned normally, otherwise the
 * name of the function it escaped from.
 */
const char *fake_call_noreturn(void (*fn)(void *ctx), void *ctx);

/* Log capture: every log_msg/log_always call, whatever the level. */
#define FAKE_LOG_KEEP 64
#define FAKE_LOG_LINE_MAX 256
const char *fake_log_last(void);          /* "" when nothing was logged */
unsigned int fake_log_count(void);         /* messages since the reset */
bool fake_log_contains(const char *needle); /* in any kept message */
void fake_log_reset(void);

#endif

/*
 * A fake debug/target.h for the GDB protocol tests: a few vCPUs with
 * register files, a window of guest memory, and a record of every call
 * the protocol layer made. target_fake_reset() starts each test afresh.
 */
#ifndef VIGIL_UNIT_TARGET_FAKE_H
#define VIGIL_UNIT_TARGET_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "target.h"

#define FAKE_THREADS_MAX 16
#define FAKE_REGS_MAX 128
#define FAKE_REG_BYTES 16
#define FAKE_MEM_BASE 0x40000000ULL
#define FAKE_MEM_SIZE 0x10000u
#define FAKE_BP_LOG 16

struct fake_bp_call {
	bool insert;
	enum target_bp_type type;
	uint64_t addr, kind;
};

struct fake_target {
	unsigned int nr_threads;
	uint8_t regs[FAKE_THREADS_MAX][FAKE_REGS_MAX][FAKE_REG_BYTES];
	/* A register number whose reads/writes fail, or -1. */
	int fail_read_reg, fail_write_reg;
	uint8_t mem[FAKE_MEM_SIZE];
	/* Memory reads and writes, with the thread they were for. */
	unsigned int mem_reads, mem_writes;
	unsigned int last_mem_tid;

	struct fake_bp_call bp[FAKE_BP_LOG];
	unsigned int nr_bp;
	enum target_result bp_result;

	struct target_resume last_resume;
	unsigned int resumes, interrupts;
	unsigned int attaches, detaches, kills, resets;
	/* What the next target_poll_stop() reports, if stop_ready. */
	bool stop_ready;
	struct target_stop stop;
	bool phys, step_irqs;
	bool kill_resets; /* gdb.on_kill = reset */
	const char *vcpus_text, *stats_text;
	/* Register writes: how many, and the last one. */
	unsigned int reg_writes;
	unsigned int last_reg_write_tid, last_reg_write;

	/*
	 * Non-stop mode: whether it is on, what target_set_non_stop()
	 * answers, which threads run (resumed, stop not yet polled), and
	 * the stops target_poll_stop() reports next, oldest first.
	 */
	bool non_stop, refuse_non_stop;
	unsigned int set_non_stop_calls;
	bool running[FAKE_THREADS_MAX];
	struct target_stop ns_stops[FAKE_THREADS_MAX];
	unsigned int nr_ns_stops;
	/* target_stop_thread() calls: how many, and the last one. */
	unsigned int stop_thread_calls;
	unsigned int last_stop_thread_tid;
	enum target_stop_reason last_stop_thread_why;
};

extern struct fake_target fake_target;

void target_fake_reset(void);
/* Make the next target_poll_stop() report this stop. In non-stop mode:
 * thread tid, if it runs, stops, reported after those before it. */
void target_fake_stop(enum target_stop_reason reason, unsigned int tid,
		      uint64_t data_addr);

#endif

/*
 * The fake machine behind debug/target.h for the protocol tests (see
 * target_fake.h). Register n of thread t reads, by default, as bytes
 * (t, n, 0, 1, 2, ...) so that the tests can tell registers apart.
 */
#include <stdio.h>
#include <string.h>

#include "target_fake.h"

struct fake_target fake_target;

void target_fake_reset(void)
{
	memset(&fake_target, 0, sizeof(fake_target));
	fake_target.nr_threads = 2;
	fake_target.fail_read_reg = -1;
	fake_target.fail_write_reg = -1;
	fake_target.bp_result = TARGET_OK;
	for (unsigned int t = 0; t < FAKE_THREADS_MAX; t++)
		for (unsigned int n = 0; n < FAKE_REGS_MAX; n++) {
			fake_target.regs[t][n][0] = (uint8_t)(t + 1);
			fake_target.regs[t][n][1] = (uint8_t)n;
			for (unsigned int i = 2; i < FAKE_REG_BYTES; i++)
				fake_target.regs[t][n][i] = (uint8_t)(i - 2);
		}
	for (unsigned int i = 0; i < FAKE_MEM_SIZE; i++)
		fake_target.mem[i] = (uint8_t)i;
	fake_target.vcpus_text = "vCPU0 stopped EL1\nvCPU1 stopped EL1\n";
	fake_target.stats_text = "steps 0\n";
}

static bool ns_stop_pending(unsigned int tid)
{
	for (unsigned int i = 0; i < fake_target.nr_ns_stops; i++) {
		if (fake_target.ns_stops[i].tid == tid)
			return true;
	}
	return false;
}

/* Non-stop: a running thread stops (once; later reasons are dropped). */
static void ns_stop(enum target_stop_reason reason, unsigned int tid,
		    uint64_t data_addr)
{
	if (tid < 1 || tid > FAKE_THREADS_MAX || !fake_target.running[tid - 1] ||
	    ns_stop_pending(tid) ||
	    fake_target.nr_ns_stops == FAKE_THREADS_MAX)
		return;
	fake_target.ns_stops[fake_target.nr_ns_stops++] =
		(struct target_stop){reason, tid, data_addr};
}

void target_fake_stop(enum target_stop_reason reason, unsigned int tid,
		      uint64_t data_addr)
{
	if (fake_target.non_stop) {
		ns_stop(reason, tid, data_addr);
		return;
	}
	fake_target.stop_ready = true;
	fake_target.stop = (struct target_stop){reason, tid, data_addr};
}

unsigned int target_nr_threads(void)
{
	return fake_target.nr_threads;
}

void target_thread_name(unsigned int tid, char *buf, size_t len)
{
	snprintf(buf, len, "vCPU%u (EL1)", tid - 1);
}

static bool reg_ok(unsigned int tid, unsigned int regnum)
{
	return tid >= 1 && tid <= fake_target.nr_threads &&
	       tid <= FAKE_THREADS_MAX && regnum < FAKE_REGS_MAX &&
	       target_reg_info(regnum) != NULL;
}

bool target_read_reg(unsigned int tid, unsigned int regnum, uint8_t *buf)
{
	if (!reg_ok(tid, regnum) || (int)regnum == fake_target.fail_read_reg)
		return false;
	memcpy(buf, fake_target.regs[tid - 1][regnum],
	       target_reg_info(regnum)->size);
	return true;
}

bool target_reg_write_ok(unsigned int tid, unsigned int regnum,
			 const uint8_t *buf)
{
	(void)buf;
	return reg_ok(tid, regnum) && target_reg_info(regnum)->writable &&
	       (int)regnum != fake_target.fail_write_reg;
}

bool target_write_reg(unsigned int tid, unsigned int regnum,
		      const uint8_t *buf)
{
	if (!reg_ok(tid, regnum) || (int)regnum == fake_target.fail_write_reg)
		return false;
	memcpy(fake_target.regs[tid - 1][regnum], buf,
	       target_reg_info(regnum)->size);
	fake_target.reg_writes++;
	fake_target.last_reg_write_tid = tid;
	fake_target.last_reg_write = regnum;
	return true;
}

/* Bytes of [addr, addr + len) inside the fake RAM, from addr on. */
static size_t mem_span(uint64_t addr, size_t len)
{
	if (addr < FAKE_MEM_BASE || addr >= FAKE_MEM_BASE + FAKE_MEM_SIZE)
		return 0;
	if (len > FAKE_MEM_BASE + FAKE_MEM_SIZE - addr)
		len = (size_t)(FAKE_MEM_BASE + FAKE_MEM_SIZE - addr);
	return len;
}

size_t target_read_mem(unsigned int tid, uint64_t addr, uint8_t *buf,
		       size_t len)
{
	size_t n = mem_span(addr, len);

	fake_target.mem_reads++;
	fake_target.last_mem_tid = tid;
	memcpy(buf, fake_target.mem + (addr - FAKE_MEM_BASE) * (n != 0), n);
	return n;
}

size_t target_write_mem(unsigned int tid, uint64_t addr, const uint8_t *buf,
			size_t len)
{
	size_t n = mem_span(addr, len);

	fake_target.mem_writes++;
	fake_target.last_mem_tid = tid;
	memcpy(fake_target.mem + (addr - FAKE_MEM_BASE) * (n != 0), buf, n);
	return n;
}

bool target_mem_writable(unsigned int tid, uint64_t addr, size_t len)
{
	(void)tid;
	return mem_span(addr, len) == len;
}

bool target_kill_resets(void)
{
	return fake_target.kill_resets;
}

void target_set_phys(bool on)
{
	fake_target.phys = on;
}

bool target_phys(void)
{
	return fake_target.phys;
}

static enum target_result bp_call(bool insert, enum target_bp_type type,
				  uint64_t addr, uint64_t kind)
{
	if (fake_target.nr_bp < FAKE_BP_LOG)
		fake_target.bp[fake_target.nr_bp++] =
			(struct fake_bp_call){insert, type, addr, kind};
	return fake_target.bp_result;
}

enum target_result target_insert_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	return bp_call(true, type, addr, kind);
}

enum target_result target_remove_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	return bp_call(false, type, addr, kind);
}

void target_resume(const struct target_resume *r)
{
	fake_target.last_resume = *r;
	fake_target.resumes++;
	if (!fake_target.non_stop)
		return;
	/* Stopped threads, their stops reported, start to run. */
	for (unsigned int t = 1; t <= fake_target.nr_threads; t++) {
		if (r->action[t - 1] != ACT_STOP && !ns_stop_pending(t))
			fake_target.running[t - 1] = true;
	}
}

void target_interrupt(void)
{
	fake_target.interrupts++;
}

bool target_poll_stop(struct target_stop *stop)
{
	if (fake_target.non_stop) {
		if (fake_target.nr_ns_stops == 0)
			return false;
		*stop = fake_target.ns_stops[0];
		fake_target.nr_ns_stops--;
		memmove(fake_target.ns_stops, fake_target.ns_stops + 1,
			fake_target.nr_ns_stops * sizeof(*stop));
		if (stop->tid >= 1 && stop->tid <= FAKE_THREADS_MAX)
			fake_target.running[stop->tid - 1] = false;
		return true;
	}
	if (!fake_target.stop_ready)
		return false;
	fake_target.stop_ready = false;
	*stop = fake_target.stop;
	return true;
}

bool target_set_non_stop(bool on)
{
	fake_target.set_non_stop_calls++;
	if (on && fake_target.refuse_non_stop)
		return false;
	/* Leaving it, every thread stops: a test reports that with
	 * target_fake_stop(), as for an attach. */
	fake_target.non_stop = on;
	memset(fake_target.running, 0, sizeof(fake_target.running));
	fake_target.nr_ns_stops = 0;
	return true;
}

void target_stop_thread(unsigned int tid, enum target_stop_reason why)
{
	fake_target.stop_thread_calls++;
	fake_target.last_stop_thread_tid = tid;
	fake_target.last_stop_thread_why = why;
	ns_stop(why, tid, 0);
}

bool target_thread_stopped(unsigned int tid)
{
	return tid >= 1 && tid <= fake_target.nr_threads &&
	       !fake_target.running[tid - 1] && !ns_stop_pending(tid);
}

void target_attach(void)
{
	fake_target.attaches++;
	fake_target.non_stop = false;
}

void target_detach(void)
{
	fake_target.detaches++;
}

void target_kill(void)
{
	fake_target.kills++;
}

void target_reset(void)
{
	fake_target.resets++;
}

void target_set_step_irqs(bool on)
{
	fake_target.step_irqs = on;
}

bool target_step_irqs(void)
{
	return fake_target.step_irqs;
}

void target_describe_vcpus(char *buf, size_t len)
{
	snprintf(buf, len, "%s", fake_target.vcpus_text);
}

void target_describe_stats(char *buf, size_t len)
{
	snprintf(buf, len, "%s", fake_target.stats_text);
}

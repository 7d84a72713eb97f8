/*
 * The GDB remote protocol session (gdb.h) on top of the machine of
 * target.h, in all-stop mode (the default) or non-stop mode (QNonStop:1).
 *
 * A session is in one of these states:
 *   attaching: target_attach() asked every vCPU to stop; input is kept
 *              (bounded) and handled once the stop is in (also after
 *              QNonStop:0, which stops every thread again);
 *   stopped:   packets are handled as they come, one reply each; in
 *              non-stop mode the session stays here whatever the threads
 *              do;
 *   running:   all-stop, after a resume: only Ctrl-C matters; packets are
 *              acked and dropped (gdb sends none in all-stop mode), and
 *              the stop reply goes out from gdb_poll();
 *   done:      after D or k, until the transport closes.
 *
 * Non-stop: resumes are answered OK at once; each thread's stop is queued
 * as it comes (gdb_poll), the first of a sequence goes out as a %Stop
 * notification, and gdb drains the rest with vStopped, one per packet,
 * until OK ends the sequence (the GDB manual's "Remote Non-Stop").
 *
 * Every handler decodes its whole packet first and touches the target
 * only once the packet is known to be good (decode, then act).
 *
 * Error replies: E01 malformed packet or argument, E02 the target refused
 * (a register or breakpoint operation failed), E03 memory not accessible,
 * and E.<text> for what a read-only session (gdb.readonly) may not do.
 *
 * Read-only: gdb may read registers and memory, stop the guest (attach,
 * Ctrl-C) and let it run again (continue, step, detach), but nothing that
 * changes guest state: no register or memory writes, no breakpoints or
 * watchpoints (they patch guest memory or take over the debug hardware the
 * guest may be using itself), no monitor reset, no `k` that resets.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "gdb.h"
#include "rsp.h"
#include "target.h"
#include "xfer.h"

#define E_INVALID "E01"
#define E_TARGET "E02"
#define E_MEMORY "E03"
#define E_RO_REGS "E.vigil: read-only session (gdb.readonly): registers cannot be written"
#define E_RO_MEM "E.vigil: read-only session (gdb.readonly): memory cannot be written"
#define E_RO_BREAK "E.vigil: read-only session (gdb.readonly): no breakpoints or watchpoints"
#define E_RO_KILL "E.vigil: read-only session (gdb.readonly): kill would reset the guest (gdb.on_kill = reset)"

#define MAX_SIGNAL 0xff
/* Threads gdb can name: what struct target_resume has room for. */
#define MAX_THREADS 16
/* Non-stop's queue: a stop per thread, and one more for a thread gdb
 * resumed before it acknowledged the last (so twice that is plenty). */
#define QUEUE_MAX (2 * MAX_THREADS)

/* GDB's thread ids beside 1..n: -1 all threads, 0 any thread. */
#define TID_ALL (-1L)
#define TID_ANY 0L

/* The largest register (a v register) and a whole g packet, in bytes. */
#define REG_MAX_BYTES 16
#define REG_BLOCK_MAX (GDB_PACKET_SIZE / 2)
/* Memory moved by one m/M/X: what fits a reply as hex. */
#define MEM_MAX (GDB_PACKET_SIZE / 2)
/* Text per O packet: 'O' then two hex characters per byte. */
#define CONSOLE_CHUNK ((GDB_PACKET_SIZE - 1) / 2)
/* Input kept while attaching: gdb sends one packet then waits. */
#define PENDING_MAX (2 * (GDB_PACKET_SIZE + RSP_FRAMING))
#define VCONT_MAX_ACTIONS 32
#define TEXT_MAX GDB_PACKET_SIZE

enum session_state {
	SESSION_CLOSED,
	SESSION_ATTACHING,
	SESSION_STOPPED,
	SESSION_RUNNING,
	SESSION_DONE,
};

static struct {
	enum session_state state;
	bool no_ack;
	bool interrupted; /* target_interrupt() called in this run */
	bool should_close;
	unsigned int g_tid; /* registers and memory: always a real thread */
	long c_tid;         /* plain c/s: TID_ALL, TID_ANY or a thread */
	struct target_stop last_stop;
	bool non_stop;
	/*
	 * Non-stop: stop replies gdb has not acknowledged (vStopped), oldest
	 * first, at most one per thread. While a sequence is open
	 * (notifying), the head has gone out (%Stop, `?` or a vStopped reply)
	 * and the rest wait their turn.
	 */
	struct target_stop queue[QUEUE_MAX];
	unsigned int queue_len;
	bool notifying;
	/* Non-stop: each thread's last stop, for `?`. */
	struct target_stop thread_stop[MAX_THREADS];
	struct rsp_decoder dec;
	size_t pending_len;
	uint8_t pending[PENDING_MAX];
	/* The packet being built or last sent, framed in place: '$' at 0,
	 * payload from 1. Kept for a retransmission on '-'. */
	size_t reply_len;
	bool reply_overflow;
	size_t tx_len;
	char tx[GDB_PACKET_SIZE + RSP_FRAMING];
	/* A notification is built here instead: a '-' resends tx, never it. */
	char *build;
	char notify_tx[GDB_PACKET_SIZE + RSP_FRAMING];
	uint8_t scratch[GDB_PACKET_SIZE];
	char text[TEXT_MAX];
	/* A monitor command, decoded: at most half a packet. */
	char cmd[GDB_PACKET_SIZE / 2 + 1];
} s;

/* gdb.readonly: kept across sessions (s is cleared for each). */
static bool readonly;

static const char supported[] =
	"PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;"
	"QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+;QNonStop+";

static const char monitor_help[] =
	"vigil monitor commands:\n"
	"  help             this text\n"
	"  vcpus            state and exception level of each vCPU\n"
	"  stats            debug counters\n"
	"  phys [on|off]    m/M/X at guest-physical addresses (default off)\n"
	"  step-irqs [on|off]  let interrupts in during a step (default off)\n"
	"  reset            reset the guest: with its devices passed through,\n"
	"                   that is a machine reset, so vigil restarts too and\n"
	"                   this session ends; connect again once it is up\n";

/* ---- Output ---- */

static void send_raw(const void *data, size_t len)
{
	gdb_send(data, len);
}

static void reply_begin(void)
{
	s.build = s.tx;
	s.reply_len = 0;
	s.reply_overflow = false;
}

static size_t reply_room(void)
{
	return GDB_PACKET_SIZE - s.reply_len;
}

static void reply_bytes(const void *data, size_t len)
{
	if (len > reply_room()) {
		s.reply_overflow = true;
		return;
	}
	memcpy(s.build + 1 + s.reply_len, data, len);
	s.reply_len += len;
}

static void reply_str(const char *str)
{
	reply_bytes(str, strlen(str));
}

static void reply_hex(const uint8_t *data, size_t len)
{
	if (len > reply_room() / 2) {
		s.reply_overflow = true;
		return;
	}
	rsp_hex_encode(data, len, s.build + 1 + s.reply_len);
	s.reply_len += 2 * len;
}

/* Minimal hex digits, as thread ids, register numbers and addresses are
 * written; by hand, as it is on the path of every stop reply. */
static void reply_hex_u64(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char text[sizeof(v) * 2];
	size_t n = sizeof(text);

	do {
		text[--n] = digits[v & 0xf];
		v >>= 4;
	} while (v != 0);
	reply_bytes(text + n, sizeof(text) - n);
}

static void reply_send(void)
{
	/* A reply that did not fit would be a lie cut short: never send
	 * one (the handlers bound their replies, so this is a backstop). */
	if (s.reply_overflow) {
		reply_begin();
		reply_str(E_INVALID);
	}
	s.tx_len = rsp_frame(s.tx + 1, s.reply_len, s.tx, sizeof(s.tx));
	send_raw(s.tx, s.tx_len);
}

static void reply(const char *str)
{
	reply_begin();
	reply_str(str);
	reply_send();
}

static void send_ack(char c)
{
	if (!s.no_ack)
		send_raw(&c, 1);
}

/* Console output for a monitor command, in O packets. */
static void console_output(const char *text)
{
	size_t len = strlen(text);

	for (size_t off = 0; off < len; off += CONSOLE_CHUNK) {
		size_t n = len - off < CONSOLE_CHUNK ? len - off : CONSOLE_CHUNK;

		reply_begin();
		reply_str("O");
		reply_hex((const uint8_t *)text + off, n);
		reply_send();
	}
}

/* ---- Threads ---- */

static bool valid_tid(long tid)
{
	return tid >= 1 && (unsigned long)tid <= xfer_nr_threads();
}

/* "-1", or a hex id up to what fits a long. */
static bool take_tid(struct rsp_cursor *c, long *tid)
{
	uint64_t v;

	if (rsp_take(c, "-1")) {
		*tid = TID_ALL;
		return true;
	}
	if (!rsp_take_hex(c, &v) || v > (uint64_t)LONG_MAX)
		return false;
	*tid = (long)v;
	return true;
}

/* The thread a plain c/s acts on, and the one Ctrl-C would report. */
static unsigned int current_c_thread(void)
{
	return valid_tid(s.c_tid) ? (unsigned int)s.c_tid : s.g_tid;
}

/* ---- Stop replies ---- */

static void reply_expedite(unsigned int tid, unsigned int regnum)
{
	const struct target_reg *r = target_reg_info(regnum);
	uint8_t buf[REG_MAX_BYTES];

	if (r == NULL || r->size > sizeof(buf) ||
	    !target_read_reg(tid, regnum, buf))
		return; /* gdb fetches what is not expedited */
	reply_hex_u64(regnum);
	reply_str(":");
	reply_hex(buf, r->size);
	reply_str(";");
}

/* The stop reply's text, after reply_begin(). */
static void build_stop_reply(const struct target_stop *st)
{
	static const unsigned int expedited[] = {REG_PC, REG_SP, REG_X29,
						 REG_X30, REG_CPSR};

	if (st->reason == STOP_EXITED) {
		reply_str("W00");
		return;
	}
	/* vCont;t stops carry signal 0, whatever stopped the thread. */
	reply_str(st->reason == STOP_SIGINT    ? "T02"
		  : st->reason == STOP_HALTED ? "T00"
					      : "T05");
	reply_str("thread:");
	reply_hex_u64(st->tid);
	reply_str(";");
	switch (st->reason) {
	case STOP_SWBREAK:
		reply_str("swbreak:;");
		break;
	case STOP_HWBREAK:
		reply_str("hwbreak:;");
		break;
	case STOP_WATCH:
	case STOP_RWATCH:
	case STOP_AWATCH:
		reply_str(st->reason == STOP_WATCH    ? "watch:"
			  : st->reason == STOP_RWATCH ? "rwatch:"
						      : "awatch:");
		reply_hex_u64(st->data_addr);
		reply_str(";");
		break;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(expedited) / sizeof(expedited[0]); i++)
		reply_expedite(st->tid, expedited[i]);
}

static void send_stop_reply(const struct target_stop *st)
{
	reply_begin();
	build_stop_reply(st);
	reply_send();
}

/* The same as a %Stop notification: no ack, and a '-' never resends it. */
static void send_stop_notification(const struct target_stop *st)
{
	size_t len;

	reply_begin();
	s.build = s.notify_tx;
	reply_str("Stop:");
	build_stop_reply(st);
	if (!s.reply_overflow) {
		len = rsp_frame(s.notify_tx + 1, s.reply_len, s.notify_tx,
				sizeof(s.notify_tx));
		s.notify_tx[0] = '%';
		send_raw(s.notify_tx, len);
	}
	s.build = s.tx;
}

/* A stop is in: remember it, and gdb now assumes its thread is the one
 * registers and memory refer to (it does not send Hg after a stop). */
static void record_stop(const struct target_stop *st)
{
	s.last_stop = *st;
	if (!valid_tid(st->tid))
		s.last_stop.tid = valid_tid(s.g_tid) ? s.g_tid : 1;
	s.g_tid = s.last_stop.tid;
}

/* Every thread stays as it is, unless told otherwise. */
static void resume_init(struct target_resume *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(r->action) / sizeof(r->action[0]); i++)
		r->action[i] = ACT_STOP;
}

/* ---- Non-stop: the stop queue ---- */

static void queue_clear(void)
{
	s.queue_len = 0;
	s.notifying = false;
}

/* Whether thread tid's stop is in the queue from index first on. */
static bool stop_queued_from(unsigned int tid, unsigned int first)
{
	for (unsigned int i = first; i < s.queue_len; i++) {
		if (s.queue[i].tid == tid)
			return true;
	}
	return false;
}

/* Not yet sent to gdb. */
static bool stop_unsent(unsigned int tid)
{
	return stop_queued_from(tid, s.notifying ? 1 : 0);
}

/* Not yet acknowledged by gdb's vStopped (sent or not). */
static bool stop_unacked(unsigned int tid)
{
	return stop_queued_from(tid, 0);
}

/*
 * A thread stopped: queue its stop reply. It goes out at once, as a
 * notification, unless a sequence is open: then a vStopped fetches it.
 */
static void queue_stop(const struct target_stop *st)
{
	if (valid_tid(st->tid))
		s.thread_stop[st->tid - 1] = *st;
	if (s.queue_len == QUEUE_MAX)
		return; /* cannot happen (QUEUE_MAX) */
	s.queue[s.queue_len++] = *st;
	if (!s.notifying) {
		s.notifying = true;
		send_stop_notification(&s.queue[0]);
	}
}

/* vStopped: gdb has the head; the next one, or OK to end the sequence. */
static void handle_vstopped(void)
{
	if (s.notifying && s.queue_len > 0) {
		s.queue_len--;
		memmove(s.queue, s.queue + 1, s.queue_len * sizeof(s.queue[0]));
	}
	if (s.queue_len == 0) {
		s.notifying = false;
		reply("OK");
		return;
	}
	send_stop_reply(&s.queue[0]);
}

/*
 * `?` in non-stop mode: a new sequence of every stopped thread's stop,
 * whether reported before or not; the first is the reply, vStopped
 * fetches the rest. OK if every thread runs.
 */
static void report_stopped_threads(void)
{
	queue_clear();
	for (unsigned int t = 1; t <= xfer_nr_threads(); t++) {
		if (target_thread_stopped(t))
			s.queue[s.queue_len++] = s.thread_stop[t - 1];
	}
	if (s.queue_len == 0) {
		reply("OK");
		return;
	}
	s.notifying = true;
	send_stop_reply(&s.queue[0]);
}

/*
 * vCtrlC (or a stray 0x03) in non-stop mode: like a Ctrl-C to a process,
 * it stops one running thread with SIGINT - the one gdb resumes, else the
 * one it looks at, else the first that runs - and leaves the others be.
 */
static void interrupt_one_thread(void)
{
	const unsigned int preferred[] = {current_c_thread(), s.g_tid};
	unsigned int tid = 0;

	for (size_t i = 0; i < 2 && tid == 0; i++) {
		if (valid_tid(preferred[i]) &&
		    !target_thread_stopped(preferred[i]))
			tid = preferred[i];
	}
	for (unsigned int t = 1; t <= xfer_nr_threads() && tid == 0; t++) {
		if (!target_thread_stopped(t))
			tid = t;
	}
	if (tid != 0)
		target_stop_thread(tid, STOP_SIGINT);
}

/* QNonStop:0/1. */
static void handle_set_non_stop(struct rsp_cursor *c)
{
	bool on;

	if (rsp_is(c, "1")) {
		on = true;
	} else if (rsp_is(c, "0")) {
		on = false;
	} else {
		reply(E_INVALID);
		return;
	}
	if (on == s.non_stop) {
		reply("OK");
		return;
	}
	if (!target_set_non_stop(on)) {
		reply(E_TARGET);
		return;
	}
	s.non_stop = on;
	queue_clear();
	reply("OK");
	if (on) {
		struct target_resume r;
		unsigned int keep = valid_tid(s.last_stop.tid) ? s.last_stop.tid
							       : 1;

		/* What `?` reports until a thread stops for a reason. */
		for (unsigned int t = 1; t <= MAX_THREADS; t++)
			s.thread_stop[t - 1] = (struct target_stop){
				.reason = STOP_SIGTRAP, .tid = t};
		if (s.last_stop.reason != STOP_EXITED)
			s.thread_stop[keep - 1] = s.last_stop;
		/*
		 * gdb connects in non-stop mode expecting at most one stopped
		 * thread (gdb 13.1's remote.c asserts in
		 * process_initial_stop_replies with two or more), and
		 * non-stop is about leaving threads be: the thread the attach
		 * reported stays stopped, the others run on.
		 */
		resume_init(&r);
		for (unsigned int t = 1; t <= xfer_nr_threads(); t++)
			r.action[t - 1] = t == keep ? ACT_STOP : ACT_CONTINUE;
		r.resumed_tid = keep;
		target_resume(&r);
	} else {
		/* All-stop again: every thread stops; packets wait for it. */
		s.state = SESSION_ATTACHING;
	}
}

/* ---- Resuming ---- */

/*
 * All-stop: the stop reply comes once the target stops. Non-stop: OK now,
 * the stops come as notifications; threads in halt (a bit per thread
 * id - 1: vCont;t) are asked to stop. A thread whose stop gdb has not been
 * sent yet stays stopped, as gdb still believes it runs; so does one
 * whose stop gdb has not acknowledged yet if only a wildcard action
 * (bit in wild) covers it: gdb sends `vCont;c` when it believes every
 * other thread runs, a thread it has just asked to stop included (as
 * gdbserver does).
 */
static void resume(struct target_resume *r, uint32_t halt, uint32_t wild)
{
	if (s.non_stop) {
		for (unsigned int t = 1; t <= xfer_nr_threads(); t++) {
			uint32_t bit = 1U << (t - 1);

			if (stop_unsent(t) || ((wild & bit) && stop_unacked(t)))
				r->action[t - 1] = ACT_STOP;
			else if (halt & bit)
				target_stop_thread(t, STOP_HALTED);
		}
		target_resume(r);
		reply("OK");
		return;
	}
	s.state = SESSION_RUNNING;
	s.interrupted = false;
	target_resume(r);
}

/* c, s, C sig, S sig, each with an optional resume address. */
static void handle_legacy_resume(struct rsp_cursor *c, bool step,
				 bool signal)
{
	struct target_resume r;
	unsigned int tid = current_c_thread();
	uint64_t sig, addr = 0;
	uint32_t wild = 0;
	bool have_addr = false;

	if (signal) {
		if (!rsp_take_hex(c, &sig) || sig > MAX_SIGNAL) {
			reply(E_INVALID);
			return;
		}
		if (rsp_take_char(c, ';')) {
			if (!rsp_take_hex(c, &addr)) {
				reply(E_INVALID);
				return;
			}
			have_addr = true;
		}
	} else if (!rsp_at_end(c)) {
		if (!rsp_take_hex(c, &addr)) {
			reply(E_INVALID);
			return;
		}
		have_addr = true;
	}
	if (!rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}

	resume_init(&r);
	if (step || valid_tid(s.c_tid)) {
		/* A step, or a continue of the thread Hc chose: that thread
		 * alone runs. */
		r.action[tid - 1] = step ? ACT_STEP : ACT_CONTINUE;
	} else {
		for (unsigned int t = 1; t <= xfer_nr_threads(); t++)
			r.action[t - 1] = ACT_CONTINUE;
		wild = ~0U;
	}
	r.resumed_tid = tid;
	if (have_addr && readonly) {
		reply(E_RO_REGS); /* resuming elsewhere writes pc */
		return;
	}
	if (have_addr) {
		uint8_t pc[sizeof(addr)];

		for (size_t i = 0; i < sizeof(pc); i++)
			pc[i] = (uint8_t)(addr >> (8 * i));
		if (!target_write_reg(tid, REG_PC, pc)) {
			reply(E_TARGET);
			return;
		}
	}
	resume(&r, 0, wild);
}

struct vcont_action {
	enum target_action act;
	long tid; /* TID_ALL when none was given */
};

static bool parse_vcont_action(struct rsp_cursor *c, struct vcont_action *a,
			       uint64_t *start, uint64_t *end,
			       bool *have_range)
{
	uint64_t v, lo, hi;

	if (rsp_take_char(c, 'c')) {
		a->act = ACT_CONTINUE;
	} else if (rsp_take_char(c, 's')) {
		a->act = ACT_STEP;
	} else if (rsp_take_char(c, 'C')) {
		if (!rsp_take_hex(c, &v) || v > MAX_SIGNAL)
			return false;
		a->act = ACT_CONTINUE; /* no signals to deliver to a VM */
	} else if (rsp_take_char(c, 'S')) {
		if (!rsp_take_hex(c, &v) || v > MAX_SIGNAL)
			return false;
		a->act = ACT_STEP;
	} else if (rsp_take_char(c, 't')) {
		a->act = ACT_STOP;
	} else if (rsp_take_char(c, 'r')) {
		if (!rsp_take_hex(c, &lo) || !rsp_take_char(c, ',') ||
		    !rsp_take_hex(c, &hi))
			return false;
		/* target_resume() carries one range. */
		if (*have_range && (lo != *start || hi != *end))
			return false;
		*have_range = true;
		*start = lo;
		*end = hi;
		a->act = ACT_RANGE;
	} else {
		return false;
	}
	a->tid = TID_ALL;
	if (rsp_take_char(c, ':')) {
		if (!take_tid(c, &a->tid))
			return false;
		if (a->tid != TID_ALL && !valid_tid(a->tid))
			return false;
	}
	return true;
}

static void handle_vcont(struct rsp_cursor *c)
{
	struct vcont_action acts[VCONT_MAX_ACTIONS];
	struct target_resume r;
	unsigned int nr = 0, nr_threads = xfer_nr_threads();
	uint64_t start = 0, end = 0;
	uint32_t halt = 0, wild = 0;
	bool have_range = false, any_runs = false;

	while (rsp_take_char(c, ';')) {
		if (nr == VCONT_MAX_ACTIONS ||
		    !parse_vcont_action(c, &acts[nr], &start, &end,
					&have_range)) {
			reply(E_INVALID);
			return;
		}
		nr++;
	}
	if (nr == 0 || !rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}

	resume_init(&r);
	r.range_start = start;
	r.range_end = end;
	/* Each thread takes the first action that names it or all; a
	 * thread no action covers stays stopped (scheduler-locking), or in
	 * non-stop mode as it is. */
	for (unsigned int t = 1; t <= nr_threads; t++) {
		for (unsigned int i = 0; i < nr; i++) {
			if (acts[i].tid == TID_ALL || acts[i].tid == (long)t) {
				r.action[t - 1] = acts[i].act;
				if (acts[i].act == ACT_STOP)
					halt |= 1U << (t - 1);
				if (acts[i].tid == TID_ALL)
					wild |= 1U << (t - 1);
				break;
			}
		}
		if (r.action[t - 1] != ACT_STOP)
			any_runs = true;
	}
	if (!any_runs && !s.non_stop) {
		/* Nothing would run, so no stop would ever be reported. */
		reply(E_INVALID);
		return;
	}
	for (unsigned int i = 0; i < nr && r.resumed_tid == 0; i++)
		if (acts[i].tid != TID_ALL)
			r.resumed_tid = (unsigned int)acts[i].tid;
	if (r.resumed_tid == 0)
		r.resumed_tid = current_c_thread();
	resume(&r, halt, wild);
}

/* ---- Registers ---- */

static void reply_reg(unsigned int tid, unsigned int regnum)
{
	const struct target_reg *r = target_reg_info(regnum);
	uint8_t buf[REG_MAX_BYTES];

	if (r->size <= sizeof(buf) && target_read_reg(tid, regnum, buf)) {
		reply_hex(buf, r->size);
		return;
	}
	/* Unavailable: gdb shows <unavailable>. */
	for (unsigned int i = 0; i < r->size; i++)
		reply_str("xx");
}

static void handle_read_all_regs(void)
{
	reply_begin();
	for (unsigned int n = 0; n < target_nr_regs(); n++)
		reply_reg(s.g_tid, n);
	reply_send();
}

/* G: a prefix of the g layout, ending on a register boundary. */
static void handle_write_all_regs(struct rsp_cursor *c)
{
	const uint8_t *hex = c->p;
	size_t hexlen = rsp_left(c), off = 0;
	unsigned int n, nr;

	for (n = 0; n < target_nr_regs() && off < hexlen / 2; n++)
		off += target_reg_info(n)->size;
	nr = n;
	if (hexlen == 0 || off != hexlen / 2 ||
	    !rsp_hex_decode(hex, hexlen, s.scratch, sizeof(s.scratch))) {
		reply(E_INVALID);
		return;
	}
	if (readonly) {
		reply(E_RO_REGS);
		return;
	}
	/* Every value checked before any is written. */
	off = 0;
	for (n = 0; n < nr; n++) {
		const struct target_reg *r = target_reg_info(n);

		/* Read-only registers come back as gdb read them. */
		if (r->writable &&
		    !target_reg_write_ok(s.g_tid, n, s.scratch + off)) {
			reply(E_TARGET);
			return;
		}
		off += r->size;
	}
	off = 0;
	for (n = 0; n < nr; n++) {
		const struct target_reg *r = target_reg_info(n);

		if (r->writable)
			(void)target_write_reg(s.g_tid, n, s.scratch + off);
		off += r->size;
	}
	reply("OK");
}

static bool take_regnum(struct rsp_cursor *c, unsigned int *regnum)
{
	uint64_t v;

	if (!rsp_take_hex(c, &v) || v >= target_nr_regs())
		return false;
	*regnum = (unsigned int)v;
	return true;
}

static void handle_read_reg(struct rsp_cursor *c)
{
	unsigned int regnum;

	if (!take_regnum(c, &regnum) || !rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}
	reply_begin();
	reply_reg(s.g_tid, regnum);
	reply_send();
}

static void handle_write_reg(struct rsp_cursor *c)
{
	uint8_t buf[REG_MAX_BYTES];
	const struct target_reg *r;
	unsigned int regnum;

	if (!take_regnum(c, &regnum) || !rsp_take_char(c, '=')) {
		reply(E_INVALID);
		return;
	}
	r = target_reg_info(regnum);
	if (rsp_left(c) != 2u * r->size ||
	    !rsp_hex_decode(c->p, rsp_left(c), buf, sizeof(buf))) {
		reply(E_INVALID);
		return;
	}
	if (readonly) {
		reply(E_RO_REGS);
		return;
	}
	if (!r->writable || !target_write_reg(s.g_tid, regnum, buf)) {
		reply(E_TARGET);
		return;
	}
	reply("OK");
}

/* ---- Memory ---- */

/* "addr,len" (m caps len, M/X refuse a large one). */
static bool take_addr_len(struct rsp_cursor *c, uint64_t *addr,
			  uint64_t *len)
{
	return rsp_take_hex(c, addr) && rsp_take_char(c, ',') &&
	       rsp_take_hex(c, len);
}

static void handle_read_mem(struct rsp_cursor *c)
{
	uint64_t addr, len;
	size_t done;

	if (!take_addr_len(c, &addr, &len) || !rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}
	/* A short read is a valid answer: gdb asks again for the rest. */
	if (len > MEM_MAX)
		len = MEM_MAX;
	if (addr + len < addr)
		len = 0 - addr; /* up to the top of the address space */
	if (len == 0) {
		reply("");
		return;
	}
	done = target_read_mem(s.g_tid, addr, s.scratch, (size_t)len);
	if (done == 0 || done > len) {
		reply(E_MEMORY);
		return;
	}
	reply_begin();
	reply_hex(s.scratch, done);
	reply_send();
}

static void write_mem(uint64_t addr, size_t len)
{
	if (len == 0) {
		reply("OK"); /* X addr,0: gdb's probe for X support */
		return;
	}
	if (readonly) {
		reply(E_RO_MEM);
		return;
	}
	/* The whole range, before any byte is written. */
	if (addr + len - 1 < addr ||
	    !target_mem_writable(s.g_tid, addr, len) ||
	    target_write_mem(s.g_tid, addr, s.scratch, len) != len) {
		reply(E_MEMORY);
		return;
	}
	reply("OK");
}

static void handle_write_mem(struct rsp_cursor *c, bool binary)
{
	uint64_t addr, len;
	size_t got;

	if (!take_addr_len(c, &addr, &len) || !rsp_take_char(c, ':') ||
	    len > MEM_MAX) {
		reply(E_INVALID);
		return;
	}
	if (binary) {
		if (!rsp_unescape(c->p, rsp_left(c), s.scratch, MEM_MAX,
				  &got) ||
		    got != len) {
			reply(E_INVALID);
			return;
		}
	} else if (rsp_left(c) != 2 * len ||
		   !rsp_hex_decode(c->p, rsp_left(c), s.scratch, MEM_MAX)) {
		reply(E_INVALID);
		return;
	}
	write_mem(addr, (size_t)len);
}

/* ---- Breakpoints ---- */

static void handle_breakpoint(struct rsp_cursor *c, bool insert)
{
	uint64_t type, addr, kind;
	enum target_result res;

	if (!rsp_take_hex(c, &type) || !rsp_take_char(c, ',') ||
	    !rsp_take_hex(c, &addr) || !rsp_take_char(c, ',') ||
	    !rsp_take_hex(c, &kind) || !rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}
	if (type > BP_WATCH_ACCESS) {
		reply(""); /* a kind of breakpoint we do not know */
		return;
	}
	if (readonly) {
		reply(E_RO_BREAK);
		return;
	}
	res = insert ? target_insert_bp((enum target_bp_type)type, addr, kind)
		     : target_remove_bp((enum target_bp_type)type, addr, kind);
	switch (res) {
	case TARGET_OK:
		reply("OK");
		break;
	case TARGET_UNSUPPORTED:
		reply("");
		break;
	default:
		reply(E_TARGET);
		break;
	}
}

/* ---- Threads ---- */

static void handle_set_thread(struct rsp_cursor *c)
{
	bool general;
	long tid;

	if (rsp_take_char(c, 'g'))
		general = true;
	else if (rsp_take_char(c, 'c'))
		general = false;
	else {
		reply(E_INVALID);
		return;
	}
	if (!take_tid(c, &tid) || !rsp_at_end(c) ||
	    (tid != TID_ALL && tid != TID_ANY && !valid_tid(tid))) {
		reply(E_INVALID);
		return;
	}
	if (general) {
		/* "Any" or "all" for registers: keep the thread we have. */
		if (valid_tid(tid))
			s.g_tid = (unsigned int)tid;
	} else {
		s.c_tid = tid;
	}
	reply("OK");
}

static void handle_thread_alive(struct rsp_cursor *c)
{
	long tid;

	if (!take_tid(c, &tid) || !rsp_at_end(c) || !valid_tid(tid))
		reply(E_INVALID);
	else
		reply("OK");
}

static void handle_thread_info_first(void)
{
	reply_begin();
	for (unsigned int t = 1; t <= xfer_nr_threads(); t++) {
		reply_str(t == 1 ? "m" : ",");
		reply_hex_u64(t);
	}
	if (s.reply_len == 0)
		reply_str("l");
	reply_send();
}

static void handle_thread_extra_info(struct rsp_cursor *c)
{
	long tid;

	if (!take_tid(c, &tid) || !rsp_at_end(c) || !valid_tid(tid)) {
		reply(E_INVALID);
		return;
	}
	s.text[0] = '\0';
	target_thread_name((unsigned int)tid, s.text, sizeof(s.text));
	s.text[sizeof(s.text) - 1] = '\0';
	reply_begin();
	reply_hex((const uint8_t *)s.text, strlen(s.text));
	reply_send();
}

/* ---- qXfer ---- */

/* "off,len" then the document as 'm'/'l' + escaped bytes. */
static void reply_xfer(struct rsp_cursor *c, void (*gen)(struct xfer_window *))
{
	struct xfer_window w;
	uint64_t off, len;
	size_t used = 0, n;

	if (!take_addr_len(c, &off, &len) || !rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}
	w = (struct xfer_window){.off = off, .out = s.scratch};
	w.cap = len < sizeof(s.scratch) - 1 ? (size_t)len
					    : sizeof(s.scratch) - 1;
	gen(&w);
	/* As many bytes as fit once escaped; gdb asks for the rest. */
	for (n = 0; n < w.len; n++) {
		size_t cost = rsp_needs_escape(s.scratch[n]) ? 2 : 1;

		if (used + cost > GDB_PACKET_SIZE - 1)
			break;
		used += cost;
	}
	reply_begin();
	reply_str(off + n < w.pos ? "m" : "l");
	for (size_t i = 0; i < n; i++) {
		uint8_t b = s.scratch[i];

		if (rsp_needs_escape(b)) {
			uint8_t esc[2] = {RSP_ESCAPE,
					  (uint8_t)(b ^ RSP_ESCAPE_XOR)};
			reply_bytes(esc, sizeof(esc));
		} else {
			reply_bytes(&b, 1);
		}
	}
	reply_send();
}

static void handle_xfer(struct rsp_cursor *c)
{
	if (rsp_take(c, "features:read:")) {
		const uint8_t *annex = c->p;

		while (!rsp_at_end(c) && *c->p != ':')
			c->p++;
		if (!xfer_features_annex(annex, (size_t)(c->p - annex)) ||
		    !rsp_take_char(c, ':')) {
			reply("E00"); /* per the protocol: bad annex */
			return;
		}
		reply_xfer(c, xfer_target_xml);
	} else if (rsp_take(c, "threads:read::")) {
		reply_xfer(c, xfer_threads_xml);
	} else {
		reply("");
	}
}

/* ---- Monitor commands ---- */

static bool word_is(const char *word, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(word, name, len) == 0;
}

/* "on" / "off" / nothing (show). Returns false on anything else. */
static bool parse_on_off(const char *arg, int *setting)
{
	if (*arg == '\0')
		*setting = -1;
	else if (strcmp(arg, "on") == 0)
		*setting = 1;
	else if (strcmp(arg, "off") == 0)
		*setting = 0;
	else
		return false;
	return true;
}

static void monitor_fail(const char *message)
{
	console_output(message);
	reply(E_INVALID);
}

static void monitor_switch(const char *name, const char *arg,
			   void (*set)(bool), bool (*get)(void))
{
	int setting;

	if (!parse_on_off(arg, &setting)) {
		snprintf(s.text, sizeof(s.text), "usage: monitor %s [on|off]\n",
			 name);
		monitor_fail(s.text);
		return;
	}
	if (setting >= 0)
		set(setting == 1);
	snprintf(s.text, sizeof(s.text), "%s is %s\n", name,
		 get() ? "on" : "off");
	console_output(s.text);
	reply("OK");
}

static void handle_monitor(struct rsp_cursor *c)
{
	char *cmd = s.cmd, *word, *arg;
	size_t len = rsp_left(c) / 2, wlen, end;

	if (!rsp_hex_decode(c->p, rsp_left(c), (uint8_t *)cmd,
			    sizeof(s.cmd) - 1) ||
	    memchr(cmd, '\0', len) != NULL) {
		reply(E_INVALID);
		return;
	}
	cmd[len] = '\0';
	for (word = cmd; *word == ' '; word++)
		;
	for (wlen = 0; word[wlen] != '\0' && word[wlen] != ' '; wlen++)
		;
	for (arg = word + wlen; *arg == ' '; arg++)
		;
	for (end = strlen(arg); end > 0 && arg[end - 1] == ' '; end--)
		arg[end - 1] = '\0';

	if (word_is(word, wlen, "help") || wlen == 0) {
		console_output(monitor_help);
		reply("OK");
	} else if (word_is(word, wlen, "vcpus") && *arg == '\0') {
		s.text[0] = '\0';
		target_describe_vcpus(s.text, sizeof(s.text));
		s.text[sizeof(s.text) - 1] = '\0';
		console_output(s.text);
		reply("OK");
	} else if (word_is(word, wlen, "stats") && *arg == '\0') {
		s.text[0] = '\0';
		target_describe_stats(s.text, sizeof(s.text));
		s.text[sizeof(s.text) - 1] = '\0';
		console_output(s.text);
		reply("OK");
	} else if (word_is(word, wlen, "phys")) {
		monitor_switch("phys", arg, target_set_phys, target_phys);
	} else if (word_is(word, wlen, "step-irqs")) {
		monitor_switch("step-irqs", arg, target_set_step_irqs,
			       target_step_irqs);
	} else if (word_is(word, wlen, "reset") && *arg == '\0' &&
		   readonly) {
		monitor_fail("monitor reset refused: this is a read-only "
			     "session (gdb.readonly = on)\n");
	} else if (word_is(word, wlen, "reset") && *arg == '\0') {
		target_reset();
		console_output("resetting the machine: vigil and the guest "
			       "restart; connect again once vigil is up\n");
		reply("OK");
	} else {
		/* Like gdbserver: say what went wrong, then fail the command
		 * so a script notices. */
		snprintf(s.text, sizeof(s.text),
			 "unknown monitor command '%.64s'; try 'monitor "
			 "help'\n",
			 cmd);
		monitor_fail(s.text);
	}
}

/* ---- Dispatch ---- */

static void handle_query(struct rsp_cursor *c)
{
	if (rsp_take(c, "Supported") && (rsp_at_end(c) || *c->p == ':')) {
		/* gdb's own features do not change what we answer. */
		snprintf(s.text, sizeof(s.text), supported, GDB_PACKET_SIZE);
		reply(s.text);
	} else if (rsp_is(c, "Attached") || rsp_take(c, "Attached:")) {
		reply("1"); /* detach, not kill, when gdb quits */
	} else if (rsp_is(c, "C")) {
		reply_begin();
		reply_str("QC");
		reply_hex_u64(s.g_tid);
		reply_send();
	} else if (rsp_is(c, "fThreadInfo")) {
		handle_thread_info_first();
	} else if (rsp_is(c, "sThreadInfo")) {
		reply("l");
	} else if (rsp_take(c, "ThreadExtraInfo,")) {
		handle_thread_extra_info(c);
	} else if (rsp_take(c, "Xfer:")) {
		handle_xfer(c);
	} else if (rsp_take(c, "Rcmd,")) {
		handle_monitor(c);
	} else if (rsp_take(c, "Symbol:")) {
		reply("OK"); /* no symbols wanted */
	} else {
		reply(""); /* qOffsets, qTStatus, ...: not supported */
	}
}

static void handle_v(struct rsp_cursor *c)
{
	if (rsp_is(c, "Cont?")) {
		reply("vCont;c;C;s;S;t;r");
	} else if (rsp_take(c, "Cont") && !rsp_at_end(c) && *c->p == ';') {
		handle_vcont(c);
	} else if (s.non_stop && rsp_is(c, "Stopped")) {
		handle_vstopped();
	} else if (s.non_stop && rsp_is(c, "CtrlC")) {
		interrupt_one_thread();
		reply("OK");
	} else {
		reply(""); /* vMustReplyEmpty, vKill (gdb falls back to k) */
	}
}

static void handle_detach(struct rsp_cursor *c)
{
	uint64_t pid;

	if (rsp_take_char(c, ';') && !rsp_take_hex(c, &pid)) {
		reply(E_INVALID);
		return;
	}
	if (!rsp_at_end(c)) {
		reply(E_INVALID);
		return;
	}
	reply("OK");
	s.state = SESSION_DONE;
	s.should_close = true;
	target_detach();
}

static void handle_packet(const uint8_t *data, size_t len)
{
	struct rsp_cursor c = rsp_cursor(data, len);

	if (rsp_at_end(&c)) {
		reply("");
		return;
	}
	switch (*c.p++) {
	case '?':
		if (s.non_stop)
			report_stopped_threads();
		else
			send_stop_reply(&s.last_stop);
		break;
	case 'g':
		if (rsp_at_end(&c))
			handle_read_all_regs();
		else
			reply(E_INVALID);
		break;
	case 'G':
		handle_write_all_regs(&c);
		break;
	case 'p':
		handle_read_reg(&c);
		break;
	case 'P':
		handle_write_reg(&c);
		break;
	case 'm':
		handle_read_mem(&c);
		break;
	case 'M':
		handle_write_mem(&c, false);
		break;
	case 'X':
		handle_write_mem(&c, true);
		break;
	case 'Z':
		handle_breakpoint(&c, true);
		break;
	case 'z':
		handle_breakpoint(&c, false);
		break;
	case 'H':
		handle_set_thread(&c);
		break;
	case 'T':
		handle_thread_alive(&c);
		break;
	case 'c':
		handle_legacy_resume(&c, false, false);
		break;
	case 's':
		handle_legacy_resume(&c, true, false);
		break;
	case 'C':
		handle_legacy_resume(&c, false, true);
		break;
	case 'S':
		handle_legacy_resume(&c, true, true);
		break;
	case 'D':
		handle_detach(&c);
		break;
	case 'k':
		if (readonly && target_kill_resets()) {
			/* gdb does not wait for a reply, and closes the
			 * connection: the guest then runs on as after D. */
			reply(E_RO_KILL);
			break;
		}
		/* No reply: gdb does not wait for one. */
		s.state = SESSION_DONE;
		s.should_close = true;
		target_kill();
		break;
	case 'q':
		handle_query(&c);
		break;
	case 'Q':
		if (rsp_is(&c, "StartNoAckMode")) {
			/* The OK still travels (and is acked) in ack mode. */
			reply("OK");
			s.no_ack = true;
		} else if (rsp_take(&c, "NonStop:")) {
			handle_set_non_stop(&c);
		} else {
			reply("");
		}
		break;
	case 'v':
		handle_v(&c);
		break;
	default:
		reply("");
		break;
	}
}

/* ---- Input ---- */

static void on_event(enum rsp_event ev)
{
	switch (ev) {
	case RSP_EV_PACKET:
		send_ack(RSP_ACK);
		if (s.state == SESSION_STOPPED)
			handle_packet(s.dec.buf, s.dec.len);
		/* Running: gdb sends nothing but Ctrl-C in all-stop mode;
		 * anything else is dropped unanswered. */
		break;
	case RSP_EV_BAD_CHECKSUM:
		send_ack(RSP_NAK);
		break;
	case RSP_EV_TOO_LONG:
		send_ack(RSP_ACK);
		if (s.state == SESSION_STOPPED)
			reply(E_INVALID);
		break;
	case RSP_EV_BREAK:
		if (s.non_stop && s.state == SESSION_STOPPED) {
			/* gdb sends vCtrlC in non-stop mode; the same, unanswered. */
			interrupt_one_thread();
		} else if (s.state == SESSION_RUNNING && !s.interrupted) {
			s.interrupted = true;
			target_interrupt();
		}
		/* Stopped already: nothing to do and nothing to say. */
		break;
	case RSP_EV_NAK:
		if (!s.no_ack && s.tx_len != 0)
			send_raw(s.tx, s.tx_len);
		break;
	case RSP_EV_ACK:
	case RSP_EV_NONE:
		break;
	}
}

static void process(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s.state == SESSION_ATTACHING) {
			/* Everything waits for the stop; if gdb sent more
			 * than one packet's worth, the rest is lost and gdb's
			 * retry brings it back. */
			size_t n = len - i;

			if (n > PENDING_MAX - s.pending_len)
				n = PENDING_MAX - s.pending_len;
			memcpy(s.pending + s.pending_len, data + i, n);
			s.pending_len += n;
			return;
		}
		if (s.state != SESSION_STOPPED && s.state != SESSION_RUNNING)
			return;
		on_event(rsp_feed(&s.dec, data[i]));
	}
}

/* ---- gdb.h ---- */

void gdb_open(void)
{
	memset(&s, 0, sizeof(s));
	rsp_decoder_reset(&s.dec);
	s.state = SESSION_ATTACHING;
	s.g_tid = 1;
	s.c_tid = TID_ALL;
	target_set_phys(false);
	target_attach();
}

void gdb_receive(const uint8_t *data, size_t len)
{
	process(data, len);
}

void gdb_poll(void)
{
	struct target_stop st;
	size_t n;

	if (s.non_stop && s.state == SESSION_STOPPED) {
		/* Each thread's stop once; bounded should the target misbehave. */
		for (n = 0; n <= MAX_THREADS && target_poll_stop(&st); n++)
			queue_stop(&st);
		return;
	}
	if (s.state != SESSION_ATTACHING && s.state != SESSION_RUNNING)
		return;
	if (!target_poll_stop(&st))
		return;
	if (s.state == SESSION_ATTACHING) {
		/* Not a stop gdb asked for: `?` reports a plain SIGTRAP. */
		if (st.reason != STOP_EXITED)
			st.reason = STOP_SIGTRAP;
		record_stop(&st);
		s.state = SESSION_STOPPED;
		n = s.pending_len;
		s.pending_len = 0;
		process(s.pending, n);
		return;
	}
	record_stop(&st);
	s.state = SESSION_STOPPED;
	send_stop_reply(&s.last_stop);
}

void gdb_close(void)
{
	switch (s.state) {
	case SESSION_ATTACHING:
	case SESSION_STOPPED:
	case SESSION_RUNNING:
		target_detach();
		break;
	case SESSION_CLOSED:
	case SESSION_DONE:
		break;
	}
	s.state = SESSION_CLOSED;
	s.should_close = false;
}

void gdb_set_readonly(bool on)
{
	readonly = on;
}

bool gdb_should_close(void)
{
	return s.should_close;
}

/*
 * libFuzzer target: debug/rsp.c + debug/gdb.c (with xfer.c and regs.c),
 * the GDB stub, against the fake target of tests/unit/fake/target_fake.c.
 * The input is the byte stream a GDB client sends, entering through
 * gdb_receive() as the TCP transport's does, in pieces that end after each
 * packet's checksum or a Ctrl-C. The first piece arrives while the session
 * is still attaching. Between pieces the fake target stops (as a resumed
 * guest would) when the piece ended in an odd byte or asked for a break,
 * with a reason and thread taken from that byte; after `D` or `k` the
 * session is closed and opened again, as the transport does.
 *
 * Checked: every gdb_send() carries one ack or one well-framed packet
 * (checksum right, payload within PacketSize, no bare '$' or '#'); the
 * target is only driven while stopped (all-stop) and only for real
 * threads; nothing is answered once the session asked to close.
 */
#include <string.h>

#include "fake/target_fake.h"
#include "gdb.h"
#include "rsp.h"
#include "fuzz.h"

static bool sending_allowed = true;

void gdb_send(const void *data, size_t len)
{
	const uint8_t *p = data;

	FUZZ_CHECK(sending_allowed, "output after the session asked to close");
	FUZZ_CHECK(len >= 1, "empty send");
	if (len == 1) {
		FUZZ_CHECK(p[0] == RSP_ACK || p[0] == RSP_NAK,
			   "single byte 0x%02x sent", p[0]);
		return;
	}
	FUZZ_CHECK(len >= RSP_FRAMING && p[0] == RSP_START &&
			   p[len - 3] == RSP_END,
		   "a send is not one framed packet");
	FUZZ_CHECK(len - RSP_FRAMING <= GDB_PACKET_SIZE,
		   "payload of %zu bytes", len - RSP_FRAMING);
	for (size_t i = 1; i < len - 3; i++)
		FUZZ_CHECK(p[i] != RSP_START && p[i] != RSP_END,
			   "bare '%c' in a payload", p[i]);
	FUZZ_CHECK(rsp_hex_value(p[len - 2]) >= 0 &&
			   rsp_hex_value(p[len - 1]) >= 0 &&
			   (uint8_t)(rsp_hex_value(p[len - 2]) << 4 |
				     rsp_hex_value(p[len - 1])) ==
				   rsp_checksum(p + 1, len - RSP_FRAMING),
		   "bad checksum on a reply");
}

/* What the stub may only do to a stopped target. */
static unsigned int stopped_only_calls(void)
{
	return fake_target.resumes + fake_target.mem_reads +
	       fake_target.mem_writes + fake_target.reg_writes +
	       fake_target.attaches + fake_target.kills + fake_target.resets;
}

static bool real_thread(unsigned int tid)
{
	return tid >= 1 && tid <= fake_target.nr_threads;
}

static void check_threads(void)
{
	if (fake_target.mem_reads + fake_target.mem_writes != 0)
		FUZZ_CHECK(real_thread(fake_target.last_mem_tid),
			   "memory access for thread %u",
			   fake_target.last_mem_tid);
	if (fake_target.reg_writes != 0)
		FUZZ_CHECK(real_thread(fake_target.last_reg_write_tid),
			   "register write for thread %u",
			   fake_target.last_reg_write_tid);
	if (fake_target.resumes != 0)
		FUZZ_CHECK(real_thread(fake_target.last_resume.resumed_tid),
			   "resume reports on thread %u",
			   fake_target.last_resume.resumed_tid);
}

/* Length of the next piece: through a packet's checksum or a Ctrl-C. */
static size_t piece_len(const uint8_t *p, size_t left)
{
	for (size_t i = 0; i < left; i++) {
		if (p[i] == RSP_BREAK)
			return i + 1;
		if (p[i] == RSP_END)
			return i + 3 < left ? i + 3 : left;
	}
	return left;
}

static void open_session(void)
{
	gdb_open();
	FUZZ_CHECK(fake_target.attaches != 0, "gdb_open() did not attach");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int resumes_seen = 0, interrupts_seen = 0;
	bool attaching = true, running = false;
	size_t off = 0;

	target_fake_reset();
	sending_allowed = true;
	open_session();

	while (off < size) {
		size_t n = piece_len(data + off, size - off);
		uint8_t last = data[off + n - 1];
		unsigned int before = stopped_only_calls();

		gdb_receive(data + off, n);
		off += n;
		if (running)
			FUZZ_CHECK(stopped_only_calls() == before,
				   "target driven while running");
		check_threads();

		if (attaching) {
			target_fake_stop(STOP_SIGINT, 1, 0);
			gdb_poll();
			attaching = false;
		}
		if (fake_target.resumes != resumes_seen) {
			resumes_seen = fake_target.resumes;
			running = true;
		}
		if (running && (fake_target.interrupts != interrupts_seen ||
				(last & 1))) {
			enum target_stop_reason why =
				fake_target.interrupts != interrupts_seen
					? STOP_SIGINT
					: (enum target_stop_reason)((last >> 1) %
								    8);

			interrupts_seen = fake_target.interrupts;
			target_fake_stop(why, 1 + (last >> 4) %
							  fake_target.nr_threads,
					 FAKE_MEM_BASE + last);
			gdb_poll();
			running = false;
		}
		if (gdb_should_close()) {
			/* The transport closes; anything still in flight
			 * gets no answer. */
			sending_allowed = false;
			gdb_receive((const uint8_t *)"$g#67$?#3f", 10);
			sending_allowed = true;
			gdb_close();
			open_session();
			attaching = true;
			running = false;
		}
	}
	gdb_close();
	return 0;
}

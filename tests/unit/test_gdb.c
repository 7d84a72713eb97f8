/*
 * debug/gdb.c and friends: a GDB remote protocol session against the fake
 * target (fake/target_fake.c). Every test sends real framed packets and
 * checks the exact bytes the stub sent back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake/target_fake.h"
#include "gdb.h"
#include "rsp.h"
#include "test.h"
#include "xfer.h"

#define OUT_MAX (1 << 16)

static char out[OUT_MAX + 1];
static size_t out_len;
static bool out_overflow;

void gdb_send(const void *data, size_t len)
{
	if (len > OUT_MAX - out_len) {
		out_overflow = true;
		return;
	}
	memcpy(out + out_len, data, len);
	out_len += len;
	out[out_len] = '\0';
}

static void clear_out(void)
{
	out_len = 0;
	out[0] = '\0';
}

/* What was sent since the last clear_out(), as a string. */
static const char *sent(void)
{
	return out;
}

static void feed_bytes(const void *data, size_t len)
{
	gdb_receive(data, len);
}

static void feed(const char *raw)
{
	feed_bytes(raw, strlen(raw));
}

/* "$payload#cs" of a payload, in one of a few rotating buffers. */
static const char *frame_len(const void *payload, size_t len)
{
	static char bufs[4][2 * GDB_PACKET_SIZE + 8];
	static unsigned int next;
	char *b = bufs[next++ % 4];
	size_t n = rsp_frame(payload, len, b, sizeof(bufs[0]) - 1);

	b[n] = '\0';
	return b;
}

static const char *frame(const char *payload)
{
	return frame_len(payload, strlen(payload));
}

/* The client sends a packet; the output is cleared first. */
static void pkt_len(const void *payload, size_t len)
{
	const char *f = frame_len(payload, len);

	clear_out();
	feed_bytes(f, len + RSP_FRAMING);
}

static void pkt(const char *payload)
{
	pkt_len(payload, strlen(payload));
}

/* The reply to one packet in ack mode: '+' then the framed reply. */
static const char *acked(const char *reply)
{
	static char b[2 * GDB_PACKET_SIZE + 8];

	snprintf(b, sizeof(b), "+%s", frame(reply));
	return b;
}

/* A session on a freshly stopped 2-vCPU target, still in ack mode. */
static void start(void)
{
	target_fake_reset();
	clear_out();
	out_overflow = false;
	gdb_set_readonly(false);
	gdb_open();
	target_fake_stop(STOP_SIGINT, 1, 0);
	gdb_poll();
	clear_out();
}

/* The same, switched to no-ack mode as gdb does first. */
static void start_noack(void)
{
	start();
	pkt("QStartNoAckMode");
	clear_out();
}

/* Hex of fake register n of thread tid (see target_fake.c). */
static const char *reg_hex(unsigned int tid, unsigned int n)
{
	static char bufs[8][2 * FAKE_REG_BYTES + 1];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	rsp_hex_encode(fake_target.regs[tid - 1][n], target_reg_info(n)->size,
		       b);
	b[2 * target_reg_info(n)->size] = '\0';
	return b;
}

/* The expedited registers of a stop reply for tid. */
static const char *expedite(unsigned int tid)
{
	static char b[256];

	snprintf(b, sizeof(b), "20:%s;1f:%s;1d:%s;1e:%s;21:%s;",
		 reg_hex(tid, REG_PC), reg_hex(tid, REG_SP),
		 reg_hex(tid, REG_X29), reg_hex(tid, REG_X30),
		 reg_hex(tid, REG_CPSR));
	return b;
}

/* ---- Session start ---- */

TEST(attach_defers_the_first_reply)
{
	target_fake_reset();
	fake_target.phys = true;
	clear_out();
	gdb_open();
	EXPECT_EQ(1, fake_target.attaches);
	EXPECT_FALSE(fake_target.phys);
	/* Not stopped yet: `?` waits. */
	feed(frame("?"));
	gdb_poll();
	EXPECT_STREQ("", sent());
	target_fake_stop(STOP_SIGINT, 2, 0);
	gdb_poll();
	/* Reported as a plain SIGTRAP on the thread that stopped. */
	EXPECT_STREQ("+$T05thread:2;20:0220000102030405;1f:021f000102030405;"
		     "1d:021d000102030405;1e:021e000102030405;21:02210001;#16",
		     sent());
	/* Registers now default to the stopped thread. */
	pkt("qC");
	EXPECT_STREQ(acked("QC2"), sent());
}

TEST(qsupported)
{
	start();
	pkt("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
	    "fork-events+;vfork-events+;exec-events+;vContSupported+;"
	    "QThreadEvents+;no-resumed+;xmlRegisters=i386");
	EXPECT_STREQ("+$PacketSize=1000;qXfer:features:read+;"
		     "qXfer:threads:read+;QStartNoAckMode+;vContSupported+;"
		     "swbreak+;hwbreak+;QNonStop+#a6",
		     sent());
}

TEST(simple_queries)
{
	start();
	pkt("qAttached");
	EXPECT_STREQ(acked("1"), sent());
	pkt("qAttached:1");
	EXPECT_STREQ(acked("1"), sent());
	pkt("vMustReplyEmpty");
	EXPECT_STREQ("+$#00", sent());
	pkt("qTStatus");
	EXPECT_STREQ("+$#00", sent());
	pkt("qOffsets");
	EXPECT_STREQ("+$#00", sent());
	pkt("qSymbol::");
	EXPECT_STREQ(acked("OK"), sent());
	pkt("QThreadEvents:1");
	EXPECT_STREQ("+$#00", sent());
	pkt("vCont?");
	EXPECT_STREQ(acked("vCont;c;C;s;S;t;r"), sent());
	pkt("!");
	EXPECT_STREQ("+$#00", sent());
	pkt("");
	EXPECT_STREQ("+$#00", sent());
}

/* ---- Framing ---- */

TEST(no_ack_mode)
{
	start();
	pkt("QStartNoAckMode");
	/* The switch itself is still acked, and its OK framed. */
	EXPECT_STREQ("+$OK#9a", sent());
	feed("+");
	pkt("qAttached");
	EXPECT_STREQ("$1#31", sent());
	/* Bad checksums are dropped silently now. */
	clear_out();
	feed("$qAttached#00");
	EXPECT_STREQ("", sent());
}

TEST(bad_checksum_gets_nak)
{
	start();
	clear_out();
	feed("$qAttached#00");
	EXPECT_STREQ("-", sent());
	/* gdb resends; that one works. */
	pkt("qAttached");
	EXPECT_STREQ(acked("1"), sent());
}

TEST(nak_retransmits_last_packet)
{
	start();
	pkt("qAttached");
	clear_out();
	feed("-");
	EXPECT_STREQ("$1#31", sent());
}

TEST(overlong_packet)
{
	static char big[GDB_PACKET_SIZE + 10];

	start();
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pkt(big);
	EXPECT_STREQ("+$E01#a6", sent());
	pkt("qAttached");
	EXPECT_STREQ(acked("1"), sent());
}

TEST(ctrl_c_while_stopped_is_ignored)
{
	start();
	clear_out();
	feed("\x03");
	EXPECT_STREQ("", sent());
	EXPECT_EQ(0, fake_target.interrupts);
}

/* ---- Registers ---- */

static const char *all_regs_hex(unsigned int tid)
{
	static char b[2 * GDB_PACKET_SIZE];
	size_t n = 0;

	for (unsigned int r = 0; r < target_nr_regs(); r++)
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s",
				      reg_hex(tid, r));
	return b;
}

TEST(register_table)
{
	EXPECT_EQ(85, target_nr_regs());
	EXPECT_STREQ("x0", target_reg_info(0)->name);
	EXPECT_STREQ("x30", target_reg_info(30)->name);
	EXPECT_STREQ("sp", target_reg_info(REG_SP)->name);
	EXPECT_STREQ("pc", target_reg_info(REG_PC)->name);
	EXPECT_STREQ("cpsr", target_reg_info(REG_CPSR)->name);
	EXPECT_EQ(4, target_reg_info(REG_CPSR)->size);
	EXPECT_STREQ("v0", target_reg_info(REG_V0)->name);
	EXPECT_STREQ("v31", target_reg_info(REG_V0 + 31)->name);
	EXPECT_EQ(16, target_reg_info(REG_V0 + 31)->size);
	EXPECT_STREQ("fpsr", target_reg_info(REG_FPSR)->name);
	EXPECT_STREQ("fpcr", target_reg_info(REG_FPCR)->name);
	EXPECT_EQ(4, target_reg_info(REG_FPCR)->size);
	EXPECT_STREQ("SCTLR", target_reg_info(REG_SYS_FIRST)->name);
	EXPECT_STREQ("SP_EL0", target_reg_info(REG_SYS_FIRST + 10)->name);
	EXPECT_STREQ("CONTEXTIDR_EL1", target_reg_info(REG_EL - 1)->name);
	EXPECT_EQ(84, REG_EL);
	EXPECT_STREQ("el", target_reg_info(84)->name);
	EXPECT_FALSE(target_reg_info(84)->writable);
	EXPECT_STREQ("system", target_reg_info(84)->group);
	EXPECT_TRUE(target_reg_info(85) == NULL);
	for (unsigned int n = 0; n < 84; n++)
		EXPECT_TRUE(target_reg_info(n)->writable);
}

TEST(g_reads_every_register)
{
	start();
	pkt("g");
	EXPECT_STREQ(acked(all_regs_hex(1)), sent());
	EXPECT_EQ(2 * (31 * 8 + 8 + 8 + 4 + 32 * 16 + 4 + 4 + 17 * 8) + 5,
		  strlen(sent()));
	/* Hg selects the thread. */
	pkt("Hg2");
	EXPECT_STREQ(acked("OK"), sent());
	pkt("g");
	EXPECT_STREQ(acked(all_regs_hex(2)), sent());
}

TEST(g_shows_unavailable_registers)
{
	char want[64];

	start_noack();
	fake_target.fail_read_reg = REG_CPSR;
	pkt("p21");
	EXPECT_STREQ(frame("xxxxxxxx"), sent());
	pkt("g");
	snprintf(want, sizeof(want), "%sxxxxxxxx%s", reg_hex(1, REG_PC),
		 reg_hex(1, REG_V0));
	EXPECT_CONTAINS(sent(), want);
}

TEST(G_writes_writable_registers)
{
	static char hex[2 * GDB_PACKET_SIZE];
	static uint8_t before_el[FAKE_REG_BYTES];
	size_t n = 1;

	start_noack();
	hex[0] = 'G';
	for (unsigned int r = 0; r < target_nr_regs(); r++)
		for (unsigned int i = 0; i < target_reg_info(r)->size; i++)
			n += (size_t)sprintf(hex + n, "%02x",
					     (unsigned)(0xa0 + r + i) & 0xff);
	memcpy(before_el, fake_target.regs[0][84], sizeof(before_el));
	pkt(hex);
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(84, fake_target.reg_writes);
	EXPECT_EQ(0xa0 + 32, fake_target.regs[0][REG_PC][0]);
	EXPECT_EQ(0xa0 + 32 + 7, fake_target.regs[0][REG_PC][7]);
	EXPECT_EQ(0xa0 + 34 + 15, fake_target.regs[0][REG_V0][15]);
	/* The read-only one is left alone. */
	EXPECT_MEMEQ(before_el, fake_target.regs[0][84], FAKE_REG_BYTES);
	/* Thread 2 untouched. */
	EXPECT_EQ(2, fake_target.regs[1][REG_PC][0]);
}

TEST(G_prefix_and_bad_lengths)
{
	start_noack();
	/* x0 and x1 only. */
	pkt("G11111111111111112222222222222222");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(2, fake_target.reg_writes);
	EXPECT_EQ(0x22, fake_target.regs[0][1][7]);
	/* Not on a register boundary, odd, not hex, empty. */
	pkt("G111111111111111122");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("G111111111111111");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("G11111111111111zz");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("G");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(2, fake_target.reg_writes);
}

/* Decode, then act: one bad value in a G, and no register is written. */
TEST(G_rejected_writes_nothing)
{
	static char hex[2 * GDB_PACKET_SIZE];
	static uint8_t before[FAKE_REGS_MAX][FAKE_REG_BYTES];
	size_t n = 1;

	start_noack();
	hex[0] = 'G';
	for (unsigned int r = 0; r < target_nr_regs(); r++)
		for (unsigned int i = 0; i < target_reg_info(r)->size; i++)
			n += (size_t)sprintf(hex + n, "%02x", 0x5a);
	memcpy(before, fake_target.regs[0], sizeof(before));
	/* cpsr, after x0..pc: the target refuses its value. */
	fake_target.fail_write_reg = REG_CPSR;
	pkt(hex);
	EXPECT_STREQ(frame("E02"), sent());
	EXPECT_EQ(0, fake_target.reg_writes);
	EXPECT_MEMEQ(before, fake_target.regs[0], sizeof(before));
	/* The last writable one refused: the same. */
	fake_target.fail_write_reg = REG_EL - 1;
	pkt(hex);
	EXPECT_STREQ(frame("E02"), sent());
	EXPECT_EQ(0, fake_target.reg_writes);
	EXPECT_MEMEQ(before, fake_target.regs[0], sizeof(before));
}

TEST(p_and_P)
{
	start_noack();
	pkt("p20");
	EXPECT_STREQ(frame("0120000102030405"), sent());
	pkt("p22"); /* v0: 16 bytes */
	EXPECT_STREQ(frame("0122000102030405060708090a0b0c0d"), sent());
	pkt("p54"); /* el */
	EXPECT_STREQ(frame("0154000102030405"), sent());
	pkt("p55");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("p");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("p20x");
	EXPECT_STREQ(frame("E01"), sent());

	pkt("P20=efbeadde00000000");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_MEMEQ("\xef\xbe\xad\xde\0\0\0\0", fake_target.regs[0][REG_PC],
		     8);
	pkt("P21=c5030000");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_MEMEQ("\xc5\x03\0\0", fake_target.regs[0][REG_CPSR], 4);
	EXPECT_EQ(2, fake_target.reg_writes);
	/* Read-only el: refused, nothing written. */
	pkt("P54=0100000000000000");
	EXPECT_STREQ(frame("E02"), sent());
	/* Wrong size, bad hex, no '=', bad number. */
	pkt("P20=efbeadde");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("P20=efbeadde0000000g");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("P20");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("P99=00");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(2, fake_target.reg_writes);
	/* The target refusing. */
	fake_target.fail_write_reg = 0;
	pkt("P0=0000000000000000");
	EXPECT_STREQ(frame("E02"), sent());
}

/* ---- Memory ---- */

TEST(m_reads_memory)
{
	start_noack();
	pkt("m40000010,4");
	EXPECT_STREQ(frame("10111213"), sent());
	EXPECT_EQ(1, fake_target.last_mem_tid);
	/* Short at the end of RAM: what there is. */
	pkt("m4000fffe,8");
	EXPECT_STREQ(frame("feff"), sent());
	pkt("m1000,4");
	EXPECT_STREQ(frame("E03"), sent());
	pkt("m40000000,0");
	EXPECT_STREQ(frame(""), sent());
	pkt("m40000000");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("m4000000g,4");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("m40000000,4,");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("m10000000000000000,4");
	EXPECT_STREQ(frame("E01"), sent());
}

TEST(m_length_is_capped)
{
	start_noack();
	pkt("m40000000,ffffffff");
	/* '$' + 2 * 2048 hex + '#xx'. */
	EXPECT_EQ(GDB_PACKET_SIZE + RSP_FRAMING, strlen(sent()));
	EXPECT_EQ(0, strncmp(sent(), "$000102", 7));
}

TEST(m_uses_the_g_thread)
{
	start_noack();
	pkt("Hg2");
	pkt("m40000000,1");
	EXPECT_EQ(2, fake_target.last_mem_tid);
}

TEST(M_writes_memory)
{
	start_noack();
	pkt("M40000100,3:aabbcc");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_MEMEQ("\xaa\xbb\xcc\x03", fake_target.mem + 0x100, 4);
	/* Length mismatch, bad hex: nothing written. */
	pkt("M40000100,3:aabb");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("M40000100,2:zzzz");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("M40000100,2");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(1, fake_target.mem_writes);
	/* Unmapped, and partly mapped. */
	pkt("M1000,1:00");
	EXPECT_STREQ(frame("E03"), sent());
	pkt("M4000ffff,2:0102");
	EXPECT_STREQ(frame("E03"), sent());
}

/* Decode, then act: a range that runs off guest RAM writes no byte. */
TEST(M_and_X_partly_mapped_write_nothing)
{
	static const char xpayload[] = "X4000fffe,4:\x01\x02\x03\x04";

	start_noack();
	pkt("M4000fffc,8:0102030405060708");
	EXPECT_STREQ(frame("E03"), sent());
	pkt_len(xpayload, sizeof(xpayload) - 1);
	EXPECT_STREQ(frame("E03"), sent());
	pkt("M3ffffffe,4:01020304"); /* starts below RAM */
	EXPECT_STREQ(frame("E03"), sent());
	EXPECT_EQ(0, fake_target.mem_writes);
	EXPECT_MEMEQ("\xfc\xfd\xfe\xff", fake_target.mem + 0xfffc, 4);
	EXPECT_MEMEQ("\x00\x01", fake_target.mem, 2);
}

TEST(X_binary_with_escapes)
{
	/* '#', '$', '}' and '*' escaped; 0x00 and 0x03 raw. */
	static const char payload[] = "X40000200,6:}\x03}\x04}]}\x0a\x00\x03";

	start_noack();
	pkt_len(payload, sizeof(payload) - 1);
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_MEMEQ("#$}*\x00\x03\x06", fake_target.mem + 0x200, 7);
	/* The probe gdb sends first. */
	pkt("X40000000,0:");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(1, fake_target.mem_writes);
	/* Count mismatch, dangling escape. */
	pkt("X40000200,2:a");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("X40000200,1:}");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("X40000200,1");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(1, fake_target.mem_writes);
}

/* ---- Breakpoints ---- */

TEST(Z_and_z)
{
	start_noack();
	for (unsigned int type = 0; type <= 4; type++) {
		char p[64];

		snprintf(p, sizeof(p), "Z%u,40001000,%u", type,
			 type < 2 ? 4 : 8);
		pkt(p);
		EXPECT_STREQ(frame("OK"), sent());
		p[0] = 'z';
		pkt(p);
		EXPECT_STREQ(frame("OK"), sent());
	}
	ASSERT_EQ(10, fake_target.nr_bp);
	for (unsigned int i = 0; i < 10; i++) {
		EXPECT_EQ(i % 2 == 0, fake_target.bp[i].insert);
		EXPECT_EQ(i / 2, fake_target.bp[i].type);
		EXPECT_EQ(0x40001000, fake_target.bp[i].addr);
		EXPECT_EQ(i / 2 < 2 ? 4 : 8, fake_target.bp[i].kind);
	}
	fake_target.bp_result = TARGET_UNSUPPORTED;
	pkt("Z1,40001000,4");
	EXPECT_STREQ(frame(""), sent());
	fake_target.bp_result = TARGET_ERROR;
	pkt("Z2,40001000,8");
	EXPECT_STREQ(frame("E02"), sent());
	/* Unknown type: unsupported, and the target never asked. */
	pkt("Z5,40001000,4");
	EXPECT_STREQ(frame(""), sent());
	pkt("Z0,40001000");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("Z0,40001000,4;X1,0");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(12, fake_target.nr_bp);
}

/* ---- Threads ---- */

TEST(thread_packets)
{
	start_noack();
	pkt("qfThreadInfo");
	EXPECT_STREQ(frame("m1,2"), sent());
	pkt("qsThreadInfo");
	EXPECT_STREQ(frame("l"), sent());
	pkt("qC");
	EXPECT_STREQ(frame("QC1"), sent());
	pkt("T1");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("T2");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("T3");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("T0");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("Hg0");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("Hg-1");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("Hc-1");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("Hc0");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("Hg3");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("Hx1");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("Hg2");
	pkt("qC");
	EXPECT_STREQ(frame("QC2"), sent());
	pkt("qThreadExtraInfo,2");
	/* "vCPU1 (EL1)" */
	EXPECT_STREQ(frame("76435055312028454c3129"), sent());
}

/* Read a whole qXfer document in chunks of len; returns it. */
static const char *read_xfer(const char *object, unsigned int len)
{
	static char doc[1 << 15];
	size_t n = 0;

	for (;;) {
		char p[128];
		const char *r;
		size_t rlen;

		snprintf(p, sizeof(p), "qXfer:%s:%zx,%x", object, n, len);
		pkt(p);
		r = sent();
		rlen = strlen(r);
		if (rlen < 5 || r[0] != '$' || (r[1] != 'm' && r[1] != 'l')) {
			test_abort("bad qXfer reply %s to %s", r, p);
		}
		/* Unescape the body (between "$m" and "#xx"). */
		for (size_t i = 2; i < rlen - 3; i++) {
			char c = r[i];

			if (c == '}')
				c = (char)(r[++i] ^ 0x20);
			if (n + 1 >= sizeof(doc))
				test_abort("document too long");
			doc[n++] = c;
		}
		if (r[1] == 'l')
			break;
		if (rlen == 5)
			test_abort("'m' with no data");
	}
	doc[n] = '\0';
	return doc;
}

TEST(qxfer_threads)
{
	static const char want[] =
		"<?xml version=\"1.0\"?><threads>"
		"<thread id=\"1\" core=\"0\" name=\"vCPU0 (EL1)\"/>"
		"<thread id=\"2\" core=\"1\" name=\"vCPU1 (EL1)\"/>"
		"</threads>";
	char p[64];

	start_noack();
	EXPECT_STREQ(want, read_xfer("threads:read:", 0xffff));
	EXPECT_STREQ(want, read_xfer("threads:read:", 7));
	EXPECT_STREQ(want, read_xfer("threads:read:", 1));
	/* A window in the middle, and past the end. */
	pkt("qXfer:threads:read::5,4");
	EXPECT_STREQ(frame("m ver"), sent());
	snprintf(p, sizeof(p), "qXfer:threads:read::%zx,10",
		 sizeof(want) - 1);
	pkt(p);
	EXPECT_STREQ(frame("l"), sent());
	pkt("qXfer:threads:read::1000,10");
	EXPECT_STREQ(frame("l"), sent());
	pkt("qXfer:threads:read::,10");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("qXfer:threads:read:x:0,10");
	EXPECT_STREQ(frame(""), sent());
}

TEST(qxfer_features)
{
	char doc[1 << 15];
	int depth = 0;

	start_noack();
	snprintf(doc, sizeof(doc), "%s",
		 read_xfer("features:read:target.xml", 0xfff));
	EXPECT_STREQ(doc, read_xfer("features:read:target.xml", 100));
	EXPECT_STREQ(doc, read_xfer("features:read:target.xml", 3));
	EXPECT_CONTAINS(doc, "<architecture>aarch64</architecture>");
	EXPECT_CONTAINS(doc, "<feature name=\"org.gnu.gdb.aarch64.core\">");
	EXPECT_CONTAINS(doc, "<feature name=\"org.gnu.gdb.aarch64.fpu\">");
	EXPECT_CONTAINS(doc, "<feature name=\"org.qemu.gdb.arm.sys.regs\">"
			     "<reg name=\"SCTLR\" bitsize=\"64\" regnum=\"68\"");
	EXPECT_CONTAINS(doc, "<reg name=\"SP_EL0\" bitsize=\"64\" "
			     "regnum=\"78\" type=\"int\" group=\"system\"/>");
	EXPECT_CONTAINS(doc, "</feature><feature name=\"org.vigil.aarch64.el\">"
			     "<reg name=\"el\"");
	EXPECT_CONTAINS(doc, "<reg name=\"x0\" bitsize=\"64\" regnum=\"0\" "
			     "type=\"int\"/>");
	EXPECT_CONTAINS(doc, "<reg name=\"cpsr\" bitsize=\"32\" "
			     "regnum=\"33\" type=\"cpsr_flags\"/>");
	EXPECT_CONTAINS(doc, "<reg name=\"v31\" bitsize=\"128\" "
			     "regnum=\"65\" type=\"aarch64v\"/>");
	EXPECT_CONTAINS(doc, "<reg name=\"el\" bitsize=\"64\" regnum=\"84\" "
			     "type=\"uint64\" group=\"system\"/>");
	EXPECT_CONTAINS(doc, "<union id=\"aarch64v\">");
	/* Balanced tags: every <x> closed by </x> or />. */
	for (const char *p = doc; (p = strchr(p, '<')) != NULL; p++) {
		const char *e = strchr(p, '>');

		ASSERT_TRUE(e != NULL);
		if (p[1] == '?' || p[1] == '!')
			continue;
		if (p[1] == '/')
			depth--;
		else if (e[-1] != '/')
			depth++;
		ASSERT_TRUE(depth >= 0);
	}
	EXPECT_EQ(0, depth);
	/* For checking with gdb itself (see the report in the commit). */
	if (getenv("VIGIL_TDESC_OUT") != NULL) {
		FILE *f = fopen(getenv("VIGIL_TDESC_OUT"), "w");

		if (f != NULL) {
			fputs(doc, f);
			fclose(f);
		}
	}
	pkt("qXfer:features:read:other.xml:0,10");
	EXPECT_STREQ(frame("E00"), sent());
	pkt("qXfer:features:read:target.xml0,10");
	EXPECT_STREQ(frame("E00"), sent());
	pkt("qXfer:memory-map:read::0,10");
	EXPECT_STREQ(frame(""), sent());
}

/* ---- Execution ---- */

static void expect_actions(enum target_action a1, enum target_action a2)
{
	EXPECT_EQ(a1, fake_target.last_resume.action[0]);
	EXPECT_EQ(a2, fake_target.last_resume.action[1]);
}

/* Resume with payload, then stop on (reason, tid): the reply. */
static const char *run_and_stop(const char *payload,
				enum target_stop_reason reason,
				unsigned int tid, uint64_t addr)
{
	unsigned int before = fake_target.resumes;

	pkt(payload);
	if (strcmp(sent(), "") != 0 || fake_target.resumes != before + 1)
		test_abort("%s did not resume silently: %s", payload, sent());
	gdb_poll();
	if (strcmp(sent(), "") != 0)
		test_abort("a reply before the stop: %s", sent());
	target_fake_stop(reason, tid, addr);
	gdb_poll();
	return sent();
}

TEST(vcont_forms)
{
	start_noack();
	run_and_stop("vCont;c", STOP_SIGTRAP, 1, 0);
	expect_actions(ACT_CONTINUE, ACT_CONTINUE);
	EXPECT_EQ(1, fake_target.last_resume.resumed_tid);

	/* Step 2, continue the others. */
	run_and_stop("vCont;s:2;c", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_CONTINUE, ACT_STEP);
	EXPECT_EQ(2, fake_target.last_resume.resumed_tid);

	/* Scheduler-locking: 2 alone. */
	run_and_stop("vCont;s:2", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_STOP, ACT_STEP);
	EXPECT_EQ(2, fake_target.last_resume.resumed_tid);

	/* First match wins. */
	run_and_stop("vCont;c:1;s", STOP_SIGTRAP, 1, 0);
	expect_actions(ACT_CONTINUE, ACT_STEP);
	EXPECT_EQ(1, fake_target.last_resume.resumed_tid);

	/* Signals are accepted and treated as plain c/s; -1 is all. */
	run_and_stop("vCont;S05:1;C02:-1", STOP_SIGTRAP, 1, 0);
	expect_actions(ACT_STEP, ACT_CONTINUE);

	/* Range stepping. */
	run_and_stop("vCont;r40001000,40001010:2;c", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_CONTINUE, ACT_RANGE);
	EXPECT_EQ(0x40001000, fake_target.last_resume.range_start);
	EXPECT_EQ(0x40001010, fake_target.last_resume.range_end);
	EXPECT_EQ(2, fake_target.last_resume.resumed_tid);

	/* 't' keeps a thread stopped. */
	run_and_stop("vCont;t:1;c", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_STOP, ACT_CONTINUE);
	EXPECT_EQ(1, fake_target.last_resume.resumed_tid);
}

TEST(vcont_resumed_thread_follows_the_stop)
{
	start_noack();
	run_and_stop("vCont;c", STOP_SWBREAK, 2, 0);
	/* The stop moved gdb's current thread to 2. */
	run_and_stop("vCont;c", STOP_SIGTRAP, 2, 0);
	EXPECT_EQ(2, fake_target.last_resume.resumed_tid);
	pkt("Hg1");
	run_and_stop("vCont;c", STOP_SIGTRAP, 1, 0);
	EXPECT_EQ(1, fake_target.last_resume.resumed_tid);
}

TEST(vcont_malformed)
{
	static const char *const bad[] = {
		"vCont;",          "vCont;x",        "vCont;s:3",
		"vCont;s:0",       "vCont;c:",       "vCont;C",
		"vCont;Cxx",       "vCont;C100",     "vCont;r1000",
		"vCont;r1000,",    "vCont;t",        "vCont;t:1;t:2",
		"vCont;c;",        "vCont;cc",
		"vCont;r1,2:1;r3,4:2",
	};

	start_noack();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pkt(bad[i]);
		if (!EXPECT_STREQ(frame("E01"), sent()))
			test_note("packet %s", bad[i]);
	}
	EXPECT_EQ(0, fake_target.resumes);
	pkt("vContX");
	EXPECT_STREQ(frame(""), sent());
}

TEST(plain_c_and_s)
{
	start_noack();
	run_and_stop("c", STOP_SIGTRAP, 1, 0);
	expect_actions(ACT_CONTINUE, ACT_CONTINUE);
	/* s steps the current thread alone. */
	run_and_stop("s", STOP_SIGTRAP, 1, 0);
	expect_actions(ACT_STEP, ACT_STOP);
	/* An address sets the pc first. */
	run_and_stop("s40002000", STOP_SIGTRAP, 1, 0);
	EXPECT_MEMEQ("\x00\x20\x00\x40\0\0\0\0", fake_target.regs[0][REG_PC],
		     8);
	/* Hc picks the thread. */
	pkt("Hc2");
	run_and_stop("c40003000", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_STOP, ACT_CONTINUE);
	EXPECT_EQ(2, fake_target.last_resume.resumed_tid);
	EXPECT_MEMEQ("\x00\x30\x00\x40\0\0\0\0", fake_target.regs[1][REG_PC],
		     8);
	run_and_stop("S05;40004000", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_STOP, ACT_STEP);
	run_and_stop("C05", STOP_SIGTRAP, 2, 0);
	expect_actions(ACT_STOP, ACT_CONTINUE);
	/* Malformed. */
	pkt("cxyz");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("S");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("C05;");
	EXPECT_STREQ(frame("E01"), sent());
	EXPECT_EQ(6, fake_target.resumes);
}

TEST(stop_replies)
{
	static const struct {
		enum target_stop_reason reason;
		uint64_t addr;
		const char *head;
	} cases[] = {
		{STOP_SIGTRAP, 0, "T05thread:2;"},
		{STOP_SIGINT, 0, "T02thread:2;"},
		{STOP_SWBREAK, 0, "T05thread:2;swbreak:;"},
		{STOP_HWBREAK, 0, "T05thread:2;hwbreak:;"},
		{STOP_WATCH, 0x40000100, "T05thread:2;watch:40000100;"},
		{STOP_RWATCH, 0xffff000012345678ULL,
		 "T05thread:2;rwatch:ffff000012345678;"},
		{STOP_AWATCH, 0, "T05thread:2;awatch:0;"},
	};

	start_noack();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[512];

		snprintf(want, sizeof(want), "%s%s", cases[i].head,
			 expedite(2));
		EXPECT_STREQ(frame(want), run_and_stop("vCont;c",
						       cases[i].reason, 2,
						       cases[i].addr));
	}
	/* One literal, against a wrong helper. */
	EXPECT_STREQ("$T05thread:1;hwbreak:;20:0120000102030405;"
		     "1f:011f000102030405;1d:011d000102030405;"
		     "1e:011e000102030405;21:01210001;#69",
		     run_and_stop("vCont;c", STOP_HWBREAK, 1, 0));
	/* An unreadable register is left out. */
	fake_target.fail_read_reg = REG_X29;
	EXPECT_STREQ(frame("T05thread:1;20:0120000102030405;"
			   "1f:011f000102030405;1e:011e000102030405;"
			   "21:01210001;"),
		     run_and_stop("vCont;c", STOP_SIGTRAP, 1, 0));
	EXPECT_STREQ(frame("W00"),
		     run_and_stop("vCont;c", STOP_EXITED, 1, 0));
	/* `?` repeats the last stop. */
	pkt("?");
	EXPECT_STREQ(frame("W00"), sent());
}

TEST(stop_reply_acked_in_ack_mode)
{
	start();
	pkt("vCont;c");
	EXPECT_STREQ("+", sent());
	clear_out();
	target_fake_stop(STOP_SWBREAK, 1, 0);
	gdb_poll();
	EXPECT_CONTAINS(sent(), "$T05thread:1;swbreak:;");
}

TEST(ctrl_c_interrupts_once)
{
	start_noack();
	pkt("vCont;c");
	feed("\x03");
	EXPECT_EQ(1, fake_target.interrupts);
	feed("\x03");
	EXPECT_EQ(1, fake_target.interrupts);
	EXPECT_STREQ("", sent());
	target_fake_stop(STOP_SIGINT, 1, 0);
	gdb_poll();
	EXPECT_CONTAINS(sent(), "$T02thread:1;");
	/* The next run can be interrupted again. */
	pkt("vCont;c");
	feed("\x03");
	EXPECT_EQ(2, fake_target.interrupts);
}

TEST(packets_while_running_are_dropped)
{
	start();
	pkt("vCont;c");
	pkt("g");
	EXPECT_STREQ("+", sent());
	pkt("m40000000,4");
	EXPECT_STREQ("+", sent());
	EXPECT_EQ(0, fake_target.mem_reads);
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	pkt("qAttached");
	EXPECT_STREQ(acked("1"), sent());
}

/* ---- Non-stop mode ---- */

static bool output_well_formed(const char *p, size_t len);

/* "%payload#cs": a notification as the stub frames it. */
static const char *notification(const char *payload)
{
	static char b[2 * GDB_PACKET_SIZE + 8];

	snprintf(b, sizeof(b), "%%%s", frame(payload) + 1);
	return b;
}

/* The stop reply text "<head>thread:<tid>;<why>" and tid's expedited
 * registers. */
static const char *stop_text(const char *head, unsigned int tid,
			     const char *why)
{
	static char bufs[4][512];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%sthread:%u;%s%s", head, tid, why,
		 expedite(tid));
	return b;
}

static const char *stop_notification(const char *head, unsigned int tid,
				     const char *why)
{
	static char b[600];

	snprintf(b, sizeof(b), "Stop:%s", stop_text(head, tid, why));
	return notification(b);
}

/* A no-ack session in non-stop mode, every thread stopped: entering it
 * lets thread 2 go, which then stops (SIGTRAP, as at an attach). */
static void start_non_stop(void)
{
	start_noack();
	pkt("QNonStop:1");
	if (strcmp(sent(), frame("OK")) != 0 || !fake_target.non_stop ||
	    !fake_target.running[1])
		test_abort("QNonStop:1: %s", sent());
	target_fake_stop(STOP_SIGTRAP, 2, 0);
	gdb_poll();
	pkt("vStopped");
	if (strcmp(sent(), frame("OK")) != 0 || fake_target.running[1])
		test_abort("thread 2 did not stop: %s", sent());
	clear_out();
}

TEST(non_stop_on_and_off)
{
	start_noack();
	/* All-stop knows neither vStopped nor vCtrlC. */
	pkt("vStopped");
	EXPECT_STREQ(frame(""), sent());
	pkt("vCtrlC");
	EXPECT_STREQ(frame(""), sent());
	/* gdb sends QNonStop:0 on every all-stop connection: nothing to do. */
	pkt("QNonStop:0");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(0, fake_target.set_non_stop_calls);
	pkt("QNonStop:2");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("QNonStop:");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("QNonStop:11");
	EXPECT_STREQ(frame("E01"), sent());
	fake_target.refuse_non_stop = true;
	pkt("QNonStop:1");
	EXPECT_STREQ(frame("E02"), sent());
	EXPECT_FALSE(fake_target.non_stop);
	fake_target.refuse_non_stop = false;
	pkt("QNonStop:1");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_TRUE(fake_target.non_stop);
	/* The thread the attach reported stays stopped, the others run. */
	EXPECT_EQ(1, fake_target.resumes);
	expect_actions(ACT_STOP, ACT_CONTINUE);
	EXPECT_FALSE(fake_target.running[0]);
	EXPECT_TRUE(fake_target.running[1]);
	pkt("QNonStop:1");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(2, fake_target.set_non_stop_calls);
	EXPECT_EQ(1, fake_target.resumes);

	/* Back to all-stop: every thread stops first; `?` waits for it. */
	pkt("QNonStop:0");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_FALSE(fake_target.non_stop);
	pkt("?");
	EXPECT_STREQ("", sent());
	target_fake_stop(STOP_SIGINT, 2, 0);
	gdb_poll();
	EXPECT_STREQ(frame(stop_text("T05", 2, "")), sent());
	/* And all-stop it is: a resume waits for its stop reply. */
	pkt("vCont;c");
	EXPECT_STREQ("", sent());
	target_fake_stop(STOP_SWBREAK, 1, 0);
	gdb_poll();
	EXPECT_CONTAINS(sent(), "$T05thread:1;swbreak:;");
}

TEST(non_stop_connect_reports_one_stopped_thread)
{
	/* What gdb sees when it connects: thread 2 (the attach stop was on
	 * it) stopped, thread 1 running. */
	start_noack();
	pkt("vCont;c");
	target_fake_stop(STOP_SWBREAK, 2, 0);
	gdb_poll();
	pkt("QNonStop:1");
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_CONTINUE, ACT_STOP);
	pkt("?");
	EXPECT_STREQ(frame(stop_text("T05", 2, "swbreak:;")), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
}

TEST(non_stop_question_reports_every_stopped_thread)
{
	start_non_stop();
	pkt("?");
	EXPECT_STREQ(frame(stop_text("T05", 1, "")), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame(stop_text("T05", 2, "")), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	/* Nothing open: OK again. */
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());

	/* Thread 1 runs: only 2 is reported; then neither: OK. */
	pkt("vCont;c:1");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("?");
	EXPECT_STREQ(frame(stop_text("T05", 2, "")), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("vCont;c:2");
	pkt("?");
	EXPECT_STREQ(frame("OK"), sent());
}

TEST(non_stop_resume_one_thread_then_notification)
{
	start_non_stop();
	pkt("vCont;c:1");
	/* OK at once; thread 2 is left as it is. */
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_CONTINUE, ACT_STOP);
	EXPECT_TRUE(fake_target.running[0]);
	EXPECT_FALSE(fake_target.running[1]);
	/* Packets are served while thread 1 runs. */
	pkt("Hg2");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("p20");
	EXPECT_STREQ(frame(reg_hex(2, REG_PC)), sent());
	pkt("m40000000,2");
	EXPECT_STREQ(frame("0001"), sent());
	pkt("Z0,40000010,4");
	EXPECT_STREQ(frame("OK"), sent());
	clear_out();
	gdb_poll();
	EXPECT_STREQ("", sent());

	/* Thread 1 hits a breakpoint: a notification, then vStopped. */
	target_fake_stop(STOP_SWBREAK, 1, 0);
	gdb_poll();
	EXPECT_STREQ(stop_notification("T05", 1, "swbreak:;"), sent());
	/* Not on the thread gdb looks at: that is still 2. */
	pkt("qC");
	EXPECT_STREQ(frame("QC2"), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());

	/* vCont;c:2;s:1: both go, each on its own. */
	pkt("vCont;c:2;s:1");
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_STEP, ACT_CONTINUE);
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T05", 1, ""), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_TRUE(fake_target.running[1]);
}

TEST(non_stop_stops_queue_behind_one_notification)
{
	start_non_stop();
	pkt("vCont;c");
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_CONTINUE, ACT_CONTINUE);
	target_fake_stop(STOP_HWBREAK, 2, 0);
	target_fake_stop(STOP_WATCH, 1, 0x40000100);
	clear_out();
	gdb_poll();
	/* One notification; the other stop waits for vStopped. */
	EXPECT_STREQ(stop_notification("T05", 2, "hwbreak:;"), sent());
	pkt("vStopped");
	/* A reply this time, not a notification. */
	EXPECT_STREQ(frame(stop_text("T05", 1, "watch:40000100;")), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	/* The sequence is over: the next stop is a notification again. */
	pkt("vCont;c:1");
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T05", 1, ""), sent());
}

TEST(non_stop_stop_not_yet_sent_keeps_its_thread_stopped)
{
	start_non_stop();
	pkt("vCont;c");
	target_fake_stop(STOP_SWBREAK, 1, 0);
	target_fake_stop(STOP_SWBREAK, 2, 0);
	gdb_poll();
	/* gdb has thread 1's stop, not 2's: even named, 2 stays stopped. */
	pkt("vCont;c:1;c:2");
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_CONTINUE, ACT_STOP);
	pkt("vStopped");
	EXPECT_CONTAINS(sent(), "$T05thread:2;swbreak:;");
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	/* Sent now: 2 may go. */
	pkt("vCont;c:2");
	expect_actions(ACT_STOP, ACT_CONTINUE);
}

TEST(non_stop_wildcard_leaves_unacknowledged_stops_stopped)
{
	start_non_stop();
	pkt("vCont;c:2");
	/* gdb asks thread 2 to stop; its stop is sent, not yet acked, when
	 * gdb (believing 2 still runs) continues "all": 2 stays stopped. */
	pkt("vCont;t:2");
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T00", 2, ""), sent());
	pkt("vCont;c");
	expect_actions(ACT_CONTINUE, ACT_STOP);
	EXPECT_FALSE(fake_target.running[1]);
	/* Named explicitly, it goes (gdb has seen the stop). */
	pkt("vCont;c:2");
	expect_actions(ACT_STOP, ACT_CONTINUE);
	EXPECT_TRUE(fake_target.running[1]);
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
}

TEST(non_stop_vcont_t_stops_threads_with_signal_0)
{
	start_non_stop();
	pkt("vCont;c");
	/* `interrupt`: one thread. */
	pkt("vCont;t:2");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(1, fake_target.stop_thread_calls);
	EXPECT_EQ(2, fake_target.last_stop_thread_tid);
	EXPECT_EQ(STOP_HALTED, fake_target.last_stop_thread_why);
	expect_actions(ACT_STOP, ACT_STOP);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T00", 2, ""), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_TRUE(fake_target.running[0]);
	/* `interrupt -a`: every thread; 2 is stopped already. */
	pkt("vCont;t");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(3, fake_target.stop_thread_calls);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T00", 1, ""), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	/* Mixed: stop 1... it is stopped; continue 2. */
	pkt("vCont;t:1;c:2");
	EXPECT_STREQ(frame("OK"), sent());
	expect_actions(ACT_STOP, ACT_CONTINUE);
	EXPECT_FALSE(fake_target.running[0]);
	EXPECT_TRUE(fake_target.running[1]);
	/* Still malformed in non-stop mode. */
	pkt("vCont;t:3");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("vCont;x");
	EXPECT_STREQ(frame("E01"), sent());
}

TEST(non_stop_ctrl_c_stops_one_running_thread)
{
	start_non_stop();
	/* Nothing runs: nothing to stop. */
	pkt("vCtrlC");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(0, fake_target.stop_thread_calls);
	/* Thread 2 runs, gdb looks at 1: 2 is the one that runs. */
	pkt("vCont;c:2");
	pkt("vCtrlC");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(2, fake_target.last_stop_thread_tid);
	EXPECT_EQ(STOP_SIGINT, fake_target.last_stop_thread_why);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(stop_notification("T02", 2, ""), sent());
	pkt("vStopped");
	/* Both run: the one Hc names. */
	pkt("Hc2");
	pkt("vCont;c");
	pkt("vCtrlC");
	EXPECT_EQ(2, fake_target.last_stop_thread_tid);
	EXPECT_TRUE(fake_target.running[0]);
	/* A raw 0x03: the same, without a reply. */
	clear_out();
	gdb_poll();
	pkt("vStopped");
	pkt("Hc1");
	clear_out();
	feed("\x03");
	EXPECT_STREQ("", sent());
	EXPECT_EQ(3, fake_target.stop_thread_calls);
	EXPECT_EQ(1, fake_target.last_stop_thread_tid);
	EXPECT_EQ(STOP_SIGINT, fake_target.last_stop_thread_why);
}

TEST(non_stop_notifications_in_ack_mode)
{
	start();
	pkt("QNonStop:1");
	EXPECT_STREQ(acked("OK"), sent());
	pkt("vCont;c:1");
	EXPECT_STREQ(acked("OK"), sent());
	clear_out();
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	/* Notifications are not acked by gdb, and '-' never resends one. */
	EXPECT_STREQ(stop_notification("T05", 1, ""), sent());
	clear_out();
	feed("-");
	EXPECT_STREQ(frame("OK"), sent());
	pkt("vStopped");
	EXPECT_STREQ(acked("OK"), sent());
}

TEST(non_stop_exit_and_detach)
{
	start_non_stop();
	pkt("vCont;c");
	target_fake_stop(STOP_EXITED, 1, 0);
	clear_out();
	gdb_poll();
	EXPECT_STREQ(notification("Stop:W00"), sent());
	pkt("vStopped");
	EXPECT_STREQ(frame("OK"), sent());
	/* Detach with a thread running: the target cleans up. */
	pkt("D");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(1, fake_target.detaches);
	EXPECT_TRUE(gdb_should_close());
	gdb_close();
	/* The next session starts in all-stop mode. */
	gdb_open();
	EXPECT_FALSE(fake_target.non_stop);
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	pkt("vCont;c");
	EXPECT_STREQ("+", sent());
}

static const char *const non_stop_seeds[] = {
	"QNonStop:1", "QNonStop:0", "vStopped", "vCtrlC", "?", "vCont;t",
	"vCont;t:1", "vCont;c:2", "vCont;s:1;c", "vCont;c", "c", "s", "Hg2",
	"Hc1", "g", "m40000000,10", "Z0,40000000,4", "qC", "D", "k",
};

TEST(fuzz_non_stop_sequences)
{
	struct test_rng rng = test_rng_init(0x40057);
	unsigned int notifications = 0;

	start_noack();
	pkt("QNonStop:1");
	for (int iter = 0; iter < 20000; iter++) {
		const char *seed = non_stop_seeds[test_rng_below(
			&rng, sizeof(non_stop_seeds) / sizeof(non_stop_seeds[0]))];

		pkt(seed);
		if (test_rng_below(&rng, 3) == 0)
			feed("\x03");
		if (test_rng_below(&rng, 2) == 0)
			target_fake_stop(
				(enum target_stop_reason)test_rng_below(&rng, 5),
				1 + (unsigned)test_rng_below(&rng, 2), 0);
		gdb_poll();
		ASSERT_FALSE(out_overflow);
		/* Notifications, replies: each well formed ('%' as '$'). */
		for (size_t i = 0; i < out_len; i++) {
			if (out[i] == '%') {
				out[i] = '$';
				notifications++;
			}
		}
		if (!output_well_formed(out, out_len)) {
			test_note("iteration %d: %s", iter, sent());
			test_abort("malformed output");
		}
		if (gdb_should_close()) {
			gdb_close();
			gdb_open();
			target_fake_stop(STOP_SIGTRAP, 1, 0);
			gdb_poll();
			pkt("QStartNoAckMode");
			pkt("QNonStop:1");
		}
	}
	test_note("notifications: %u", notifications);
	EXPECT_NE(0, notifications);
}

/* ---- Monitor ---- */

static void monitor(const char *cmd)
{
	char p[512] = "qRcmd,";

	rsp_hex_encode((const uint8_t *)cmd, strlen(cmd), p + 6);
	p[6 + 2 * strlen(cmd)] = '\0';
	pkt(p);
}

/* The console text of O packets in the output, and the final reply. */
static const char *console(const char **final)
{
	static char text[8192], last[64];
	const char *p = sent();
	size_t n = 0;

	last[0] = '\0';
	while (*p == '$') {
		const char *end = strchr(p, '#');

		if (end == NULL)
			break;
		if (p[1] == 'O' && strncmp(p, "$OK#", 4) != 0) {
			uint8_t buf[4096];
			size_t hexlen = (size_t)(end - p - 2);

			if (!rsp_hex_decode((const uint8_t *)p + 2, hexlen,
					    buf, sizeof(buf)))
				break;
			memcpy(text + n, buf, hexlen / 2);
			n += hexlen / 2;
		} else {
			snprintf(last, sizeof(last), "%.*s", (int)(end - p - 1),
				 p + 1);
		}
		p = end + 3;
	}
	text[n] = '\0';
	*final = last;
	return text;
}

TEST(monitor_commands)
{
	const char *final;

	start_noack();
	monitor("help");
	EXPECT_CONTAINS(console(&final), "phys [on|off]");
	EXPECT_CONTAINS(console(&final), "step-irqs [on|off]");
	EXPECT_STREQ("OK", final);

	monitor("phys on");
	EXPECT_STREQ("phys is on\n", console(&final));
	EXPECT_STREQ("OK", final);
	EXPECT_TRUE(fake_target.phys);
	monitor("  phys   off  ");
	EXPECT_STREQ("phys is off\n", console(&final));
	EXPECT_FALSE(fake_target.phys);
	monitor("phys");
	EXPECT_STREQ("phys is off\n", console(&final));
	monitor("phys maybe");
	EXPECT_STREQ("usage: monitor phys [on|off]\n", console(&final));
	EXPECT_STREQ("E01", final);

	monitor("step-irqs on");
	EXPECT_STREQ("step-irqs is on\n", console(&final));
	EXPECT_TRUE(fake_target.step_irqs);
	monitor("step-irqs off");
	EXPECT_FALSE(fake_target.step_irqs);

	monitor("vcpus");
	EXPECT_STREQ("vCPU0 stopped EL1\nvCPU1 stopped EL1\n",
		     console(&final));
	EXPECT_STREQ("OK", final);
	monitor("stats");
	EXPECT_STREQ("steps 0\n", console(&final));

	monitor("reset");
	EXPECT_EQ(1, fake_target.resets);
	EXPECT_STREQ("OK", final);

	monitor("frobnicate");
	EXPECT_STREQ("unknown monitor command 'frobnicate'; try 'monitor "
		     "help'\n",
		     console(&final));
	EXPECT_STREQ("E01", final);

	pkt("qRcmd,6");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("qRcmd,zz");
	EXPECT_STREQ(frame("E01"), sent());
	pkt("qRcmd,6800");
	EXPECT_STREQ(frame("E01"), sent());
}

TEST(monitor_long_output_is_split)
{
	static char big[3000];
	const char *final;

	start_noack();
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fake_target.vcpus_text = big;
	monitor("vcpus");
	EXPECT_STREQ(big, console(&final));
	EXPECT_STREQ("OK", final);
}

/* ---- Ending ---- */

TEST(detach)
{
	start();
	pkt("D");
	EXPECT_STREQ(acked("OK"), sent());
	EXPECT_EQ(1, fake_target.detaches);
	EXPECT_TRUE(gdb_should_close());
	/* Nothing more is answered, and closing does not detach twice. */
	pkt("qAttached");
	EXPECT_STREQ("", sent());
	gdb_close();
	EXPECT_EQ(1, fake_target.detaches);
	EXPECT_FALSE(gdb_should_close());

	start_noack();
	pkt("D;1");
	EXPECT_STREQ(frame("OK"), sent());
	EXPECT_EQ(1, fake_target.detaches);
}

TEST(kill)
{
	start_noack();
	pkt("k");
	EXPECT_STREQ("", sent());
	EXPECT_EQ(1, fake_target.kills);
	EXPECT_TRUE(gdb_should_close());
	gdb_close();
	EXPECT_EQ(0, fake_target.detaches);
}

/* ---- Read-only sessions (gdb.readonly) ---- */

#define RO_REGS "E.vigil: read-only session (gdb.readonly): registers cannot be written"
#define RO_MEM "E.vigil: read-only session (gdb.readonly): memory cannot be written"
#define RO_BREAK "E.vigil: read-only session (gdb.readonly): no breakpoints or watchpoints"

TEST(readonly_refuses_changes)
{
	static const char xpayload[] = "X40000100,1:\x01";
	const char *final;

	start_noack();
	gdb_set_readonly(true);
	/* Reads work. */
	pkt("m40000010,4");
	EXPECT_STREQ(frame("10111213"), sent());
	pkt("p20");
	EXPECT_STREQ(frame("0120000102030405"), sent());
	pkt("?");
	EXPECT_EQ(0, strncmp(sent(), "$T05", 4));
	/* Writes do not, whatever their kind. */
	pkt("G11111111111111112222222222222222");
	EXPECT_STREQ(frame(RO_REGS), sent());
	pkt("P20=efbeadde00000000");
	EXPECT_STREQ(frame(RO_REGS), sent());
	pkt("M40000100,3:aabbcc");
	EXPECT_STREQ(frame(RO_MEM), sent());
	pkt_len(xpayload, sizeof(xpayload) - 1);
	EXPECT_STREQ(frame(RO_MEM), sent());
	/* gdb's probe for X changes nothing. */
	pkt("X40000000,0:");
	EXPECT_STREQ(frame("OK"), sent());
	for (unsigned int type = 0; type <= 4; type++) {
		char z[32];
		snprintf(z, sizeof(z), "Z%u,40001000,4", type);
		pkt(z);
		EXPECT_STREQ(frame(RO_BREAK), sent());
		z[0] = 'z';
		pkt(z);
		EXPECT_STREQ(frame(RO_BREAK), sent());
	}
	/* Malformed is still malformed: decoding comes first. */
	pkt("M40000100,3:aabb");
	EXPECT_STREQ(frame("E01"), sent());
	/* Resuming at another address would write pc. */
	pkt("c40002000");
	EXPECT_STREQ(frame(RO_REGS), sent());
	clear_out();
	monitor("reset");
	EXPECT_STREQ("monitor reset refused: this is a read-only session "
		     "(gdb.readonly = on)\n", console(&final));
	EXPECT_STREQ("E01", final);
	EXPECT_EQ(0, fake_target.resets);
	EXPECT_EQ(0, fake_target.reg_writes);
	EXPECT_EQ(0, fake_target.mem_writes);
	EXPECT_EQ(0, fake_target.nr_bp);
	EXPECT_EQ(0, fake_target.resumes);
	/* Stepping and continuing are allowed. */
	pkt("vCont;s:1");
	EXPECT_EQ(1, fake_target.resumes);
	gdb_set_readonly(false);
}

TEST(readonly_kill)
{
	start_noack();
	gdb_set_readonly(true);
	fake_target.kill_resets = true;
	pkt("k");
	EXPECT_STREQ(frame("E.vigil: read-only session (gdb.readonly): kill "
			   "would reset the guest (gdb.on_kill = reset)"),
		     sent());
	EXPECT_EQ(0, fake_target.kills);
	EXPECT_FALSE(gdb_should_close());
	/* gdb.on_kill = stop changes nothing in the guest: allowed. */
	fake_target.kill_resets = false;
	pkt("k");
	EXPECT_EQ(1, fake_target.kills);
	EXPECT_TRUE(gdb_should_close());
	gdb_close();
	gdb_set_readonly(false);
}

TEST(close_detaches_in_every_state)
{
	start();
	gdb_close();
	EXPECT_EQ(1, fake_target.detaches);

	start();
	pkt("vCont;c");
	gdb_close();
	EXPECT_EQ(1, fake_target.detaches);

	target_fake_reset();
	gdb_open();
	gdb_close();
	EXPECT_EQ(1, fake_target.detaches);
	/* Input after close is ignored. */
	pkt("qAttached");
	EXPECT_STREQ("", sent());
}

TEST(new_session_starts_clean)
{
	start_noack();
	pkt("Hg2");
	pkt("Hc2");
	monitor("phys on");
	gdb_close();
	start();
	/* Ack mode again, thread 1 (the stop), phys off. */
	pkt("qC");
	EXPECT_STREQ(acked("QC1"), sent());
	EXPECT_FALSE(fake_target.phys);
	pkt("s");
	expect_actions(ACT_STEP, ACT_STOP);
}

TEST(input_during_attach_is_kept)
{
	target_fake_reset();
	clear_out();
	gdb_open();
	/* gdb's opening, split oddly, before the guest has stopped. */
	feed("+");
	feed(frame("qSupported:swbreak+"));
	gdb_poll();
	EXPECT_STREQ("", sent());
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	EXPECT_CONTAINS(sent(), "+$PacketSize=1000;");
	/* Flooding while attaching: bounded, and the stub recovers. */
	gdb_close();
	target_fake_reset();
	gdb_open();
	for (int i = 0; i < 1000; i++)
		feed(frame("qAttached"));
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	pkt("QStartNoAckMode");
	pkt("qC");
	EXPECT_STREQ(frame("QC1"), sent());
}

/* ---- Robustness ---- */

/* Every byte sent is '+', '-' or a well-formed packet. */
static bool output_well_formed(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start;

		if (p[i] == '+' || p[i] == '-') {
			i++;
			continue;
		}
		if (p[i] != '$')
			return false;
		start = ++i;
		while (i < len && p[i] != '#')
			i++;
		if (i + 3 > len || i - start > GDB_PACKET_SIZE)
			return false;
		{
			char cs[3] = {p[i + 1], p[i + 2], 0};

			if (strtoul(cs, NULL, 16) !=
			    rsp_checksum(p + start, i - start))
				return false;
		}
		i += 3;
	}
	return true;
}

static const char *const seeds[] = {
	"g", "G00", "p20", "P20=0000000000000000", "m40000000,10",
	"M40000000,2:abcd", "X40000000,2:ab", "Z0,40000000,4",
	"z0,40000000,4", "Z2,40000000,8", "vCont;c", "vCont;s:1",
	"vCont;r40000000,40000010:2;c", "vCont?", "c", "s", "Hg1", "Hc-1",
	"T1", "qC", "qfThreadInfo", "qXfer:features:read:target.xml:0,fff",
	"qXfer:threads:read::0,fff", "qRcmd,68656c70", "qSupported",
	"QStartNoAckMode", "?", "D", "k", "qRcmd,7068797320",
};

TEST(fuzz_random_and_mutated_packets)
{
	static uint8_t p[GDB_PACKET_SIZE + 64];
	struct test_rng rng = test_rng_init(0x5eed6db);
	unsigned int reopen = 0;

	start();
	for (int iter = 0; iter < 20000; iter++) {
		size_t len;
		unsigned int mode = (unsigned int)test_rng_below(&rng, 4);

		if (mode == 0) {
			/* Pure noise, including '$', '#' and 0x03. */
			len = (size_t)test_rng_below(&rng, 64);
			for (size_t i = 0; i < len; i++)
				p[i] = (uint8_t)test_rng_next(&rng);
			clear_out();
			feed_bytes(p, len);
		} else {
			const char *seed = seeds[test_rng_below(
				&rng, sizeof(seeds) / sizeof(seeds[0]))];

			len = strlen(seed);
			memcpy(p, seed, len);
			/* Mutate: flip, insert, truncate, extend. */
			for (unsigned int m = 0; m < mode * 2; m++) {
				size_t at = len ? (size_t)test_rng_below(
							  &rng, len)
						: 0;

				switch (test_rng_below(&rng, 4)) {
				case 0:
					if (len)
						p[at] = (uint8_t)test_rng_next(
							&rng);
					break;
				case 1:
					if (len < GDB_PACKET_SIZE + 32)
						p[len++] = (uint8_t)(
							"0123456789abcdef,:;-}"
							[test_rng_below(&rng,
									21)]);
					break;
				case 2:
					len = at;
					break;
				default:
					if (test_rng_below(&rng, 50) == 0) {
						memset(p + len, 'f',
						       GDB_PACKET_SIZE + 10 -
							       len);
						len = GDB_PACKET_SIZE + 10;
					}
					break;
				}
			}
			if (test_rng_below(&rng, 8) == 0) {
				/* A bad checksum. */
				clear_out();
				feed_bytes("$", 1);
				feed_bytes(p, len);
				feed_bytes("#00", 3);
			} else {
				pkt_len(p, len);
			}
		}
		ASSERT_FALSE(out_overflow);
		if (!output_well_formed(out, out_len)) {
			test_note("iteration %d: %s", iter, sent());
			test_abort("malformed output");
		}
		/* Let any resume finish; reopen after D/k. */
		if (test_rng_below(&rng, 2) == 0)
			target_fake_stop(STOP_SIGTRAP,
					 1 + (unsigned)test_rng_below(&rng, 2),
					 0);
		gdb_poll();
		if (gdb_should_close()) {
			gdb_close();
			gdb_open();
			reopen++;
			target_fake_stop(STOP_SIGTRAP, 1, 0);
			gdb_poll();
		}
	}
	/* Whatever state it is in, a stop and a fresh packet still work. */
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	feed("\x03");
	target_fake_stop(STOP_SIGTRAP, 1, 0);
	gdb_poll();
	feed("$#00"); /* ends any packet in progress */
	pkt("qSupported");
	EXPECT_CONTAINS(sent(), "PacketSize=1000;");
	test_note("sessions reopened: %u", reopen);
	EXPECT_NE(0, reopen);
}

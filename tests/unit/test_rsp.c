/*
 * debug/rsp.c: the remote protocol's framing, hex and binary encodings and
 * the argument cursor, byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include "rsp.h"
#include "test.h"

static struct rsp_decoder dec;

/* Feed a string; return the last event that was not RSP_EV_NONE. */
static enum rsp_event feed(const char *s, size_t len)
{
	enum rsp_event last = RSP_EV_NONE, ev;

	for (size_t i = 0; i < len; i++) {
		ev = rsp_feed(&dec, (uint8_t)s[i]);
		if (ev != RSP_EV_NONE)
			last = ev;
	}
	return last;
}

#define FEED(s) feed((s), sizeof(s) - 1)

TEST(packet_and_checksum)
{
	rsp_decoder_reset(&dec);
	EXPECT_EQ(RSP_EV_PACKET, FEED("$OK#9a"));
	EXPECT_EQ(2, dec.len);
	EXPECT_STREQ("OK", (const char *)dec.buf);
	/* Upper-case checksum digits are fine too. */
	EXPECT_EQ(RSP_EV_PACKET, FEED("$E01#A6"));
	EXPECT_STREQ("E01", (const char *)dec.buf);
	EXPECT_EQ(RSP_EV_PACKET, FEED("$#00"));
	EXPECT_EQ(0, dec.len);
}

TEST(bad_checksum)
{
	rsp_decoder_reset(&dec);
	EXPECT_EQ(RSP_EV_BAD_CHECKSUM, FEED("$OK#9b"));
	EXPECT_EQ(RSP_EV_BAD_CHECKSUM, FEED("$OK#zz"));
	EXPECT_EQ(RSP_EV_BAD_CHECKSUM, FEED("$OK#9"
					    "g"));
	/* And the next good one still decodes. */
	EXPECT_EQ(RSP_EV_PACKET, FEED("$OK#9a"));
}

TEST(split_anywhere)
{
	const char *pkt = "$qC#b4";

	for (size_t cut = 0; cut < strlen(pkt); cut++) {
		rsp_decoder_reset(&dec);
		EXPECT_EQ(RSP_EV_NONE, feed(pkt, cut));
		EXPECT_EQ(RSP_EV_PACKET, feed(pkt + cut, strlen(pkt) - cut));
		EXPECT_STREQ("qC", (const char *)dec.buf);
	}
}

TEST(acks_break_and_noise)
{
	rsp_decoder_reset(&dec);
	EXPECT_EQ(RSP_EV_ACK, rsp_feed(&dec, '+'));
	EXPECT_EQ(RSP_EV_NAK, rsp_feed(&dec, '-'));
	EXPECT_EQ(RSP_EV_BREAK, rsp_feed(&dec, 0x03));
	EXPECT_EQ(RSP_EV_NONE, rsp_feed(&dec, 'x'));
	EXPECT_EQ(RSP_EV_NONE, rsp_feed(&dec, '\n'));
	/* Inside a packet these are data (X carries raw 0x03, '+', '-'). */
	EXPECT_EQ(RSP_EV_PACKET, FEED("$+-\x03#5b"));
	EXPECT_EQ(3, dec.len);
	EXPECT_MEMEQ("+-\x03", dec.buf, 3);
}

TEST(dollar_resyncs)
{
	rsp_decoder_reset(&dec);
	EXPECT_EQ(RSP_EV_PACKET, FEED("$garbage$OK#9a"));
	EXPECT_STREQ("OK", (const char *)dec.buf);
}

TEST(too_long_then_resync)
{
	static char big[GDB_PACKET_SIZE + 100];
	uint8_t sum = 0;
	size_t n = 0;

	rsp_decoder_reset(&dec);
	big[n++] = '$';
	for (size_t i = 0; i < GDB_PACKET_SIZE + 1; i++) {
		big[n++] = 'a';
		sum = (uint8_t)(sum + 'a');
	}
	n += (size_t)sprintf(big + n, "#%02x", sum);
	EXPECT_EQ(RSP_EV_TOO_LONG, feed(big, n));
	EXPECT_EQ(GDB_PACKET_SIZE, dec.len);
	EXPECT_EQ(RSP_EV_PACKET, FEED("$OK#9a"));
	EXPECT_STREQ("OK", (const char *)dec.buf);

	/* Exactly GDB_PACKET_SIZE is accepted. */
	n = 0;
	sum = 0;
	big[n++] = '$';
	for (size_t i = 0; i < GDB_PACKET_SIZE; i++) {
		big[n++] = 'b';
		sum = (uint8_t)(sum + 'b');
	}
	n += (size_t)sprintf(big + n, "#%02x", sum);
	EXPECT_EQ(RSP_EV_PACKET, feed(big, n));
	EXPECT_EQ(GDB_PACKET_SIZE, dec.len);
}

TEST(frame)
{
	char out[16];

	EXPECT_EQ(6, rsp_frame("OK", 2, out, sizeof(out)));
	EXPECT_MEMEQ("$OK#9a", out, 6);
	EXPECT_EQ(0, rsp_frame("OK", 2, out, 5));
}

TEST(hex_codec)
{
	uint8_t out[4] = {0xee, 0xee, 0xee, 0xee};
	char text[9] = {0};

	EXPECT_TRUE(rsp_hex_decode((const uint8_t *)"00aBfF", 6, out, 4));
	EXPECT_MEMEQ("\x00\xab\xff\xee", out, 4);
	rsp_hex_encode(out, 3, text);
	EXPECT_STREQ("00abff", text);
	/* Odd length, a bad digit, too long: nothing written. */
	memset(out, 0xee, sizeof(out));
	EXPECT_FALSE(rsp_hex_decode((const uint8_t *)"123", 3, out, 4));
	EXPECT_FALSE(rsp_hex_decode((const uint8_t *)"12g4", 4, out, 4));
	EXPECT_FALSE(rsp_hex_decode((const uint8_t *)"0102030405", 10, out,
				    4));
	EXPECT_MEMEQ("\xee\xee\xee\xee", out, 4);
}

TEST(unescape)
{
	uint8_t out[8];
	size_t n = 99;

	EXPECT_TRUE(rsp_unescape((const uint8_t *)"a}\x03}]}\x04}\x0a", 9,
				 out, sizeof(out), &n));
	EXPECT_EQ(5, n);
	EXPECT_MEMEQ("a#}$*", out, 5);
	EXPECT_FALSE(rsp_unescape((const uint8_t *)"ab}", 3, out,
				  sizeof(out), &n));
	EXPECT_FALSE(rsp_unescape((const uint8_t *)"abc", 3, out, 2, &n));
	EXPECT_TRUE(rsp_needs_escape('#'));
	EXPECT_TRUE(rsp_needs_escape('$'));
	EXPECT_TRUE(rsp_needs_escape('}'));
	EXPECT_TRUE(rsp_needs_escape('*'));
	EXPECT_FALSE(rsp_needs_escape('a'));
}

TEST(cursor_hex)
{
	struct rsp_cursor c;
	uint64_t v = 0;

	c = rsp_cursor((const uint8_t *)"ffffffffffffffff,1", 18);
	EXPECT_TRUE(rsp_take_hex(&c, &v));
	EXPECT_EQ(~0ULL, v);
	EXPECT_TRUE(rsp_take_char(&c, ','));
	EXPECT_TRUE(rsp_take_hex(&c, &v));
	EXPECT_EQ(1, v);
	EXPECT_TRUE(rsp_at_end(&c));
	/* 65 bits: refused, cursor not moved. */
	c = rsp_cursor((const uint8_t *)"10000000000000000", 17);
	EXPECT_FALSE(rsp_take_hex(&c, &v));
	EXPECT_EQ(17, rsp_left(&c));
	/* Leading zeros do not count. */
	c = rsp_cursor((const uint8_t *)"00000000000000000001", 20);
	EXPECT_TRUE(rsp_take_hex(&c, &v));
	EXPECT_EQ(1, v);
	c = rsp_cursor((const uint8_t *)",", 1);
	EXPECT_FALSE(rsp_take_hex(&c, &v));
	c = rsp_cursor((const uint8_t *)"qC", 2);
	EXPECT_TRUE(rsp_is(&c, "qC"));
	EXPECT_FALSE(rsp_is(&c, "q"));
	EXPECT_TRUE(rsp_take(&c, "q"));
	EXPECT_FALSE(rsp_take(&c, "CC"));
	EXPECT_TRUE(rsp_take(&c, "C"));
	EXPECT_TRUE(rsp_at_end(&c));
}

/*
 * The GDB remote serial protocol's wire format: $payload#cs framing with
 * acks, break-in detection, hex and binary ('}'-escaped) encodings, and a
 * cursor for parsing packet arguments strictly. No session state lives
 * here (gdb.c has it), so every piece is testable on its own.
 */
#ifndef DEBUG_RSP_H
#define DEBUG_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gdb.h"

#define RSP_START '$'
#define RSP_END '#'
#define RSP_ESCAPE '}'
#define RSP_ESCAPE_XOR 0x20
#define RSP_ACK '+'
#define RSP_NAK '-'
#define RSP_BREAK 0x03 /* Ctrl-C, outside a packet */
/* '$', '#' and checksum digits around a payload. */
#define RSP_FRAMING 4

/* What one byte of input completed. */
enum rsp_event {
	RSP_EV_NONE,         /* nothing yet (or noise between packets) */
	RSP_EV_PACKET,       /* a packet with a good checksum: see buf/len */
	RSP_EV_BAD_CHECKSUM, /* a packet to NAK and drop */
	RSP_EV_TOO_LONG,     /* good checksum, payload over GDB_PACKET_SIZE */
	RSP_EV_BREAK,        /* 0x03 between packets */
	RSP_EV_ACK,          /* '+' from the client */
	RSP_EV_NAK,          /* '-': the client wants our last packet again */
};

struct rsp_decoder {
	enum { RSP_IDLE, RSP_PAYLOAD, RSP_CSUM1, RSP_CSUM2 } state;
	bool overflow;
	uint8_t sum;      /* running checksum of the payload */
	uint8_t rx_sum;   /* the checksum as received */
	bool rx_sum_ok;   /* both checksum characters were hex digits */
	size_t len;
	/* The payload, NUL-terminated for convenience (it may hold NULs). */
	uint8_t buf[GDB_PACKET_SIZE + 1];
};

void rsp_decoder_reset(struct rsp_decoder *d);
/* Feed one byte. After RSP_EV_PACKET, d->buf/d->len hold the payload
 * until the next call. */
enum rsp_event rsp_feed(struct rsp_decoder *d, uint8_t byte);

uint8_t rsp_checksum(const void *data, size_t len);
/* "$payload#cs" into out (capacity cap); returns its length or 0. */
size_t rsp_frame(const void *payload, size_t len, char *out, size_t cap);

/* -1 if c is not a hex digit. */
int rsp_hex_value(uint8_t c);
/* Two hex characters per byte, lower case; out holds 2 * len. */
void rsp_hex_encode(const uint8_t *data, size_t len, char *out);
/* Exactly hexlen / 2 bytes from hexlen hex characters; false (and nothing
 * written past cap) if hexlen is odd, a character is not hex or the result
 * does not fit. */
bool rsp_hex_decode(const uint8_t *hex, size_t hexlen, uint8_t *out,
		    size_t cap);

/* Undo '}' escaping: false on a dangling escape or more than cap bytes. */
bool rsp_unescape(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		  size_t *out_len);
/* Whether a byte must be escaped in binary data we send. */
bool rsp_needs_escape(uint8_t c);

/* A parsing cursor over one packet's payload. */
struct rsp_cursor {
	const uint8_t *p;
	const uint8_t *end;
};

struct rsp_cursor rsp_cursor(const uint8_t *data, size_t len);
size_t rsp_left(const struct rsp_cursor *c);
bool rsp_at_end(const struct rsp_cursor *c);
/* Consume the exact text s if it comes next. */
bool rsp_take(struct rsp_cursor *c, const char *s);
bool rsp_take_char(struct rsp_cursor *c, char ch);
/* Whether exactly the text s is left (nothing is consumed). */
bool rsp_is(const struct rsp_cursor *c, const char *s);
/* One or more hex digits, at most 64 bits' worth of value. */
bool rsp_take_hex(struct rsp_cursor *c, uint64_t *value);

#endif

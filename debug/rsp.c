/*
 * The GDB remote serial protocol's wire format (see rsp.h). The decoder
 * takes one byte at a time so that a packet may arrive split across any
 * number of TCP segments, and it never holds more than GDB_PACKET_SIZE
 * bytes of payload: a longer packet is still checksummed to its end and
 * then reported as too long, and a '$' anywhere starts a fresh packet, so
 * the stream resynchronises on the next one whatever came before.
 */
#include <string.h>

#include "rsp.h"

static const char hex_digits[] = "0123456789abcdef";

#define NIBBLE_BITS 4
#define NIBBLE_MASK 0xfu
#define U64_HEX_DIGITS 16

void rsp_decoder_reset(struct rsp_decoder *d)
{
	d->state = RSP_IDLE;
	d->overflow = false;
	d->sum = 0;
	d->rx_sum = 0;
	d->rx_sum_ok = false;
	d->len = 0;
	d->buf[0] = '\0';
}

static void start_packet(struct rsp_decoder *d)
{
	rsp_decoder_reset(d);
	d->state = RSP_PAYLOAD;
}

static enum rsp_event idle_byte(struct rsp_decoder *d, uint8_t byte)
{
	switch (byte) {
	case RSP_START:
		start_packet(d);
		return RSP_EV_NONE;
	case RSP_ACK:
		return RSP_EV_ACK;
	case RSP_NAK:
		return RSP_EV_NAK;
	case RSP_BREAK:
		return RSP_EV_BREAK;
	default:
		/* Noise between packets (a stray checksum, a newline). */
		return RSP_EV_NONE;
	}
}

static void checksum_digit(struct rsp_decoder *d, uint8_t byte)
{
	int v = rsp_hex_value(byte);

	if (v < 0)
		d->rx_sum_ok = false;
	else
		d->rx_sum = (uint8_t)((d->rx_sum << NIBBLE_BITS) | (unsigned)v);
}

enum rsp_event rsp_feed(struct rsp_decoder *d, uint8_t byte)
{
	switch (d->state) {
	case RSP_IDLE:
		return idle_byte(d, byte);
	case RSP_PAYLOAD:
		if (byte == RSP_START) {
			/* A new packet before this one ended: the client gave
			 * up on it (or it was noise); start over. */
			start_packet(d);
			return RSP_EV_NONE;
		}
		if (byte == RSP_END) {
			d->state = RSP_CSUM1;
			d->rx_sum = 0;
			d->rx_sum_ok = true;
			return RSP_EV_NONE;
		}
		d->sum = (uint8_t)(d->sum + byte);
		if (d->len < GDB_PACKET_SIZE)
			d->buf[d->len++] = byte;
		else
			d->overflow = true;
		return RSP_EV_NONE;
	case RSP_CSUM1:
		checksum_digit(d, byte);
		d->state = RSP_CSUM2;
		return RSP_EV_NONE;
	case RSP_CSUM2:
		checksum_digit(d, byte);
		d->state = RSP_IDLE;
		d->buf[d->len] = '\0';
		if (!d->rx_sum_ok || d->rx_sum != d->sum)
			return RSP_EV_BAD_CHECKSUM;
		return d->overflow ? RSP_EV_TOO_LONG : RSP_EV_PACKET;
	}
	/* Not reached: the state is always one of the above. */
	rsp_decoder_reset(d);
	return RSP_EV_NONE;
}

uint8_t rsp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

size_t rsp_frame(const void *payload, size_t len, char *out, size_t cap)
{
	uint8_t sum;

	if (len > cap || cap - len < RSP_FRAMING)
		return 0;
	sum = rsp_checksum(payload, len);
	out[0] = RSP_START;
	memmove(out + 1, payload, len);
	out[len + 1] = RSP_END;
	out[len + 2] = hex_digits[sum >> NIBBLE_BITS];
	out[len + 3] = hex_digits[sum & NIBBLE_MASK];
	return len + RSP_FRAMING;
}

int rsp_hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void rsp_hex_encode(const uint8_t *data, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[data[i] >> NIBBLE_BITS];
		out[2 * i + 1] = hex_digits[data[i] & NIBBLE_MASK];
	}
}

bool rsp_hex_decode(const uint8_t *hex, size_t hexlen, uint8_t *out,
		    size_t cap)
{
	if (hexlen % 2 != 0 || hexlen / 2 > cap)
		return false;
	/* Validate everything before writing anything. */
	for (size_t i = 0; i < hexlen; i++)
		if (rsp_hex_value(hex[i]) < 0)
			return false;
	for (size_t i = 0; i < hexlen / 2; i++)
		out[i] = (uint8_t)((rsp_hex_value(hex[2 * i]) << NIBBLE_BITS) |
				   rsp_hex_value(hex[2 * i + 1]));
	return true;
}

bool rsp_unescape(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		  size_t *out_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (c == RSP_ESCAPE) {
			if (++i == len)
				return false;
			c = (uint8_t)(in[i] ^ RSP_ESCAPE_XOR);
		}
		if (n == cap)
			return false;
		out[n++] = c;
	}
	*out_len = n;
	return true;
}

bool rsp_needs_escape(uint8_t c)
{
	/* '*' would read as run-length encoding to the client. */
	return c == RSP_START || c == RSP_END || c == RSP_ESCAPE || c == '*';
}

struct rsp_cursor rsp_cursor(const uint8_t *data, size_t len)
{
	return (struct rsp_cursor){data, data + len};
}

size_t rsp_left(const struct rsp_cursor *c)
{
	return (size_t)(c->end - c->p);
}

bool rsp_at_end(const struct rsp_cursor *c)
{
	return c->p == c->end;
}

bool rsp_take(struct rsp_cursor *c, const char *s)
{
	size_t n = strlen(s);

	if (rsp_left(c) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

bool rsp_is(const struct rsp_cursor *c, const char *s)
{
	size_t n = strlen(s);

	return rsp_left(c) == n && memcmp(c->p, s, n) == 0;
}

bool rsp_take_char(struct rsp_cursor *c, char ch)
{
	if (rsp_at_end(c) || *c->p != (uint8_t)ch)
		return false;
	c->p++;
	return true;
}

bool rsp_take_hex(struct rsp_cursor *c, uint64_t *value)
{
	const uint8_t *p = c->p;
	uint64_t v = 0;
	unsigned int significant = 0;

	while (p < c->end && rsp_hex_value(*p) >= 0) {
		/* Leading zeros are free; more than 64 bits is not. */
		if ((v != 0 || *p != '0') && ++significant > U64_HEX_DIGITS)
			return false;
		v = (v << NIBBLE_BITS) | (uint64_t)rsp_hex_value(*p);
		p++;
	}
	if (p == c->p)
		return false;
	c->p = p;
	*value = v;
	return true;
}

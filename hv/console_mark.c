/*
 * The guest's console lines, marked where they could pass for vigil's.
 *
 * Every line that starts with "vigil:" on the console is vigil's own. A
 * guest line that starts with that prefix is written as "[guest] vigil:..."
 * instead. The guest writes its UART a byte at a time, so at the start of
 * a line the bytes that match the prefix so far are held back until the
 * line either leaves the prefix (they go out unchanged) or completes it
 * (they go out marked). Nothing else is ever held. Held bytes that must be
 * shown before the line decides (guest_line_flush) go out marked: showing
 * them unmarked would let the rest of the line complete the forgery.
 *
 * "Start of a line" is the console's, not the guest's: after a '\n' or a
 * '\r' (a terminal starts again at column 0 there) written by anyone, so a
 * vigil line cutting into the guest's line cannot give the guest a fresh
 * line start behind the marker's back. Pure logic, tested on the host.
 */
#include <string.h>

#include <vigil/console.h>

static const char reserved[] = "vigil:";
#define RESERVED_LEN (sizeof(reserved) - 1)
static const char mark[] = "[guest] ";
#define MARK_LEN (sizeof(mark) - 1)

_Static_assert(MARK_LEN + RESERVED_LEN + 1 <= GUEST_LINE_OUT_MAX,
	       "GUEST_LINE_OUT_MAX too small");

size_t guest_line_put(struct guest_line *s, char c, bool at_line_start,
		      char *out)
{
	size_t n = 0;

	s->idle_ticks = 0;
	if (s->held == 0) {
		if (at_line_start && c == reserved[0]) {
			s->held = 1;
			return 0;
		}
		out[0] = c;
		return 1;
	}
	if (c == reserved[s->held]) {
		if (++s->held < RESERVED_LEN)
			return 0;
		memcpy(out, mark, MARK_LEN);
		memcpy(out + MARK_LEN, reserved, RESERVED_LEN);
		s->held = 0;
		return MARK_LEN + RESERVED_LEN;
	}
	/* Not the prefix after all: what was held, then c, as written. */
	memcpy(out, reserved, s->held);
	n = s->held;
	s->held = 0;
	out[n++] = c;
	return n;
}

size_t guest_line_flush(struct guest_line *s, char *out)
{
	size_t n = s->held;

	if (n == 0)
		return 0;
	memcpy(out, mark, MARK_LEN);
	memcpy(out + MARK_LEN, reserved, n);
	s->held = 0;
	return MARK_LEN + n;
}

size_t guest_line_tick(struct guest_line *s, char *out)
{
	if (s->held == 0)
		return 0;
	if (s->idle_ticks++ == 0)
		return 0;
	return guest_line_flush(s, out);
}

/*
 * print.c - printf-lite: formats one "guest: ..." line into a buffer and
 * hands it to the console in one piece, so lines from different CPUs
 * never interleave.
 *
 * Conversions: %s %c %d %u %x, with an 'l' modifier for 64-bit values,
 * and %%.  No widths, no floats.  Overlong lines are truncated.
 */
#include "guest.h"

#define LINE_CHARS	200
#define LINE_PREFIX	"guest: "

struct line {
	char buf[LINE_CHARS];
	unsigned len;
};

static void put_char(struct line *l, char c)
{
	if (l->len < LINE_CHARS - 1)	/* keep room for the newline */
		l->buf[l->len++] = c;
}

static void put_str(struct line *l, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put_char(l, *s++);
}

static void put_unsigned(struct line *l, u64 v, unsigned base)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put_char(l, digits[--n]);
}

static void put_formatted(struct line *l, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		bool is_long = false;
		s64 sv;

		if (*fmt != '%') {
			put_char(l, *fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
			sv = is_long ? va_arg(ap, s64) : va_arg(ap, int);
			if (sv < 0)
				put_char(l, '-');
			put_unsigned(l, sv < 0 ? -(u64)sv : (u64)sv, 10);
			break;
		case 'u':
			put_unsigned(l, is_long ? va_arg(ap, u64) : va_arg(ap, unsigned), 10);
			break;
		case 'x':
			put_unsigned(l, is_long ? va_arg(ap, u64) : va_arg(ap, unsigned), 16);
			break;
		case 'c':
			put_char(l, (char)va_arg(ap, int));
			break;
		case 's':
			put_str(l, va_arg(ap, const char *));
			break;
		case '\0':
			return;
		default:	/* "%%" and anything unknown: print it */
			put_char(l, *fmt);
			break;
		}
	}
}

static void format_and_write(bool keep_locked, const char *prefix, const char *fmt, va_list ap)
{
	struct line l;

	l.len = 0;
	put_str(&l, LINE_PREFIX);
	put_str(&l, prefix);
	put_formatted(&l, fmt, ap);
	l.buf[l.len++] = '\n';
	console_write_line(l.buf, l.len, keep_locked);
}

void vprint_line(const char *prefix, const char *fmt, va_list ap)
{
	format_and_write(false, prefix, fmt, ap);
}

void print_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_line("", fmt, ap);
	va_end(ap);
}

void print_last_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	format_and_write(true, "", fmt, ap);
	va_end(ap);
}

/*
 * Console multiplexing and vigil's log. One lock serialises whole writes so
 * that a vigil line never lands in the middle of another CPU's line, and
 * the guest's lines pass through console_mark.c so that none can pass for
 * vigil's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arch_cpu.h>
#include <vigil/console.h>
#include <vigil/log.h>

static const struct console_ops *console;
static arch_spinlock_t console_lock;
static bool last_was_newline = true;
/* After '\n' or '\r': where a terminal starts a line (console_mark.c). */
static bool last_was_line_end = true;
static struct guest_line guest_line;
static enum log_level current_level = LOG_INFO;

/* Output produced before the console driver registered. */
static char early_buf[4096];
static size_t early_len;

static void write_locked(const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (console != NULL) {
		console->write(buf, len);
	} else {
		size_t room = sizeof(early_buf) - early_len;
		size_t n = len < room ? len : room;
		memcpy(early_buf + early_len, buf, n);
		early_len += n;
	}
	last_was_newline = buf[len - 1] == '\n';
	last_was_line_end = last_was_newline || buf[len - 1] == '\r';
}

void console_register(const struct console_ops *ops)
{
	arch_spin_lock(&console_lock);
	console = ops;
	if (early_len != 0)
		console->write(early_buf, early_len);
	early_len = 0;
	arch_spin_unlock(&console_lock);
}

void console_write(const char *buf, size_t len)
{
	arch_spin_lock(&console_lock);
	write_locked(buf, len);
	arch_spin_unlock(&console_lock);
}

void console_write_guest(const char *buf, size_t len)
{
	char out[GUEST_LINE_OUT_MAX];

	arch_spin_lock(&console_lock);
	for (size_t i = 0; i < len; i++)
		write_locked(out, guest_line_put(&guest_line, buf[i],
						 last_was_line_end, out));
	arch_spin_unlock(&console_lock);
}

void console_guest_tick(void)
{
	char out[GUEST_LINE_OUT_MAX];

	arch_spin_lock(&console_lock);
	write_locked(out, guest_line_tick(&guest_line, out));
	arch_spin_unlock(&console_lock);
}

int console_getc(void)
{
	const struct console_ops *c = console;

	return c != NULL && c->getc != NULL ? c->getc() : -1;
}

bool console_at_line_start(void)
{
	return last_was_newline;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static void log_vprint(const char *fmt, va_list ap)
{
	char line[256];

	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);

	if (n < 0)
		return;
	/* Room for the "\r\n" that ends every vigil line on a serial line. */
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';

	arch_spin_lock(&console_lock);
	/* Keep "vigil: " at the start of a line even if the guest was
	 * half-way through one. */
	if (!last_was_newline)
		write_locked("\r\n", 2);
	write_locked("vigil: ", 7);
	write_locked(line, (size_t)n);
	arch_spin_unlock(&console_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level || current_level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
}

void log_always(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(fmt, ap);
	va_end(ap);
}

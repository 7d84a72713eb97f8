/*
 * The console: vigil's log and the guest's emulated UART share one physical
 * serial line, provided by a driver. Until a driver registers, output is
 * kept in a small early buffer and flushed at registration.
 */
#ifndef VIGIL_CONSOLE_H
#define VIGIL_CONSOLE_H

#include <vigil/types.h>

struct console_ops {
	void (*write)(const char *buf, size_t len);
	/* Next received byte, or -1 when none is waiting. Never blocks. */
	int (*getc)(void);
};

void console_register(const struct console_ops *ops);
/* Raw bytes to the console, serialised across CPUs. */
void console_write(const char *buf, size_t len);
int console_getc(void);
/* True when the last byte written ended a line. */
bool console_at_line_start(void);

/*
 * Bytes the guest wrote to its UART. A guest line that starts with
 * "vigil:" is marked "[guest] vigil:" so that it cannot pass for one of
 * vigil's (hv/console_mark.c); everything else goes out as written.
 */
void console_write_guest(const char *buf, size_t len);
/* Called periodically: shows guest bytes held back for too long. */
void console_guest_tick(void);

/* The marking rule as a pure state machine (hv/console_mark.c). */
#define GUEST_LINE_OUT_MAX 16
struct guest_line {
	uint8_t held;       /* bytes of "vigil:" held back at a line start */
	uint8_t idle_ticks; /* ticks since the last byte, while held */
};
/*
 * One guest byte c; at_line_start: the console is at the start of a line
 * (after '\n' or '\r'). Writes what goes to the console now to out (at
 * most GUEST_LINE_OUT_MAX bytes) and returns its length.
 */
size_t guest_line_put(struct guest_line *s, char c, bool at_line_start,
		      char *out);
/* What is held, marked, to be shown now (the line is left undecided). */
size_t guest_line_flush(struct guest_line *s, char *out);
/* A periodic tick: bytes held across a whole tick are flushed. */
size_t guest_line_tick(struct guest_line *s, char *out);

#endif

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

#endif

/*
 * Fakes for the core services the code under test logs and panics through
 * (instead of hv/console.c and hv/panic.c): log messages are captured for
 * the tests to check, and panic() ends the running test as failed.
 * VIGIL_UNIT_LOG=1 in the environment also prints every message to stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/debugger.h>
#include <vigil/log.h>
#include <vigil/panic.h>

#include "../test.h"
#include "fake.h"

/* The host debugger's state lives in debug/target.c in vigil. */
struct dbg_host_state dbg_host;

void debugger_guest_exit(struct vcpu *vcpu)
{
	(void)vcpu;
}

static char lines[FAKE_LOG_KEEP][FAKE_LOG_LINE_MAX];
static unsigned int count;
static enum log_level level = LOG_DEBUG;

void fake_log_reset(void)
{
	memset(lines, 0, sizeof(lines));
	count = 0;
	level = LOG_DEBUG;
}

const char *fake_log_last(void)
{
	return count ? lines[(count - 1) % FAKE_LOG_KEEP] : "";
}

unsigned int fake_log_count(void)
{
	return count;
}

bool fake_log_contains(const char *needle)
{
	unsigned int kept = count < FAKE_LOG_KEEP ? count : FAKE_LOG_KEEP;

	for (unsigned int i = 0; i < kept; i++) {
		if (strstr(lines[i], needle) != NULL)
			return true;
	}
	return false;
}

static void record(const char *fmt, va_list ap)
{
	char *line = lines[count % FAKE_LOG_KEEP];

	vsnprintf(line, FAKE_LOG_LINE_MAX, fmt, ap);
	count++;
	if (getenv("VIGIL_UNIT_LOG") != NULL)
		fprintf(stderr, "vigil: %s\n", line);
}

void log_set_level(enum log_level l)
{
	level = l;
}

enum log_level log_get_level(void)
{
	return level;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)l; /* captured whatever the level */
	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
}

void log_always(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	char msg[FAKE_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	test_abort("panic: %s", msg);
}

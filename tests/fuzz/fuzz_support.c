/*
 * What the unit tests' fakes (tests/unit/fake/) expect from their runner,
 * for the fuzz targets that link them: a fake that finds the code under
 * test misbehaving (a panic(), a deadlocked spinlock, a noreturn call that
 * returned) calls test_abort(), and here that aborts the run so libFuzzer
 * keeps the input. Guest and client input must never get that far.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/test.h"
#include "fuzz.h"

void test_abort(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: aborted: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void test_stop(void)
{
	fputs("fuzz: test_stop() called\n", stderr);
	abort();
}

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: %s:%d: invariant broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

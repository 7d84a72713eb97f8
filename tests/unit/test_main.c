/*
 * The test runner: collects the TEST()s of one binary, runs them in source
 * order and prints one line per test (see test.h).
 *
 * Usage: test_<area> [SUBSTRING]   runs only tests whose name contains it.
 * VIGIL_UNIT_VERBOSE=1 also shows what a KNOWN_BUG test found wrong;
 * VIGIL_UNIT_RUN_CRASHERS=1 runs the KNOWN_BUG_CRASH tests too.
 */
#include <sanitizer/common_interface_defs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake/fake.h"
#include "test.h"

static struct test_case *tests;
static unsigned int nr_tests;

static const char *binary;
static FILE *details; /* failure details of the running test */
static char *details_buf;
static size_t details_len;
static unsigned int failures;
static bool in_test;
static jmp_buf test_escape;
static const struct test_case *running;

void test_register(struct test_case *tc)
{
	tc->next = tests;
	tests = tc;
	nr_tests++;
}

static FILE *out(void)
{
	return details ? details : stdout;
}

static void vnote(const char *fmt, va_list ap)
{
	fputs("    ", out());
	vfprintf(out(), fmt, ap);
	fputc('\n', out());
}

void test_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

unsigned int test_failures(void)
{
	return failures;
}

static void fail_at(const char *file, int line)
{
	failures++;
	fprintf(out(), "  %s:%d: ", file, line);
}

bool test_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	fail_at(file, line);
	va_start(ap, fmt);
	vfprintf(out(), fmt, ap);
	va_end(ap);
	fputc('\n', out());
	return false;
}

bool test_check_eq(const char *file, int line, const char *exp_text,
		   const char *act_text, unsigned long long expected,
		   unsigned long long actual, bool want_equal)
{
	if ((expected == actual) == want_equal)
		return true;
	fail_at(file, line);
	fprintf(out(), "%s(%s, %s)\n", want_equal ? "EXPECT_EQ" : "EXPECT_NE",
		exp_text, act_text);
	fprintf(out(), "    %s %lld (0x%llx)\n",
		want_equal ? "expected:" : "unwanted:", (long long)expected,
		expected);
	fprintf(out(), "    actual:   %lld (0x%llx)\n", (long long)actual,
		actual);
	return false;
}

/* Print a string with control characters escaped. */
static void put_quoted(const char *s)
{
	if (s == NULL) {
		fputs("NULL", out());
		return;
	}
	fputc('"', out());
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out(), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out(), "\\x%02x", c);
		else
			fputc(c, out());
	}
	fputc('"', out());
}

bool test_check_str(const char *file, int line, const char *exp_text,
		    const char *act_text, const char *expected,
		    const char *actual)
{
	if (expected != NULL && actual != NULL && strcmp(expected, actual) == 0)
		return true;
	if (expected == NULL && actual == NULL)
		return true;
	fail_at(file, line);
	fprintf(out(), "EXPECT_STREQ(%s, %s)\n    expected: ", exp_text,
		act_text);
	put_quoted(expected);
	fputs("\n    actual:   ", out());
	put_quoted(actual);
	fputc('\n', out());
	return false;
}

bool test_check_contains(const char *file, int line, const char *hay_text,
			 const char *haystack, const char *needle)
{
	if (haystack != NULL && strstr(haystack, needle) != NULL)
		return true;
	fail_at(file, line);
	fprintf(out(), "EXPECT_CONTAINS(%s, ...)\n    wanted:   ", hay_text);
	put_quoted(needle);
	fputs("\n    in:       ", out());
	put_quoted(haystack);
	fputc('\n', out());
	return false;
}

bool test_check_mem(const char *file, int line, const char *exp_text,
		    const char *act_text, const void *expected,
		    const void *actual, size_t len)
{
	const unsigned char *e = expected, *a = actual;

	for (size_t i = 0; i < len; i++) {
		if (e[i] == a[i])
			continue;
		fail_at(file, line);
		fprintf(out(),
			"EXPECT_MEMEQ(%s, %s, %zu)\n    first difference at "
			"byte %zu: expected 0x%02x, actual 0x%02x\n",
			exp_text, act_text, len, i, e[i], a[i]);
		return false;
	}
	return true;
}

void test_stop(void)
{
	if (!in_test) {
		fflush(out());
		fprintf(stderr, "%s: test_stop() outside a test\n", binary);
		exit(2);
	}
	longjmp(test_escape, 1);
}

void test_abort(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fputs("  aborted: ", out());
	va_start(ap, fmt);
	vfprintf(out(), fmt, ap);
	va_end(ap);
	fputc('\n', out());
	test_stop();
}

/* The setjmp lives here, away from any local the test might clobber. */
static void run_protected(const struct test_case *tc)
{
	in_test = true;
	if (setjmp(test_escape) == 0)
		tc->fn();
	in_test = false;
}

/*
 * A sanitizer report or a crash ends the process: say which test it was, in
 * the usual format, so the run's count and the culprit are both right.
 */
static void report_crash(void)
{
	if (running == NULL)
		return;
	if (details != NULL)
		fflush(details);
	printf("FAIL %s.%s\n%s  crashed: see the report above\n", binary,
	       running->name, details_buf ? details_buf : "");
	fflush(stdout);
	running = NULL;
}

/* Sanitizer reports end in abort(), so on_fatal_signal() names the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "abort_on_error=1:detect_leaks=1";
}

const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:print_stacktrace=1";
}

static void on_fatal_signal(int sig)
{
	report_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool run_one(const struct test_case *tc)
{
	bool passed;

	if (tc->crashes && getenv("VIGIL_UNIT_RUN_CRASHERS") == NULL) {
		printf("ok %s.%s # SKIP known bug, crashes, not run "
		       "(VIGIL_UNIT_RUN_CRASHERS=1 runs it): %s\n",
		       binary, tc->name, tc->known_bug);
		fflush(stdout);
		return true;
	}

	failures = 0;
	details = open_memstream(&details_buf, &details_len);
	if (details == NULL) {
		perror("open_memstream");
		exit(2);
	}
	fake_reset();
	running = tc;
	run_protected(tc);
	running = NULL;
	fclose(details);
	details = NULL;

	if (tc->known_bug != NULL) {
		/* Expected to fail while the bug is there; never fails the run. */
		if (failures != 0) {
			printf("ok %s.%s # SKIP known bug: %s\n", binary,
			       tc->name, tc->known_bug);
			if (getenv("VIGIL_UNIT_VERBOSE") != NULL)
				fputs(details_buf, stdout);
		}
		else
			printf("ok %s.%s # known bug no longer reproduces: "
			       "make it a TEST\n",
			       binary, tc->name);
		passed = true;
	} else if (failures == 0) {
		printf("ok %s.%s\n", binary, tc->name);
		passed = true;
	} else {
		printf("FAIL %s.%s\n%s", binary, tc->name, details_buf);
		passed = false;
	}
	free(details_buf);
	details_buf = NULL;
	fflush(stdout);
	return passed;
}

static int by_line(const void *a, const void *b)
{
	const struct test_case *x = *(const struct test_case *const *)a;
	const struct test_case *y = *(const struct test_case *const *)b;
	return x->line - y->line;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	struct test_case **order;
	unsigned int i = 0, failed = 0;
	struct test_case *tc;

	binary = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	__sanitizer_set_death_callback(report_crash);
	signal(SIGABRT, on_fatal_signal);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGBUS, on_fatal_signal);
	signal(SIGFPE, on_fatal_signal);
	order = calloc(nr_tests ? nr_tests : 1, sizeof(*order));
	if (order == NULL)
		return 2;
	for (tc = tests; tc != NULL; tc = tc->next)
		order[i++] = tc;
	qsort(order, nr_tests, sizeof(*order), by_line);

	for (i = 0; i < nr_tests; i++) {
		if (filter != NULL && strstr(order[i]->name, filter) == NULL)
			continue;
		if (!run_one(order[i]))
			failed++;
	}
	free(order);
	return failed ? 1 : 0;
}

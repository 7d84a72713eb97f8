/*
 * A very small unit-test framework for vigil's host tests.
 *
 *   TEST(name) { EXPECT_EQ(2, 1 + 1); }
 *   KNOWN_BUG(name, "one-line note") { ...asserts the correct behaviour... }
 *
 * Each test binary prints exactly one line per test, "ok <binary>.<test>"
 * or "FAIL <binary>.<test>" followed by the failure details (indented), and
 * exits non-zero if any test failed. EXPECT_* record a failure and carry on;
 * ASSERT_* record it and end the test at once.
 *
 * A KNOWN_BUG test asserts the behaviour the code should have. While the bug
 * is present its failures are expected: it prints
 * "ok <binary>.KNOWN_BUG_<name> # SKIP known bug: <note>" and does not fail
 * the run. Once the bug is fixed it prints a note saying so (still "ok");
 * then turn it into a TEST. KNOWN_BUG_CRASH is for bugs that would abort
 * the process under ASan: skipped without running (see below).
 *
 * Tests run in source order. Before each test the fakes are reset
 * (fake_reset()).
 */
#ifndef VIGIL_UNIT_TEST_H
#define VIGIL_UNIT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	const char *known_bug; /* NULL for an ordinary test */
	bool crashes;          /* known bug that brings the process down */
	int line;
	struct test_case *next;
};

void test_register(struct test_case *tc);

#define TEST_DEFINE_(name, note, crashes)                                     \
	static void test_fn_##name(void);                                     \
	static struct test_case test_case_##name = {                          \
		#name, test_fn_##name, note, crashes, __LINE__, NULL};        \
	__attribute__((constructor)) static void test_register_##name(void)   \
	{                                                                     \
		test_register(&test_case_##name);                             \
	}                                                                     \
	static void test_fn_##name(void)

#define TEST(name) TEST_DEFINE_(name, NULL, false)
#define KNOWN_BUG(name, note) TEST_DEFINE_(KNOWN_BUG_##name, note, false)
/* A known bug whose test would crash the binary (a sanitizer report):
 * not run unless VIGIL_UNIT_RUN_CRASHERS=1 is in the environment. */
#define KNOWN_BUG_CRASH(name, note) TEST_DEFINE_(KNOWN_BUG_##name, note, true)

/* Failure reporting (test_main.c). All return the check's outcome. */
bool test_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool test_check_eq(const char *file, int line, const char *exp_text,
		   const char *act_text, unsigned long long expected,
		   unsigned long long actual, bool want_equal);
bool test_check_str(const char *file, int line, const char *exp_text,
		    const char *act_text, const char *expected,
		    const char *actual);
bool test_check_contains(const char *file, int line, const char *hay_text,
			 const char *haystack, const char *needle);
bool test_check_mem(const char *file, int line, const char *exp_text,
		    const char *act_text, const void *expected,
		    const void *actual, size_t len);
/* End the running test now, as failed, with a message. */
void test_abort(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* End the running test now; the failure has been recorded already. */
void test_stop(void) __attribute__((noreturn));
/* Extra context printed with the failure details, e.g. a random seed. */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Failures recorded so far in the running test. */
unsigned int test_failures(void);

/* Integers, enums, bools and pointers; compared as 64-bit values. */
#define EXPECT_EQ(expected, actual)                                           \
	test_check_eq(__FILE__, __LINE__, #expected, #actual,                 \
		      (unsigned long long)(expected),                         \
		      (unsigned long long)(actual), true)
#define EXPECT_NE(unexpected, actual)                                         \
	test_check_eq(__FILE__, __LINE__, #unexpected, #actual,               \
		      (unsigned long long)(unexpected),                       \
		      (unsigned long long)(actual), false)
#define EXPECT_TRUE(cond)                                                     \
	test_check(!!(cond), __FILE__, __LINE__, "EXPECT_TRUE(%s) is false",  \
		   #cond)
#define EXPECT_FALSE(cond)                                                    \
	test_check(!(cond), __FILE__, __LINE__, "EXPECT_FALSE(%s) is true",   \
		   #cond)
#define EXPECT_STREQ(expected, actual)                                        \
	test_check_str(__FILE__, __LINE__, #expected, #actual, (expected),    \
		       (actual))
#define EXPECT_CONTAINS(haystack, needle)                                     \
	test_check_contains(__FILE__, __LINE__, #haystack, (haystack),        \
			    (needle))
#define EXPECT_MEMEQ(expected, actual, len)                                   \
	test_check_mem(__FILE__, __LINE__, #expected, #actual, (expected),    \
		       (actual), (len))

#define ASSERT_(check)                                                        \
	do {                                                                  \
		if (!(check))                                                 \
			test_stop();                                          \
	} while (0)
#define ASSERT_EQ(expected, actual) ASSERT_(EXPECT_EQ(expected, actual))
#define ASSERT_NE(unexpected, actual) ASSERT_(EXPECT_NE(unexpected, actual))
#define ASSERT_TRUE(cond) ASSERT_(EXPECT_TRUE(cond))
#define ASSERT_FALSE(cond) ASSERT_(EXPECT_FALSE(cond))
#define ASSERT_STREQ(expected, actual) ASSERT_(EXPECT_STREQ(expected, actual))

/* Deterministic pseudo-random numbers (xorshift64*), for fuzz-ish tests. */
struct test_rng {
	uint64_t s;
};
static inline struct test_rng test_rng_init(uint64_t seed)
{
	return (struct test_rng){seed ? seed : 0x9e3779b97f4a7c15ULL};
}
static inline uint64_t test_rng_next(struct test_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}
/* Uniform in [0, n); n > 0. */
static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	return test_rng_next(r) % n;
}

#endif

/*
 * hv/console_mark.c: a guest line that starts with "vigil:" reaches the
 * console marked "[guest] ", and nothing else the guest writes changes.
 * A small console model stands in for hv/console.c: it feeds the guest's
 * bytes one at a time, as the emulated UART does, with the line start
 * taken from the console's own last byte, and lets vigil's lines cut in.
 */
#include <string.h>

#include <vigil/console.h>

#include "test.h"

struct model {
	struct guest_line s;
	char text[1024];
	size_t len;
};

static bool at_line_start(const struct model *m)
{
	return m->len == 0 || m->text[m->len - 1] == '\n' ||
	       m->text[m->len - 1] == '\r';
}

static void emit(struct model *m, const char *out, size_t n)
{
	memcpy(m->text + m->len, out, n);
	m->len += n;
	m->text[m->len] = '\0';
}

static void guest(struct model *m, const char *bytes)
{
	char out[GUEST_LINE_OUT_MAX];

	for (; *bytes; bytes++)
		emit(m, out, guest_line_put(&m->s, *bytes, at_line_start(m), out));
}

/* As log_vprint: a vigil line always starts a line of its own. */
static void vigil_line(struct model *m, const char *line)
{
	if (m->len != 0 && m->text[m->len - 1] != '\n')
		emit(m, "\r\n", 2);
	emit(m, line, strlen(line));
}

static void tick(struct model *m)
{
	char out[GUEST_LINE_OUT_MAX];

	emit(m, out, guest_line_tick(&m->s, out));
}

TEST(forged_line_is_marked)
{
	struct model m = {0};

	guest(&m, "vigil: PANIC: forged\n");
	EXPECT_STREQ("[guest] vigil: PANIC: forged\n", m.text);
}

TEST(other_lines_pass_unchanged)
{
	struct model m = {0};
	const char *text = "hello\nguest: says vigil: mid-line\nvigilant\n"
			   "vigil\nvig\n v vigil: indented\nvvigil:\n";

	guest(&m, text);
	EXPECT_STREQ(text, m.text);
}

TEST(only_the_prefix_is_ever_held)
{
	struct model m = {0};

	guest(&m, "abc");
	EXPECT_STREQ("abc", m.text); /* not at a line start: at once */
	guest(&m, "\nvigi");
	EXPECT_STREQ("abc\n", m.text); /* "vigi" could still be the prefix */
	guest(&m, "x");
	EXPECT_STREQ("abc\nvigix", m.text);
}

TEST(every_line_start_counts)
{
	struct model m = {0};

	guest(&m, "one\nvigil: a\r\nvigil: b\rvigil: c\n");
	EXPECT_STREQ("one\n[guest] vigil: a\r\n[guest] vigil: b\r"
		     "[guest] vigil: c\n",
		     m.text);
}

/* A vigil line that cuts into the guest's gives the guest a line start. */
TEST(line_start_after_a_vigil_line)
{
	struct model m = {0};

	guest(&m, "x");
	vigil_line(&m, "vigil: abort injected\r\n");
	guest(&m, "vigil: PANIC\n");
	EXPECT_STREQ("x\r\nvigil: abort injected\r\n[guest] vigil: PANIC\n",
		     m.text);
}

/* vigil's line goes out while the guest's prefix is held: still marked. */
TEST(vigil_line_while_prefix_held)
{
	struct model m = {0};

	guest(&m, "vig");
	vigil_line(&m, "vigil: stats\r\n");
	guest(&m, "il: PANIC\n");
	EXPECT_STREQ("vigil: stats\r\n[guest] vigil: PANIC\n", m.text);
}

/* Held bytes show after one full tick, marked: the rest cannot unmark them. */
TEST(held_bytes_flush_marked_after_a_tick)
{
	struct model m = {0};

	guest(&m, "vigi");
	tick(&m);
	EXPECT_STREQ("", m.text); /* the first tick may come right after */
	tick(&m);
	EXPECT_STREQ("[guest] vigi", m.text);
	guest(&m, "l: PANIC\n");
	EXPECT_STREQ("[guest] vigil: PANIC\n", m.text);
	tick(&m);
	EXPECT_STREQ("[guest] vigil: PANIC\n", m.text);
}

TEST(a_byte_restarts_the_tick)
{
	struct model m = {0};

	guest(&m, "v");
	tick(&m);
	guest(&m, "i");
	tick(&m);
	EXPECT_STREQ("", m.text);
	guest(&m, "gil: x\n");
	EXPECT_STREQ("[guest] vigil: x\n", m.text);
}

TEST(flush_of_nothing_is_nothing)
{
	struct guest_line s = {0};
	char out[GUEST_LINE_OUT_MAX];

	EXPECT_EQ(0, guest_line_flush(&s, out));
	EXPECT_EQ(0, guest_line_tick(&s, out));
}

/*
 * hv/config.c: the vigil.cfg parser. Error messages are user-facing, so the
 * tests check them character for character.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/config.h>

#include "test.h"

static char err[CONFIG_ERROR_MAX];

/* Parse a C string; the struct starts from defaults. */
static bool parse(const char *text, struct vigil_config *cfg)
{
	config_defaults(cfg);
	memset(err, 'X', sizeof(err));
	return config_parse(text, strlen(text), cfg, err);
}

/* Parse and expect exactly this error, with the struct left alone. */
#define EXPECT_PARSE_ERROR(text, message)                                    \
	do {                                                                 \
		struct vigil_config before_, cfg_;                           \
		memset(&cfg_, 0x5a, sizeof(cfg_));                           \
		before_ = cfg_;                                              \
		memset(err, 'X', sizeof(err));                              \
		EXPECT_FALSE(config_parse((text), strlen(text), &cfg_, err)); \
		EXPECT_STREQ((message), err);                                \
		EXPECT_MEMEQ(&before_, &cfg_, sizeof(cfg_));                 \
	} while (0)

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

TEST(defaults)
{
	struct vigil_config cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	config_defaults(&cfg);
	EXPECT_STREQ("", cfg.kernel);
	EXPECT_STREQ("", cfg.initrd);
	EXPECT_STREQ("", cfg.dtb);
	EXPECT_STREQ("", cfg.cmdline);
	EXPECT_EQ(0, cfg.vcpus);
	EXPECT_EQ(256UL << 20, cfg.memory);
	EXPECT_EQ(LOG_INFO, cfg.log);
}

TEST(minimal_file)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = Image\n", &cfg));
	EXPECT_STREQ("", err); /* cleared on success */
	EXPECT_STREQ("Image", cfg.kernel);
	EXPECT_STREQ("", cfg.initrd);
	EXPECT_STREQ("", cfg.dtb);
	EXPECT_STREQ("", cfg.cmdline);
	EXPECT_EQ(0, cfg.vcpus);
	EXPECT_EQ(CONFIG_DEFAULT_MEMORY, cfg.memory);
	EXPECT_EQ(LOG_INFO, cfg.log);
}

TEST(every_key)
{
	struct vigil_config cfg;
	const char *text = "kernel = \\EFI\\vigil\\Image\n"
			   "initrd = initrd.img\n"
			   "dtb = board.dtb\n"
			   "cmdline = console=ttyAMA0 root=/dev/vda rw\n"
			   "vcpus = 4\n"
			   "memory = 1G\n"
			   "log = debug\n";

	ASSERT_TRUE(parse(text, &cfg));
	EXPECT_STREQ("\\EFI\\vigil\\Image", cfg.kernel);
	EXPECT_STREQ("initrd.img", cfg.initrd);
	EXPECT_STREQ("board.dtb", cfg.dtb);
	EXPECT_STREQ("console=ttyAMA0 root=/dev/vda rw", cfg.cmdline);
	EXPECT_EQ(4, cfg.vcpus);
	EXPECT_EQ(1UL << 30, cfg.memory);
	EXPECT_EQ(LOG_DEBUG, cfg.log);
}

TEST(log_levels)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\nlog = quiet\n", &cfg));
	EXPECT_EQ(LOG_QUIET, cfg.log);
	ASSERT_TRUE(parse("kernel = k\nlog = info\n", &cfg));
	EXPECT_EQ(LOG_INFO, cfg.log);
	ASSERT_TRUE(parse("kernel = k\nlog = debug\n", &cfg));
	EXPECT_EQ(LOG_DEBUG, cfg.log);
	EXPECT_PARSE_ERROR("kernel = k\nlog = loud\n",
			   "vigil.cfg:2: log: 'loud' is not one of quiet, "
			   "info, debug");
	EXPECT_PARSE_ERROR("log = INFO\nkernel = k\n",
			   "vigil.cfg:1: log: 'INFO' is not one of quiet, "
			   "info, debug");
	EXPECT_PARSE_ERROR("kernel = k\nlog =\n",
			   "vigil.cfg:2: log: '' is not one of quiet, info, "
			   "debug");
}

TEST(comments)
{
	struct vigil_config cfg;
	const char *text = "# vigil.cfg\n"
			   "#kernel = commented-out\n"
			   "   # indented comment\n"
			   "\t# tab-indented comment\n"
			   "kernel = Image # the kernel\n"
			   "initrd = rd\t# after a tab\n"
			   "dtb = a#b\n";

	ASSERT_TRUE(parse(text, &cfg));
	EXPECT_STREQ("Image", cfg.kernel);
	EXPECT_STREQ("rd", cfg.initrd);
	EXPECT_STREQ("a#b", cfg.dtb);
}

TEST(hash_inside_cmdline_is_kept)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\ncmdline = a#b\n", &cfg));
	EXPECT_STREQ("a#b", cfg.cmdline);
	ASSERT_TRUE(parse("kernel = k\ncmdline = x=1#2 y #z\n", &cfg));
	EXPECT_STREQ("x=1#2 y", cfg.cmdline);
	/* Right after '=' there is no blank: the '#' is part of the value. */
	ASSERT_TRUE(parse("kernel = k\ncmdline =#x\n", &cfg));
	EXPECT_STREQ("#x", cfg.cmdline);
	/* After a blank it starts a comment, leaving an empty command line. */
	ASSERT_TRUE(parse("kernel = k\ncmdline = #x\n", &cfg));
	EXPECT_STREQ("", cfg.cmdline);
}

TEST(value_may_contain_equals)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\n"
			  "cmdline = root=/dev/vda console=ttyAMA0,115200\n",
			  &cfg));
	EXPECT_STREQ("root=/dev/vda console=ttyAMA0,115200", cfg.cmdline);
}

TEST(blank_lines_and_line_numbers)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("\n\n   \n\t\n"
			  "kernel = k\n"
			  "\n",
			  &cfg));
	EXPECT_STREQ("k", cfg.kernel);
	/* Blank and comment lines count for the line number. */
	EXPECT_PARSE_ERROR("kernel = a\n\n# c\n   \nfoo = 1\n",
			   "vigil.cfg:5: unknown key 'foo'");
}

TEST(crlf_line_endings)
{
	struct vigil_config cfg;
	const char *text = "# DOS file\r\n"
			   "\r\n"
			   "kernel = Image\r\n"
			   "cmdline = console=ttyAMA0 \r\n"
			   "vcpus = 2\r\n"
			   "memory = 512M\r\n"
			   "log = quiet # c\r\n"
			   "initrd = rd\r\n";

	ASSERT_TRUE(parse(text, &cfg));
	EXPECT_STREQ("Image", cfg.kernel);
	EXPECT_STREQ("console=ttyAMA0", cfg.cmdline);
	EXPECT_EQ(2, cfg.vcpus);
	EXPECT_EQ(512UL << 20, cfg.memory);
	EXPECT_EQ(LOG_QUIET, cfg.log);
	EXPECT_STREQ("rd", cfg.initrd);
	EXPECT_PARSE_ERROR("kernel = k\r\nbogus = 1\r\n",
			   "vigil.cfg:2: unknown key 'bogus'");
}

TEST(whitespace_trimmed)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("  \tkernel\t=\t Image  \t\n"
			  "cmdline=quiet\n"
			  "vcpus =3 \n",
			  &cfg));
	EXPECT_STREQ("Image", cfg.kernel);
	EXPECT_STREQ("quiet", cfg.cmdline);
	EXPECT_EQ(3, cfg.vcpus);
	/* Blanks inside a value stay. */
	ASSERT_TRUE(parse("kernel = my  Image\n", &cfg));
	EXPECT_STREQ("my  Image", cfg.kernel);
}

TEST(no_final_newline)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("vcpus = 2\nkernel = Image", &cfg));
	EXPECT_STREQ("Image", cfg.kernel);
	EXPECT_EQ(2, cfg.vcpus);
}

TEST(only_len_bytes_are_read)
{
	struct vigil_config cfg;
	const char text[] = "kernel = Image\nbogus = 1\n";

	config_defaults(&cfg);
	/* The second line lies beyond len. */
	EXPECT_TRUE(config_parse(text, 15, &cfg, err));
	EXPECT_STREQ("Image", cfg.kernel);
	/* Not NUL-terminated at len: the value stops at len all the same. */
	EXPECT_TRUE(config_parse(text, 12, &cfg, err));
	EXPECT_STREQ("Ima", cfg.kernel);
}

TEST(duplicate_key_last_wins)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = a\nkernel = b\nvcpus=1\nvcpus=2\n", &cfg));
	EXPECT_STREQ("b", cfg.kernel);
	EXPECT_EQ(2, cfg.vcpus);
}

TEST(unknown_key)
{
	EXPECT_PARSE_ERROR("kernel = k\nx = 1\n", "vigil.cfg:2: unknown key 'x'");
	EXPECT_PARSE_ERROR("Kernel = k\n", "vigil.cfg:1: unknown key 'Kernel'");
	EXPECT_PARSE_ERROR("ker nel = k\n",
			   "vigil.cfg:1: unknown key 'ker nel'");
	EXPECT_PARSE_ERROR("= k\n", "vigil.cfg:1: unknown key ''");
	/* A long key is cut at 40 characters in the message. */
	EXPECT_PARSE_ERROR("abcdefghijabcdefghijabcdefghijabcdefghijXYZ = 1\n",
			   "vigil.cfg:1: unknown key "
			   "'abcdefghijabcdefghijabcdefghijabcdefghij'");
}

TEST(missing_equals)
{
	EXPECT_PARSE_ERROR("kernel Image\n",
			   "vigil.cfg:1: expected 'key = value', got "
			   "'kernel Image'");
	EXPECT_PARSE_ERROR("kernel = k\n\n  vcpus 4  # four\n",
			   "vigil.cfg:3: expected 'key = value', got "
			   "'vcpus 4'");
	EXPECT_PARSE_ERROR("0123456789012345678901234567890123456789_tail\n",
			   "vigil.cfg:1: expected 'key = value', got "
			   "'0123456789012345678901234567890123456789'");
}

TEST(empty_values)
{
	struct vigil_config cfg;

	EXPECT_PARSE_ERROR("kernel =\n", "vigil.cfg:1: kernel: empty path");
	EXPECT_PARSE_ERROR("kernel = k\ninitrd = \t\n",
			   "vigil.cfg:2: initrd: empty path");
	EXPECT_PARSE_ERROR("kernel = k\ndtb = # none\n",
			   "vigil.cfg:2: dtb: empty path");
	/* An empty command line is a valid command line. */
	ASSERT_TRUE(parse("kernel = k\ncmdline =\n", &cfg));
	EXPECT_STREQ("", cfg.cmdline);
}

TEST(path_length_limit)
{
	struct vigil_config cfg;
	char *name = repeat('p', CONFIG_PATH_MAX - 1);
	char *text = malloc(CONFIG_PATH_MAX + 32);

	snprintf(text, CONFIG_PATH_MAX + 32, "kernel = %s\n", name);
	EXPECT_TRUE(parse(text, &cfg));
	EXPECT_STREQ(name, cfg.kernel);
	snprintf(text, CONFIG_PATH_MAX + 32, "kernel = %sq\n", name);
	EXPECT_PARSE_ERROR(text,
			   "vigil.cfg:1: kernel: path longer than 255 bytes");
	free(text);
	free(name);
}

TEST(cmdline_length_limit)
{
	struct vigil_config cfg;
	char *value = repeat('c', CONFIG_CMDLINE_MAX - 1);
	char *text = malloc(CONFIG_CMDLINE_MAX + 64);

	snprintf(text, CONFIG_CMDLINE_MAX + 64, "kernel = k\ncmdline = %s\n",
		 value);
	EXPECT_TRUE(parse(text, &cfg));
	EXPECT_EQ(CONFIG_CMDLINE_MAX - 1, strlen(cfg.cmdline));
	snprintf(text, CONFIG_CMDLINE_MAX + 64, "kernel = k\ncmdline = %sc\n",
		 value);
	EXPECT_PARSE_ERROR(text,
			   "vigil.cfg:2: cmdline: longer than 1023 bytes");
	free(text);
	free(value);
}

TEST(over_long_line)
{
	char *text = malloc(8192);
	char *junk = repeat('a', 4000);

	snprintf(text, 8192, "kernel = k\n\ncmdline = %s\n", junk);
	EXPECT_PARSE_ERROR(text, "vigil.cfg:3: line too long");
	/* Even when nothing follows the long line. */
	snprintf(text, 8192, "%s", junk);
	EXPECT_PARSE_ERROR(text, "vigil.cfg:1: line too long");
	free(junk);
	free(text);
}

TEST(nul_byte)
{
	struct vigil_config cfg, before;
	const char text[] = "kernel = k\nvcpus = 2\0junk\n";

	memset(&cfg, 0x5a, sizeof(cfg));
	before = cfg;
	EXPECT_FALSE(config_parse(text, sizeof(text) - 1, &cfg, err));
	EXPECT_STREQ("vigil.cfg:2: NUL byte in line", err);
	EXPECT_MEMEQ(&before, &cfg, sizeof(cfg));

	const char lead[] = "\0kernel = k\n";
	EXPECT_FALSE(config_parse(lead, sizeof(lead) - 1, &cfg, err));
	EXPECT_STREQ("vigil.cfg:1: NUL byte in line", err);
}

TEST(memory_sizes)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\nmemory = 512M\n", &cfg));
	EXPECT_EQ(512UL << 20, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 4M\n", &cfg));
	EXPECT_EQ(4UL << 20, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 16G\n", &cfg));
	EXPECT_EQ(16UL << 30, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 6291456\n", &cfg));
	EXPECT_EQ(6UL << 20, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 1GiB\n", &cfg));
	EXPECT_EQ(1UL << 30, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 2048MB\n", &cfg));
	EXPECT_EQ(2UL << 30, cfg.memory);
	ASSERT_TRUE(parse("kernel = k\nmemory = 8192K\n", &cfg));
	EXPECT_EQ(8UL << 20, cfg.memory);
}

TEST(bad_memory_sizes)
{
	EXPECT_PARSE_ERROR("kernel = k\nmemory = 12Q\n",
			   "vigil.cfg:2: memory: '12Q' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("memory = 99999999999999999999G\nkernel = k\n",
			   "vigil.cfg:1: memory: '99999999999999999999G' is "
			   "not a size (examples: 512M, 1G)");
	/* Fits in 64 bits as a number, not once scaled. */
	EXPECT_PARSE_ERROR("memory = 17179869184G\nkernel = k\n",
			   "vigil.cfg:1: memory: '17179869184G' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("memory = -1G\nkernel = k\n",
			   "vigil.cfg:1: memory: '-1G' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("memory = 1.5G\nkernel = k\n",
			   "vigil.cfg:1: memory: '1.5G' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("memory = 512 M\nkernel = k\n",
			   "vigil.cfg:1: memory: '512 M' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("memory =\nkernel = k\n",
			   "vigil.cfg:1: memory: '' is not a size "
			   "(examples: 512M, 1G)");
	EXPECT_PARSE_ERROR("kernel = k\nmemory = 3M\n",
			   "vigil.cfg:2: memory: '3M' must be a multiple of 2M "
			   "and at least 4M");
	EXPECT_PARSE_ERROR("kernel = k\nmemory = 2M\n",
			   "vigil.cfg:2: memory: '2M' must be a multiple of 2M "
			   "and at least 4M");
	EXPECT_PARSE_ERROR("kernel = k\nmemory = 0\n",
			   "vigil.cfg:2: memory: '0' must be a multiple of 2M "
			   "and at least 4M");
	EXPECT_PARSE_ERROR("kernel = k\nmemory = 4097K\n",
			   "vigil.cfg:2: memory: '4097K' must be a multiple of "
			   "2M and at least 4M");
}

TEST(vcpus)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\nvcpus = 1\n", &cfg));
	EXPECT_EQ(1, cfg.vcpus);
	ASSERT_TRUE(parse("kernel = k\nvcpus = 4294967295\n", &cfg));
	EXPECT_EQ(4294967295U, cfg.vcpus);
	ASSERT_TRUE(parse("kernel = k\nvcpus = 007\n", &cfg));
	EXPECT_EQ(7, cfg.vcpus);
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = 0\n",
			   "vigil.cfg:2: vcpus: '0' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = -1\n",
			   "vigil.cfg:2: vcpus: '-1' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = abc\n",
			   "vigil.cfg:2: vcpus: 'abc' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = 4x\n",
			   "vigil.cfg:2: vcpus: '4x' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = +2\n",
			   "vigil.cfg:2: vcpus: '+2' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus =\n",
			   "vigil.cfg:2: vcpus: '' is not a positive whole "
			   "number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = 4294967296\n",
			   "vigil.cfg:2: vcpus: '4294967296' is not a positive "
			   "whole number");
	EXPECT_PARSE_ERROR("kernel = k\nvcpus = 99999999999999999999999\n",
			   "vigil.cfg:2: vcpus: '99999999999999999999999' is "
			   "not a positive whole number");
}

TEST(missing_kernel)
{
	const char *msg = "vigil.cfg: kernel: missing (say which image to "
			  "boot, e.g. 'kernel = Image')";

	EXPECT_PARSE_ERROR("", msg);
	EXPECT_PARSE_ERROR("# nothing\n\n", msg);
	EXPECT_PARSE_ERROR("initrd = rd\nvcpus = 2\n", msg);
	EXPECT_PARSE_ERROR("#kernel = Image\n", msg);
	EXPECT_CONTAINS(err, "kernel: missing");
}

TEST(failed_parse_leaves_config_untouched)
{
	struct vigil_config cfg, before;
	const char *text = "kernel = new\n"
			   "initrd = new-rd\n"
			   "vcpus = 3\n"
			   "memory = 64M\n"
			   "log = bogus\n";

	config_defaults(&cfg);
	strcpy(cfg.kernel, "old");
	strcpy(cfg.cmdline, "old cmdline");
	cfg.vcpus = 1;
	before = cfg;
	EXPECT_FALSE(config_parse(text, strlen(text), &cfg, err));
	EXPECT_STREQ("vigil.cfg:5: log: 'bogus' is not one of quiet, info, "
		     "debug",
		     err);
	EXPECT_MEMEQ(&before, &cfg, sizeof(cfg));
}

TEST(success_replaces_whole_config)
{
	struct vigil_config cfg;

	config_defaults(&cfg);
	strcpy(cfg.initrd, "stale");
	strcpy(cfg.cmdline, "stale");
	cfg.vcpus = 7;
	cfg.memory = 2UL << 30;
	cfg.log = LOG_DEBUG;
	ASSERT_TRUE(config_parse("kernel = k\n", 11, &cfg, err));
	/* Keys the file does not set fall back to their defaults. */
	EXPECT_STREQ("", cfg.initrd);
	EXPECT_STREQ("", cfg.cmdline);
	EXPECT_EQ(0, cfg.vcpus);
	EXPECT_EQ(CONFIG_DEFAULT_MEMORY, cfg.memory);
	EXPECT_EQ(LOG_INFO, cfg.log);
}

TEST(error_message_always_fits)
{
	struct vigil_config cfg;
	char *value = repeat('9', 1000);
	char *text = malloc(1100);

	/* Long values are cut, never overflow err[] (ASan checks). */
	snprintf(text, 1100, "kernel = k\nvcpus = %s\n", value);
	memset(err, 'X', sizeof(err));
	EXPECT_FALSE(config_parse(text, strlen(text), &cfg, err));
	EXPECT_TRUE(memchr(err, '\0', sizeof(err)) != NULL);
	EXPECT_TRUE(strncmp(err, "vigil.cfg:2: vcpus: '999", 24) == 0);
	snprintf(text, 1100, "kernel = k\nmemory = %sQ\n", value);
	EXPECT_FALSE(config_parse(text, strlen(text), &cfg, err));
	EXPECT_TRUE(memchr(err, '\0', sizeof(err)) != NULL);
	EXPECT_TRUE(strncmp(err, "vigil.cfg:2: memory: '999", 25) == 0);
	free(text);
	free(value);
}

TEST(parse_size)
{
	uint64_t v;

	EXPECT_TRUE(config_parse_size("512M", &v));
	EXPECT_EQ(512UL << 20, v);
	EXPECT_TRUE(config_parse_size("1G", &v));
	EXPECT_EQ(1UL << 30, v);
	EXPECT_TRUE(config_parse_size("64K", &v));
	EXPECT_EQ(64UL << 10, v);
	EXPECT_TRUE(config_parse_size("4096", &v));
	EXPECT_EQ(4096, v);
	EXPECT_TRUE(config_parse_size("512MiB", &v));
	EXPECT_EQ(512UL << 20, v);
	EXPECT_TRUE(config_parse_size("2MB", &v));
	EXPECT_EQ(2UL << 20, v);
	EXPECT_TRUE(config_parse_size("1k", &v));
	EXPECT_EQ(1024, v);
	EXPECT_TRUE(config_parse_size("3g", &v));
	EXPECT_EQ(3UL << 30, v);
	EXPECT_TRUE(config_parse_size("16KiB", &v));
	EXPECT_EQ(16UL << 10, v);
	EXPECT_TRUE(config_parse_size("0", &v));
	EXPECT_EQ(0, v);
	EXPECT_TRUE(config_parse_size("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_TRUE(config_parse_size("17179869183G", &v));
	EXPECT_EQ(17179869183ULL << 30, v);
}

TEST(parse_size_rejects)
{
	static const char *const bad[] = {
		"", "M", "G1", " 1G", "1G ", "1 G", "12Q", "1.5G", "-1",
		"+1", "1GiBx", "1GB2", "1Gi", "1GIB", "1B", "1iB", "1KM",
		"0x100", "18446744073709551616", "99999999999999999999G",
		"17179869184G", "17592186044416M", "18014398509481984K",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 0x1234;
		if (!EXPECT_FALSE(config_parse_size(bad[i], &v)))
			test_note("input: \"%s\"", bad[i]);
		EXPECT_EQ(0x1234, v); /* untouched on failure */
	}
}

/*
 * An on/off key, the bool at offset in struct vigil_config: off by
 * default, both values parse, anything else is refused naming the key.
 */
static void expect_on_off_key(const char *key, size_t offset)
{
	struct vigil_config cfg;
	const bool *field = (const bool *)((const char *)&cfg + offset);
	char text[96], message[CONFIG_ERROR_MAX];

	ASSERT_TRUE(parse("kernel = k\n", &cfg));
	EXPECT_FALSE(*field);
	snprintf(text, sizeof(text), "kernel = k\n%s = on\n", key);
	ASSERT_TRUE(parse(text, &cfg));
	EXPECT_TRUE(*field);
	snprintf(text, sizeof(text), "kernel = k\n%s = off\n", key);
	ASSERT_TRUE(parse(text, &cfg));
	EXPECT_FALSE(*field);
	snprintf(text, sizeof(text), "kernel = k\n%s = yes\n", key);
	snprintf(message, sizeof(message),
		 "vigil.cfg:2: %s: 'yes' is not on or off", key);
	EXPECT_PARSE_ERROR(text, message);
}

TEST(test_hooks)
{
	expect_on_off_key("test_hooks", offsetof(struct vigil_config, test_hooks));
}

/* Off unless asked for: DMA-capable devices stay hidden by default. */
TEST(unsafe_dma_passthrough)
{
	expect_on_off_key("unsafe.dma_passthrough",
			  offsetof(struct vigil_config, dma_passthrough));
}

TEST(gdb_keys)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\n", &cfg));
	EXPECT_EQ(1234, cfg.gdb_port);
	EXPECT_EQ(GDB_KILL_STOP, cfg.gdb_on_kill);
	EXPECT_TRUE(cfg.gdb_freeze_time);

	ASSERT_TRUE(parse("kernel = k\ngdb.port = 4321\ngdb.on_kill = reset\n"
			  "gdb.freeze_time = off\n",
			  &cfg));
	EXPECT_EQ(4321, cfg.gdb_port);
	EXPECT_EQ(GDB_KILL_RESET, cfg.gdb_on_kill);
	EXPECT_FALSE(cfg.gdb_freeze_time);
	ASSERT_TRUE(parse("kernel = k\ngdb.freeze_time = on\n", &cfg));
	EXPECT_TRUE(cfg.gdb_freeze_time);

	ASSERT_TRUE(parse("kernel = k\ngdb.port = off\ngdb.on_kill = stop\n",
			  &cfg));
	EXPECT_EQ(0, cfg.gdb_port);
	EXPECT_EQ(GDB_KILL_STOP, cfg.gdb_on_kill);

	EXPECT_PARSE_ERROR("kernel = k\ngdb.port = 0\n",
			   "vigil.cfg:2: gdb.port: '0' is neither a port "
			   "(1-65535) nor off");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.port = 1234x\n",
			   "vigil.cfg:2: gdb.port: '1234x' is neither a port "
			   "(1-65535) nor off");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.on_kill = halt\n",
			   "vigil.cfg:2: gdb.on_kill: 'halt' is not stop or "
			   "reset");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.freeze_time = yes\n",
			   "vigil.cfg:2: gdb.freeze_time: 'yes' is not on or off");
}

TEST(gdb_wait)
{
	struct vigil_config cfg;

	expect_on_off_key("gdb.wait", offsetof(struct vigil_config, gdb_wait));
	ASSERT_TRUE(parse("kernel = k\ngdb.wait = on\ngdb.port = 4321\n", &cfg));
	EXPECT_TRUE(cfg.gdb_wait);
	EXPECT_EQ(4321, cfg.gdb_port);
	ASSERT_TRUE(parse("kernel = k\ngdb.wait = off\ngdb.port = off\n",
			  &cfg));
	EXPECT_FALSE(cfg.gdb_wait);
	/* Holding the guest with no stub to release it: refused, either order. */
	EXPECT_PARSE_ERROR("kernel = k\ngdb.wait = on\ngdb.port = off\n",
			   "vigil.cfg: gdb.wait = on needs the GDB stub, but "
			   "gdb.port = off");
	EXPECT_PARSE_ERROR("gdb.port = off\ngdb.wait = on\nkernel = k\n",
			   "vigil.cfg: gdb.wait = on needs the GDB stub, but "
			   "gdb.port = off");
}

TEST(gdb_allow)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\n", &cfg));
	EXPECT_EQ(0, cfg.gdb_allow_count);
	EXPECT_TRUE(config_gdb_allows(&cfg, 0xc0a80105));

	ASSERT_TRUE(parse("kernel = k\n"
			  "gdb.allow = 10.0.2.2/32, 192.168.1.0/24,172.16.0.1\n",
			  &cfg));
	ASSERT_EQ(3, cfg.gdb_allow_count);
	EXPECT_EQ(0x0a000202, cfg.gdb_allow[0].addr);
	EXPECT_EQ(0xffffffff, cfg.gdb_allow[0].mask);
	EXPECT_EQ(0xc0a80100, cfg.gdb_allow[1].addr);
	EXPECT_EQ(0xffffff00, cfg.gdb_allow[1].mask);
	EXPECT_EQ(0xffffffff, cfg.gdb_allow[2].mask); /* bare = /32 */
	EXPECT_TRUE(config_gdb_allows(&cfg, 0x0a000202));
	EXPECT_FALSE(config_gdb_allows(&cfg, 0x0a000203));
	EXPECT_TRUE(config_gdb_allows(&cfg, 0xc0a801ff));
	EXPECT_FALSE(config_gdb_allows(&cfg, 0xc0a80201));
	EXPECT_TRUE(config_gdb_allows(&cfg, 0xac100001));

	/* /0 is everyone, said out loud. */
	ASSERT_TRUE(parse("kernel = k\ngdb.allow = 0.0.0.0/0\n", &cfg));
	EXPECT_TRUE(config_gdb_allows(&cfg, 0x01020304));
	/* The last line wins, whole. */
	ASSERT_TRUE(parse("kernel = k\ngdb.allow = 10.0.0.0/8, 10.0.2.2\n"
			  "gdb.allow = 10.0.2.0/24\n", &cfg));
	EXPECT_EQ(1, cfg.gdb_allow_count);
	/* Eight fit, nine do not. */
	ASSERT_TRUE(parse("kernel = k\ngdb.allow = 1.0.0.1,1.0.0.2,1.0.0.3,"
			  "1.0.0.4,1.0.0.5,1.0.0.6,1.0.0.7,1.0.0.8\n", &cfg));
	EXPECT_EQ(8, cfg.gdb_allow_count);
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 1.0.0.1,1.0.0.2,1.0.0.3,"
			   "1.0.0.4,1.0.0.5,1.0.0.6,1.0.0.7,1.0.0.8,1.0.0.9\n",
			   "vigil.cfg:2: gdb.allow: more than 8 address ranges");

	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.5/24\n",
			   "vigil.cfg:2: gdb.allow: '10.0.2.5/24' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.2/33\n",
			   "vigil.cfg:2: gdb.allow: '10.0.2.2/33' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.2/\n",
			   "vigil.cfg:2: gdb.allow: '10.0.2.2/' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.2,\n",
			   "vigil.cfg:2: gdb.allow: '' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow =\n",
			   "vigil.cfg:2: gdb.allow: '' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = any\n",
			   "vigil.cfg:2: gdb.allow: 'any' is not an "
			   "address range such as 10.0.2.2/32 or 192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.0/24 "
			   "10.0.3.0/24\n",
			   "vigil.cfg:2: gdb.allow: '10.0.2.0/24 10.0.3.0/24' is "
			   "not an address range such as 10.0.2.2/32 or "
			   "192.168.1.0/24");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.allow = 10.0.2.0/24"
			   "0000000000000000000000000000\n",
			   "vigil.cfg:2: gdb.allow: '10.0.2.0/2400000000000000000"
			   "000' is not an address range such as 10.0.2.2/32 or "
			   "192.168.1.0/24");
}

TEST(gdb_readonly_and_idle_timeout)
{
	struct vigil_config cfg;

	expect_on_off_key("gdb.readonly",
			  offsetof(struct vigil_config, gdb_readonly));
	ASSERT_TRUE(parse("kernel = k\n", &cfg));
	EXPECT_FALSE(cfg.gdb_readonly);
	EXPECT_EQ(10, cfg.gdb_idle_timeout);
	ASSERT_TRUE(parse("kernel = k\ngdb.idle_timeout = 3600\n", &cfg));
	EXPECT_EQ(3600, cfg.gdb_idle_timeout);
	ASSERT_TRUE(parse("kernel = k\ngdb.idle_timeout = 1\n", &cfg));
	EXPECT_EQ(1, cfg.gdb_idle_timeout);
	EXPECT_PARSE_ERROR("kernel = k\ngdb.idle_timeout = 0\n",
			   "vigil.cfg:2: gdb.idle_timeout: '0' is not a number "
			   "of seconds (1-3600)");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.idle_timeout = 3601\n",
			   "vigil.cfg:2: gdb.idle_timeout: '3601' is not a number "
			   "of seconds (1-3600)");
	EXPECT_PARSE_ERROR("kernel = k\ngdb.idle_timeout = 10s\n",
			   "vigil.cfg:2: gdb.idle_timeout: '10s' is not a number "
			   "of seconds (1-3600)");
}

TEST(net_keys)
{
	struct vigil_config cfg;

	ASSERT_TRUE(parse("kernel = k\n", &cfg));
	EXPECT_EQ(0, cfg.net_ip);
	EXPECT_EQ(0, cfg.net_echo);
	EXPECT_STREQ("", cfg.net_device);

	ASSERT_TRUE(parse("kernel = k\nnet.ip = 10.0.2.15/24\nnet.gw = 10.0.2.2\n"
			  "net.echo = 7\nnet.device = pci:00:02.0\n", &cfg));
	EXPECT_EQ(0x0a00020fU, cfg.net_ip);
	EXPECT_EQ(24, cfg.net_prefix);
	EXPECT_EQ(0x0a000202U, cfg.net_gw);
	EXPECT_EQ(7, cfg.net_echo);
	EXPECT_STREQ("pci:00:02.0", cfg.net_device);

	ASSERT_TRUE(parse("kernel = k\nnet.device = /virtio_mmio@a003e00\n", &cfg));
	EXPECT_STREQ("/virtio_mmio@a003e00", cfg.net_device);

	EXPECT_PARSE_ERROR("kernel = k\nnet.ip = 10.0.2.15\n",
			   "vigil.cfg:2: net.ip: '10.0.2.15' is not an "
			   "address/prefix (e.g. 10.0.2.15/24)");
	EXPECT_PARSE_ERROR("kernel = k\nnet.ip = 10.0.2.256/24\n",
			   "vigil.cfg:2: net.ip: '10.0.2.256/24' is not an "
			   "address/prefix (e.g. 10.0.2.15/24)");
	EXPECT_PARSE_ERROR("kernel = k\nnet.ip = 10.0.2.15/33\n",
			   "vigil.cfg:2: net.ip: '10.0.2.15/33' is not an "
			   "address/prefix (e.g. 10.0.2.15/24)");
	EXPECT_PARSE_ERROR("kernel = k\nnet.gw = 10.0.2\n",
			   "vigil.cfg:2: net.gw: '10.0.2' is not an IPv4 address");
	EXPECT_PARSE_ERROR("kernel = k\nnet.echo = 70000\n",
			   "vigil.cfg:2: net.echo: '70000' is not a port (1-65535)");
	EXPECT_PARSE_ERROR("kernel = k\nnet.echo = 0\n",
			   "vigil.cfg:2: net.echo: '0' is not a port (1-65535)");
	EXPECT_PARSE_ERROR("kernel = k\nnet.device = eth0\n",
			   "vigil.cfg:2: net.device: 'eth0' is neither a "
			   "device-tree path (/...) nor pci:BB:DD.F");
	EXPECT_PARSE_ERROR("kernel = k\nnet.device = pci:00:20.0\n",
			   "vigil.cfg:2: net.device: 'pci:00:20.0' is neither a "
			   "device-tree path (/...) nor pci:BB:DD.F");
}

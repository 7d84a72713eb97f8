/*
 * libFuzzer target: debug/walk.c, the guest stage-1 walker. The input is
 *
 *   bytes 0-39   SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 and a VA, each
 *                8 bytes little-endian (missing bytes read as zero)
 *   the rest     a small guest "memory" of 8-byte words
 *
 * Guest RAM is [RAM_BASE, RAM_BASE + RAM_SIZE); the read callback refuses
 * anything else and folds the rest onto the words of the input, so that
 * every table the fuzzer points at has contents it controls (with one
 * word, an all-zero VA walks four levels through the same descriptor).
 * Checked: the callback's contract (aligned reads, at most 4 per walk,
 * none after a refusal) and that a successful translation is a sane,
 * contiguous range: the last byte of [va, va + size) translates to the
 * last byte of [ipa, ipa + size), as a caller copying the range assumes.
 */
#include <string.h>

#include "walk.h"
#include "fuzz.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x40000000ULL
#define HEADER 40
/* The largest page or block: a 1 GiB block (4K granule, level 1). */
#define BLOCK_MAX (1ULL << 30)
#define STEPS 4

struct mem {
	const uint8_t *words;
	size_t nr_words;
	unsigned int reads, refused;
};

static bool mem_read(void *ctx, ipaddr_t ipa, uint64_t *val)
{
	struct mem *m = ctx;
	uint64_t pa = ipa_addr(ipa);

	FUZZ_CHECK(m->refused == 0, "read after a refused read");
	FUZZ_CHECK((pa & 7) == 0, "unaligned descriptor read at 0x%llx",
		   (unsigned long long)pa);
	FUZZ_CHECK(++m->reads <= 4, "more than 4 reads in one walk");
	if (pa < RAM_BASE || pa - RAM_BASE >= RAM_SIZE || m->nr_words == 0) {
		m->refused++;
		return false;
	}
	*val = fuzz_le64(m->words + 8 * (((pa - RAM_BASE) >> 3) % m->nr_words),
			 8);
	return true;
}

static enum walk_status translate(const struct walk_regs *regs,
				  struct mem *m, uint64_t va, uint64_t *ipa,
				  uint64_t *size)
{
	ipaddr_t out = ipa_init(0xdeadbeef);
	enum walk_status st;

	m->reads = 0;
	m->refused = 0;
	st = walk_translate(regs, va_init(va), mem_read, m, &out, size);
	*ipa = ipa_addr(out);
	FUZZ_CHECK(st == WALK_OK || st == WALK_FAULT || st == WALK_BAD_READ ||
			   st == WALK_BAD_CONFIG,
		   "status %d", (int)st);
	FUZZ_CHECK(st != WALK_BAD_READ || m->refused != 0,
		   "bad read with no refused read");
	FUZZ_CHECK(strcmp(walk_status_name(st), "unknown") != 0,
		   "status %d has no name", (int)st);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk_regs regs = {
		.sctlr = fuzz_le64(data, size),
		.tcr = fuzz_le64(data + 8, size > 8 ? size - 8 : 0),
		.ttbr0 = fuzz_le64(data + 16, size > 16 ? size - 16 : 0),
		.ttbr1 = fuzz_le64(data + 24, size > 24 ? size - 24 : 0),
	};
	uint64_t va = fuzz_le64(data + 32, size > 32 ? size - 32 : 0);
	struct mem m = {0};

	if (size > HEADER) {
		m.words = data + HEADER;
		m.nr_words = (size - HEADER) / 8;
	}

	/* As the stub's memory reads go: one page or block at a time. */
	for (int step = 0; step < STEPS; step++) {
		uint64_t ipa, len, last_ipa, last_len;

		if (translate(&regs, &m, va, &ipa, &len) != WALK_OK)
			break;
		FUZZ_CHECK(len >= 1 && len <= BLOCK_MAX,
			   "size 0x%llx for va 0x%llx",
			   (unsigned long long)len, (unsigned long long)va);
		FUZZ_CHECK(ipa < (1ULL << 48) && len <= (1ULL << 48) - ipa,
			   "ipa 0x%llx + 0x%llx beyond 48 bits",
			   (unsigned long long)ipa, (unsigned long long)len);
		/* A page or block maps the page offset through unchanged. */
		FUZZ_CHECK(((ipa ^ va) & 0xfff) == 0,
			   "va 0x%llx -> ipa 0x%llx changes the page offset",
			   (unsigned long long)va, (unsigned long long)ipa);
		FUZZ_CHECK(va + len - 1 >= va, "range wraps");
		FUZZ_CHECK(translate(&regs, &m, va + len - 1, &last_ipa,
				     &last_len) == WALK_OK,
			   "va 0x%llx maps %llu bytes, but its last byte does "
			   "not translate",
			   (unsigned long long)va, (unsigned long long)len);
		FUZZ_CHECK(last_ipa == ipa + len - 1 && last_len == 1,
			   "va 0x%llx: last byte at ipa 0x%llx (size %llu), "
			   "expected 0x%llx",
			   (unsigned long long)va, (unsigned long long)last_ipa,
			   (unsigned long long)last_len,
			   (unsigned long long)(ipa + len - 1));
		va += len;
	}
	return 0;
}

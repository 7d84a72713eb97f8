/*
 * isolation.c - probes the edges of the guest's RAM as the DTB /memory
 * node describes it.  The words just inside must be readable; reads and
 * writes just outside must raise a synchronous data abort at EL1
 * (EC 0x25) with FAR = the probed address; and the guest must come out
 * of it with its code and data intact.
 *
 * Plain QEMU has other things mapped around RAM (flash, PCIe ECAM), so a
 * probe that does not abort only counts as a failure with the bootargs
 * flag "isolation-strict" (the vigil tests pass it); otherwise it is
 * printed as a note.
 */
#include "guest.h"

const char guest_name[] = "isolation";

#define BELOW_RAM_DISTANCE	0x1000
#define PROBE_WRITE_VALUE	0x5afe5afe5afe5afeUL
#define SCRATCH_WORDS		512

static bool strict;
static volatile u64 scratch[SCRATCH_WORDS];	/* a pattern the probes must not touch */

static u64 scratch_pattern(unsigned i)
{
	return 0x9e3779b97f4a7c15UL * (i + 1) ^ (u64)&scratch[i];
}

/* A checksum of our own code, to show the probes did not land in it. */
static u64 code_checksum(void)
{
	const u32 *p = (const u32 *)_image_start, *end = (const u32 *)_text_end;
	u64 sum = 0;

	while (p < end)
		sum = (sum << 7 | sum >> 57) ^ *p++;
	return sum;
}

static void check_inside(const char *what, u64 addr)
{
	struct exception_record rec;
	u64 value;

	if (probe_read64(addr, &value, &rec))
		report_fail("%s at 0x%lx aborted esr=0x%lx far=0x%lx",
			    what, addr, rec.esr, rec.far);
	else
		report_ok("%s at 0x%lx", what, addr);
}

/* Not the abort we wanted: a failure under isolation-strict, else a note. */
#define report_mismatch(fmt, ...)						\
	(strict ? report_fail(fmt, __VA_ARGS__)					\
		: print_line("note " fmt " (not counted without isolation-strict)", \
			     __VA_ARGS__))

static void check_outside(const char *what, u64 addr, bool write)
{
	struct exception_record rec;
	u64 value = 0;
	bool aborted;

	aborted = write ? probe_write64(addr, PROBE_WRITE_VALUE, &rec)
			: probe_read64(addr, &value, &rec);
	if (aborted && ESR_EC(rec.esr) == EC_DABT_CUR_EL && rec.far == addr)
		report_ok("%s far=0x%lx", what, rec.far);
	else if (aborted)
		report_mismatch("%s expected ec=0x%x far=0x%lx got ec=0x%lx far=0x%lx esr=0x%lx",
				what, EC_DABT_CUR_EL, addr, ESR_EC(rec.esr), rec.far, rec.esr);
	else if (write)
		report_mismatch("%s: no abort writing 0x%lx", what, addr);
	else
		report_mismatch("%s: no abort reading 0x%lx, got 0x%lx", what, addr, value);
}

void guest_main(void)
{
	u64 base, size, checksum;
	unsigned i, bad;

	strict = bootargs_has("isolation-strict");
	if (!fdt_memory(guest_dtb, &base, &size)) {
		report_fail("no /memory reg in dtb");
		return;
	}
	print_line("ram base=0x%lx size=0x%lx%s", base, size, strict ? " (strict)" : "");

	checksum = code_checksum();
	for (i = 0; i < SCRATCH_WORDS; i++)
		scratch[i] = scratch_pattern(i);

	/* The boundary is exact: the last word inside is fine, the next is not. */
	check_inside("read first ram word", base);
	check_inside("read last ram word", base + size - 8);
	if (base >= BELOW_RAM_DISTANCE) {
		check_outside("abort below ram", base - BELOW_RAM_DISTANCE, false);
		check_outside("write abort below ram", base - BELOW_RAM_DISTANCE, true);
	}
	check_outside("abort above ram", base + size, false);
	check_outside("write abort above ram", base + size, true);

	/* Still alive (we got here) and our own memory is untouched. */
	check_eq("code intact", checksum, code_checksum());
	for (bad = 0, i = 0; i < SCRATCH_WORDS; i++)
		if (scratch[i] != scratch_pattern(i))
			bad++;
	check_eq("ram pattern intact (bad words)", 0, bad);
}

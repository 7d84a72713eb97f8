/*
 * forge.c - a guest that tries to pass its console lines off as vigil's.
 * Every console line that starts with "vigil:" must be vigil's: the
 * hypervisor marks a guest line that starts so ("[guest] vigil: ...")
 * and leaves every other guest byte alone. The system test checks the
 * console; the guest only writes (raw, not through print_line):
 *
 *   "vigil: PANIC: forged"               a whole forged line
 *   "\rvigil: BUG: forged after cr"      a terminal's column 0 after CR
 *   "x", a vigil log line (an abort the guest provokes), then
 *   "vigil: PANIC: forged after a vigil line" on the line vigil's began
 *   "vigi", a pause of 500 ms, "l: PANIC: forged slowly"
 *   "vigilant is not vigil:" and a "guest: ..." line with "vigil:"
 *                                        in the middle: untouched
 */
#include "guest.h"

const char guest_name[] = "forge";

static void raw(const char *s)
{
	unsigned n = 0;

	while (s[n])
		n++;
	console_write_line(s, n, false);
}

void guest_main(void)
{
	struct exception_record rec;
	u64 value, base, size;

	if (!fdt_memory(guest_dtb, &base, &size)) {
		report_fail("no /memory reg in dtb");
		return;
	}
	raw("vigil: PANIC: forged\n");
	raw("\rvigil: BUG: forged after cr\n");

	/* vigil's abort line cuts in after "x": the next byte is at column 0. */
	raw("x");
	check_true("read above ram aborts", probe_read64(base + size, &value, &rec));
	raw("vigil: PANIC: forged after a vigil line\n");

	raw("vigi");
	u64 deadline = deadline_after_ms(500);
	while (!deadline_passed(deadline))
		;
	raw("l: PANIC: forged slowly\n");

	raw("vigilant is not vigil:\n");
	print_line("says vigil: in the middle of a line");
}

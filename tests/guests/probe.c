/*
 * probe.c - reads one 32-bit word at the address in bootargs
 * "probe=0x<hex>" and says what happened, then carries on to its verdict:
 * a guest poking at a device the hypervisor keeps (vigil's NIC) must get
 * a synchronous external abort, or a bus-style read (all ones or zero),
 * and never take anything down.
 *
 * Lines: "guest: ok probe 0x... aborted esr=0x.. far=0x.." or
 * "guest: ok probe 0x... read 0x..." (all ones or zero); a read of any
 * other value is a failure: the device answered. With "probe-write" the
 * word is also written (0xffffffff) and the same rules apply. With
 * "linger=N" the guest then stays up N more seconds (for a test to check
 * that the hypervisor still uses the device meanwhile).
 */
#include "guest.h"

const char guest_name[] = "probe";

void guest_main(void)
{
	struct exception_record rec;
	u64 addr, linger = 0;
	u32 value;

	if (!bootargs_value("probe", &addr)) {
		print_line("skip no probe=0x<address> in the bootargs");
		return;
	}
	if (addr & 3) {
		report_fail("probe=0x%lx is not 4-byte aligned", addr);
		return;
	}
	if (probe_read32(addr, &value, &rec))
		report_ok("probe 0x%lx aborted esr=0x%lx far=0x%lx", addr, rec.esr,
			  rec.far);
	else if (value == 0xffffffffU || value == 0)
		report_ok("probe 0x%lx read 0x%x", addr, value);
	else
		report_fail("probe 0x%lx read 0x%x: the device is reachable", addr,
			    value);
	if (bootargs_has("probe-write")) {
		if (probe_write32(addr, 0xffffffffU, &rec))
			report_ok("probe 0x%lx write aborted esr=0x%lx far=0x%lx",
				  addr, rec.esr, rec.far);
		else
			report_ok("probe 0x%lx write ignored", addr);
	}
	print_line("still running after the probe");
	if (bootargs_value("linger", &linger) && linger > 0) {
		u64 deadline = deadline_after_ms((unsigned)(linger < 600 ? linger : 600) * 1000);

		while (!deadline_passed(deadline))
			;
	}
}

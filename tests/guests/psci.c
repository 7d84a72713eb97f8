/*
 * psci.c - exercises every PSCI function vigil emulates, over HVC, down
 * to a full CPU_ON / CPU_OFF / CPU_ON cycle of a second CPU.
 *
 * Bootargs flags:
 *   smc-ok       also call PSCI_VERSION over SMC (UNDEFINED on plain QEMU)
 *   psci-strict  CPU_ON with an entry point outside RAM must fail with
 *                INVALID_ADDRESS; plain QEMU does not check entry points
 *   reset        end with SYSTEM_RESET instead of SYSTEM_OFF, printing
 *                "guest: psci system_reset" in place of the PASS line
 *                (only if every check passed)
 */
#include "guest.h"

const char guest_name[] = "psci";

#define NONEXISTENT_MPIDR	0xff
#define UNKNOWN_PSCI_FID	0x8400001F
#define TIMEOUT_MS		5000

/* Handshake with the second CPU; each counter has a single writer. */
static volatile u32 check_ins;		/* written by cpu 1 */
static volatile u32 releases;		/* written by cpu 0 */

/* cpu 1: check in, wait to be released, turn itself off. */
void secondary_main(unsigned cpu)
{
	u32 n = check_ins + 1;
	u64 deadline = deadline_after_ms(2 * TIMEOUT_MS);
	s32 ret;

	print_line("cpu %u on, check-in %u", cpu, n);
	dmb_sy();
	check_ins = n;
	while (releases < n && !deadline_passed(deadline))
		dmb_sy();
	if (releases < n)
		report_fail("cpu %u was never released", cpu);
	ret = psci_cpu_off();
	report_fail("cpu %u cpu_off returned %d", cpu, ret);
}

static bool wait_for_check_in(u32 n)
{
	u64 deadline = deadline_after_ms(TIMEOUT_MS);

	while (check_ins < n && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	return check_ins >= n;
}

/* Poll AFFINITY_INFO until it says @want (ON_PENDING may come first). */
static s32 poll_affinity(u64 mpidr, s32 want)
{
	u64 deadline = deadline_after_ms(TIMEOUT_MS);
	s32 state;

	do
		state = psci_affinity_info(mpidr, 0);
	while (state != want && !deadline_passed(deadline));
	return state;
}

static void check_feature(const char *what, u32 fid)
{
	check_ret(what, PSCI_SUCCESS, psci_features(fid));
}

static void test_features(void)
{
	check_feature("features psci_version", PSCI_VERSION);
	check_feature("features cpu_on", PSCI_CPU_ON);
	check_feature("features cpu_off", PSCI_CPU_OFF);
	check_feature("features affinity_info", PSCI_AFFINITY_INFO);
	check_feature("features system_off", PSCI_SYSTEM_OFF);
	check_feature("features system_reset", PSCI_SYSTEM_RESET);
	check_feature("features psci_features", PSCI_FEATURES);
	check_ret("features unknown not_supported", PSCI_NOT_SUPPORTED,
		  psci_features(UNKNOWN_PSCI_FID));
}

static void test_single_cpu_calls(u64 self)
{
	s32 state;

	check_ret("cpu_on nonexistent mpidr invalid_parameters", PSCI_INVALID_PARAMETERS,
		  psci_cpu_on(NONEXISTENT_MPIDR, (u64)secondary_entry, 1));
	check_ret("cpu_on self already_on", PSCI_ALREADY_ON,
		  psci_cpu_on(self, (u64)secondary_entry, 0));
	check_ret("affinity_info self on", AFFINITY_ON, psci_affinity_info(self, 0));
	check_ret("affinity_info nonexistent mpidr invalid_parameters",
		  PSCI_INVALID_PARAMETERS, psci_affinity_info(NONEXISTENT_MPIDR, 0));

	/* Levels above 0 are optional in PSCI: a state or INVALID_PARAMETERS. */
	state = psci_affinity_info(self, 1);
	if (state == AFFINITY_ON || state == AFFINITY_OFF || state == AFFINITY_ON_PENDING ||
	    state == PSCI_INVALID_PARAMETERS)
		report_ok("affinity_info self level 1 returned %d", state);
	else
		report_fail("affinity_info self level 1 returned %d", state);
}

/* Bring @target up as cpu 1 for the @n-th time, then let it turn off. */
static bool cycle_cpu(u64 target, u32 n)
{
	if (!check_ret(n == 1 ? "cpu_on cpu 1" : "cpu_on cpu 1 again", PSCI_SUCCESS,
		       psci_cpu_on(target, (u64)secondary_entry, 1)))
		return false;
	if (!check_true(n == 1 ? "cpu 1 checked in" : "cpu 1 checked in again",
			wait_for_check_in(n)))
		return false;
	check_ret("affinity_info cpu 1 on", AFFINITY_ON, poll_affinity(target, AFFINITY_ON));
	check_ret("cpu_on running cpu 1 already_on", PSCI_ALREADY_ON,
		  psci_cpu_on(target, (u64)secondary_entry, 1));
	releases = n;
	return check_ret("affinity_info cpu 1 off after cpu_off", AFFINITY_OFF,
			 poll_affinity(target, AFFINITY_OFF));
}

static void test_cpu_on_off(u64 target, bool strict)
{
	u64 base = 0, size = 0, bad_entry;
	s32 ret;

	print_line("cpu 1 is mpidr=0x%lx", target);
	if (!cycle_cpu(target, 1) || !cycle_cpu(target, 2))
		return;

	/* Last: on plain QEMU this really starts cpu 1 there, and it is lost. */
	fdt_memory(guest_dtb, &base, &size);
	bad_entry = base > 0x8 ? 0x8 : base + size;
	ret = psci_cpu_on(target, bad_entry, 1);
	if (ret == PSCI_INVALID_ADDRESS)
		report_ok("cpu_on entry outside ram invalid_address");
	else if (ret == PSCI_SUCCESS && !strict)
		print_line("note cpu_on entry=0x%lx outside ram returned 0, cpu 1 lost"
			   " (not counted without psci-strict)", bad_entry);
	else
		report_fail("cpu_on entry=0x%lx outside ram expected %d got %d",
			    bad_entry, PSCI_INVALID_ADDRESS, ret);
}

void guest_main(void)
{
	u64 self = read_mpidr(), dt_mpidr[MAX_CPUS], target = ~0UL;
	unsigned dt_cpus, i;
	s32 version = psci_version();

	print_line("psci version %u.%u", (u32)version >> 16, version & 0xffff);
	check_true("psci version major >= 1", version >= 0x10000);
	test_features();
	test_single_cpu_calls(self);

	if (smc_allowed())
		check_eq("smc psci_version matches hvc", (u32)version,
			 (u32)smccc_call(SMCCC_SMC, PSCI_VERSION, 0, 0, 0));
	else
		print_line("skip smc");

	dt_cpus = fdt_cpus(guest_dtb, dt_mpidr, MAX_CPUS);
	for (i = 0; i < dt_cpus && i < MAX_CPUS; i++)
		if (dt_mpidr[i] != self) {
			target = dt_mpidr[i];
			break;
		}
	if (target == ~0UL)
		print_line("skip cpu_on tests (%u cpu)", dt_cpus);
	else
		test_cpu_on_off(target, bootargs_has("psci-strict"));

	if (bootargs_has("reset")) {
		if (failure_count()) {
			print_line("note no system_reset after failures");
			return;
		}
		print_last_line("psci system_reset");
		psci_system_reset();
		console_unlock_if_owner();
		report_fail("system_reset returned");
	}
}

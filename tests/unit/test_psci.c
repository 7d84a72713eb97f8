/*
 * hv/psci.c (with hv/vm.c): the guest's PSCI 1.1 through
 * smccc_guest_call(). Calls that never return on hardware (CPU_OFF,
 * SYSTEM_OFF, SYSTEM_RESET) come back through the fake arch's escape.
 */
#include <string.h>

#include <vigil/smccc.h>
#include <vigil/vm.h>

#include "fake/fake.h"
#include "test.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (256ULL << 20)

/*
 * Six vCPUs spread over the affinity levels:
 *   0: 0x0   1: 0x1   2: 0x100   3: 0x101   4: 0x10000   5: 0x1_0000_0000
 */
static const uint64_t mpidrs[] = {0x0, 0x1, 0x100, 0x101, 0x10000,
				  0x100000000ULL};
#define NR_VCPUS (sizeof(mpidrs) / sizeof(mpidrs[0]))

static struct vm vm;

/* vCPU 0 on (the boot CPU), all others off. */
static void setup(void)
{
	memset(&vm, 0, sizeof(vm));
	vm.ram = (struct mem_range){RAM_BASE, RAM_SIZE};
	vm.nr_vcpus = NR_VCPUS;
	for (uint32_t i = 0; i < NR_VCPUS; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].mpidr = mpidrs[i];
		vm.vcpus[i].power = VCPU_OFF;
	}
	vm.vcpus[0].power = VCPU_ON;
}

static int64_t call(uint32_t caller, uint64_t fid, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	struct smccc_args args = {fid, a1, a2, a3};
	int64_t ret = smccc_guest_call(&vm.vcpus[caller], &args);

	/* Whatever happened, the power lock is free again. */
	EXPECT_EQ(0, fake_arch.locks_held);
	EXPECT_EQ(0, vm.power_lock.locked);
	return ret;
}

/* For calls that may not return. */
struct pending_call {
	uint32_t caller;
	struct smccc_args args;
	int64_t ret;
};

static void do_call(void *ctx)
{
	struct pending_call *c = ctx;
	c->ret = smccc_guest_call(&vm.vcpus[c->caller], &c->args);
}

TEST(version)
{
	setup();
	EXPECT_EQ(0x10001, call(0, PSCI_FN_VERSION, 0, 0, 0));
	EXPECT_EQ(PSCI_VERSION_1_1, call(0, PSCI_FN_VERSION, 0, 0, 0));
	EXPECT_EQ(2, vm.vcpus[0].stats.smccc);
}

TEST(features_supported)
{
	static const uint32_t supported[] = {
		0x84000000, /* PSCI_VERSION */
		0x84000001, 0xc4000001, /* CPU_SUSPEND */
		0x84000002, /* CPU_OFF */
		0x84000003, 0xc4000003, /* CPU_ON */
		0x84000004, 0xc4000004, /* AFFINITY_INFO */
		0x84000006, /* MIGRATE_INFO_TYPE */
		0x84000008, /* SYSTEM_OFF */
		0x84000009, /* SYSTEM_RESET */
		0x8400000a, /* PSCI_FEATURES */
	};
	setup();
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
		if (!EXPECT_EQ(PSCI_SUCCESS,
			       call(0, PSCI_FN_FEATURES, supported[i], 0, 0)))
			test_note("function 0x%x", supported[i]);
	}
}

TEST(features_unknown)
{
	static const uint64_t unknown[] = {
		0x84000005, /* MIGRATE */
		0xc4000005, 0x84000007, /* MIGRATE_INFO_UP_CPU */
		0xc4000007, 0xc4000000, /* no SMC64 PSCI_VERSION */
		0xc4000002, 0xc4000008, 0x8400000b, 0x8400000c, 0x8400000e,
		0x84000012, 0x80000000, /* SMCCC_VERSION */
		0x80008000, /* SMCCC_ARCH_WORKAROUND_1 */
		0x00000000, 0xffffffff, 0x86000000, 0xc6000000,
	};
	setup();
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (!EXPECT_EQ(PSCI_E_NOT_SUPPORTED,
			       call(0, PSCI_FN_FEATURES, unknown[i], 0, 0)))
			test_note("function 0x%llx",
				  (unsigned long long)unknown[i]);
	}
}

TEST(cpu_on_success)
{
	setup();
	EXPECT_EQ(PSCI_SUCCESS, call(0, PSCI_FN64_CPU_ON, 0x101,
				     RAM_BASE + 0x80000, 0xdeadbeefcafe0000ULL));
	struct vcpu *v = &vm.vcpus[3];
	EXPECT_EQ(VCPU_ON_PENDING, v->power);
	EXPECT_EQ(RAM_BASE + 0x80000, v->on_entry);
	EXPECT_EQ(0xdeadbeefcafe0000ULL, v->on_context);
	EXPECT_EQ(1, fake_arch.kicks); /* wakes the parked CPU */
	EXPECT_EQ(1, fake_arch.spin_locks);
	/* Nobody else changed. */
	for (uint32_t i = 1; i < NR_VCPUS; i++) {
		if (i != 3)
			EXPECT_EQ(VCPU_OFF, vm.vcpus[i].power);
	}
	EXPECT_EQ(VCPU_ON, vm.vcpus[0].power);
	/* The last 4 bytes of RAM are a valid entry point too. */
	EXPECT_EQ(PSCI_SUCCESS, call(0, PSCI_FN64_CPU_ON, 0x1,
				     RAM_BASE + RAM_SIZE - 4, 0));
}

TEST(cpu_on_bad_mpidr)
{
	setup();
	/* No such vCPU. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0x2, RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0x200000000ULL, RAM_BASE, 0));
	/* Bits outside Aff3..Aff0: bit 24 (MT), bit 31, bit 40. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0x1000001, RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0x80000001, RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0x10000000001ULL, RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, UINT64_MAX, RAM_BASE, 0));
	for (uint32_t i = 1; i < NR_VCPUS; i++)
		EXPECT_EQ(VCPU_OFF, vm.vcpus[i].power);
	EXPECT_EQ(0, fake_arch.kicks);
}

TEST(cpu_on_bad_entry)
{
	setup();
	static const uint64_t bad[] = {
		0,
		RAM_BASE - 4,
		RAM_BASE + 2,            /* unaligned */
		RAM_BASE + 0x80001,      /* unaligned */
		RAM_BASE + RAM_SIZE,     /* just past RAM */
		RAM_BASE + RAM_SIZE - 2, /* straddles the end */
		UINT64_MAX - 3,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!EXPECT_EQ(PSCI_E_INVALID_ADDRESS,
			       call(0, PSCI_FN64_CPU_ON, 0x1, bad[i], 0)))
			test_note("entry 0x%llx", (unsigned long long)bad[i]);
	}
	EXPECT_EQ(VCPU_OFF, vm.vcpus[1].power);
	EXPECT_EQ(0, vm.vcpus[1].on_entry);
	EXPECT_EQ(0, fake_arch.kicks);
}

TEST(cpu_on_already_on_or_pending)
{
	setup();
	/* vCPU 0 is on; it may even ask for itself. */
	EXPECT_EQ(PSCI_E_ALREADY_ON,
		  call(1, PSCI_FN64_CPU_ON, 0x0, RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_ALREADY_ON,
		  call(0, PSCI_FN64_CPU_ON, 0x0, RAM_BASE, 0));
	ASSERT_EQ(PSCI_SUCCESS,
		  call(0, PSCI_FN64_CPU_ON, 0x100, RAM_BASE + 0x1000, 11));
	EXPECT_EQ(PSCI_E_ON_PENDING,
		  call(0, PSCI_FN64_CPU_ON, 0x100, RAM_BASE + 0x2000, 22));
	/* The second request changed nothing. */
	EXPECT_EQ(RAM_BASE + 0x1000, vm.vcpus[2].on_entry);
	EXPECT_EQ(11, vm.vcpus[2].on_context);
	EXPECT_EQ(VCPU_ON_PENDING, vm.vcpus[2].power);
	EXPECT_EQ(1, fake_arch.kicks);
	EXPECT_EQ(VCPU_ON, vm.vcpus[0].power);
}

TEST(cpu_on_smc32_truncates_arguments)
{
	setup();
	/* Upper halves of x1..x3 are undefined for SMC32: ignored. */
	EXPECT_EQ(PSCI_SUCCESS,
		  call(0, PSCI_FN_CPU_ON, 0xdeadbeef00000001ULL,
		       0xffffffff00000000ULL | (RAM_BASE + 0x1000),
		       0x123456789abcdef0ULL));
	EXPECT_EQ(VCPU_ON_PENDING, vm.vcpus[1].power);
	EXPECT_EQ(RAM_BASE + 0x1000, vm.vcpus[1].on_entry);
	EXPECT_EQ(0x9abcdef0, vm.vcpus[1].on_context);
	/* The same arguments through SMC64 are taken at full width. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_CPU_ON, 0xdeadbeef00000100ULL,
		       RAM_BASE, 0));
	EXPECT_EQ(PSCI_E_INVALID_ADDRESS,
		  call(0, PSCI_FN64_CPU_ON, 0x100,
		       0xffffffff00000000ULL | RAM_BASE, 0));
	EXPECT_EQ(VCPU_OFF, vm.vcpus[2].power);
	/* SMC32 cannot name Aff3: 0x1_00000000 is cut to 0, vCPU 0 (on). */
	EXPECT_EQ(PSCI_E_ALREADY_ON,
		  call(0, PSCI_FN_CPU_ON, 0x100000000ULL, RAM_BASE, 0));
	EXPECT_EQ(PSCI_SUCCESS,
		  call(0, PSCI_FN64_CPU_ON, 0x100000000ULL, RAM_BASE, 7));
	EXPECT_EQ(VCPU_ON_PENDING, vm.vcpus[5].power);
}

TEST(affinity_info_level0)
{
	setup();
	vm.vcpus[2].power = VCPU_ON_PENDING;
	EXPECT_EQ(PSCI_AFFINITY_ON, call(0, PSCI_FN64_AFFINITY_INFO, 0x0, 0, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF, call(0, PSCI_FN64_AFFINITY_INFO, 0x1, 0, 0));
	EXPECT_EQ(PSCI_AFFINITY_ON_PENDING,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x100, 0, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x100000000ULL, 0, 0));
	EXPECT_EQ(PSCI_AFFINITY_ON, call(0, PSCI_FN_AFFINITY_INFO, 0x0, 0, 0));
	/* Nonexistent, or bits outside the affinity fields. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x2, 0, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x1000000, 0, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x80000000, 0, 0));
}

TEST(affinity_info_levels)
{
	setup();
	vm.vcpus[0].power = VCPU_OFF; /* as if vCPU 0 had powered off */

	/* Level 1: Aff0 ignored; cluster 0x100 = vCPUs 2 and 3. */
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x100, 1, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x1ff, 1, 0));
	vm.vcpus[3].power = VCPU_ON_PENDING;
	EXPECT_EQ(PSCI_AFFINITY_ON_PENDING,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x100, 1, 0));
	vm.vcpus[2].power = VCPU_ON;
	EXPECT_EQ(PSCI_AFFINITY_ON,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x100, 1, 0));
	/* Cluster 0x200 has nobody. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x200, 1, 0));
	/* Cluster 0 (vCPUs 0, 1) is all off. */
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x0, 1, 0));

	/* Level 2: Aff1 and Aff0 ignored: vCPUs 0-3 (2 is on). */
	EXPECT_EQ(PSCI_AFFINITY_ON,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x0, 2, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x10000, 2, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x1ffff, 2, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x20000, 2, 0));

	/* Level 3: only Aff3 counts. */
	EXPECT_EQ(PSCI_AFFINITY_ON,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0xffffff, 3, 0));
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x100000000ULL, 3, 0));
	vm.vcpus[5].power = VCPU_ON_PENDING;
	EXPECT_EQ(PSCI_AFFINITY_ON_PENDING,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x100000000ULL, 3, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x200000000ULL, 3, 0));

	/* There is no level 4. */
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x0, 4, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN64_AFFINITY_INFO, 0x0, UINT64_MAX, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(1, PSCI_FN_AFFINITY_INFO, 0x0, 4, 0));
}

TEST(affinity_info_smc32_truncates_arguments)
{
	setup();
	vm.vcpus[2].power = VCPU_ON;
	EXPECT_EQ(PSCI_AFFINITY_ON, call(0, PSCI_FN_AFFINITY_INFO,
					 0xffffffff00000100ULL, 0, 0));
	/* Level 0x1_00000001 is level 1 in SMC32. */
	EXPECT_EQ(PSCI_AFFINITY_ON, call(0, PSCI_FN_AFFINITY_INFO, 0x101,
					 0x100000001ULL, 0));
	EXPECT_EQ(PSCI_E_INVALID_PARAMETERS,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x101, 0x100000001ULL, 0));
}

TEST(migrate_info_type)
{
	setup();
	EXPECT_EQ(2, call(0, PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0));
}

TEST(cpu_suspend_returns_at_once)
{
	setup();
	EXPECT_EQ(PSCI_SUCCESS, call(0, PSCI_FN_CPU_SUSPEND, 0, RAM_BASE, 0));
	EXPECT_EQ(PSCI_SUCCESS,
		  call(0, PSCI_FN64_CPU_SUSPEND, 0x10000, RAM_BASE, 0));
	EXPECT_EQ(VCPU_ON, vm.vcpus[0].power);
}

TEST(unknown_functions)
{
	static const uint64_t unknown[] = {
		0x84000005, 0x84000007, 0x8400000b, 0x8400000c, 0x84000012,
		0xc4000000, 0xc4000002, 0xc4000006, 0xc4000008, 0xc400000a,
		0x80000000, 0x80008000, 0x86000000, 0xc6000001, 0x00000000,
		0xffffffff,
	};
	setup();
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (!EXPECT_EQ(SMCCC_NOT_SUPPORTED,
			       call(0, unknown[i], 0, 0, 0)))
			test_note("fid 0x%llx", (unsigned long long)unknown[i]);
	}
	EXPECT_STREQ("vCPU 0: unsupported SMCCC function 0xffffffff",
		     fake_log_last());
	EXPECT_EQ(sizeof(unknown) / sizeof(unknown[0]),
		  vm.vcpus[0].stats.smccc);
}

TEST(fid_with_upper_bits_set)
{
	setup();
	/* Would be VERSION, CPU_ON, SYSTEM_OFF if the upper half were ignored. */
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  call(0, 0x100000000ULL | PSCI_FN_VERSION, 0, 0, 0));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  call(0, 0xffffffff00000000ULL | PSCI_FN64_CPU_ON, 1,
		       RAM_BASE, 0));
	EXPECT_EQ(VCPU_OFF, vm.vcpus[1].power);
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  call(0, 0x100000000ULL | PSCI_FN_SYSTEM_OFF, 0, 0, 0));
	EXPECT_FALSE(fake_arch.system_off);
	EXPECT_EQ(3, vm.vcpus[0].stats.smccc);
}

TEST(system_off_reaches_firmware)
{
	struct pending_call c = {2, {PSCI_FN_SYSTEM_OFF, 0, 0, 0}, 0};

	setup();
	vm.vcpus[2].power = VCPU_ON;
	vm.vcpus[1].stats.exits = 42;
	EXPECT_STREQ("arch_fw_system_off", fake_call_noreturn(do_call, &c));
	EXPECT_TRUE(fake_arch.system_off);
	EXPECT_FALSE(fake_arch.system_reset);
	EXPECT_TRUE(fake_log_contains(
		"guest powered off (PSCI SYSTEM_OFF on vCPU 2)"));
	/* Statistics on the way out (their wording belongs to vm.c): at
	 * least a line per vCPU, and vCPU 1's exit count among them. */
	EXPECT_TRUE(fake_log_count() >= 1 + NR_VCPUS);
	EXPECT_TRUE(fake_log_contains("exits=42"));
	EXPECT_EQ(0, fake_arch.locks_held);
}

TEST(system_reset_reaches_firmware)
{
	struct pending_call c = {0, {PSCI_FN_SYSTEM_RESET, 0, 0, 0}, 0};

	setup();
	EXPECT_STREQ("arch_fw_system_reset", fake_call_noreturn(do_call, &c));
	EXPECT_TRUE(fake_arch.system_reset);
	EXPECT_FALSE(fake_arch.system_off);
	EXPECT_TRUE(fake_log_contains(
		"guest reset (PSCI SYSTEM_RESET on vCPU 0)"));
	EXPECT_EQ(1, vm.vcpus[0].stats.smccc);
}

TEST(cpu_off_parks_the_vcpu)
{
	struct pending_call c = {2, {PSCI_FN_CPU_OFF, 0, 0, 0}, 0};

	setup();
	vm.vcpus[2].power = VCPU_ON;
	/* No hook: the first wait would block forever, so it escapes. */
	EXPECT_STREQ("arch_cpu_wait_interrupt", fake_call_noreturn(do_call, &c));
	EXPECT_EQ(VCPU_OFF, vm.vcpus[2].power);
	EXPECT_EQ(1, fake_arch.wait_events);
	EXPECT_EQ(0, fake_arch.locks_held);
	EXPECT_EQ(0, vm.vcpus[2].arch.enters);
	/* Everybody sees it off. */
	EXPECT_EQ(PSCI_AFFINITY_OFF,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x100, 0, 0));
}

/* While vCPU 2 waits, vCPU 0 powers it on again. */
static void cpu_on_from_vcpu0(void *ctx)
{
	(void)ctx;
	if (fake_arch.wait_events < 3)
		return; /* a few spurious wake-ups first */
	EXPECT_EQ(PSCI_SUCCESS, call(0, PSCI_FN64_CPU_ON, 0x100,
				     RAM_BASE + 0x4000, 0x1234));
}

TEST(cpu_off_then_cpu_on_restarts_at_entry)
{
	struct pending_call c = {2, {PSCI_FN_CPU_OFF, 0, 0, 0}, 0};

	setup();
	vm.vcpus[2].power = VCPU_ON;
	fake_arch.on_wait_event = cpu_on_from_vcpu0;
	/* The parked CPU wakes up, resets the vCPU and enters the guest. */
	EXPECT_STREQ("arch_vcpu_enter", fake_call_noreturn(do_call, &c));
	EXPECT_EQ(3, fake_arch.wait_events);
	EXPECT_EQ(VCPU_ON, vm.vcpus[2].power);
	EXPECT_EQ(&vm.vcpus[2], fake_arch.reset_vcpu);
	EXPECT_EQ(RAM_BASE + 0x4000, fake_arch.reset_entry);
	EXPECT_EQ(0x1234, fake_arch.reset_arg);
	EXPECT_EQ(RAM_BASE + 0x4000, vm.vcpus[2].arch.regs.pc);
	EXPECT_EQ(0x1234, vm.vcpus[2].arch.regs.x[0]);
	EXPECT_EQ(1, vm.vcpus[2].arch.resets);
	EXPECT_EQ(1, vm.vcpus[2].arch.enters);
	EXPECT_EQ(0, fake_arch.locks_held);
	EXPECT_EQ(PSCI_AFFINITY_ON,
		  call(0, PSCI_FN64_AFFINITY_INFO, 0x100, 0, 0));
}

static void run_pinned(void *ctx)
{
	vcpu_run_pinned(ctx);
}

TEST(secondary_starts_when_powered_on)
{
	setup();
	/* vcpu_run_pinned() on a CPU whose vCPU is off waits for CPU_ON. */
	struct vcpu *v = &vm.vcpus[4];
	fake_arch.on_wait_event = NULL;
	EXPECT_STREQ("arch_cpu_wait_interrupt",
		     fake_call_noreturn(run_pinned, v));
	EXPECT_EQ(1, v->arch.inits);
	EXPECT_EQ(VCPU_OFF, v->power);
	ASSERT_EQ(PSCI_SUCCESS, call(0, PSCI_FN64_CPU_ON, 0x10000,
				     RAM_BASE + 0x8000, 99));
	EXPECT_STREQ("arch_vcpu_enter",
		     fake_call_noreturn(run_pinned, v));
	EXPECT_EQ(VCPU_ON, v->power);
	EXPECT_EQ(RAM_BASE + 0x8000, v->arch.regs.pc);
	EXPECT_EQ(99, v->arch.regs.x[0]);
	/* The boot vCPU is on already: straight into the guest. */
	EXPECT_STREQ("arch_vcpu_enter",
		     fake_call_noreturn(run_pinned,
					&vm.vcpus[0]));
	EXPECT_EQ(0, vm.vcpus[0].arch.resets);
}

TEST(find_vcpu_and_ram_checks)
{
	setup();
	EXPECT_EQ(&vm.vcpus[3], vm_find_vcpu_by_mpidr(&vm, 0x101));
	EXPECT_EQ(&vm.vcpus[5], vm_find_vcpu_by_mpidr(&vm, 0x100000000ULL));
	EXPECT_EQ(NULL, vm_find_vcpu_by_mpidr(&vm, 0x102));
	EXPECT_TRUE(vm_ipa_is_ram(&vm, RAM_BASE, 1));
	EXPECT_TRUE(vm_ipa_is_ram(&vm, RAM_BASE, RAM_SIZE));
	EXPECT_TRUE(vm_ipa_is_ram(&vm, RAM_BASE + RAM_SIZE - 8, 8));
	EXPECT_FALSE(vm_ipa_is_ram(&vm, RAM_BASE + RAM_SIZE - 8, 9));
	EXPECT_FALSE(vm_ipa_is_ram(&vm, RAM_BASE - 1, 2));
	EXPECT_FALSE(vm_ipa_is_ram(&vm, RAM_BASE + 8, UINT64_MAX));
	EXPECT_FALSE(vm_ipa_is_ram(&vm, UINT64_MAX, 1));
}

/* The debugger's pause/resume primitive (vm.c), single-threaded. */
static void resume_while_waiting(void *ctx)
{
	struct vcpu *v = ctx;
	EXPECT_TRUE(v->paused);
	v->pause_requested = false; /* what vcpu_resume() does */
}

TEST(pause_stops_at_exit_epilogue)
{
	setup();
	struct vcpu *v = &vm.vcpus[0];

	vcpu_exit_epilogue(v); /* nothing pending: nothing happens */
	EXPECT_EQ(0, v->arch.saves);

	v->pause_requested = true;
	fake_arch.on_wait_event = resume_while_waiting;
	fake_arch.on_wait_event_ctx = v;
	vcpu_exit_epilogue(v);
	EXPECT_EQ(1, v->arch.saves);
	EXPECT_EQ(1, v->arch.restores);
	EXPECT_FALSE(v->paused);
	EXPECT_EQ(1, fake_arch.wait_events);

	/* Pausing a vCPU that is off returns at once. */
	vcpu_pause(&vm.vcpus[1]);
	EXPECT_TRUE(vm.vcpus[1].pause_requested);
	EXPECT_EQ(1, fake_arch.kicks);
	vcpu_resume(&vm.vcpus[1]);
	EXPECT_FALSE(vm.vcpus[1].pause_requested);
}

/* The debugger's reload of a running vCPU's debug hardware (non-stop). */
TEST(debug_reload_at_exit_epilogue)
{
	setup();
	struct vcpu *v = &vm.vcpus[1];

	fake_arch.cpu_index = 0;
	dbg_host.attached = true;
	vcpu_request_debug_reload(v);
	/* Another CPU's vCPU: kicked so that it exits now. */
	EXPECT_EQ(1, fake_arch.kicks);
	EXPECT_TRUE(v->debug_reload);
	EXPECT_FALSE(v->arch.debug_host_owned);
	vcpu_exit_epilogue(v);
	/* Reloaded (the fake records dbg_host.attached), not stopped. */
	EXPECT_TRUE(v->arch.debug_host_owned);
	EXPECT_FALSE(v->debug_reload);
	EXPECT_EQ(0, v->arch.saves);
	EXPECT_EQ(0, fake_arch.wait_events);
	/* This CPU's own vCPU is in an exit already: no kick. */
	vcpu_request_debug_reload(&vm.vcpus[0]);
	EXPECT_EQ(1, fake_arch.kicks);
	dbg_host.attached = false;
}

/* vigil's test-only call answers only when vigil.cfg enables test hooks. */
TEST(test_hook_debug_host_needs_test_hooks)
{
	setup();
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, call(0, VIGIL_HVC_TEST_DEBUG_HOST, 1, 0, 0));
	EXPECT_FALSE(vm.vcpus[0].arch.debug_host_owned);

	vm.test_hooks = true;
	EXPECT_EQ(0, call(0, VIGIL_HVC_TEST_DEBUG_HOST, 1, 0, 0));
	EXPECT_TRUE(vm.vcpus[0].arch.debug_host_owned);
	EXPECT_EQ(0, call(0, VIGIL_HVC_TEST_DEBUG_HOST, 0, 0, 0));
	EXPECT_FALSE(vm.vcpus[0].arch.debug_host_owned);
}

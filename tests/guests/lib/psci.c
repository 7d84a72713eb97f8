/*
 * psci.c - SMCCC calls over HVC or SMC, and PSCI wrappers on top.
 *
 * PSCI return values are 32-bit (w0) even for SMC64 functions, so the
 * wrappers return the low word sign-extended.
 */
#include "guest.h"

u64 smccc_call(enum smccc_conduit conduit, u32 fid, u64 a1, u64 a2, u64 a3)
{
	register u64 x0 asm("x0") = fid;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3;

	/* SMCCC 1.0 lets the callee clobber x4-x17; assume it does. */
	if (conduit == SMCCC_SMC)
		asm volatile("smc #0"
			     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			     :
			     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			       "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	else
		asm volatile("hvc #0"
			     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			     :
			     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			       "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return x0;
}

static s32 psci_call(u32 fid, u64 a1, u64 a2, u64 a3)
{
	return (s32)smccc_call(SMCCC_HVC, fid, a1, a2, a3);
}

s32 psci_version(void)
{
	return psci_call(PSCI_VERSION, 0, 0, 0);
}

s32 psci_features(u32 fid)
{
	return psci_call(PSCI_FEATURES, fid, 0, 0);
}

s32 psci_cpu_on(u64 mpidr, u64 entry, u64 context_id)
{
	return psci_call(PSCI_CPU_ON, mpidr, entry, context_id);
}

s32 psci_cpu_off(void)
{
	return psci_call(PSCI_CPU_OFF, 0, 0, 0);
}

s32 psci_affinity_info(u64 mpidr, u32 lowest_level)
{
	return psci_call(PSCI_AFFINITY_INFO, mpidr, lowest_level, 0);
}

void psci_system_off(void)
{
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void psci_system_reset(void)
{
	psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
}

bool smc_allowed(void)
{
	return str_eq(fdt_psci_method(guest_dtb), "smc") || bootargs_has("smc-ok");
}

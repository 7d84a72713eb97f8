/* PSCI calls into the platform firmware over SMC (SMCCC 1.0 register use). */
#include <arch_firmware.h>
#include <vigil/smccc.h>

#include "cpu.h"

static int64_t smc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fid;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC 1.0 lets the firmware clobber x4-x17. */
	__asm__ volatile("smc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

int64_t arch_fw_cpu_on(uint64_t hwid, uintptr_t context)
{
	return smc_call(PSCI_FN64_CPU_ON, hwid, (uintptr_t)secondary_entry,
			context);
}

void arch_fw_system_off(void)
{
	smc_call(PSCI_FN_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void arch_fw_system_reset(void)
{
	smc_call(PSCI_FN_SYSTEM_RESET, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

/* Calls from vigil into the platform firmware (PSCI over SMC on arm64). */
#ifndef VIGIL_ARCH_FIRMWARE_H
#define VIGIL_ARCH_FIRMWARE_H

#include <vigil/types.h>

/*
 * Start the physical CPU with hardware id hwid in vigil's secondary entry
 * point with context (passed to arch_secondary_main). Returns the PSCI
 * status.
 */
int64_t arch_fw_cpu_on(uint64_t hwid, uintptr_t context);
void arch_fw_system_off(void) __attribute__((noreturn));
void arch_fw_system_reset(void) __attribute__((noreturn));

#endif

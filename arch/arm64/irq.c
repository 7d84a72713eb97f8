/*
 * Physical interrupts taken at EL2 (HCR_EL2.IMO/FMO route them here while
 * the guest runs). The GICv3 CPU interface is used through its system
 * registers; the distributor driver and the virtual GIC come with the
 * Linux-guest work and register their handlers here.
 */
#include <vigil/log.h>

#include "exceptions.h"

#define GIC_SPURIOUS_FIRST 1020

static inline uint64_t read_icc_iar1(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, S3_0_C12_C12_0" : "=r"(v));
	return v;
}

static inline void write_icc_eoir1(uint64_t v)
{
	__asm__ volatile("msr S3_0_C12_C12_1, %0" : : "r"(v));
}

void arm64_handle_irq(void)
{
	uint64_t intid = read_icc_iar1() & 0xffffff;

	if (intid >= GIC_SPURIOUS_FIRST && intid < 1024)
		return;
	log_debug("unexpected interrupt %llu at EL2",
		  (unsigned long long)intid);
	write_icc_eoir1(intid);
}

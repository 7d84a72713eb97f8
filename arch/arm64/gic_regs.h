/*
 * GICv3 register map (IHI 0069): what the physical driver programs and
 * what the vGIC emulates are the same registers.
 */
#ifndef ARCH_ARM64_GIC_REGS_H
#define ARCH_ARM64_GIC_REGS_H

#include <stdint.h>

/* Distributor; the redistributor's SGI frame repeats the 0x80-0xc04 bank. */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GICD_PIDR2 0xffe8
#define GICD_CTLR_ENABLE_G1 (1U << 0)
#define GICD_CTLR_ENABLE_G1A (1U << 1)
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_DS (1U << 6)
#define GICD_CTLR_RWP (1U << 31)
#define GICD_TYPER_NO1N (1U << 25)

/* Redistributor: the RD_base frame, then the SGI_base frame 64K above. */
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI_BASE 0x10000
#define GICR_FRAME_SIZE 0x20000
#define GICR_CTLR_RWP (1U << 3)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)

#define GIC_PIDR2_ARCH_V3 0x3b
#define GIC_IIDR_ARM 0x43b

/* GICR_TYPER.Affinity_Value: Aff3.Aff2.Aff1.Aff0 of an MPIDR. */
static inline uint64_t gic_affinity_of(uint64_t mpidr)
{
	return ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
}

#endif

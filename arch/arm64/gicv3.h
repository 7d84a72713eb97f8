/*
 * The physical GICv3, owned by vigil: distributor, one redistributor per
 * CPU, and the CPU interface through system registers. vigil runs with
 * ICC_CTLR_EL1.EOImode = 1, so that taking an interrupt (priority drop) and
 * deactivating it are separate: a forwarded interrupt is deactivated by the
 * guest itself, through the list register's HW bit.
 */
#ifndef ARCH_ARM64_GICV3_H
#define ARCH_ARM64_GICV3_H

#include <stdbool.h>
#include <stdint.h>

#define GIC_NR_PRIVATE 32      /* SGIs 0-15, PPIs 16-31 */
#define GIC_SGI_KICK 0         /* vigil's "exit and look" IPI */
#define GIC_PPI_MAINTENANCE 25 /* virtual CPU interface maintenance */
#define GIC_PPI_HYP_TIMER 26   /* CNTHP, vigil's own timer */
#define GIC_PPI_VIRT_TIMER 27  /* the guest's virtual timer */
#define GIC_PPI_PHYS_TIMER 30  /* the guest's EL1 physical timer */
#define GIC_MAX_INTID 1020

struct mem_range;

/* What an interrupt handler at EL2 does with its interrupt. */
enum gic_irq_result {
	GIC_IRQ_DONE,      /* vigil handled it: deactivate now */
	GIC_IRQ_FORWARDED, /* handed to the guest with HW=1: it deactivates */
};
typedef enum gic_irq_result (*gic_irq_handler_t)(uint32_t intid, void *ctx);

/* Boot CPU, once: distributor; then every CPU: its redistributor. */
bool gic_init(const void *fdt);
void gic_cpu_init(void);

uint32_t gic_nr_irqs(void);        /* INTIDs 0..n-1 exist */
uint64_t gicd_base(void);
bool gic_dist_range(struct mem_range *r);
bool gic_redist_range(struct mem_range *r);

void gic_set_handler(uint32_t intid, gic_irq_handler_t fn, void *ctx);
void gic_enable(uint32_t intid, bool enable);
/* The same for a private interrupt of another CPU (by index). */
void gic_enable_on(uint32_t cpu, uint32_t intid, bool enable);
void gic_set_pending_on(uint32_t cpu, uint32_t intid, bool pending);
void gic_set_pending(uint32_t intid, bool pending);
void gic_set_active(uint32_t intid, bool active);
void gic_set_active_on(uint32_t cpu, uint32_t intid, bool active);
/*
 * GIC*_ISPENDR word holding INTIDs first..first+31 (first a multiple of
 * 32) as CPU cpu's redistributor (private ones) or the distributor sees
 * them: for a level-sensitive interrupt, the line's level OR-ed with the
 * software-set latch; 0 for a CPU whose redistributor is not set up.
 */
uint32_t gic_pending_word_on(uint32_t cpu, uint32_t first);
/* Route an SPI to the CPU with hardware id hwid. */
void gic_route_spi(uint32_t intid, uint64_t hwid);
void gic_set_level_triggered(uint32_t intid, bool level);
/* Send SGI intid to the CPU with hardware id hwid. */
void gic_send_sgi(uint64_t hwid, uint32_t intid);

/* Take and dispatch every pending interrupt (called on IRQ exits). */
void gic_handle_irqs(void);

#endif

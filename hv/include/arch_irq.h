/*
 * Interrupts for drivers and device models, implemented by the arch's
 * interrupt controller code (GICv3 + vGIC on arm64).
 *
 * Physical: a driver of a device vigil owns takes its interrupt at EL2.
 * Virtual: an emulated device drives the level of the guest's interrupt
 * line; the guest's interrupt controller emulation does the rest.
 * INTIDs are the interrupt controller's numbers (GIC: SPI n = 32 + n).
 */
#ifndef VIGIL_ARCH_IRQ_H
#define VIGIL_ARCH_IRQ_H

#include <vigil/types.h>

struct vm;

/* The INTID of the first interrupt of the first device compatible with
 * compatible in the device tree. */
bool arch_irq_from_dt(const void *fdt, const char *compatible,
		      uint32_t *intid);

/* Take physical interrupt intid at EL2 (level-sensitive, on the boot CPU). */
bool arch_irq_request(uint32_t intid, void (*handler)(void *ctx), void *ctx);

/*
 * Handle the physical interrupts pending on this CPU, as a guest exit
 * would: for wait loops in EL2 (vigil/idle.h), where they stay masked.
 */
void arch_irq_poll(void);

/* vigil emulates the guest's interrupt intid (never forwarded). */
bool arch_virq_claim(struct vm *vm, uint32_t intid);
/* Level of an emulated, level-sensitive guest interrupt line. */
void arch_virq_set_level(struct vm *vm, uint32_t intid, bool level);

#endif

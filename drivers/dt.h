/*
 * Device-tree helpers for drivers that look at one particular node (the
 * one vigil.cfg names, or the n-th of a kind), on top of the node readers
 * of hv/include/vigil/platform.h (platform_node_enabled/_reg/...).
 */
#ifndef DRIVERS_DT_H
#define DRIVERS_DT_H

#include <vigil/types.h>

/*
 * Register range number index of node, in host-physical addresses: false
 * unless every bus above the node maps addresses 1:1.
 */
bool dt_node_reg(const void *fdt, int node, int index, struct mem_range *reg);

/*
 * The INTID of a GIC interrupt specifier <type number flags> (type 0 =
 * SPI, 1 = PPI). False for anything else, e.g. another controller's
 * specifier.
 */
bool dt_gic_intid(const uint32_t *cells, int ncells, uint32_t *intid);

/*
 * The INTID of interrupt index of node: its "interrupts" read with the
 * interrupt parent's #interrupt-cells, which must be a GIC's.
 */
bool dt_node_intid(const void *fdt, int node, int index, uint32_t *intid);

#endif

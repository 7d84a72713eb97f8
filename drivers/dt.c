/* Device-tree helpers for drivers: one node's registers and interrupts. */
#include <libfdt.h>
#include <vigil/platform.h>

#include "dt.h"

#define GIC_SPI_BASE 32
#define GIC_PPI_BASE 16
#define GIC_SPEC_SPI 0
#define GIC_SPEC_PPI 1
#define GIC_INTERRUPT_CELLS 3

bool dt_node_reg(const void *fdt, int node, int index, struct mem_range *reg)
{
	if (index < 0 || !platform_reg_is_identity(fdt, node) ||
	    !platform_node_reg(fdt, node, index, reg))
		return false;
	return reg->size != 0 && reg->base + reg->size > reg->base;
}

bool dt_gic_intid(const uint32_t *cells, int ncells, uint32_t *intid)
{
	if (ncells != GIC_INTERRUPT_CELLS)
		return false;
	switch (cells[0]) {
	case GIC_SPEC_SPI:
		if (cells[1] >= 988) /* SPIs are INTIDs 32..1019 */
			return false;
		*intid = GIC_SPI_BASE + cells[1];
		return true;
	case GIC_SPEC_PPI:
		if (cells[1] >= 16)
			return false;
		*intid = GIC_PPI_BASE + cells[1];
		return true;
	default:
		return false;
	}
}

bool dt_node_intid(const void *fdt, int node, int index, uint32_t *intid)
{
	int len, ic = platform_interrupt_parent(fdt, node);
	uint32_t cells[GIC_INTERRUPT_CELLS];

	if (ic < 0 || index < 0 ||
	    fdt_getprop(fdt, ic, "interrupt-controller", &len) == NULL ||
	    platform_interrupt_cells(fdt, node) != GIC_INTERRUPT_CELLS)
		return false;
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
	if (p == NULL || len < (index + 1) * GIC_INTERRUPT_CELLS * 4)
		return false;
	for (int i = 0; i < GIC_INTERRUPT_CELLS; i++)
		cells[i] = fdt32_to_cpu(p[index * GIC_INTERRUPT_CELLS + i]);
	return dt_gic_intid(cells, GIC_INTERRUPT_CELLS, intid);
}

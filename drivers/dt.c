/* Device-tree helpers for drivers: one node's registers and interrupts. */
#include <string.h>

#include <libfdt.h>
#include <vigil/platform.h>

#include "dt.h"

#define GIC_SPI_BASE 32
#define GIC_PPI_BASE 16
#define GIC_SPEC_SPI 0
#define GIC_SPEC_PPI 1
#define GIC_INTERRUPT_CELLS 3

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

bool dt_node_enabled(const void *fdt, int node)
{
	int len;
	const char *status = fdt_getprop(fdt, node, "status", &len);

	return status == NULL || strcmp(status, "okay") == 0 ||
	       strcmp(status, "ok") == 0;
}

bool dt_node_reg(const void *fdt, int node, int index, struct mem_range *reg)
{
	int parent = fdt_parent_offset(fdt, node), len;

	if (parent < 0 || index < 0 || !platform_reg_is_identity(fdt, node))
		return false;
	int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
	const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);
	if (p == NULL || ac < 1 || ac > 2 || sc < 1 || sc > 2 ||
	    len < (index + 1) * (ac + sc) * 4)
		return false;
	p += index * (ac + sc);
	reg->base = read_cells(p, ac);
	reg->size = read_cells(p + ac, sc);
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

/* The node's interrupt controller: the nearest "interrupt-parent" up the tree. */
static int interrupt_parent(const void *fdt, int node)
{
	int len;

	for (int n = node; n >= 0; n = fdt_parent_offset(fdt, n)) {
		const fdt32_t *ph = fdt_getprop(fdt, n, "interrupt-parent", &len);
		if (ph != NULL && len == 4)
			return fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(*ph));
	}
	return -FDT_ERR_NOTFOUND;
}

bool dt_node_intid(const void *fdt, int node, int index, uint32_t *intid)
{
	int len, ic = interrupt_parent(fdt, node);
	uint32_t cells[GIC_INTERRUPT_CELLS];

	if (ic < 0 || index < 0 ||
	    fdt_getprop(fdt, ic, "interrupt-controller", &len) == NULL)
		return false;
	const fdt32_t *nc = fdt_getprop(fdt, ic, "#interrupt-cells", &len);
	if (nc == NULL || len != 4 || fdt32_to_cpu(*nc) != GIC_INTERRUPT_CELLS)
		return false;
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
	if (p == NULL || len < (index + 1) * GIC_INTERRUPT_CELLS * 4)
		return false;
	for (int i = 0; i < GIC_INTERRUPT_CELLS; i++)
		cells[i] = fdt32_to_cpu(p[index * GIC_INTERRUPT_CELLS + i]);
	return dt_gic_intid(cells, GIC_INTERRUPT_CELLS, intid);
}

/* The machine as the firmware's device tree describes it. */
#include <stdio.h>
#include <string.h>

#include <libfdt.h>
#include <vigil/platform.h>


static struct mem_range hidden[PLATFORM_MAX_HIDDEN];
static uint32_t nr_hidden;
static const void *host_fdt;

bool platform_check_dtb(const void *fdt, size_t size, char *err,
			size_t err_len)
{
	int ret;

	if (size < sizeof(struct fdt_header) || fdt_totalsize(fdt) > size) {
		snprintf(err, err_len, "truncated");
		return false;
	}
	if (fdt_off_mem_rsvmap(fdt) % 8 != 0 || fdt_off_dt_struct(fdt) % 4 != 0) {
		snprintf(err, err_len,
			 "misaligned blocks (reservations at %u, structure at %u)",
			 fdt_off_mem_rsvmap(fdt), fdt_off_dt_struct(fdt));
		return false;
	}
	ret = fdt_check_full(fdt, fdt_totalsize(fdt));
	if (ret != 0) {
		snprintf(err, err_len, "%s", fdt_strerror(ret));
		return false;
	}
	return true;
}

/* Read one #address-cells sized value. */
static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

bool platform_read_cpus(const void *fdt, uint64_t boot_hwid,
			struct platform_cpus *cpus, char *err, size_t err_len)
{
	int cpus_node, node, len, ac;
	bool boot_seen = false;

	memset(cpus, 0, sizeof(*cpus));
	host_fdt = fdt;
	cpus_node = fdt_path_offset(fdt, "/cpus");
	if (cpus_node < 0) {
		snprintf(err, err_len, "device tree has no /cpus node");
		return false;
	}
	ac = fdt_address_cells(fdt, cpus_node);
	if (ac < 1 || ac > 2) {
		snprintf(err, err_len, "/cpus: bad #address-cells");
		return false;
	}

	/* Slot 0 is the boot CPU; the others follow in tree order. */
	cpus->count = 1;
	cpus->hwid[0] = boot_hwid;
	fdt_for_each_subnode(node, fdt, cpus_node)
	{
		const char *type = fdt_getprop(fdt, node, "device_type", &len);
		if (type == NULL || strcmp(type, "cpu") != 0)
			continue;
		if (!platform_node_enabled(fdt, node))
			continue;
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		if (reg == NULL || len < ac * 4)
			continue;
		uint64_t hwid = read_cells(reg, ac);
		if (hwid == boot_hwid) {
			boot_seen = true;
			continue;
		}
		if (cpus->count == MAX_CPUS) {
			cpus->ignored++;
			continue;
		}
		cpus->hwid[cpus->count++] = hwid;
	}
	if (!boot_seen) {
		snprintf(err, err_len,
			 "the boot CPU (MPIDR 0x%llx) is not in /cpus",
			 (unsigned long long)boot_hwid);
		return false;
	}
	return true;
}

bool platform_hide_device(uint64_t base, uint64_t size)
{
	/* Neighbours (virtio-mmio slots, 0x200 apart) share one entry. */
	for (uint32_t i = 0; i < nr_hidden; i++) {
		if (hidden[i].base + hidden[i].size == base) {
			hidden[i].size += size;
			return true;
		}
		if (base + size == hidden[i].base) {
			hidden[i].base = base;
			hidden[i].size += size;
			return true;
		}
	}
	if (nr_hidden == PLATFORM_MAX_HIDDEN)
		return false;
	hidden[nr_hidden++] = (struct mem_range){base, size};
	return true;
}

const void *platform_fdt(void)
{
	return host_fdt;
}

const struct mem_range *platform_hidden_devices(uint32_t *count)
{
	*count = nr_hidden;
	return hidden;
}

bool platform_reg_is_identity(const void *fdt, int node)
{
	int len;

	for (int parent = fdt_parent_offset(fdt, node); parent > 0;
	     parent = fdt_parent_offset(fdt, parent)) {
		if (fdt_getprop(fdt, parent, "ranges", &len) == NULL || len != 0)
			return false;
	}
	return true;
}

bool platform_node_enabled(const void *fdt, int node)
{
	int len;
	const char *status = fdt_getprop(fdt, node, "status", &len);
	return status == NULL || strcmp(status, "okay") == 0 ||
	       strcmp(status, "ok") == 0;
}

bool platform_node_reg(const void *fdt, int node, int index,
		       struct mem_range *reg)
{
	int parent = fdt_parent_offset(fdt, node), len;
	if (parent < 0 || index < 0)
		return false;
	int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
	const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);
	if (p == NULL || ac < 1 || ac > 2 || sc < 0 || sc > 2 ||
	    len < (index + 1) * (ac + sc) * 4)
		return false;
	p += index * (ac + sc);
	reg->base = read_cells(p, ac);
	reg->size = sc ? read_cells(p + ac, sc) : 0;
	return true;
}

static bool node_reg(const void *fdt, int node, struct mem_range *reg)
{
	return platform_node_reg(fdt, node, 0, reg);
}

bool platform_find_device(const void *fdt, const char *compatible,
			  bool prefer_stdout, struct mem_range *reg)
{
	int node, len;

	if (prefer_stdout) {
		int chosen = fdt_path_offset(fdt, "/chosen");
		const char *path =
			chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len)
				    : NULL;
		if (path != NULL) {
			/* "path:options": only the path names the node. */
			const char *colon = strchr(path, ':');
			int n = colon ? (int)(colon - path) : (int)strlen(path);
			node = fdt_path_offset_namelen(fdt, path, n);
			if (node >= 0 &&
			    fdt_node_check_compatible(fdt, node, compatible) == 0 &&
			    platform_node_enabled(fdt, node) && node_reg(fdt, node, reg))
				return true;
		}
	}
	for (node = fdt_node_offset_by_compatible(fdt, -1, compatible); node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, compatible)) {
		if (platform_node_enabled(fdt, node) && node_reg(fdt, node, reg))
			return true;
	}
	return false;
}

bool platform_find_device_reg(const void *fdt, const char *compatible,
			      int index, struct mem_range *reg)
{
	for (int node = fdt_node_offset_by_compatible(fdt, -1, compatible);
	     node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, compatible)) {
		if (platform_node_enabled(fdt, node))
			return platform_node_reg(fdt, node, index, reg);
	}
	return false;
}

int platform_interrupt_parent(const void *fdt, int node)
{
	int len;

	for (int n = node; n >= 0; n = fdt_parent_offset(fdt, n)) {
		const fdt32_t *ph = fdt_getprop(fdt, n, "interrupt-parent", &len);
		if (ph != NULL && len == 4)
			return fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(*ph));
	}
	return -FDT_ERR_NOTFOUND;
}

int platform_interrupt_cells(const void *fdt, int node)
{
	int len, ic = platform_interrupt_parent(fdt, node);
	const fdt32_t *c =
		ic >= 0 ? fdt_getprop(fdt, ic, "#interrupt-cells", &len) : NULL;

	return c != NULL && len == 4 ? (int)fdt32_to_cpu(*c) : -1;
}

bool platform_find_device_irq(const void *fdt, const char *compatible,
			      int index, uint32_t *cells, int *ncells)
{
	int node, len;

	for (node = fdt_node_offset_by_compatible(fdt, -1, compatible);
	     node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, compatible)) {
		if (platform_node_enabled(fdt, node))
			break;
	}
	if (node < 0)
		return false;
	int n = platform_interrupt_cells(fdt, node);
	const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
	if (n < 1 || n > 4 || p == NULL || len < (index + 1) * n * 4)
		return false;
	for (int i = 0; i < n; i++)
		cells[i] = fdt32_to_cpu(p[index * n + i]);
	*ncells = n;
	return true;
}

/* A host bridge's windows: "ranges" = <child-addr(3) parent-addr size>. */
static void bridge_windows(const void *fdt, int node, int pac,
			   void (*fn)(const struct mem_range *, const char *,
				      void *),
			   void *ctx)
{
	int len, sc = fdt_size_cells(fdt, node), cac = fdt_address_cells(fdt, node);
	const fdt32_t *p = fdt_getprop(fdt, node, "ranges", &len);
	int entry = cac + pac + sc;

	if (p == NULL || cac != 3 || sc < 1 || sc > 2 || pac < 1 || pac > 2)
		return;
	for (int off = 0; (off + entry) * 4 <= len; off += entry) {
		struct mem_range r = {read_cells(p + off + cac, pac),
				      read_cells(p + off + cac + pac, sc)};
		fn(&r, fdt_get_name(fdt, node, NULL), ctx);
	}
}

void platform_for_each_device_range(const void *fdt,
				    void (*fn)(const struct mem_range *r,
					       const char *node, void *ctx),
				    void *ctx)
{
	int node, depth = 0, len;

	for (node = fdt_next_node(fdt, 0, &depth); node >= 0;
	     node = fdt_next_node(fdt, node, &depth)) {
		const char *type = fdt_getprop(fdt, node, "device_type", &len);
		if (type != NULL &&
		    (strcmp(type, "memory") == 0 || strcmp(type, "cpu") == 0))
			continue;
		if (!platform_node_enabled(fdt, node) || !platform_reg_is_identity(fdt, node))
			continue;
		struct mem_range r;
		for (int i = 0; platform_node_reg(fdt, node, i, &r); i++) {
			if (r.size != 0)
				fn(&r, fdt_get_name(fdt, node, NULL), ctx);
		}
		if (type != NULL && strcmp(type, "pci") == 0)
			bridge_windows(fdt, node,
				       fdt_address_cells(fdt, fdt_parent_offset(fdt, node)),
				       fn, ctx);
	}
}

/*
 * Bus masters without an SMMU (docs/architecture.md, "DMA"). A device that
 * masters DMA writes to the physical addresses its driver gives it; stage 2
 * does not see those writes, so such a device in the guest's hands could
 * overwrite vigil. Known masters by compatible, and every node whose own
 * properties say it masters, by the device-tree bindings.
 */
static const char *const dma_master_compatibles[] = {
	"virtio,mmio",      /* its queues are wherever the driver puts them */
	"qemu,fw-cfg-mmio", /* its DMA register takes a physical address */
};

static const char *const dma_master_props[][2] = {
	{"dma-coherent", "dma-coherent"},    /* it does DMA, coherently */
	{"dma-noncoherent", "dma-noncoherent"},
	{"iommus", "IOMMU master"},          /* masters through an IOMMU */
	{"iommu-map", "IOMMU master"},
	{"msi-parent", "writes MSIs"},       /* an MSI is a memory write */
	{"msi-map", "writes MSIs"},
	{"#dma-cells", "DMA controller"},    /* a DMA engine */
};

const char *platform_dma_capable(const void *fdt, int node)
{
	int len;
	const char *type = fdt_getprop(fdt, node, "device_type", &len);

	if (type != NULL && (strcmp(type, "pci") == 0 || strcmp(type, "pciex") == 0))
		return "PCI host bridge";
	for (size_t i = 0; i < ARRAY_SIZE(dma_master_compatibles); i++) {
		if (fdt_node_check_compatible(fdt, node,
					      dma_master_compatibles[i]) == 0)
			return dma_master_compatibles[i];
	}
	for (size_t i = 0; i < ARRAY_SIZE(dma_master_props); i++) {
		if (fdt_getprop(fdt, node, dma_master_props[i][0], &len) != NULL)
			return dma_master_props[i][1];
	}
	return NULL;
}

static bool node_already_hidden(const void *fdt, int node)
{
	struct mem_range r;

	if (!node_reg(fdt, node, &r))
		return false;
	for (uint32_t i = 0; i < nr_hidden; i++) {
		if (range_contains(&hidden[i], r.base, 1))
			return true;
	}
	return false;
}

void platform_for_each_dma_device(const void *fdt,
				  void (*fn)(const void *fdt, int node,
					     const char *name, const char *why,
					     void *ctx),
				  void *ctx)
{
	int node, depth = 0;
	struct mem_range r;

	for (node = fdt_next_node(fdt, 0, &depth); node >= 0;
	     node = fdt_next_node(fdt, node, &depth)) {
		const char *why;
		if (!platform_node_enabled(fdt, node) || !platform_reg_is_identity(fdt, node) ||
		    !node_reg(fdt, node, &r) || node_already_hidden(fdt, node) ||
		    (why = platform_dma_capable(fdt, node)) == NULL)
			continue;
		fn(fdt, node, fdt_get_name(fdt, node, NULL), why, ctx);
	}
}

struct hide_ctx {
	bool ok;
};

static void hide_range(const struct mem_range *r, const char *name, void *ctx)
{
	struct hide_ctx *h = ctx;

	(void)name;
	if (r->size != 0 && !platform_hide_device(r->base, r->size))
		h->ok = false;
}

bool platform_hide_node(const void *fdt, int node)
{
	struct hide_ctx h = {true};
	struct mem_range r;
	int len;
	const char *type = fdt_getprop(fdt, node, "device_type", &len);

	for (int i = 0; platform_node_reg(fdt, node, i, &r); i++)
		hide_range(&r, NULL, &h);
	if (type != NULL && strcmp(type, "pci") == 0)
		bridge_windows(fdt, node,
			       fdt_address_cells(fdt, fdt_parent_offset(fdt, node)),
			       hide_range, &h);
	return h.ok;
}

/*
 * The guest's device tree: a copy of the firmware's (or vigil.cfg's) tree,
 * edited so that it describes the virtual machine rather than the host.
 * libfdt offsets move when the tree changes, so every deletion restarts its
 * search from the top.
 */
#include <stdio.h>
#include <string.h>

#include <libfdt.h>
#include <vigil/platform.h>

#define FAIL(...)                                    \
	do {                                         \
		snprintf(err, err_len, __VA_ARGS__); \
		return false;                        \
	} while (0)

/* fdt_setprop_string() hides a size_t-to-int conversion; spell it out. */
static int set_string(void *fdt, int node, const char *name, const char *val)
{
	return fdt_setprop(fdt, node, name, val, (int)strlen(val) + 1);
}

static int cells_put(fdt32_t *out, int cells, uint64_t v)
{
	for (int i = cells - 1; i >= 0; i--) {
		out[i] = cpu_to_fdt32((uint32_t)v);
		v >>= 32;
	}
	return cells;
}

static uint64_t cells_get(const fdt32_t *p, int cells)
{
	uint64_t v = 0;
	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

static bool set_memory(void *fdt, const struct mem_range *ram, char *err,
		       size_t err_len)
{
	int node, ret, ac, sc;
	char name[40];
	fdt32_t reg[4];

	while ((node = fdt_node_offset_by_prop_value(fdt, -1, "device_type",
						     "memory", 7)) >= 0) {
		if ((ret = fdt_del_node(fdt, node)) < 0)
			FAIL("dt: deleting a memory node: %s", fdt_strerror(ret));
	}
	ac = fdt_address_cells(fdt, 0);
	sc = fdt_size_cells(fdt, 0);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		FAIL("dt: unsupported root #address-cells/#size-cells");

	snprintf(name, sizeof(name), "memory@%llx",
		 (unsigned long long)ram->base);
	node = fdt_add_subnode(fdt, 0, name);
	if (node < 0)
		FAIL("dt: adding %s: %s", name, fdt_strerror(node));
	int n = cells_put(reg, ac, ram->base);
	n += cells_put(reg + n, sc, ram->size);
	if ((ret = set_string(fdt, node, "device_type", "memory")) < 0 ||
	    (ret = fdt_setprop(fdt, node, "reg", reg,
			       (int)(n * (int)sizeof(fdt32_t)))) < 0)
		FAIL("dt: writing %s: %s", name, fdt_strerror(ret));
	return true;
}

static bool set_psci_hvc(void *fdt, char *err, size_t err_len)
{
	static const char *const compatibles[] = {"arm,psci-1.0",
						  "arm,psci-0.2", "arm,psci"};
	for (size_t i = 0; i < sizeof(compatibles) / sizeof(compatibles[0]);
	     i++) {
		int node = -1, ret;
		while ((node = fdt_node_offset_by_compatible(
				fdt, node, compatibles[i])) >= 0) {
			ret = set_string(fdt, node, "method", "hvc");
			if (ret < 0)
				FAIL("dt: psci method: %s", fdt_strerror(ret));
		}
	}
	return true;
}

static bool cpu_is_guests(uint64_t hwid, const struct guest_dt_params *p)
{
	for (uint32_t i = 0; i < p->nr_cpus; i++) {
		if (p->cpu_hwids[i] == hwid)
			return true;
	}
	return false;
}

static bool trim_cpus(void *fdt, const struct guest_dt_params *p, char *err,
		      size_t err_len)
{
	int cpus = fdt_path_offset(fdt, "/cpus");
	bool removed = false, again = true;

	if (cpus < 0)
		FAIL("dt: no /cpus node");
	int ac = fdt_address_cells(fdt, cpus);
	if (ac < 1 || ac > 2)
		FAIL("dt: /cpus: bad #address-cells");

	while (again) {
		int node, len;
		again = false;
		cpus = fdt_path_offset(fdt, "/cpus");
		fdt_for_each_subnode(node, fdt, cpus)
		{
			const char *type =
				fdt_getprop(fdt, node, "device_type", &len);
			const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
			if (type == NULL || strcmp(type, "cpu") != 0 ||
			    reg == NULL || len < ac * 4)
				continue;
			if (cpu_is_guests(cells_get(reg, ac), p))
				continue;
			int ret = fdt_del_node(fdt, node);
			if (ret < 0)
				FAIL("dt: deleting a cpu: %s", fdt_strerror(ret));
			removed = again = true;
			break;
		}
	}
	/* cpu-map would point at the CPUs just removed. */
	if (removed) {
		int map = fdt_path_offset(fdt, "/cpus/cpu-map");
		if (map >= 0)
			fdt_del_node(fdt, map);
	}
	return true;
}

static bool set_chosen(void *fdt, const struct guest_dt_params *p, char *err,
		       size_t err_len)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), ret;

	if (chosen < 0)
		chosen = fdt_add_subnode(fdt, 0, "chosen");
	if (chosen < 0)
		FAIL("dt: adding /chosen: %s", fdt_strerror(chosen));

	if (p->cmdline != NULL) {
		ret = set_string(fdt, chosen, "bootargs", p->cmdline);
		if (ret < 0)
			FAIL("dt: bootargs: %s", fdt_strerror(ret));
	}
	if (p->initrd.size != 0) {
		ret = fdt_setprop_u64(fdt, chosen, "linux,initrd-start",
				      p->initrd.base);
		if (ret == 0)
			ret = fdt_setprop_u64(fdt, chosen, "linux,initrd-end",
					      p->initrd.base + p->initrd.size);
		if (ret < 0)
			FAIL("dt: initrd: %s", fdt_strerror(ret));
	} else {
		fdt_delprop(fdt, chosen, "linux,initrd-start");
		fdt_delprop(fdt, chosen, "linux,initrd-end");
	}

	/*
	 * Keep the firmware's PCI resource assignment: vigil hides and maps
	 * around the BARs the firmware gave its own devices, so the guest
	 * must not move its BARs onto them (Linux reassigns otherwise).
	 */
	ret = fdt_setprop_u32(fdt, chosen, "linux,pci-probe-only", 1);
	if (ret < 0)
		FAIL("dt: linux,pci-probe-only: %s", fdt_strerror(ret));

	/* The guest is not booted through UEFI: drop what an EFI stub set. */
	bool again = true;
	while (again) {
		int prop;
		again = false;
		fdt_for_each_property_offset(prop, fdt, chosen)
		{
			const char *name;
			if (fdt_getprop_by_offset(fdt, prop, &name, NULL) &&
			    strncmp(name, "linux,uefi-", 11) == 0) {
				fdt_delprop(fdt, chosen, name);
				again = true;
				break;
			}
		}
	}
	return true;
}

/*
 * A node's "reg" is compared with the hidden (host physical) ranges only
 * when every bus above it maps 1:1: CPU ids under /cpus, I2C or SPI
 * addresses and translated buses are not host addresses.
 */
static bool node_is_hidden(const void *fdt, int node,
			   const struct guest_dt_params *p)
{
	int parent = fdt_parent_offset(fdt, node), len;
	if (parent < 0 || !platform_reg_is_identity(fdt, node))
		return false;
	int ac = fdt_address_cells(fdt, parent);
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	if (reg == NULL || ac < 1 || ac > 2 || len < ac * 4)
		return false;
	uint64_t base = cells_get(reg, ac);
	for (uint32_t i = 0; i < p->nr_hidden; i++) {
		if (range_contains(&p->hidden[i], base, 1))
			return true;
	}
	return false;
}

static bool remove_hidden(void *fdt, const struct guest_dt_params *p,
			  char *err, size_t err_len)
{
	bool again = p->nr_hidden != 0;

	while (again) {
		int node, depth = 0;
		again = false;
		for (node = fdt_next_node(fdt, 0, &depth); node >= 0;
		     node = fdt_next_node(fdt, node, &depth)) {
			if (!node_is_hidden(fdt, node, p))
				continue;
			int ret = fdt_del_node(fdt, node);
			if (ret < 0)
				FAIL("dt: hiding a device: %s", fdt_strerror(ret));
			again = true;
			break;
		}
	}
	return true;
}

/*
 * Hiding a node (the ITS, say) leaves references to its phandle behind in
 * "msi-parent" (<phandle ...>) and "msi-map" (<rid phandle base len>...):
 * remove those properties, so the guest falls back to what it still has
 * instead of failing on a dangling reference.
 */
static bool refers_to_missing(const void *fdt, const char *name,
			      const fdt32_t *p, int len)
{
	int stride = strcmp(name, "msi-map") == 0 ? 4 : 1;
	int first = stride == 4 ? 1 : 0;

	for (int i = first; (i + 1) * 4 <= len; i += stride) {
		if (fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i])) < 0)
			return true;
	}
	return false;
}

static void drop_dangling_msi(void *fdt)
{
	static const char *const props[] = {"msi-parent", "msi-map"};
	int node, depth = 0, len;

	for (node = fdt_next_node(fdt, 0, &depth); node >= 0;
	     node = fdt_next_node(fdt, node, &depth)) {
		for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
			const fdt32_t *p = fdt_getprop(fdt, node, props[i], &len);
			if (p != NULL && refers_to_missing(fdt, props[i], p, len))
				fdt_delprop(fdt, node, props[i]);
		}
	}
}

bool guest_dt_build(const void *src, void *dst, size_t dst_size,
		    const struct guest_dt_params *p, char *err,
		    size_t err_len)
{
	int ret;

	/*
	 * The whole tree, not just its header: libfdt trusts what it edits,
	 * and a corrupt memory-reservation block would otherwise reach
	 * fdt_open_into() as a negative length.
	 */
	if ((ret = fdt_check_header(src)) != 0 ||
	    (ret = fdt_check_full(src, fdt_totalsize(src))) != 0)
		FAIL("dt: not a valid device tree: %s", fdt_strerror(ret));
	if (fdt_totalsize(src) > dst_size)
		FAIL("dt: %u bytes, more than the %zu-byte slot",
		     fdt_totalsize(src), dst_size);
	if ((ret = fdt_open_into(src, dst, (int)dst_size)) != 0)
		FAIL("dt: %s", fdt_strerror(ret));

	/* Host memory reservations mean nothing in the guest's RAM. */
	while (fdt_num_mem_rsv(dst) > 0)
		fdt_del_mem_rsv(dst, 0);

	if (!set_memory(dst, &p->ram, err, err_len) ||
	    !set_psci_hvc(dst, err, err_len) ||
	    !trim_cpus(dst, p, err, err_len) ||
	    !set_chosen(dst, p, err, err_len) ||
	    !remove_hidden(dst, p, err, err_len))
		return false;
	drop_dangling_msi(dst);

	if ((ret = fdt_pack(dst)) != 0)
		FAIL("dt: pack: %s", fdt_strerror(ret));
	return true;
}

/*
 * The machine vigil runs on, as read from the firmware's device tree:
 * physical CPUs and the guest's device-tree fix-ups.
 */
#ifndef VIGIL_PLATFORM_H
#define VIGIL_PLATFORM_H

#include <arch_cpu.h>
#include <vigil/types.h>

struct platform_cpus {
	uint64_t hwid[MAX_CPUS]; /* hwid[0] is the boot CPU */
	uint32_t count;
	uint32_t ignored; /* CPUs beyond MAX_CPUS */
};

/*
 * Is fdt, size bytes, a device tree every reader here may walk? Its
 * blocks aligned as the format requires (memory reservations to 8 bytes,
 * the structure block to 4: libfdt and the readers below load fdt32_t
 * directly) and its structure sound (libfdt's fdt_check_full). Checked
 * once, before the first reader; false with the reason in err.
 */
bool platform_check_dtb(const void *fdt, size_t size, char *err,
			size_t err_len);

/*
 * One node, the way every reader of the tree (hv/ and drivers/) reads it.
 * Enabled: status absent, "okay" or "ok". Register range number index,
 * as the node's parent bus gives it (#address-cells 1-2, #size-cells 0-2;
 * a missing size reads 0), not translated. The interrupt controller: the
 * nearest "interrupt-parent" up the tree (a negative libfdt error when
 * there is none), and its #interrupt-cells (-1 when unusable).
 */
bool platform_node_enabled(const void *fdt, int node);
bool platform_node_reg(const void *fdt, int node, int index,
		       struct mem_range *reg);
int platform_interrupt_parent(const void *fdt, int node);
int platform_interrupt_cells(const void *fdt, int node);

/*
 * Collect the CPUs of the device tree, the boot CPU (boot_hwid) first.
 * Returns false with a message in err when the tree has no usable /cpus.
 */
bool platform_read_cpus(const void *fdt, uint64_t boot_hwid,
			struct platform_cpus *cpus, char *err, size_t err_len);

/* Device-tree fix-ups for the guest. */
struct guest_dt_params {
	struct mem_range ram;
	const char *cmdline;       /* NULL: keep the source's bootargs */
	struct mem_range initrd;   /* size 0: none */
	const uint64_t *cpu_hwids; /* CPUs the guest gets */
	uint32_t nr_cpus;
	const struct mem_range *hidden; /* host devices the guest must not see */
	uint32_t nr_hidden;
};

/*
 * Write the guest's device tree into dst (dst_size bytes) from the source
 * tree src: memory = guest RAM only, PSCI over HVC, /chosen from the
 * configuration, only the guest's CPUs, hidden devices removed. Returns
 * false with a message in err on a malformed source or a full buffer.
 */
bool guest_dt_build(const void *src, void *dst, size_t dst_size,
		    const struct guest_dt_params *p, char *err,
		    size_t err_len);

/* Does every bus above node map addresses 1:1 (root, or empty "ranges")? */
bool platform_reg_is_identity(const void *fdt, int node);

/*
 * Host devices the guest must not see: those vigil keeps for itself and
 * those that can master DMA (removed from the guest's tree, not mapped in
 * stage 2). Touching ranges share an entry; false when the table is full.
 */
#define PLATFORM_MAX_HIDDEN 64
bool platform_hide_device(uint64_t base, uint64_t size);

const struct mem_range *platform_hidden_devices(uint32_t *count);

/*
 * First register range of the first enabled device compatible with
 * compatible; with prefer_stdout, the /chosen stdout-path device wins if it
 * is compatible. Addresses of root-level and 1:1-mapped buses only.
 */
bool platform_find_device(const void *fdt, const char *compatible,
			  bool prefer_stdout, struct mem_range *reg);
/* Register range number index of the first enabled compatible device. */
bool platform_find_device_reg(const void *fdt, const char *compatible,
			      int index, struct mem_range *reg);

/*
 * The raw cells of interrupt specifier index of the first enabled device
 * compatible with compatible (ncells is the parent's #interrupt-cells).
 */
bool platform_find_device_irq(const void *fdt, const char *compatible,
			      int index, uint32_t *cells, int *ncells);

/*
 * Call fn for every register range of every device the guest may reach
 * directly: enabled nodes with "reg" on 1:1 buses (and the "ranges"
 * windows of host bridges), except memory and CPUs.
 */
void platform_for_each_device_range(const void *fdt,
				    void (*fn)(const struct mem_range *r,
					       const char *node, void *ctx),
				    void *ctx);

/*
 * Why node can master DMA (a short reason: "PCI host bridge", the
 * compatible, the property that says so), or NULL. The rule, from the
 * device-tree bindings, is in docs/architecture.md ("DMA").
 */
const char *platform_dma_capable(const void *fdt, int node);

/*
 * Call fn for every enabled node with "reg" on 1:1 buses that can master
 * DMA and is not already hidden (vigil's own NIC is).
 */
void platform_for_each_dma_device(const void *fdt,
				  void (*fn)(const void *fdt, int node,
					     const char *name, const char *why,
					     void *ctx),
				  void *ctx);

/* Hide node: its "reg" ranges and, for a host bridge, its windows. */
bool platform_hide_node(const void *fdt, int node);

/* The firmware's device tree, for drivers looking for their device. */
const void *platform_fdt(void);

#endif

/*
 * libFuzzer target: hv/guest_dt.c (the guest's device tree) and the
 * readers of hv/platform.c that see the same source tree first. The input
 * is a flattened device tree, optionally followed by two bytes that choose
 * the fix-up's parameters (see params()); the seeds are real trees (QEMU
 * virt's, dtc-compiled ones), so the fuzzer mutates from there.
 *
 * vigil's boot code (stash_dtb() in boot/efi_main.c) guarantees that the
 * buffer holds exactly fdt_totalsize() bytes, at least 40; the same holds
 * here, in a heap block of exactly that size, so ASan sees any read out of
 * the tree. Then, in hv_main()'s order: find the console, read the CPUs,
 * build the guest's tree, list the passed-through devices. Checked: the
 * source is not written, and a built tree is valid, within its buffer, and
 * has exactly one memory node.
 */
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <vigil/platform.h>

#include "fuzz.h"

#define HEADER_MIN 40
#define SRC_MAX (256 * 1024)
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x10000000ULL

/* Devices vigil might keep for itself, at QEMU virt's addresses. */
static const struct mem_range candidates[] = {
	{0x09000000, 0x1000},     /* pl011 */
	{0x08080000, 0x20000},    /* GIC ITS */
	{0x0a003e00, 0x200},      /* the last virtio-mmio slot */
	{0x09020000, 0x18},       /* fw-cfg */
	{0x10000000, 0x2eff0000}, /* PCI MMIO window */
	{0x4010000000ULL, 0x10000000}, /* PCI ECAM */
	{0x0, 0x8000000},         /* flash */
	{0x09030000, 0x1000},     /* pl061 GPIO */
};

struct params {
	struct guest_dt_params p;
	struct mem_range hidden[sizeof(candidates) / sizeof(candidates[0])];
	size_t dst_size;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * trailer[0]: bits 0-3 how many of the host's CPUs the guest gets (at
 * least 1), bit 4 a command line, bit 5 an initrd, bits 6-7 the room in the
 * destination buffer; trailer[1]: which candidate devices are hidden.
 * Without a trailer: all CPUs, both, a 2 MiB slot, the first two hidden.
 */
static void params(struct params *out, const struct platform_cpus *cpus,
		   const uint8_t *trailer, size_t n, uint32_t src_size)
{
	static const size_t room[] = {0, 256, 4096, 2 << 20};
	uint8_t t0 = n > 0 ? trailer[0] : 0xff, t1 = n > 1 ? trailer[1] : 0x03;
	uint32_t want = (t0 & 0xf) + 1u;

	memset(out, 0, sizeof(*out));
	out->p.ram = (struct mem_range){RAM_BASE, RAM_SIZE};
	out->p.cmdline = (t0 & 0x10) ? "console=ttyAMA0 earlycon" : NULL;
	if (t0 & 0x20)
		out->p.initrd = (struct mem_range){RAM_BASE + 0x8000000, 0x1234};
	out->p.cpu_hwids = cpus->hwid;
	out->p.nr_cpus = want < cpus->count ? want : cpus->count;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (t1 & (1u << i))
			out->hidden[out->p.nr_hidden++] = candidates[i];
	out->p.hidden = out->hidden;
	out->dst_size = (t0 >> 6) == 3 ? room[3] : src_size + room[t0 >> 6];
}

static void count_range(const struct mem_range *r, const char *node,
			void *ctx)
{
	(void)r;
	FUZZ_CHECK(node != NULL, "a device range with no node name");
	(*(unsigned int *)ctx)++;
}

static void check_built(const void *dst, size_t dst_size)
{
	int ret = fdt_check_full(dst, dst_size);
	int node, memories = 0;

	FUZZ_CHECK(ret == 0, "built tree is not valid: %s", fdt_strerror(ret));
	FUZZ_CHECK(fdt_totalsize(dst) <= dst_size, "built tree overflows");
	for (node = fdt_node_offset_by_prop_value(dst, -1, "device_type",
						  "memory", 7);
	     node >= 0;
	     node = fdt_node_offset_by_prop_value(dst, node, "device_type",
						  "memory", 7))
		memories++;
	FUZZ_CHECK(memories == 1, "%d memory nodes", memories);
	FUZZ_CHECK(fdt_num_mem_rsv(dst) == 0, "memory reservations kept");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct platform_cpus cpus;
	struct params prm;
	struct mem_range console;
	char err[160];
	unsigned int ranges = 0;
	uint32_t total;
	uint8_t *src;
	void *dst;

	if (size < 8 || be32(data) != FDT_MAGIC)
		return 0;
	total = be32(data + 4);
	if (total < HEADER_MIN || total > size || total > SRC_MAX)
		return 0;
	src = malloc(total);
	memcpy(src, data, total);

	/* As boot/ does before any reader sees the tree. */
	if (!platform_check_dtb(src, total, err, sizeof(err)))
		goto out;
	platform_find_device(src, "arm,pl011", true, &console);
	if (!platform_read_cpus(src, 0, &cpus, err, sizeof(err)))
		goto out;

	params(&prm, &cpus, data + total, size - total, total);
	dst = malloc(prm.dst_size);
	memset(err, 'X', sizeof(err));
	if (guest_dt_build(src, dst, prm.dst_size, &prm.p, err, sizeof(err)))
		check_built(dst, prm.dst_size);
	else
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
			   "error message not terminated");
	free(dst);
	FUZZ_CHECK(memcmp(src, data, total) == 0, "the source tree changed");

	platform_for_each_device_range(src, count_range, &ranges);
out:
	free(src);
	return 0;
}

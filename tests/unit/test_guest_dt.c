/*
 * hv/guest_dt.c and hv/platform.c: the guest's device tree and what vigil
 * reads from the firmware's. Input trees are written with libfdt's
 * sequential-write API to look like QEMU virt's; the results are checked
 * with libfdt's read-only API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
#include <vigil/platform.h>

#include "fake/fake.h"
#include "test.h"

#define SRC_SIZE 16384
#define DST_SIZE (2 << 20) /* the 2 MiB device-tree slot */
#define GUEST_RAM_BASE 0x40000000ULL
#define GUEST_RAM_SIZE 0x10000000ULL

/* Every sequential-write call must work; a failure is a broken test. */
#define SW(call)                                                            \
	do {                                                                \
		int r_ = (call);                                            \
		if (r_ < 0)                                                 \
			test_abort("%s: %s", #call, fdt_strerror(r_));      \
	} while (0)

/* What the source tree looks like; zero is the QEMU virt default. */
struct src_opts {
	int nr_cpus;                 /* default 4: cpu@0..cpu@3, reg = n */
	const char *cpu_status[16];  /* NULL: no status property */
	int cpus_address_cells;      /* default 1 */
	bool no_cpus;
	bool no_chosen;
	const char *stdout_path;     /* default "/pl011@9000000" */
	bool no_stdout_path;
	const char *bootargs;        /* NULL: none */
	bool initrd;                 /* firmware-set linux,initrd-* */
	bool second_uart;            /* /pl011@9040000 */
	const char *uart0_status;
	const char *uart1_status;
	bool aliases;                /* serial0/serial1 */
};

static void reg2(void *fdt, uint64_t base, uint64_t size)
{
	fdt32_t reg[4] = {cpu_to_fdt32((uint32_t)(base >> 32)),
			  cpu_to_fdt32((uint32_t)base),
			  cpu_to_fdt32((uint32_t)(size >> 32)),
			  cpu_to_fdt32((uint32_t)size)};
	SW(fdt_property(fdt, "reg", reg, sizeof(reg)));
}

static void prop_str(void *fdt, const char *name, const char *s)
{
	SW(fdt_property(fdt, name, s, (int)strlen(s) + 1));
}

/* "a\0b\0c" lists: len includes the final NUL. */
static void prop_list(void *fdt, const char *name, const char *s, int len)
{
	SW(fdt_property(fdt, name, s, len));
}

static void uart(void *fdt, uint64_t base, const char *status)
{
	char name[32];

	snprintf(name, sizeof(name), "pl011@%llx", (unsigned long long)base);
	SW(fdt_begin_node(fdt, name));
	prop_list(fdt, "compatible", "arm,pl011\0arm,primecell",
		  sizeof("arm,pl011\0arm,primecell"));
	reg2(fdt, base, 0x1000);
	SW(fdt_property_u32(fdt, "interrupts", 1));
	if (status)
		prop_str(fdt, "status", status);
	SW(fdt_end_node(fdt));
}

static void virtio(void *fdt, uint64_t base)
{
	char name[32];

	snprintf(name, sizeof(name), "virtio_mmio@%llx",
		 (unsigned long long)base);
	SW(fdt_begin_node(fdt, name));
	prop_str(fdt, "compatible", "virtio,mmio");
	reg2(fdt, base, 0x200);
	SW(fdt_property(fdt, "dma-coherent", "", 0));
	SW(fdt_end_node(fdt));
}

static void *build_src(const struct src_opts *o)
{
	void *fdt = calloc(1, SRC_SIZE);
	int nr_cpus = o->nr_cpus ? o->nr_cpus : 4;
	int ac = o->cpus_address_cells ? o->cpus_address_cells : 1;

	SW(fdt_create(fdt, SRC_SIZE));
	SW(fdt_add_reservemap_entry(fdt, 0x48000000, 0x100000));
	SW(fdt_add_reservemap_entry(fdt, 0x7f000000, 0x1000));
	SW(fdt_finish_reservemap(fdt));
	SW(fdt_begin_node(fdt, ""));
	SW(fdt_property_u32(fdt, "#address-cells", 2));
	SW(fdt_property_u32(fdt, "#size-cells", 2));
	prop_str(fdt, "compatible", "linux,dummy-virt");
	SW(fdt_property_u32(fdt, "interrupt-parent", 0x8002));

	if (o->aliases) {
		SW(fdt_begin_node(fdt, "aliases"));
		prop_str(fdt, "serial0", "/pl011@9000000");
		prop_str(fdt, "serial1", "/pl011@9040000");
		SW(fdt_end_node(fdt));
	}

	if (!o->no_chosen) {
		SW(fdt_begin_node(fdt, "chosen"));
		if (!o->no_stdout_path)
			prop_str(fdt, "stdout-path",
				 o->stdout_path ? o->stdout_path
						: "/pl011@9000000");
		if (o->bootargs)
			prop_str(fdt, "bootargs", o->bootargs);
		if (o->initrd) {
			SW(fdt_property_u64(fdt, "linux,initrd-start",
					    0x48000000));
			SW(fdt_property_u64(fdt, "linux,initrd-end",
					    0x48100000));
		}
		SW(fdt_property_u64(fdt, "linux,uefi-system-table",
				    0xbff6d018));
		SW(fdt_property_u32(fdt, "linux,uefi-mmap-size", 0x1000));
		SW(fdt_property_u64(fdt, "linux,uefi-mmap-start", 0xbe000000));
		SW(fdt_property_u32(fdt, "linux,uefi-mmap-desc-size", 0x30));
		SW(fdt_property_u32(fdt, "linux,uefi-mmap-desc-ver", 1));
		prop_str(fdt, "kaslr-seed-name", "kept");
		SW(fdt_end_node(fdt));
	}

	SW(fdt_begin_node(fdt, "memory@40000000"));
	prop_str(fdt, "device_type", "memory");
	reg2(fdt, 0x40000000, 0x40000000);
	SW(fdt_end_node(fdt));
	SW(fdt_begin_node(fdt, "memory@100000000"));
	prop_str(fdt, "device_type", "memory");
	reg2(fdt, 0x100000000ULL, 0x40000000);
	SW(fdt_end_node(fdt));

	SW(fdt_begin_node(fdt, "psci"));
	prop_list(fdt, "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci",
		  sizeof("arm,psci-1.0\0arm,psci-0.2\0arm,psci"));
	prop_str(fdt, "method", "smc");
	SW(fdt_property_u32(fdt, "cpu_on", 0xc4000003));
	SW(fdt_property_u32(fdt, "cpu_off", 0x84000002));
	SW(fdt_end_node(fdt));

	if (!o->no_cpus) {
		SW(fdt_begin_node(fdt, "cpus"));
		SW(fdt_property_u32(fdt, "#address-cells", (uint32_t)ac));
		SW(fdt_property_u32(fdt, "#size-cells", 0));
		for (int i = 0; i < nr_cpus; i++) {
			char name[16];
			snprintf(name, sizeof(name), "cpu@%d", i);
			SW(fdt_begin_node(fdt, name));
			prop_str(fdt, "device_type", "cpu");
			prop_str(fdt, "compatible", "arm,cortex-a72");
			if (ac == 2)
				SW(fdt_property_u64(fdt, "reg", (uint64_t)i));
			else
				SW(fdt_property_u32(fdt, "reg", (uint32_t)i));
			prop_str(fdt, "enable-method", "psci");
			if (o->cpu_status[i])
				prop_str(fdt, "status", o->cpu_status[i]);
			SW(fdt_end_node(fdt));
		}
		SW(fdt_begin_node(fdt, "cpu-map"));
		SW(fdt_begin_node(fdt, "socket0"));
		SW(fdt_begin_node(fdt, "cluster0"));
		for (int i = 0; i < nr_cpus; i++) {
			char name[16];
			snprintf(name, sizeof(name), "core%d", i);
			SW(fdt_begin_node(fdt, name));
			SW(fdt_property_u32(fdt, "cpu", (uint32_t)(0x8000 + i)));
			SW(fdt_end_node(fdt));
		}
		SW(fdt_end_node(fdt));
		SW(fdt_end_node(fdt));
		SW(fdt_end_node(fdt));
		SW(fdt_end_node(fdt));
	}

	uart(fdt, 0x9000000, o->uart0_status);
	if (o->second_uart)
		uart(fdt, 0x9040000, o->uart1_status);
	virtio(fdt, 0xa000000);
	virtio(fdt, 0xa000200);

	SW(fdt_end_node(fdt));
	SW(fdt_finish(fdt));
	if (fdt_check_header(fdt) != 0)
		test_abort("source tree is broken");
	return fdt;
}

static const uint64_t two_cpus[] = {0, 2};
static const struct mem_range hide_virtio0[] = {{0xa000000, 0x200}};

static struct guest_dt_params default_params(void)
{
	return (struct guest_dt_params){
		.ram = {GUEST_RAM_BASE, GUEST_RAM_SIZE},
		.cmdline = "console=ttyAMA0 earlycon",
		.initrd = {0x4e000000, 0x123456},
		.cpu_hwids = two_cpus,
		.nr_cpus = 2,
		.hidden = hide_virtio0,
		.nr_hidden = 1,
	};
}

static char err[256];

/* Build the guest tree from o and p into a fresh DST_SIZE buffer. */
static void *build_guest(const struct src_opts *o,
			 const struct guest_dt_params *p)
{
	void *src = build_src(o);
	void *dst = malloc(DST_SIZE);

	memset(dst, 0xee, DST_SIZE);
	memset(err, 0, sizeof(err));
	bool ok = guest_dt_build(src, dst, DST_SIZE, p, err, sizeof(err));
	free(src);
	if (!EXPECT_TRUE(ok)) {
		test_note("error: %s", err);
		free(dst);
		return NULL;
	}
	return dst;
}

static int count_device_type(const void *fdt, const char *type)
{
	int n = 0, node;

	for (node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", type,
						  (int)strlen(type) + 1);
	     node >= 0;
	     node = fdt_node_offset_by_prop_value(fdt, node, "device_type", type,
						  (int)strlen(type) + 1))
		n++;
	return n;
}

static const char *get_str(const void *fdt, const char *path,
			   const char *name)
{
	int node = fdt_path_offset(fdt, path);
	if (node < 0)
		return NULL;
	return fdt_getprop(fdt, node, name, NULL);
}

static bool get_u64(const void *fdt, const char *path, const char *name,
		    uint64_t *v)
{
	int node = fdt_path_offset(fdt, path), len;
	const void *p;

	if (node < 0 || (p = fdt_getprop(fdt, node, name, &len)) == NULL ||
	    len != 8)
		return false;
	fdt64_t raw;
	memcpy(&raw, p, sizeof(raw));
	*v = fdt64_to_cpu(raw);
	return true;
}

/* Well formed, checked end to end, and packed (no slack at the end). */
static void expect_valid_and_packed(const void *fdt)
{
	EXPECT_EQ(0, fdt_check_header(fdt));
	EXPECT_EQ(0, fdt_check_full(fdt, DST_SIZE));
	EXPECT_EQ(fdt_off_dt_strings(fdt) + fdt_size_dt_strings(fdt),
		  fdt_totalsize(fdt));
	EXPECT_TRUE(fdt_totalsize(fdt) <= DST_SIZE);
}

TEST(source_tree_is_sane)
{
	struct src_opts o = {0};
	void *src = build_src(&o);

	EXPECT_EQ(0, fdt_check_full(src, SRC_SIZE));
	EXPECT_EQ(2, fdt_num_mem_rsv(src));
	EXPECT_EQ(2, count_device_type(src, "memory"));
	EXPECT_EQ(4, count_device_type(src, "cpu"));
	free(src);
}

TEST(guest_tree_memory)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(1, count_device_type(dst, "memory"));
	int node = fdt_node_offset_by_prop_value(dst, -1, "device_type",
						 "memory", 7);
	ASSERT_TRUE(node >= 0);
	EXPECT_STREQ("memory@40000000", fdt_get_name(dst, node, NULL));
	int len;
	const fdt32_t *reg = fdt_getprop(dst, node, "reg", &len);
	ASSERT_TRUE(reg != NULL);
	ASSERT_EQ(16, len);
	EXPECT_EQ(0, fdt32_to_cpu(reg[0]));
	EXPECT_EQ(GUEST_RAM_BASE, fdt32_to_cpu(reg[1]));
	EXPECT_EQ(0, fdt32_to_cpu(reg[2]));
	EXPECT_EQ(GUEST_RAM_SIZE, fdt32_to_cpu(reg[3]));
	EXPECT_EQ(NULL, get_str(dst, "/memory@100000000", "device_type"));
	expect_valid_and_packed(dst);
	free(dst);
}

TEST(guest_tree_memory_above_4g)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	p.ram = (struct mem_range){0x880000000ULL, 0x140000000ULL};
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	int node = fdt_path_offset(dst, "/memory@880000000");
	ASSERT_TRUE(node >= 0);
	const fdt32_t *reg = fdt_getprop(dst, node, "reg", NULL);
	ASSERT_TRUE(reg != NULL);
	EXPECT_EQ(0x8, fdt32_to_cpu(reg[0]));
	EXPECT_EQ(0x80000000, fdt32_to_cpu(reg[1]));
	EXPECT_EQ(0x1, fdt32_to_cpu(reg[2]));
	EXPECT_EQ(0x40000000, fdt32_to_cpu(reg[3]));
	free(dst);
}

TEST(guest_tree_psci_over_hvc)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_STREQ("hvc", get_str(dst, "/psci", "method"));
	EXPECT_EQ(0, fdt_node_check_compatible(dst, fdt_path_offset(dst, "/psci"),
					       "arm,psci-0.2"));
	free(dst);
}

TEST(guest_tree_only_guest_cpus)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(2, count_device_type(dst, "cpu"));
	EXPECT_TRUE(fdt_path_offset(dst, "/cpus/cpu@0") >= 0);
	EXPECT_TRUE(fdt_path_offset(dst, "/cpus/cpu@2") >= 0);
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/cpus/cpu@1"));
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/cpus/cpu@3"));
	/* cpu-map would name the removed CPUs. */
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/cpus/cpu-map"));
	free(dst);
}

TEST(guest_tree_all_cpus_keeps_cpu_map)
{
	static const uint64_t all[] = {3, 2, 1, 0};
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	p.cpu_hwids = all;
	p.nr_cpus = 4;
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(4, count_device_type(dst, "cpu"));
	EXPECT_TRUE(fdt_path_offset(dst, "/cpus/cpu-map/socket0/cluster0/core3") >=
		    0);
	free(dst);
}

TEST(guest_tree_cpus_with_two_address_cells)
{
	static const uint64_t one[] = {1};
	struct src_opts o = {.cpus_address_cells = 2};
	struct guest_dt_params p = default_params();
	p.cpu_hwids = one;
	p.nr_cpus = 1;
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(1, count_device_type(dst, "cpu"));
	EXPECT_TRUE(fdt_path_offset(dst, "/cpus/cpu@1") >= 0);
	free(dst);
}

TEST(guest_tree_chosen)
{
	struct src_opts o = {.bootargs = "console=ttyS0 from-firmware"};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_STREQ("console=ttyAMA0 earlycon",
		     get_str(dst, "/chosen", "bootargs"));
	uint64_t v = 0;
	EXPECT_TRUE(get_u64(dst, "/chosen", "linux,initrd-start", &v));
	EXPECT_EQ(0x4e000000, v);
	EXPECT_TRUE(get_u64(dst, "/chosen", "linux,initrd-end", &v));
	EXPECT_EQ(0x4e000000 + 0x123456, v);
	/* Everything an EFI stub would have set is gone; the rest stays. */
	int chosen = fdt_path_offset(dst, "/chosen"), prop;
	ASSERT_TRUE(chosen >= 0);
	fdt_for_each_property_offset(prop, dst, chosen)
	{
		const char *name;
		fdt_getprop_by_offset(dst, prop, &name, NULL);
		if (!EXPECT_FALSE(strncmp(name, "linux,uefi-", 11) == 0))
			test_note("property %s", name);
	}
	EXPECT_STREQ("/pl011@9000000", get_str(dst, "/chosen", "stdout-path"));
	EXPECT_STREQ("kept", get_str(dst, "/chosen", "kaslr-seed-name"));
	expect_valid_and_packed(dst);
	free(dst);
}

TEST(guest_tree_keeps_bootargs_without_cmdline)
{
	struct src_opts o = {.bootargs = "console=ttyS0 from-firmware"};
	struct guest_dt_params p = default_params();
	p.cmdline = NULL;
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	EXPECT_STREQ("console=ttyS0 from-firmware",
		     get_str(dst, "/chosen", "bootargs"));
	free(dst);

	/* No bootargs anywhere: none appear. */
	o.bootargs = NULL;
	dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	EXPECT_EQ(NULL, get_str(dst, "/chosen", "bootargs"));
	free(dst);
}

TEST(guest_tree_empty_cmdline_is_set)
{
	struct src_opts o = {.bootargs = "from-firmware"};
	struct guest_dt_params p = default_params();
	p.cmdline = "";
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	EXPECT_STREQ("", get_str(dst, "/chosen", "bootargs"));
	free(dst);
}

TEST(guest_tree_no_initrd_drops_firmware_initrd)
{
	struct src_opts o = {.initrd = true};
	struct guest_dt_params p = default_params();
	p.initrd = (struct mem_range){0, 0};
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	uint64_t v;
	EXPECT_FALSE(get_u64(dst, "/chosen", "linux,initrd-start", &v));
	EXPECT_FALSE(get_u64(dst, "/chosen", "linux,initrd-end", &v));
	free(dst);
}

TEST(guest_tree_creates_chosen)
{
	struct src_opts o = {.no_chosen = true};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_STREQ("console=ttyAMA0 earlycon",
		     get_str(dst, "/chosen", "bootargs"));
	uint64_t v = 0;
	EXPECT_TRUE(get_u64(dst, "/chosen", "linux,initrd-start", &v));
	EXPECT_EQ(0x4e000000, v);
	expect_valid_and_packed(dst);
	free(dst);
}

TEST(guest_tree_hidden_device_removed)
{
	struct src_opts o = {.second_uart = true};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/virtio_mmio@a000000"));
	EXPECT_TRUE(fdt_path_offset(dst, "/virtio_mmio@a000200") >= 0);
	EXPECT_TRUE(fdt_path_offset(dst, "/pl011@9000000") >= 0);
	EXPECT_TRUE(fdt_path_offset(dst, "/pl011@9040000") >= 0);
	free(dst);
}

TEST(guest_tree_several_hidden_devices)
{
	static const struct mem_range hide[] = {
		{0x9040000, 0x1000},
		{0xa000000, 0x400}, /* both virtio devices */
	};
	struct src_opts o = {.second_uart = true};
	struct guest_dt_params p = default_params();
	p.hidden = hide;
	p.nr_hidden = 2;
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);

	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/pl011@9040000"));
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/virtio_mmio@a000000"));
	EXPECT_EQ(-FDT_ERR_NOTFOUND, fdt_path_offset(dst, "/virtio_mmio@a000200"));
	EXPECT_TRUE(fdt_path_offset(dst, "/pl011@9000000") >= 0);
	/* Nothing else went with them. */
	EXPECT_EQ(2, count_device_type(dst, "cpu"));
	EXPECT_EQ(1, count_device_type(dst, "memory"));
	EXPECT_TRUE(fdt_path_offset(dst, "/psci") >= 0);
	free(dst);
}

/*
 * A hidden range is a range of host physical addresses. Nodes whose "reg"
 * is not an address in that space (CPUs: an MPIDR) must not be matched.
 * Here the device at physical address 0 (QEMU virt's flash@0 is one) is
 * hidden; cpu@0 has reg = 0 and must stay.
 */
TEST(hidden_range_at_zero_keeps_cpus)
{
	static const struct mem_range hide_flash[] = {{0x0, 0x4000000}};
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	p.hidden = hide_flash;
	p.nr_hidden = 1;
	void *dst = build_guest(&o, &p);
	if (dst == NULL)
		return;
	EXPECT_TRUE(fdt_path_offset(dst, "/cpus/cpu@0") >= 0);
	EXPECT_EQ(2, count_device_type(dst, "cpu"));
	free(dst);
}

/*
 * A source tree whose memory-reservation block has lost its {0, 0}
 * terminator passes fdt_check_header(), but fdt_num_mem_rsv() then fails
 * (-FDT_ERR_TRUNCATED) and libfdt's fdt_open_into() uses that error as a
 * count: memmove() with a negative size, i.e. memory corruption at EL2.
 * guest_dt_build() must reject such a tree.
 */
TEST(unterminated_memreserve_rejected)
{
	struct src_opts o = {0};
	void *src = build_src(&o);
	struct guest_dt_params p = default_params();
	void *dst = malloc(DST_SIZE);

	/* The terminator is the third 16-byte entry: give it a size. */
	fdt64_st((char *)src + fdt_off_mem_rsvmap(src) + 2 * 16 + 8, 0x1000);
	ASSERT_EQ(0, fdt_check_header(src));
	EXPECT_FALSE(guest_dt_build(src, dst, DST_SIZE, &p, err, sizeof(err)));
	EXPECT_STREQ("dt: not a valid device tree: FDT_ERR_TRUNCATED", err);
	free(dst);
	free(src);
}

/* What boot/ checks before any reader sees a tree (platform_check_dtb). */
TEST(check_dtb_accepts_a_sound_tree)
{
	struct src_opts o = {0};
	void *src = build_src(&o);

	EXPECT_TRUE(platform_check_dtb(src, SRC_SIZE, err, sizeof(err)));
	EXPECT_FALSE(platform_check_dtb(src, fdt_totalsize(src) - 1, err,
					sizeof(err)));
	EXPECT_STREQ("truncated", err);
	free(src);
}

TEST(check_dtb_rejects_misaligned_blocks)
{
	struct src_opts o = {0};
	char *src = build_src(&o);
	uint32_t off = fdt_off_dt_struct(src);

	/* The structure block moved up by two bytes: fdt32_t loads misalign. */
	memmove(src + off + 2, src + off, fdt_size_dt_struct(src));
	fdt_set_off_dt_struct(src, off + 2);
	EXPECT_FALSE(platform_check_dtb(src, SRC_SIZE, err, sizeof(err)));
	EXPECT_CONTAINS(err, "misaligned blocks");
	free(src);
}

TEST(check_dtb_rejects_a_broken_structure)
{
	struct src_opts o = {0};
	void *src = build_src(&o);

	fdt_set_size_dt_struct(src, 4);
	EXPECT_FALSE(platform_check_dtb(src, SRC_SIZE, err, sizeof(err)));
	free(src);
}

TEST(guest_tree_no_memreserve)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	EXPECT_EQ(0, fdt_num_mem_rsv(dst));
	free(dst);
}

TEST(guest_tree_valid_and_packed)
{
	struct src_opts o = {.second_uart = true, .bootargs = "x", .initrd = true};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	expect_valid_and_packed(dst);
	/* The untouched parts made it across. */
	EXPECT_STREQ("linux,dummy-virt", get_str(dst, "/", "compatible"));
	EXPECT_STREQ("virtio,mmio",
		     get_str(dst, "/virtio_mmio@a000200", "compatible"));
	free(dst);
}

TEST(guest_tree_invalid_source)
{
	struct guest_dt_params p = default_params();
	void *junk = calloc(1, 4096);
	void *dst = malloc(DST_SIZE);

	EXPECT_FALSE(guest_dt_build(junk, dst, DST_SIZE, &p, err, sizeof(err)));
	EXPECT_STREQ("dt: not a valid device tree: FDT_ERR_BADMAGIC", err);
	EXPECT_CONTAINS(err, "not a valid device tree");
	/* Right magic, nonsense header. */
	fdt32_st(junk, FDT_MAGIC);
	EXPECT_FALSE(guest_dt_build(junk, dst, DST_SIZE, &p, err, sizeof(err)));
	EXPECT_CONTAINS(err, "dt: not a valid device tree: ");
	free(dst);
	free(junk);
}

TEST(guest_tree_destination_too_small)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *src = build_src(&o);
	uint32_t size = fdt_totalsize(src);
	void *dst = malloc(size - 1);
	char want[128];

	EXPECT_FALSE(guest_dt_build(src, dst, size - 1, &p, err, sizeof(err)));
	snprintf(want, sizeof(want), "dt: %u bytes, more than the %u-byte slot",
		 size, size - 1);
	EXPECT_STREQ(want, err);
	free(dst);
	free(src);
}

/* Every slot size either works (and the result fits) or fails cleanly. */
TEST(guest_tree_tight_destinations)
{
	struct src_opts o = {.bootargs = "short"};
	struct guest_dt_params p = default_params();
	p.cmdline = "a much longer kernel command line than the firmware's one, "
		    "so that the tree has to grow while being edited";
	void *src = build_src(&o);
	uint32_t size = fdt_totalsize(src);
	unsigned int ok = 0, failed = 0;

	for (uint32_t slot = size - 64; slot <= size + 512; slot += 4) {
		void *dst = malloc(slot); /* exact size: ASan sees overruns */
		memset(err, 0, sizeof(err));
		if (guest_dt_build(src, dst, slot, &p, err, sizeof(err))) {
			ok++;
			EXPECT_EQ(0, fdt_check_full(dst, slot));
			EXPECT_STREQ(p.cmdline, get_str(dst, "/chosen", "bootargs"));
		} else {
			failed++;
			if (!EXPECT_TRUE(strncmp(err, "dt: ", 4) == 0))
				test_note("slot %u: \"%s\"", slot, err);
		}
		free(dst);
	}
	EXPECT_TRUE(ok > 0);
	EXPECT_TRUE(failed > 0);
	free(src);
}

/* ---- platform_read_cpus ---- */

TEST(read_cpus_boot_cpu_first)
{
	struct src_opts o = {0};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	memset(&cpus, 0xa5, sizeof(cpus));
	ASSERT_TRUE(platform_read_cpus(fdt, 2, &cpus, err, sizeof(err)));
	EXPECT_EQ(4, cpus.count);
	EXPECT_EQ(0, cpus.ignored);
	EXPECT_EQ(2, cpus.hwid[0]);
	EXPECT_EQ(0, cpus.hwid[1]);
	EXPECT_EQ(1, cpus.hwid[2]);
	EXPECT_EQ(3, cpus.hwid[3]);
	EXPECT_EQ(fdt, platform_fdt());
	free(fdt);
}

TEST(read_cpus_boot_cpu_missing)
{
	struct src_opts o = {0};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	EXPECT_FALSE(platform_read_cpus(fdt, 7, &cpus, err, sizeof(err)));
	EXPECT_STREQ("the boot CPU (MPIDR 0x7) is not in /cpus", err);
	free(fdt);
}

TEST(read_cpus_skips_disabled)
{
	struct src_opts o = {.cpu_status = {"okay", "disabled", "ok", "fail"}};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	ASSERT_TRUE(platform_read_cpus(fdt, 0, &cpus, err, sizeof(err)));
	EXPECT_EQ(2, cpus.count);
	EXPECT_EQ(0, cpus.hwid[0]);
	EXPECT_EQ(2, cpus.hwid[1]);
	EXPECT_EQ(0, cpus.ignored);
	/* A disabled boot CPU is as good as missing. */
	EXPECT_FALSE(platform_read_cpus(fdt, 1, &cpus, err, sizeof(err)));
	EXPECT_STREQ("the boot CPU (MPIDR 0x1) is not in /cpus", err);
	free(fdt);
}

TEST(read_cpus_more_than_max)
{
	struct src_opts o = {.nr_cpus = 11};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	ASSERT_TRUE(platform_read_cpus(fdt, 9, &cpus, err, sizeof(err)));
	EXPECT_EQ(MAX_CPUS, cpus.count);
	EXPECT_EQ(3, cpus.ignored);
	EXPECT_EQ(9, cpus.hwid[0]);
	for (uint32_t i = 1; i < MAX_CPUS; i++)
		EXPECT_EQ(i - 1, cpus.hwid[i]);
	free(fdt);
}

TEST(read_cpus_two_address_cells)
{
	struct src_opts o = {.cpus_address_cells = 2};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	ASSERT_TRUE(platform_read_cpus(fdt, 3, &cpus, err, sizeof(err)));
	EXPECT_EQ(4, cpus.count);
	EXPECT_EQ(3, cpus.hwid[0]);
	EXPECT_EQ(0, cpus.hwid[1]);
	free(fdt);
}

TEST(read_cpus_no_cpus_node)
{
	struct src_opts o = {.no_cpus = true};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	EXPECT_FALSE(platform_read_cpus(fdt, 0, &cpus, err, sizeof(err)));
	EXPECT_STREQ("device tree has no /cpus node", err);
	free(fdt);
}

TEST(read_cpus_bad_address_cells)
{
	struct src_opts o = {.cpus_address_cells = 3};
	void *fdt = build_src(&o);
	struct platform_cpus cpus;

	EXPECT_FALSE(platform_read_cpus(fdt, 0, &cpus, err, sizeof(err)));
	EXPECT_STREQ("/cpus: bad #address-cells", err);
	free(fdt);
}

/* ---- platform_find_device ---- */

TEST(find_device_prefers_stdout_path)
{
	struct src_opts o = {.second_uart = true,
			     .stdout_path = "/pl011@9040000:115200n8"};
	void *fdt = build_src(&o);
	struct mem_range r = {0, 0};

	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9040000, r.base);
	EXPECT_EQ(0x1000, r.size);
	/* Without the preference: the first in the tree. */
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", false, &r));
	EXPECT_EQ(0x9000000, r.base);
	/* Any compatible string of the node will do. */
	ASSERT_TRUE(platform_find_device(fdt, "arm,primecell", true, &r));
	EXPECT_EQ(0x9040000, r.base);
	free(fdt);
}

TEST(find_device_stdout_path_without_options)
{
	struct src_opts o = {.second_uart = true, .stdout_path = "/pl011@9040000"};
	void *fdt = build_src(&o);
	struct mem_range r;

	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9040000, r.base);
	free(fdt);
}

TEST(find_device_stdout_path_alias)
{
	struct src_opts o = {.second_uart = true, .aliases = true,
			     .stdout_path = "serial1:115200n8"};
	void *fdt = build_src(&o);
	struct mem_range r;

	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9040000, r.base);
	free(fdt);
}

TEST(find_device_falls_back_to_first_compatible)
{
	struct mem_range r;
	/* stdout-path names a device of another kind. */
	struct src_opts o = {.second_uart = true,
			     .stdout_path = "/virtio_mmio@a000000"};
	void *fdt = build_src(&o);

	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9000000, r.base);
	free(fdt);
	/* A path that does not exist. */
	o.stdout_path = "/nowhere:9600";
	fdt = build_src(&o);
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9000000, r.base);
	free(fdt);
	/* No stdout-path, no /chosen. */
	o.stdout_path = NULL;
	o.no_stdout_path = true;
	fdt = build_src(&o);
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9000000, r.base);
	free(fdt);
	o.no_chosen = true;
	fdt = build_src(&o);
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9000000, r.base);
	free(fdt);
}

TEST(find_device_skips_disabled)
{
	struct mem_range r;
	struct src_opts o = {.second_uart = true, .uart0_status = "disabled",
			     .stdout_path = "/pl011@9000000"};
	void *fdt = build_src(&o);

	/* The stdout device is disabled: the next enabled one. */
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9040000, r.base);
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", false, &r));
	EXPECT_EQ(0x9040000, r.base);
	free(fdt);
	/* Both disabled ("okay" is what enables). */
	o.uart1_status = "fail";
	fdt = build_src(&o);
	EXPECT_FALSE(platform_find_device(fdt, "arm,pl011", true, &r));
	free(fdt);
	o.uart0_status = "okay";
	fdt = build_src(&o);
	ASSERT_TRUE(platform_find_device(fdt, "arm,pl011", true, &r));
	EXPECT_EQ(0x9000000, r.base);
	free(fdt);
}

TEST(find_device_none)
{
	struct src_opts o = {0};
	void *fdt = build_src(&o);
	struct mem_range r;

	EXPECT_FALSE(platform_find_device(fdt, "ns16550a", true, &r));
	ASSERT_TRUE(platform_find_device(fdt, "virtio,mmio", false, &r));
	EXPECT_EQ(0xa000000, r.base);
	EXPECT_EQ(0x200, r.size);
	free(fdt);
}

TEST(hidden_device_list)
{
	uint32_t n = 99;
	const struct mem_range *list = platform_hidden_devices(&n);

	EXPECT_EQ(0, n);
	/* Touching ranges (virtio-mmio slots) share one entry, either side. */
	EXPECT_TRUE(platform_hide_device(0x0a000200, 0x200));
	EXPECT_TRUE(platform_hide_device(0x0a000400, 0x200));
	EXPECT_TRUE(platform_hide_device(0x0a000000, 0x200));
	list = platform_hidden_devices(&n);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0x0a000000, list[0].base);
	EXPECT_EQ(0x600, list[0].size);
	for (uint64_t i = 1; i < PLATFORM_MAX_HIDDEN; i++)
		EXPECT_TRUE(platform_hide_device(0x10000000 + i * 0x2000, 0x1000));
	EXPECT_FALSE(platform_hide_device(0x20000000, 0x1000));
	list = platform_hidden_devices(&n);
	EXPECT_EQ(PLATFORM_MAX_HIDDEN, n);
	EXPECT_EQ(0x10000000 + (PLATFORM_MAX_HIDDEN - 1) * 0x2000,
		  list[PLATFORM_MAX_HIDDEN - 1].base);
	EXPECT_EQ(0x1000, list[PLATFORM_MAX_HIDDEN - 1].size);
}

/* The guest keeps the firmware's PCI resources (vigil maps around them). */
TEST(guest_tree_pci_probe_only)
{
	struct src_opts o = {0};
	struct guest_dt_params p = default_params();
	void *dst = build_guest(&o, &p);
	ASSERT_TRUE(dst != NULL);
	int chosen = fdt_path_offset(dst, "/chosen");
	int len = 0;
	const fdt32_t *v = fdt_getprop(dst, chosen, "linux,pci-probe-only", &len);
	ASSERT_TRUE(v != NULL);
	EXPECT_EQ(4, len);
	EXPECT_EQ(1, fdt32_to_cpu(*v));
	free(dst);
}

/* Adds an "its" node with phandle 0x77 and a /pcie node using it. */
static void *src_with_msi_users(uint64_t its_base)
{
	struct src_opts o = {0};
	void *small = build_src(&o);
	void *src = malloc(DST_SIZE);
	fdt32_t map[4] = {0, cpu_to_fdt32(0x77), 0, cpu_to_fdt32(0x10000)};
	fdt32_t reg[4] = {0, cpu_to_fdt32((uint32_t)its_base), 0,
			  cpu_to_fdt32(0x20000)};
	char name[32];

	fdt_open_into(small, src, DST_SIZE);
	free(small);
	snprintf(name, sizeof(name), "its@%llx", (unsigned long long)its_base);
	int its = fdt_add_subnode(src, 0, name);
	fdt_setprop_u32(src, its, "phandle", 0x77);
	fdt_setprop(src, its, "reg", reg, sizeof(reg));
	int pcie = fdt_add_subnode(src, 0, "pcie@10000000");
	fdt_setprop(src, pcie, "msi-map", map, sizeof(map));
	int dev = fdt_add_subnode(src, 0, "dev@20000000");
	fdt_setprop_u32(src, dev, "msi-parent", 0x77);
	fdt_pack(src);
	return src;
}

TEST(guest_tree_drops_msi_references_to_hidden_its)
{
	static const struct mem_range hide_its[] = {{0x8080000, 0x20000}};
	void *src = src_with_msi_users(0x8080000);
	void *dst = malloc(DST_SIZE);
	struct guest_dt_params p = default_params();
	p.hidden = hide_its;
	p.nr_hidden = 1;

	ASSERT_TRUE(guest_dt_build(src, dst, DST_SIZE, &p, err, sizeof(err)));
	EXPECT_TRUE(fdt_path_offset(dst, "/its@8080000") < 0);
	EXPECT_TRUE(fdt_getprop(dst, fdt_path_offset(dst, "/pcie@10000000"),
				"msi-map", NULL) == NULL);
	EXPECT_TRUE(fdt_getprop(dst, fdt_path_offset(dst, "/dev@20000000"),
				"msi-parent", NULL) == NULL);
	free(dst);
	free(src);
}

TEST(guest_tree_keeps_msi_references_to_present_its)
{
	void *src = src_with_msi_users(0x8080000);
	void *dst = malloc(DST_SIZE);
	struct guest_dt_params p = default_params();

	ASSERT_TRUE(guest_dt_build(src, dst, DST_SIZE, &p, err, sizeof(err)));
	EXPECT_TRUE(fdt_getprop(dst, fdt_path_offset(dst, "/pcie@10000000"),
				"msi-map", NULL) != NULL);
	EXPECT_TRUE(fdt_getprop(dst, fdt_path_offset(dst, "/dev@20000000"),
				"msi-parent", NULL) != NULL);
	free(dst);
	free(src);
}

/*
 * Which nodes can master DMA (docs/architecture.md, "DMA"): QEMU virt's
 * fw-cfg, virtio-mmio and PCIe host bridge, and anything whose properties
 * say so; not its UART, RTC, GPIO, flash, GIC or timer, and not a bus
 * that merely translates its children's DMA addresses (dma-ranges).
 */
static void *src_with_devices(void)
{
	struct src_opts o = {0};
	void *small = build_src(&o);
	void *src = malloc(DST_SIZE);
	static const struct {
		const char *name, *compat, *prop, *type;
	} nodes[] = {
		{"fw-cfg@9020000", "qemu,fw-cfg-mmio", "dma-coherent", NULL},
		{"virtio_mmio@a000000", "virtio,mmio", NULL, NULL},
		{"pcie@10000000", "pci-host-ecam-generic", NULL, "pci"},
		{"pl031@9010000", "arm,pl031", NULL, NULL},
		{"pl061@9030000", "arm,pl061", NULL, NULL},
		{"flash@0", "cfi-flash", NULL, NULL},
		{"intc@8000000", "arm,gic-v3", NULL, NULL},
		{"timer", "arm,armv8-timer", NULL, NULL},
		{"dma@9100000", "arm,pl330", "#dma-cells", NULL},
		{"eth@9200000", "vendor,eth", "iommus", NULL},
		{"dev@9300000", "vendor,dev", "msi-parent", NULL},
		{"bus@9400000", "simple-bus", "dma-ranges", NULL},
		{"blk@9500000", "vendor,blk", "dma-noncoherent", NULL},
	};

	fdt_open_into(small, src, DST_SIZE);
	free(small);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		int n = fdt_add_subnode(src, 0, nodes[i].name);
		fdt_setprop_string(src, n, "compatible", nodes[i].compat);
		if (nodes[i].prop)
			fdt_setprop_u32(src, n, nodes[i].prop, 1);
		if (nodes[i].type)
			fdt_setprop_string(src, n, "device_type", nodes[i].type);
	}
	return src;
}

static const char *dma_why(const void *fdt, const char *path)
{
	int node = fdt_path_offset(fdt, path);

	if (node < 0)
		test_abort("no %s", path);
	return platform_dma_capable(fdt, node);
}

#define EXPECT_DMA(fdt, path, why)                                     \
	do {                                                           \
		const char *w_ = dma_why(fdt, path);                   \
		EXPECT_TRUE(w_ != NULL && strcmp(w_, why) == 0);       \
	} while (0)

TEST(dma_capable_nodes)
{
	void *src = src_with_devices();

	EXPECT_DMA(src, "/fw-cfg@9020000", "qemu,fw-cfg-mmio");
	EXPECT_DMA(src, "/virtio_mmio@a000000", "virtio,mmio");
	EXPECT_DMA(src, "/pcie@10000000", "PCI host bridge");
	EXPECT_DMA(src, "/dma@9100000", "DMA controller");
	EXPECT_DMA(src, "/eth@9200000", "IOMMU master");
	EXPECT_DMA(src, "/dev@9300000", "writes MSIs");
	EXPECT_DMA(src, "/blk@9500000", "dma-noncoherent");
	EXPECT_TRUE(dma_why(src, "/pl011@9000000") == NULL);
	EXPECT_TRUE(dma_why(src, "/pl031@9010000") == NULL);
	EXPECT_TRUE(dma_why(src, "/pl061@9030000") == NULL);
	EXPECT_TRUE(dma_why(src, "/flash@0") == NULL);
	EXPECT_TRUE(dma_why(src, "/intc@8000000") == NULL);
	EXPECT_TRUE(dma_why(src, "/timer") == NULL);
	EXPECT_TRUE(dma_why(src, "/bus@9400000") == NULL);
	free(src);
}

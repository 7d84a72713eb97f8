/*
 * fdt.c - a minimal read-only flattened device tree walker: just enough to
 * find /memory, /chosen bootargs, the /cpus nodes and the /psci method.
 *
 * Structure-block offsets are ints; -1 means "not found" or "malformed".
 * Tokens and property values are 4-byte aligned by the FDT format, so
 * every wide access here is aligned, as Device memory requires.
 */
#include "guest.h"

#define FDT_BEGIN_NODE		1
#define FDT_END_NODE		2
#define FDT_PROP		3
#define FDT_NOP			4
#define FDT_END			9
#define FDT_MAX_SIZE		(16u << 20)	/* sanity bound on totalsize */

struct fdt {
	const u8 *structs;	/* structure block */
	const char *strings;	/* strings block */
	u32 structs_size;
	u32 strings_size;
};

u32 fdt_be32(const void *p)
{
	return __builtin_bswap32(*(const u32 *)p);
}

static bool fdt_open(const void *dtb, struct fdt *f)
{
	const u8 *hdr = dtb;
	u32 total, off_structs, off_strings;

	if (!dtb || ((u64)dtb & 7) || fdt_be32(hdr) != FDT_MAGIC)
		return false;
	total = fdt_be32(hdr + 4);
	off_structs = fdt_be32(hdr + 8);
	off_strings = fdt_be32(hdr + 12);
	f->strings_size = fdt_be32(hdr + 32);
	f->structs_size = fdt_be32(hdr + 36);	/* present from version 17 */
	f->structs = hdr + off_structs;
	f->strings = (const char *)hdr + off_strings;
	return fdt_be32(hdr + 20) >= 17 && total <= FDT_MAX_SIZE &&
	       !(off_structs & 3) &&
	       off_structs <= total && f->structs_size <= total - off_structs &&
	       off_strings <= total && f->strings_size <= total - off_strings;
}

bool fdt_is_valid(const void *dtb)
{
	struct fdt f;

	return fdt_open(dtb, &f);
}

static u32 tag_at(const struct fdt *f, int off)
{
	if (off < 0 || (u32)off + 4 > f->structs_size)
		return FDT_END;
	return fdt_be32(f->structs + off);
}

/* Offset of the token after the one at @off. */
static int next_token(const struct fdt *f, int off)
{
	u32 tag = tag_at(f, off), end;

	off += 4;
	if (tag == FDT_BEGIN_NODE) {
		while ((u32)off < f->structs_size && f->structs[off])
			off++;
		off++;
	} else if (tag == FDT_PROP) {
		end = (u32)off + 8;
		if (end > f->structs_size ||
		    fdt_be32(f->structs + off) > f->structs_size - end)
			return -1;
		off = end + fdt_be32(f->structs + off);
	} else if (tag != FDT_END_NODE && tag != FDT_NOP) {
		return -1;
	}
	off = (off + 3) & ~3;
	return (u32)off <= f->structs_size ? off : -1;
}

/* First child node of @node, or -1: children follow all properties. */
static int first_child(const struct fdt *f, int node)
{
	int off = next_token(f, node);

	while (tag_at(f, off) == FDT_PROP || tag_at(f, off) == FDT_NOP)
		off = next_token(f, off);
	return tag_at(f, off) == FDT_BEGIN_NODE ? off : -1;
}

/* Next sibling of @node, or -1: skips the whole subtree of @node. */
static int next_sibling(const struct fdt *f, int node)
{
	int off = node, depth = 0;

	do {
		u32 tag = tag_at(f, off);

		if (tag == FDT_BEGIN_NODE)
			depth++;
		else if (tag == FDT_END_NODE)
			depth--;
		off = next_token(f, off);
	} while (off >= 0 && depth > 0);
	while (tag_at(f, off) == FDT_NOP)
		off = next_token(f, off);
	return tag_at(f, off) == FDT_BEGIN_NODE ? off : -1;
}

/* "memory" matches the node names "memory" and "memory@40000000". */
static bool name_matches(const struct fdt *f, int node, const char *want, int len)
{
	const char *name = (const char *)f->structs + node + 4;
	int i;

	for (i = 0; i < len; i++)
		if (name[i] != want[i])
			return false;
	return name[len] == '\0' || name[len] == '@';
}

/* Node at an absolute path such as "/cpus" or "/chosen", or -1. */
static int find_node(const struct fdt *f, const char *path)
{
	int node = 0, len;

	while (tag_at(f, node) == FDT_NOP)
		node = next_token(f, node);
	if (tag_at(f, node) != FDT_BEGIN_NODE)
		return -1;
	for (;;) {
		while (*path == '/')
			path++;
		if (!*path)
			return node;
		for (len = 0; path[len] && path[len] != '/'; len++)
			;
		for (node = first_child(f, node); node >= 0; node = next_sibling(f, node))
			if (name_matches(f, node, path, len))
				break;
		if (node < 0)
			return -1;
		path += len;
	}
}

/* Value of property @name of @node (its length in *len), or NULL. */
static const u8 *get_prop(const struct fdt *f, int node, const char *name, u32 *len)
{
	int off;

	if (node < 0)
		return NULL;
	for (off = next_token(f, node); off >= 0; off = next_token(f, off)) {
		u32 tag = tag_at(f, off), name_off;

		if (tag == FDT_NOP)
			continue;
		if (tag != FDT_PROP)
			break;
		name_off = fdt_be32(f->structs + off + 8);
		if (name_off < f->strings_size && str_eq(f->strings + name_off, name)) {
			*len = fdt_be32(f->structs + off + 4);
			return f->structs + off + 12;
		}
	}
	return NULL;
}

/* A NUL-terminated string property, or "" if missing or malformed. */
static const char *get_string(const struct fdt *f, int node, const char *name)
{
	u32 len;
	const u8 *val = get_prop(f, node, name, &len);

	return val && len && val[len - 1] == '\0' ? (const char *)val : "";
}

static u32 get_u32(const struct fdt *f, int node, const char *name, u32 fallback)
{
	u32 len;
	const u8 *val = get_prop(f, node, name, &len);

	return val && len == 4 ? fdt_be32(val) : fallback;
}

/* A 1- or 2-cell big-endian number. */
static u64 read_cells(const u8 *p, u32 cells)
{
	return cells == 2 ? (u64)fdt_be32(p) << 32 | fdt_be32(p + 4) : fdt_be32(p);
}

bool fdt_memory(const void *dtb, u64 *base, u64 *size)
{
	struct fdt f;
	int root, memory;
	u32 addr_cells, size_cells, len;
	const u8 *reg;

	if (!fdt_open(dtb, &f))
		return false;
	root = find_node(&f, "/");
	memory = find_node(&f, "/memory");
	addr_cells = get_u32(&f, root, "#address-cells", 2);
	size_cells = get_u32(&f, root, "#size-cells", 1);
	reg = get_prop(&f, memory, "reg", &len);
	if (!reg || addr_cells < 1 || addr_cells > 2 || size_cells < 1 ||
	    size_cells > 2 || len < 4 * (addr_cells + size_cells))
		return false;
	*base = read_cells(reg, addr_cells);
	*size = read_cells(reg + 4 * addr_cells, size_cells);
	return true;
}

const char *fdt_bootargs(const void *dtb)
{
	struct fdt f;

	return fdt_open(dtb, &f) ? get_string(&f, find_node(&f, "/chosen"), "bootargs") : "";
}

const char *fdt_psci_method(const void *dtb)
{
	struct fdt f;

	return fdt_open(dtb, &f) ? get_string(&f, find_node(&f, "/psci"), "method") : "";
}

unsigned fdt_cpus(const void *dtb, u64 *mpidr, unsigned max)
{
	struct fdt f;
	int cpus, cpu;
	unsigned count = 0;
	u32 addr_cells, len;
	const u8 *reg;

	if (!fdt_open(dtb, &f) || (cpus = find_node(&f, "/cpus")) < 0)
		return 0;
	addr_cells = get_u32(&f, cpus, "#address-cells", 1);
	for (cpu = first_child(&f, cpus); cpu >= 0; cpu = next_sibling(&f, cpu)) {
		if (!name_matches(&f, cpu, "cpu", 3))	/* not "cpu-map" */
			continue;
		if (count < max) {
			reg = get_prop(&f, cpu, "reg", &len);
			mpidr[count] = reg && addr_cells <= 2 && len >= 4 * addr_cells ?
				       read_cells(reg, addr_cells) : ~0UL;
		}
		count++;
	}
	return count;
}

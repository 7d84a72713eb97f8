/*
 * gicv3.h - what the GICv3 test guests (vgic, gichostile, spin, gdbtarget)
 * share: register offsets, MMIO and system register accessors, the DT
 * lookup of the GIC, the walk over the redistributor frames and the
 * set-up of one PPI on the calling CPU.  Everything is static
 * inline, so a guest that uses only part of it gets no warnings.
 *
 * MMIO goes through one ldr/str with a plain [Xn] address each: a
 * hypervisor that traps the access needs a syndrome with ISV set, which
 * writeback, pair and exclusive forms do not give.
 */
#ifndef GICV3_H
#define GICV3_H

#include "guest.h"

/* QEMU virt's GIC, if the DT has no "arm,gic-v3" node. */
#define VIRT_GICD_BASE		0x08000000UL
#define VIRT_GICR_BASE		0x080a0000UL
#define VIRT_GICR_SIZE		0x00f60000UL

/* Distributor */
#define GICD_CTLR		0x0000
#define GICD_TYPER		0x0004
#define GICD_IIDR		0x0008
#define GICD_IGROUPR		0x0080
#define GICD_ISENABLER		0x0100
#define GICD_ICENABLER		0x0180
#define GICD_ISPENDR		0x0200
#define GICD_ICPENDR		0x0280
#define GICD_ISACTIVER		0x0300
#define GICD_ICACTIVER		0x0380
#define GICD_IPRIORITYR		0x0400
#define GICD_ICFGR		0x0c00
#define GICD_IROUTER		0x6000
#define GICD_PIDR2		0xffe8
#define GIC_FRAME_SIZE		0x10000		/* one 64 KiB register frame */

#define GICD_CTLR_ENABLE_G1	(1U << 0)	/* EnableGrp0 if DS = 1 */
#define GICD_CTLR_ENABLE_G1A	(1U << 1)	/* EnableGrp1 if DS = 1 */
#define GICD_CTLR_ARE_NS	(1U << 4)	/* ARE if DS = 1 */
#define GICD_CTLR_DS		(1U << 6)
#define GICD_CTLR_RWP		(1U << 31)

/* Redistributor: RD_base frame, then SGI_base frame (same layout as GICD) */
#define GICR_CTLR		0x0000
#define GICR_IIDR		0x0004
#define GICR_TYPER		0x0008
#define GICR_WAKER		0x0014
#define GICR_PIDR2		0xffe8
#define GICR_SGI_OFFSET		0x10000
#define GICR_STRIDE_V3		0x20000
#define GICR_STRIDE_V4		0x40000

#define GICR_CTLR_RWP		(1U << 3)
#define GICR_TYPER_VLPIS	(1UL << 1)
#define GICR_TYPER_LAST		(1UL << 4)
#define GICR_WAKER_SLEEP	(1U << 1)	/* ProcessorSleep */
#define GICR_WAKER_ASLEEP	(1U << 2)	/* ChildrenAsleep */

#define GIC_PIDR2_ARCHREV(v)	(((v) >> 4) & 0xf)

/* ICC_SGI1R_EL1 */
#define SGI1R_TARGETS(list)	((u64)(list) & 0xffff)
#define SGI1R_AFF1(a)		((u64)(a) << 16)
#define SGI1R_INTID(n)		((u64)(n) << 24)
#define SGI1R_AFF2(a)		((u64)(a) << 32)
#define SGI1R_IRM		(1UL << 40)
#define SGI1R_RS(rs)		((u64)(rs) << 44)
#define SGI1R_AFF3(a)		((u64)(a) << 48)

/* ---- Accessors ----------------------------------------------------------- */

static inline u8 mmio_read8(u64 addr)
{
	u32 v;

	asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u32 mmio_read16(u64 addr)
{
	u32 v;

	asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u64 mmio_read64(u64 addr)
{
	u64 v;

	asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write8(u64 addr, u32 v)
{
	asm volatile("strb %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write16(u64 addr, u32 v)
{
	asm volatile("strh %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write32(u64 addr, u32 v)
{
	asm volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write64(u64 addr, u64 v)
{
	asm volatile("str %0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void isb(void)
{
	asm volatile("isb" : : : "memory");
}

static inline void irqs_unmask(void)
{
	asm volatile("msr daifclr, #2" : : : "memory");
}

static inline void irqs_mask(void)
{
	asm volatile("msr daifset, #2" : : : "memory");
}

/* Aff3.Aff2.Aff1.Aff0 packed into 32 bits, as in GICR_TYPER[63:32]. */
static inline u32 mpidr_aff32(u64 mpidr)
{
	return (u32)(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
}

/* GICD_IROUTER<n> value that routes to @mpidr (IRM = 0). */
static inline u64 mpidr_irouter(u64 mpidr)
{
	return mpidr & MPIDR_AFFINITY_MASK;
}

/* ICC_SGI1R_EL1 value that sends SGI @intid to the one CPU @mpidr. */
static inline u64 sgi1r_to(u64 mpidr, unsigned intid)
{
	unsigned aff0 = mpidr & 0xff;

	return SGI1R_AFF3((mpidr >> 32) & 0xff) | SGI1R_AFF2((mpidr >> 16) & 0xff) |
	       SGI1R_AFF1((mpidr >> 8) & 0xff) | SGI1R_RS(aff0 / 16) |
	       SGI1R_INTID(intid) | SGI1R_TARGETS(1U << (aff0 % 16));
}

/* ---- Where the GIC is: the DT "arm,gic-v3" node --------------------------- */

struct gic_layout {
	u64 dist, dist_size;
	u64 redist, redist_size;	/* first redistributor region */
	u64 stride;			/* 0: from each frame's GICR_TYPER.VLPIS */
	u32 redist_regions;
	bool from_dt;
};

#define GIC_DT_DEPTH		16
#define FDT_TOKEN_BEGIN_NODE	1
#define FDT_TOKEN_END_NODE	2
#define FDT_TOKEN_PROP		3
#define FDT_TOKEN_NOP		4

static inline bool gic_dt_str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Does the stringlist @val (@len bytes) hold exactly @want? */
static inline bool gic_dt_has_string(const char *val, u32 len, const char *want)
{
	u32 i = 0;

	while (i < len) {
		if (gic_dt_str_eq(val + i, want))
			return true;
		while (i < len && val[i])
			i++;
		i++;
	}
	return false;
}

static inline u64 gic_dt_cells(const u8 *p, u32 cells)
{
	u64 v = 0;

	while (cells--) {
		v = v << 32 | fdt_be32(p);
		p += 4;
	}
	return v;
}

/*
 * The first "arm,gic-v3" node's reg (GICD, then the first GICR region),
 * #redistributor-regions and redistributor-stride, decoded with the
 * parent's #address-cells/#size-cells.  A plain walk of the structure
 * block, which keeps every node's properties before its children.
 */
static inline bool gic_dt_find(const void *dtb, struct gic_layout *g)
{
	const u8 *hdr = dtb, *st, *reg = NULL;
	const char *strings;
	u32 ac[GIC_DT_DEPTH], sc[GIC_DT_DEPTH], st_size, off = 0, reg_len = 0;
	int depth = 0, gic_depth = -1;

	st = hdr + fdt_be32(hdr + 8);
	strings = (const char *)hdr + fdt_be32(hdr + 12);
	st_size = fdt_be32(hdr + 36);
	ac[0] = 2;
	sc[0] = 1;
	g->stride = 0;
	g->redist_regions = 1;
	while (off + 4 <= st_size) {
		u32 tag = fdt_be32(st + off);

		off += 4;
		if (tag == FDT_TOKEN_BEGIN_NODE) {
			while (off < st_size && st[off])
				off++;
			off = (off + 4) & ~3U;
			if (++depth >= GIC_DT_DEPTH)
				return false;
			ac[depth] = 2;	/* the defaults for this node's children */
			sc[depth] = 1;
			if (gic_depth < 0) {	/* forget the previous node's */
				reg = NULL;
				g->stride = 0;
				g->redist_regions = 1;
			}
		} else if (tag == FDT_TOKEN_END_NODE) {
			if (depth == gic_depth) {
				u32 a = ac[depth - 1], s = sc[depth - 1];

				if (!reg || a < 1 || a > 2 || s < 1 || s > 2 ||
				    reg_len < 8 * (a + s))
					return false;
				g->dist = gic_dt_cells(reg, a);
				g->dist_size = gic_dt_cells(reg + 4 * a, s);
				g->redist = gic_dt_cells(reg + 4 * (a + s), a);
				g->redist_size = gic_dt_cells(reg + 4 * (2 * a + s), s);
				g->from_dt = true;
				return true;
			}
			if (--depth < 0)
				return false;
		} else if (tag == FDT_TOKEN_PROP) {
			u32 len = fdt_be32(st + off), name = fdt_be32(st + off + 4);
			const u8 *val = st + off + 8;
			const char *pname = strings + name;

			off = (off + 8 + len + 3) & ~3U;
			if (gic_dt_str_eq(pname, "#address-cells") && len == 4)
				ac[depth] = fdt_be32(val);
			else if (gic_dt_str_eq(pname, "#size-cells") && len == 4)
				sc[depth] = fdt_be32(val);
			else if (gic_dt_str_eq(pname, "compatible") && gic_depth < 0 &&
				 gic_dt_has_string((const char *)val, len, "arm,gic-v3"))
				gic_depth = depth;
			if (depth == gic_depth || gic_depth < 0) {
				/* The GIC's own properties (or, before we know,
				 * this node's, kept until its compatible shows). */
				if (gic_dt_str_eq(pname, "reg")) {
					reg = val;
					reg_len = len;
				} else if (gic_dt_str_eq(pname, "redistributor-stride") &&
					   len == 8) {
					g->stride = gic_dt_cells(val, 2);
				} else if (gic_dt_str_eq(pname, "redistributor-stride") &&
					   len == 4) {
					g->stride = fdt_be32(val);
				} else if (gic_dt_str_eq(pname, "#redistributor-regions") &&
					   len == 4) {
					g->redist_regions = fdt_be32(val);
				}
			}
		} else if (tag != FDT_TOKEN_NOP) {
			return false;		/* FDT_END or garbage */
		}
	}
	return false;
}

/* The DT's GIC, or QEMU virt's fixed addresses (with a note line). */
static inline void gic_find(const void *dtb, struct gic_layout *g)
{
	if (gic_dt_find(dtb, g)) {
		print_line("note gic from dt: gicd=0x%lx size=0x%lx gicr=0x%lx size=0x%lx"
			   " regions=%u stride=0x%lx", g->dist, g->dist_size, g->redist,
			   g->redist_size, g->redist_regions, g->stride);
		return;
	}
	g->dist = VIRT_GICD_BASE;
	g->dist_size = GIC_FRAME_SIZE;
	g->redist = VIRT_GICR_BASE;
	g->redist_size = VIRT_GICR_SIZE;
	g->stride = 0;
	g->redist_regions = 1;
	g->from_dt = false;
	print_line("note no arm,gic-v3 node in the dt: using qemu virt's gicd=0x%lx gicr=0x%lx",
		   g->dist, g->redist);
}

/* Redistributor frame size at @frame: the DT's stride, else by VLPIS. */
static inline u64 gic_redist_stride(const struct gic_layout *g, u64 frame)
{
	if (g->stride)
		return g->stride;
	return mmio_read64(frame + GICR_TYPER) & GICR_TYPER_VLPIS ? GICR_STRIDE_V4
								   : GICR_STRIDE_V3;
}

/*
 * Walk the first redistributor region up to the frame with GICR_TYPER.Last
 * (or the end of the region): up to @max frame addresses go to frames[],
 * and the return value is the number of frames walked.  *last_seen says
 * whether the walk ended on Last.
 */
static inline unsigned gic_redist_frames(const struct gic_layout *g, u64 *frames,
					 unsigned max, bool *last_seen)
{
	u64 frame = g->redist, end = g->redist + g->redist_size;
	unsigned n = 0;

	*last_seen = false;
	while (frame < end) {
		u64 typer = mmio_read64(frame + GICR_TYPER);

		if (n < max)
			frames[n] = frame;
		n++;
		if (typer & GICR_TYPER_LAST) {
			*last_seen = true;
			break;
		}
		frame += gic_redist_stride(g, frame);
	}
	return n;
}

/* This CPU's redistributor frame (RD_base), or 0. */
static inline u64 gic_my_redist(const struct gic_layout *g)
{
	u64 frames[MAX_CPUS * 2];
	bool last;
	unsigned n = gic_redist_frames(g, frames, MAX_CPUS * 2, &last);
	u32 aff = mpidr_aff32(read_mpidr());

	for (unsigned i = 0; i < n && i < MAX_CPUS * 2; i++)
		if ((u32)(mmio_read64(frames[i] + GICR_TYPER) >> 32) == aff)
			return frames[i];
	return 0;
}

/*
 * PPI @intid at priority @prio enabled in group 1 on this CPU, with the
 * distributor (affinity routing, group 1), this CPU's redistributor (awake)
 * and its CPU interface (ICC_SRE_EL1.SRE, PMR 0xff, group 1) on.  PSTATE.I
 * is left as it is.  False, with a FAIL line, if this CPU has no
 * redistributor.
 */
static inline bool gic_ppi_enable_here(unsigned intid, u8 prio)
{
	struct gic_layout g;
	u64 rd, sgi;

	gic_find(guest_dtb, &g);
	rd = gic_my_redist(&g);
	if (rd == 0) {
		report_fail("no redistributor for mpidr 0x%lx", read_mpidr());
		return false;
	}
	sgi = rd + GICR_SGI_OFFSET;
	mmio_write32(g.dist + GICD_CTLR, GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A |
					 GICD_CTLR_ENABLE_G1);
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	while (mmio_read32(rd + GICR_WAKER) & GICR_WAKER_ASLEEP)
		;
	mmio_write32(sgi + GICD_IGROUPR, mmio_read32(sgi + GICD_IGROUPR) | 1U << intid);
	mmio_write8(sgi + GICD_IPRIORITYR + intid, prio);
	mmio_write32(sgi + GICD_ISENABLER, 1U << intid);
	write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff);	/* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_7, 1);	/* ICC_IGRPEN1_EL1 */
	return true;
}

#endif /* GICV3_H */

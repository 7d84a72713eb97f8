/*
 * Guest stage-1 translation walk (VMSAv8-64, EL1&0 regime) for the GDB
 * stub. See walk.h for what is covered. Everything the guest controls
 * (registers, descriptors) is validated; the walk is bounded by the four
 * translation levels and reads nothing the callback refuses.
 */
#include <vigil/types.h>

#include "walk.h"

/* SCTLR_EL1 */
#define SCTLR_M BIT(0)   /* stage-1 MMU enable */
#define SCTLR_EE BIT(25) /* big-endian translation table walks at EL1&0 */

/* TCR_EL1 */
#define TCR_T0SZ_SHIFT 0
#define TCR_EPD0 BIT(7)
#define TCR_TG0_SHIFT 14
#define TCR_T1SZ_SHIFT 16
#define TCR_EPD1 BIT(23)
#define TCR_TG1_SHIFT 30
#define TCR_IPS_SHIFT 32
#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_DS BIT(59) /* FEAT_LPA2: 52-bit descriptors for 4K/16K */
#define TCR_TXSZ_MASK 0x3fUL
#define TCR_TG_MASK 0x3UL
#define TCR_IPS_MASK 0x7UL

/* TG0 and TG1 encode the same granules with different values. */
#define TG0_4K 0
#define TG0_64K 1
#define TG0_16K 2
#define TG1_16K 1
#define TG1_4K 2
#define TG1_64K 3

#define GRANULE_4K_SHIFT 12
#define GRANULE_16K_SHIFT 14
#define GRANULE_64K_SHIFT 16

/* Below 16 is a 52-bit VA (FEAT_LVA/LPA2): not supported. */
#define TXSZ_MIN 16
/* The largest TxSZ with FEAT_TTST; without it the guest keeps to 39. */
#define TXSZ_MAX 48
#define TXSZ_MAX_64K 47

/* VA bit 55 selects the range; with TBI the top byte is not checked. */
#define VA_RANGE_BIT 55
#define VA_TOP_BIT 63
#define VA_TOP_BIT_TBI 55

/* Output addresses: vigil supports 48 bits at most (no FEAT_LPA). */
#define OA_MAX_BITS 48
#define OA_IPS_52_BITS 52
/*
 * With the 64K granule and a 52-bit IPS (FEAT_LPA), descriptor bits 15:12
 * hold OA[51:48] and TTBR bits 5:2 hold BADDR[51:48]; anything there is
 * beyond what vigil supports. Otherwise descriptor bits above 47 are
 * attributes (GP is bit 50), RES0 or ignored, never address bits.
 */
#define DESC_OA_HI_64K GENMASK(15, 12)
#define TTBR_BADDR_HI_64K GENMASK(5, 2)

/* Descriptor bits 1:0. */
#define DESC_VALID BIT(0)
#define DESC_TYPE_MASK 0x3UL
#define DESC_TYPE_BLOCK 0x1UL /* block at L0-L2; reserved at L3 */
#define DESC_TYPE_TABLE 0x3UL /* table at L0-L2; page at L3 */

#define LEVEL_LAST 3
#define LEVELS 4
#define DESC_SHIFT 3 /* log2(sizeof(descriptor)) */
/* A translation table is aligned to its size, but to 64 bytes at least. */
#define TABLE_MIN_ALIGN_SHIFT 6

/* With the MMU off the flat map is copied in 4 KiB steps. */
#define MMU_OFF_CHUNK SZ_4K

/* What the walk of one VA range needs, decoded from the registers. */
struct walk_params {
	uint64_t ttbr;
	unsigned int granule_shift; /* page size: 12, 14 or 16 */
	unsigned int va_bits;       /* 64 - TxSZ */
	unsigned int oa_bits;       /* TCR.IPS, capped at 48 */
	bool oa_ips_52;             /* TCR.IPS says 52 bits */
	bool big_endian;            /* SCTLR_EL1.EE */
};

static uint64_t field(uint64_t reg, unsigned int shift, uint64_t mask)
{
	return (reg >> shift) & mask;
}

/* Bits hi..lo as a mask, like GENMASK, but empty when lo > hi. */
static uint64_t mask_bits(unsigned int hi, unsigned int lo)
{
	if (lo > hi)
		return 0;
	return GENMASK(hi, lo);
}

static unsigned int tg0_shift(uint64_t tg)
{
	switch (tg) {
	case TG0_4K:
		return GRANULE_4K_SHIFT;
	case TG0_16K:
		return GRANULE_16K_SHIFT;
	case TG0_64K:
		return GRANULE_64K_SHIFT;
	default:
		return 0;
	}
}

static unsigned int tg1_shift(uint64_t tg)
{
	switch (tg) {
	case TG1_4K:
		return GRANULE_4K_SHIFT;
	case TG1_16K:
		return GRANULE_16K_SHIFT;
	case TG1_64K:
		return GRANULE_64K_SHIFT;
	default:
		return 0;
	}
}

/* TCR.IPS: 32, 36, 40, 42, 44, 48, 52 bits; the reserved 7 as 52. */
static unsigned int ips_bits(uint64_t ips)
{
	static const unsigned char bits[] = {32, 36, 40, 42, 44, 48, 52, 52};

	return bits[ips & TCR_IPS_MASK];
}

/* Block descriptors exist at L1 (4K only) and L2 with 48-bit outputs. */
static bool block_allowed(unsigned int granule_shift, unsigned int level)
{
	if (level == 2)
		return true;
	return level == 1 && granule_shift == GRANULE_4K_SHIFT;
}

static uint64_t swap64(uint64_t v)
{
	return __builtin_bswap64(v);
}

/*
 * The output address held by a descriptor whose address field starts at
 * bit lsb, or false if it is beyond the output size (an address size
 * fault on the hardware, or a 52-bit address vigil does not support).
 */
static bool desc_oa(const struct walk_params *p, uint64_t desc,
		    unsigned int lsb, uint64_t *oa)
{
	if (p->oa_ips_52 && p->granule_shift == GRANULE_64K_SHIFT &&
	    (desc & DESC_OA_HI_64K))
		return false;
	*oa = desc & mask_bits(OA_MAX_BITS - 1, lsb);
	return (*oa >> p->oa_bits) == 0;
}

static enum walk_status mmu_off(uint64_t va, bool tbi, ipaddr_t *ipa,
				uint64_t *size)
{
	unsigned int top = tbi ? VA_TOP_BIT_TBI : VA_TOP_BIT;

	/* The flat map ends at the physical address size. */
	if (va & mask_bits(top, OA_MAX_BITS))
		return WALK_FAULT;
	va &= mask_bits(OA_MAX_BITS - 1, 0);
	*ipa = ipa_init(va);
	*size = MMU_OFF_CHUNK - (va & (MMU_OFF_CHUNK - 1));
	return WALK_OK;
}

/* Decodes the controls of the range va falls in, or says why not. */
static enum walk_status walk_params(const struct walk_regs *regs, uint64_t va,
				    struct walk_params *p)
{
	bool upper = (va >> VA_RANGE_BIT) & 1;
	uint64_t tcr = regs->tcr;
	unsigned int txsz, top, txsz_max;
	uint64_t range_bits;

	if (upper) {
		if (tcr & TCR_EPD1)
			return WALK_FAULT;
		txsz = (unsigned int)field(tcr, TCR_T1SZ_SHIFT, TCR_TXSZ_MASK);
		p->granule_shift = tg1_shift(field(tcr, TCR_TG1_SHIFT,
						   TCR_TG_MASK));
		p->ttbr = regs->ttbr1;
		top = (tcr & TCR_TBI1) ? VA_TOP_BIT_TBI : VA_TOP_BIT;
	} else {
		if (tcr & TCR_EPD0)
			return WALK_FAULT;
		txsz = (unsigned int)field(tcr, TCR_T0SZ_SHIFT, TCR_TXSZ_MASK);
		p->granule_shift = tg0_shift(field(tcr, TCR_TG0_SHIFT,
						   TCR_TG_MASK));
		p->ttbr = regs->ttbr0;
		top = (tcr & TCR_TBI0) ? VA_TOP_BIT_TBI : VA_TOP_BIT;
	}
	if (p->granule_shift == 0)
		return WALK_BAD_CONFIG;
	/* LPA2 changes the descriptor format; 64K ignores DS. */
	if ((tcr & TCR_DS) && p->granule_shift != GRANULE_64K_SHIFT)
		return WALK_BAD_CONFIG;
	txsz_max = p->granule_shift == GRANULE_64K_SHIFT ? TXSZ_MAX_64K
							 : TXSZ_MAX;
	if (txsz < TXSZ_MIN || txsz > txsz_max)
		return WALK_BAD_CONFIG;
	p->va_bits = 64 - txsz;

	/* Every bit above the range's size must equal bit 55. */
	range_bits = va & mask_bits(top, p->va_bits);
	if (range_bits != (upper ? mask_bits(top, p->va_bits) : 0))
		return WALK_FAULT;

	p->oa_bits = ips_bits(field(tcr, TCR_IPS_SHIFT, TCR_IPS_MASK));
	p->oa_ips_52 = p->oa_bits == OA_IPS_52_BITS;
	if (p->oa_bits > OA_MAX_BITS)
		p->oa_bits = OA_MAX_BITS;
	p->big_endian = regs->sctlr & SCTLR_EE;
	return WALK_OK;
}

enum walk_status walk_translate(const struct walk_regs *regs, vaddr_t vaddr,
				walk_read64_t read, void *ctx, ipaddr_t *ipa,
				uint64_t *size)
{
	uint64_t va = va_addr(vaddr);
	struct walk_params p;
	unsigned int stride, levels, level, lsb, width, align;
	uint64_t table, desc = 0, oa, block_size, ignored;
	enum walk_status status;

	if (!size)
		size = &ignored;
	if (!(regs->sctlr & SCTLR_M)) {
		bool upper = (va >> VA_RANGE_BIT) & 1;

		return mmu_off(va, regs->tcr & (upper ? TCR_TBI1 : TCR_TBI0),
			       ipa, size);
	}
	status = walk_params(regs, va, &p);
	if (status != WALK_OK)
		return status;

	/*
	 * Each level resolves stride VA bits above the page offset; the
	 * first level takes what is left, so it may be a smaller table.
	 * va_bits > granule_shift holds (TxSZ limits), so 1 <= levels <= 4.
	 */
	stride = p.granule_shift - DESC_SHIFT;
	levels = (p.va_bits - p.granule_shift + stride - 1) / stride;
	level = LEVELS - levels;

	lsb = p.granule_shift + (LEVEL_LAST - level) * stride;
	width = p.va_bits - lsb;
	align = width + DESC_SHIFT;
	if (align < TABLE_MIN_ALIGN_SHIFT)
		align = TABLE_MIN_ALIGN_SHIFT;
	if (p.oa_ips_52 && p.granule_shift == GRANULE_64K_SHIFT &&
	    (p.ttbr & TTBR_BADDR_HI_64K))
		return WALK_FAULT;
	/* BADDR[align-1:1] are RES0 and the MMU may treat them as zero:
	 * do so, and drop CnP (bit 0) and the ASID (63:48) with them. */
	table = p.ttbr & mask_bits(OA_MAX_BITS - 1, align);
	if (table >> p.oa_bits)
		return WALK_FAULT;

	for (; level <= LEVEL_LAST; level++) {
		uint64_t index;

		lsb = p.granule_shift + (LEVEL_LAST - level) * stride;
		index = (va >> lsb) & (BIT(width) - 1);
		if (!read(ctx, ipa_init(table + (index << DESC_SHIFT)), &desc))
			return WALK_BAD_READ;
		if (p.big_endian)
			desc = swap64(desc);
		if (!(desc & DESC_VALID))
			return WALK_FAULT;

		if (level == LEVEL_LAST) {
			if ((desc & DESC_TYPE_MASK) != DESC_TYPE_TABLE)
				return WALK_FAULT;
			break;
		}
		if ((desc & DESC_TYPE_MASK) == DESC_TYPE_BLOCK) {
			if (!block_allowed(p.granule_shift, level))
				return WALK_FAULT;
			break;
		}
		/* A table: the next level is a full granule-sized table. */
		if (!desc_oa(&p, desc, p.granule_shift, &table))
			return WALK_FAULT;
		width = stride;
	}

	if (!desc_oa(&p, desc, lsb, &oa))
		return WALK_FAULT;
	block_size = BIT(lsb);
	*ipa = ipa_init(oa | (va & (block_size - 1)));
	*size = block_size - (va & (block_size - 1));
	return WALK_OK;
}

const char *walk_status_name(enum walk_status status)
{
	switch (status) {
	case WALK_OK:
		return "ok";
	case WALK_FAULT:
		return "fault";
	case WALK_BAD_READ:
		return "bad read";
	case WALK_BAD_CONFIG:
		return "bad config";
	}
	return "unknown";
}

/*
 * Physical GICv3 driver (see gicv3.h). vigil takes over the distributor
 * the firmware left behind: every SPI in group 1, disabled, at a default
 * priority, until a device model or the vGIC asks for it.
 */
#include <arch_cpu.h>
#include <arch_irq.h>
#include <vigil/log.h>
#include <vigil/platform.h>

#include "cpu.h"
#include "gic_regs.h"
#include "gicv3.h"
#include "sysreg.h"

#define GIC_DEFAULT_PRIORITY 0xa0
#define ICC_CTLR_EOIMODE (1UL << 1)

static uint64_t dist_base;
static struct mem_range dist_range, redist_range;
static uint64_t redist_of_cpu[MAX_CPUS];
static uint32_t nr_irqs;

static gic_irq_handler_t handlers[GIC_MAX_INTID];
static void *handler_ctx[GIC_MAX_INTID];

#define ICC_REG(name, enc) SYSREG_RW(name, enc)
ICC_REG(icc_pmr, S3_0_C4_C6_0)
ICC_REG(icc_iar1, S3_0_C12_C12_0)
ICC_REG(icc_hppir1, S3_0_C12_C12_2)
ICC_REG(icc_eoir1, S3_0_C12_C12_1)
ICC_REG(icc_dir, S3_0_C12_C11_1)
ICC_REG(icc_ctlr, S3_0_C12_C12_4)
ICC_REG(icc_igrpen1, S3_0_C12_C12_7)
ICC_REG(icc_bpr1, S3_0_C12_C12_3)
ICC_REG(icc_sgi1r, S3_0_C12_C11_5)

static inline uint32_t rd32(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}
static inline void wr32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}
static inline uint64_t rd64(uint64_t addr)
{
	return *(volatile uint64_t *)(uintptr_t)addr;
}
static inline void wr64(uint64_t addr, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)addr = v;
}

static void wait_rwp(uint64_t reg, uint32_t bit)
{
	for (unsigned int i = 0; i < 1000000 && (rd32(reg) & bit); i++)
		;
}

uint32_t gic_nr_irqs(void) { return nr_irqs; }
uint64_t gicd_base(void) { return dist_base; }
bool gic_dist_range(struct mem_range *r) { *r = dist_range; return r->size != 0; }
bool gic_redist_range(struct mem_range *r) { *r = redist_range; return r->size != 0; }

bool gic_init(const void *fdt)
{
	if (!platform_find_device_reg(fdt, "arm,gic-v3", 0, &dist_range) ||
	    !platform_find_device_reg(fdt, "arm,gic-v3", 1, &redist_range)) {
		log_always("no GICv3 in the device tree");
		return false;
	}
	dist_base = dist_range.base;
	nr_irqs = ((rd32(dist_base + GICD_TYPER) & 0x1f) + 1) * 32;
	if (nr_irqs > GIC_MAX_INTID)
		nr_irqs = GIC_MAX_INTID;

	/* Quiesce, then take over every SPI. */
	wr32(dist_base + GICD_CTLR, 0);
	wait_rwp(dist_base + GICD_CTLR, GICD_CTLR_RWP);
	for (uint32_t i = GIC_NR_PRIVATE; i < nr_irqs; i += 32) {
		wr32(dist_base + GICD_ICENABLER + i / 8, ~0U);
		wr32(dist_base + GICD_ICPENDR + i / 8, ~0U);
		wr32(dist_base + GICD_ICACTIVER + i / 8, ~0U);
		wr32(dist_base + GICD_IGROUPR + i / 8, ~0U);
	}
	for (uint32_t i = GIC_NR_PRIVATE; i < nr_irqs; i += 4)
		wr32(dist_base + GICD_IPRIORITYR + i,
		     GIC_DEFAULT_PRIORITY * 0x01010101U);
	wait_rwp(dist_base + GICD_CTLR, GICD_CTLR_RWP);
	wr32(dist_base + GICD_CTLR,
	     GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1A | GICD_CTLR_ENABLE_G1);
	wait_rwp(dist_base + GICD_CTLR, GICD_CTLR_RWP);
	log_debug("GICv3: distributor at 0x%llx, %u interrupts",
		  (unsigned long long)dist_base, nr_irqs);
	return true;
}

/* The redistributor frame whose affinity is this CPU's. */
static uint64_t find_redist(void)
{
	uint64_t mpidr = read_mpidr_el1();
	uint64_t aff = gic_affinity_of(mpidr);

	for (uint64_t rd = redist_range.base;
	     rd + GICR_FRAME_SIZE <= redist_range.base + redist_range.size;
	     rd += GICR_FRAME_SIZE) {
		uint64_t typer = rd64(rd + GICR_TYPER);
		if ((typer >> 32) == aff)
			return rd;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

void gic_cpu_init(void)
{
	uint32_t cpu = arch_cpu_index();
	uint64_t rd = find_redist(), sgi;

	if (rd == 0) {
		log_always("GICv3: no redistributor for CPU %u", cpu);
		return;
	}
	redist_of_cpu[cpu] = rd;
	sgi = rd + GICR_SGI_BASE;

	wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (unsigned int i = 0; i < 1000000 &&
				 (rd32(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP);
	     i++)
		;
	wr32(sgi + GICD_ICENABLER, ~0U);
	wr32(sgi + GICD_ICPENDR, ~0U);
	wr32(sgi + GICD_ICACTIVER, ~0U);
	wr32(sgi + GICD_IGROUPR, ~0U);
	for (uint32_t i = 0; i < GIC_NR_PRIVATE; i += 4)
		wr32(sgi + GICD_IPRIORITYR + i, GIC_DEFAULT_PRIORITY * 0x01010101U);
	wait_rwp(rd + GICR_CTLR, GICR_CTLR_RWP);

	write_icc_pmr(0xff);
	write_icc_bpr1(0);
	write_icc_ctlr(read_icc_ctlr() | ICC_CTLR_EOIMODE);
	write_icc_igrpen1(1);
	isb();

	gic_enable(GIC_SGI_KICK, true);
}

void gic_set_handler(uint32_t intid, gic_irq_handler_t fn, void *ctx)
{
	if (intid < GIC_MAX_INTID) {
		handler_ctx[intid] = ctx;
		handlers[intid] = fn;
	}
}

/* Private interrupts live in a CPU's redistributor, SPIs in the
 * distributor; the set/clear register layout is the same. */
static uint64_t bank_base_of(uint32_t cpu, uint32_t intid)
{
	if (intid < GIC_NR_PRIVATE)
		return cpu < MAX_CPUS && redist_of_cpu[cpu]
			       ? redist_of_cpu[cpu] + GICR_SGI_BASE
			       : 0;
	return dist_base;
}

static uint64_t bank_base(uint32_t intid)
{
	return bank_base_of(arch_cpu_index(), intid);
}

static void write_bit_of(uint32_t cpu, uint32_t set_reg, uint32_t clear_reg,
			 uint32_t intid, bool set)
{
	uint64_t base = bank_base_of(cpu, intid);
	if (base == 0 || intid >= nr_irqs)
		return;
	wr32(base + (set ? set_reg : clear_reg) + (intid / 32) * 4,
	     1U << (intid % 32));
}

static void write_bit(uint32_t set_reg, uint32_t clear_reg, uint32_t intid,
		      bool set)
{
	write_bit_of(arch_cpu_index(), set_reg, clear_reg, intid, set);
}

void gic_enable(uint32_t intid, bool enable)
{
	write_bit(GICD_ISENABLER, GICD_ICENABLER, intid, enable);
}

void gic_enable_on(uint32_t cpu, uint32_t intid, bool enable)
{
	write_bit_of(cpu, GICD_ISENABLER, GICD_ICENABLER, intid, enable);
}

void gic_set_pending_on(uint32_t cpu, uint32_t intid, bool pending)
{
	write_bit_of(cpu, GICD_ISPENDR, GICD_ICPENDR, intid, pending);
}

void gic_set_pending(uint32_t intid, bool pending)
{
	write_bit(GICD_ISPENDR, GICD_ICPENDR, intid, pending);
}

void gic_set_active(uint32_t intid, bool active)
{
	write_bit(GICD_ISACTIVER, GICD_ICACTIVER, intid, active);
}

void gic_set_active_on(uint32_t cpu, uint32_t intid, bool active)
{
	write_bit_of(cpu, GICD_ISACTIVER, GICD_ICACTIVER, intid, active);
}

uint32_t gic_pending_word_on(uint32_t cpu, uint32_t first)
{
	uint64_t base = bank_base_of(cpu, first);
	if (base == 0 || first >= nr_irqs)
		return 0;
	return rd32(base + GICD_ISPENDR + (first / 32) * 4);
}

void gic_set_level_triggered(uint32_t intid, bool level)
{
	uint64_t base = bank_base(intid), reg;
	if (base == 0 || intid < 16 || intid >= nr_irqs)
		return;
	reg = base + GICD_ICFGR + (intid / 16) * 4;
	uint32_t v = rd32(reg), bit = 2U << ((intid % 16) * 2);
	wr32(reg, level ? v & ~bit : v | bit);
}

void gic_route_spi(uint32_t intid, uint64_t hwid)
{
	if (intid < GIC_NR_PRIVATE || intid >= nr_irqs)
		return;
	/* IROUTER: Aff3 in [39:32], Aff2.Aff1.Aff0 in [23:0]. */
	wr64(dist_base + GICD_IROUTER + intid * 8, hwid & 0xff00ffffffUL);
}

void gic_send_sgi(uint64_t hwid, uint32_t intid)
{
	uint64_t aff0 = hwid & 0xff;
	uint64_t v = ((hwid >> 8) & 0xff) << 16 |  /* Aff1 */
		     ((hwid >> 16) & 0xff) << 32 | /* Aff2 */
		     ((hwid >> 32) & 0xff) << 48 | /* Aff3 */
		     (aff0 / 16) << 44 |           /* RS */
		     (uint64_t)(intid & 0xf) << 24 |
		     (1UL << (aff0 % 16));         /* TargetList */
	dsb_ish();
	write_icc_sgi1r(v);
	isb();
}

void arch_cpu_kick(uint32_t cpu)
{
	/*
	 * The caller's stores (what the target waits for) before our look at
	 * the target's GIC state: the target writes that state, then checks
	 * what it waits for (vigil/idle.h), and one of us must see the other.
	 */
	arch_memory_barrier();
	/* Only CPUs whose GIC interface is up can take the IPI. */
	if (cpu < MAX_CPUS && redist_of_cpu[cpu] != 0)
		gic_send_sgi(cpu_data[cpu].hwid, GIC_SGI_KICK);
	arch_cpu_send_event();
}

/* An interrupt nobody claimed: keep it from storming. */
static enum gic_irq_result unexpected_irq(uint32_t intid)
{
	log_warn("unexpected interrupt %u at EL2: disabled", intid);
	gic_enable(intid, false);
	return GIC_IRQ_DONE;
}

#define MAX_IRQS_PER_EXIT 16

void gic_handle_irqs(void)
{
	for (unsigned int n = 0; n < MAX_IRQS_PER_EXIT; n++) {
		uint32_t intid = (uint32_t)(read_icc_iar1() & 0xffffff);
		if (intid >= GIC_MAX_INTID)
			return; /* 1020-1023: spurious, nothing pending */

		/* Priority drop now; deactivation by us or by the guest. */
		write_icc_eoir1(intid);
		enum gic_irq_result r;
		if (intid == GIC_SGI_KICK)
			r = GIC_IRQ_DONE; /* the exit itself was the point */
		else if (handlers[intid] != NULL)
			r = handlers[intid](intid, handler_ctx[intid]);
		else
			r = unexpected_irq(intid);
		if (r == GIC_IRQ_DONE)
			write_icc_dir(intid);
	}
}

void arch_irq_poll(void)
{
	if ((read_icc_hppir1() & 0xffffff) < GIC_MAX_INTID)
		gic_handle_irqs();
}

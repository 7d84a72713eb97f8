/*
 * vgic.c - a GICv3 driver written from scratch in the guest, and checks of
 * the GIC it drives: the distributor and redistributors by MMIO, the CPU
 * interface by the ICC_* system registers, IRQs taken at EL1.
 *
 * Set-up is Linux's: GICD_CTLR = ARE_NS | EnableGrp1A | EnableGrp1 (the
 * last is EnableGrp0 if GICD_CTLR.DS = 1), every interrupt in group 1,
 * each CPU's redistributor found by GICR_TYPER affinity and woken through
 * GICR_WAKER, ICC_SRE_EL1.SRE = 1, ICC_PMR_EL1 = 0xff, EOImode 0,
 * ICC_IGRPEN1_EL1 = 1.  The IRQ handler (the EL1h IRQ vector slot, through
 * the exception hook) acknowledges with ICC_IAR1_EL1, records the INTID,
 * its order and the running priority, and ends with ICC_EOIR1_EL1.
 *
 * Checks, all on exact counts:
 *  - ID and type registers: GICD_TYPER, GICD/GICR_PIDR2 ArchRev 3,
 *    GICR_TYPER affinity of every CPU's frame, Last on the last frame;
 *  - enable/pending/active transitions of SGI 7, PPI 20 and SPI 100
 *    (routed with GICD_IROUTER, made pending with GICD_ISPENDR);
 *  - priority order, ICC_HPPIR1_EL1, ICC_PMR_EL1 masking (equal priority
 *    is masked), ICC_RPR_EL1, preemption by a higher priority only;
 *  - SGIs between CPUs: unicast both ways, repeated, TargetList with every
 *    CPU, IRM broadcast (never to the sender); SPIs routed to each CPU;
 *  - an SPI pending for another CPU (IRQs masked there) and then cleared
 *    (GICD_ICPENDR), disabled (GICD_ICENABLER) or rerouted (GICD_IROUTER)
 *    by CPU 0 before that CPU unmasks; an SPI set pending for another CPU
 *    again and again;
 *  - the virtual timer (PPI 27) and the EL1 physical timer (PPI 30) on
 *    every CPU: taken once, at or after CVAL, and well before the 1 s
 *    backstop timer (a lost interrupt only arrives with the backstop);
 *  - each timer fired with its PPI disabled at the redistributor: reads
 *    pending (from its own CPU and from CPU 0), stays pending through
 *    GICR_ICPENDR0 while the line is asserted, taken once when enabled,
 *    not pending once masked at the timer; deactivated by GICR_ICACTIVER0
 *    after an EOImode 1 priority drop, it fires again.
 */
#include "gicv3.h"

const char guest_name[] = "vgic";

#define SLOT_EL1H_IRQ		5	/* IRQ, from EL1 using SP_EL1 */

#define INTID_SPURIOUS		1020	/* 1020..1023: no interrupt */
#define PPI_VTIMER		27
#define PPI_PTIMER		30
#define COUNTED_INTIDS		128
#define ORDER_MAX		16

#define PRIO_HIGH		0x40
#define PRIO_MID		0x80
#define PRIO_LOWER		0xa0
#define PRIO_LOW		0xc0
#define PRIO_DEFAULT		0xa0

#define RWP_TIMEOUT_MS		100
#define TAKE_TIMEOUT_MS		1000
#define QUIET_MS		5	/* long enough to see a wrong delivery */
#define SMP_QUIET_MS		10
#define CPU_TIMEOUT_MS		5000
#define SGI_REPEATS		16
#define TIMER_DELAY_MS		10
/*
 * Latency is not a pass criterion (host scheduling makes it noisy): the
 * bound only tells a delivered interrupt from one lost until the backstop.
 */
#define TIMER_SLACK_MS		500
#define TIMER_BACKSTOP_MS	1000

/* What the IRQ handler saw, per CPU. */
struct cpu_irqs {
	volatile u32 count[COUNTED_INTIDS];
	volatile u32 other, spurious;
	volatile u32 order[ORDER_MAX], rpr[ORDER_MAX];
	volatile u32 norder;
	/* Sample this INTID's active and pending bits before its EOI. */
	volatile u32 sample_intid, sampled, sampled_active, sampled_pending;
	/* Counter and CNTx_CTL at the timer interrupts. */
	volatile u64 vtimer_at, vtimer_ctl, ptimer_at, ptimer_ctl;
	/* Preemption: on taking @nest_on, send the SGIs in @nest_sgis to
	 * self, unmask for a while, and count what came in meanwhile. */
	volatile u32 nest_on, nest_sgis, nest_ms, nested;
	/* EOImode 1 (ICC_CTLR_EL1): the handler only drops the priority of
	 * @leave_active and deactivates everything else with ICC_DIR_EL1. */
	volatile u32 eoimode1, leave_active;
};

static struct cpu_irqs irqs[MAX_CPUS];
static struct gic_layout gic;
static u64 gicd, freq;
static unsigned ncpus, nr_irqs;
static volatile u64 cpu_mpidr[MAX_CPUS], rd_base[MAX_CPUS];

/* ---- Checks -------------------------------------------------------------- */

#define CHECK(cond, fmt, ...) ({					\
	bool c_ = (cond);						\
	if (c_)								\
		report_ok(fmt, ##__VA_ARGS__);				\
	else								\
		report_fail(fmt, ##__VA_ARGS__);			\
	c_;								\
})

#define CHECK_EQ(want, got, fmt, ...) ({				\
	u64 w_ = (want), g_ = (got);					\
	if (w_ == g_)							\
		report_ok(fmt, ##__VA_ARGS__);				\
	else								\
		report_fail(fmt ": expected 0x%lx got 0x%lx",		\
			    ##__VA_ARGS__, w_, g_);			\
	w_ == g_;							\
})

static void spin_ms(unsigned ms)
{
	u64 deadline = deadline_after_ms(ms);

	while (!deadline_passed(deadline))
		;
}

static bool wait_count(volatile u32 *count, u32 want, unsigned ms)
{
	u64 deadline = deadline_after_ms(ms);

	while (*count < want && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	return *count >= want;
}

/* IRQs open for @ms, on this CPU. */
static void irq_window(unsigned ms)
{
	irqs_unmask();
	spin_ms(ms);
	irqs_mask();
}

static void reset_irqs(unsigned cpu)
{
	struct cpu_irqs *s = &irqs[cpu];

	for (unsigned i = 0; i < COUNTED_INTIDS; i++)
		s->count[i] = 0;
	s->other = s->spurious = s->norder = 0;
	s->sample_intid = INTID_SPURIOUS;
	s->sampled = 0;
	s->nest_on = INTID_SPURIOUS;
	s->eoimode1 = 0;
	s->leave_active = INTID_SPURIOUS;
	dmb_sy();
}

/* ---- GIC registers ------------------------------------------------------- */

/* The register bank of @intid as @cpu sees it: its SGI frame, or the GICD. */
static u64 bank(unsigned cpu, u32 intid)
{
	return intid < 32 ? rd_base[cpu] + GICR_SGI_OFFSET : gicd;
}

static u32 irq_bit(unsigned cpu, u32 reg, u32 intid)
{
	return mmio_read32(bank(cpu, intid) + reg + intid / 32 * 4) >> (intid % 32) & 1;
}

static void irq_set_bit(unsigned cpu, u32 reg, u32 intid)
{
	mmio_write32(bank(cpu, intid) + reg + intid / 32 * 4, 1U << (intid % 32));
}

static bool wait_rwp(unsigned cpu, u32 intid)
{
	u64 deadline = deadline_after_ms(RWP_TIMEOUT_MS);
	u64 reg = intid < 32 ? rd_base[cpu] + GICR_CTLR : gicd + GICD_CTLR;
	u32 bit = intid < 32 ? GICR_CTLR_RWP : GICD_CTLR_RWP;

	while (mmio_read32(reg) & bit)
		if (deadline_passed(deadline)) {
			report_fail("cpu%u %s_ctlr.rwp still set after %u ms", cpu,
				    intid < 32 ? "gicr" : "gicd", RWP_TIMEOUT_MS);
			return false;
		}
	return true;
}

static void irq_enable(unsigned cpu, u32 intid, bool on)
{
	irq_set_bit(cpu, on ? GICD_ISENABLER : GICD_ICENABLER, intid);
	wait_rwp(cpu, intid);
}

static void irq_priority(unsigned cpu, u32 intid, u8 prio)
{
	mmio_write8(bank(cpu, intid) + GICD_IPRIORITYR + intid, prio);
}

/* Disabled, not pending, not active, at @prio. */
static void irq_quiesce(unsigned cpu, u32 intid, u8 prio)
{
	irq_enable(cpu, intid, false);
	irq_set_bit(cpu, GICD_ICPENDR, intid);
	irq_set_bit(cpu, GICD_ICACTIVER, intid);
	irq_priority(cpu, intid, prio);
}

static void send_sgi(u64 value)
{
	write_sysreg(S3_0_C12_C11_5, value);	/* ICC_SGI1R_EL1 */
	isb();
}

/* Make @intid pending on this CPU: an SGI to self, else GIC*_ISPENDR. */
static void make_pending(u32 intid)
{
	unsigned cpu = this_cpu();

	if (intid < 16)
		send_sgi(sgi1r_to(cpu_mpidr[cpu], intid));
	else
		irq_set_bit(cpu, GICD_ISPENDR, intid);
}

static void route_spi(u32 intid, unsigned cpu)
{
	mmio_write64(gicd + GICD_IROUTER + 8 * intid, mpidr_irouter(cpu_mpidr[cpu]));
}

/* ---- IRQ handler --------------------------------------------------------- */

static u64 cntvct(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static u64 cntpct(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

static void nest(struct cpu_irqs *s, unsigned cpu)
{
	u32 sgis = s->nest_sgis, before = 0, after = 0;

	s->nest_on = INTID_SPURIOUS;	/* once */
	for (unsigned i = 0; i < 16; i++)
		if (sgis & (1U << i)) {
			before += s->count[i];
			send_sgi(sgi1r_to(cpu_mpidr[cpu], i));
		}
	irq_window(s->nest_ms);
	for (unsigned i = 0; i < 16; i++)
		if (sgis & (1U << i))
			after += s->count[i];
	s->nested = after - before;
}

static bool irq_hook(struct exception_frame *frame, u64 slot)
{
	unsigned cpu = this_cpu();
	struct cpu_irqs *s = &irqs[cpu];
	u64 iar, v_now, p_now;
	u32 intid, n;

	(void)frame;
	if (slot != SLOT_EL1H_IRQ)
		return false;
	iar = read_sysreg(S3_0_C12_C12_0);	/* ICC_IAR1_EL1 */
	v_now = cntvct();
	p_now = cntpct();
	intid = iar & 0xffffff;
	if (intid >= INTID_SPURIOUS && intid < 1024) {
		s->spurious++;
		return true;
	}
	if (intid == PPI_VTIMER) {
		s->vtimer_at = v_now;
		s->vtimer_ctl = read_sysreg(cntv_ctl_el0);
		write_sysreg(cntv_ctl_el0, 0);	/* level-triggered: off before EOI */
		isb();
	} else if (intid == PPI_PTIMER) {
		s->ptimer_at = p_now;
		s->ptimer_ctl = read_sysreg(cntp_ctl_el0);
		write_sysreg(cntp_ctl_el0, 0);
		isb();
	}
	n = s->norder;
	if (n < ORDER_MAX) {
		s->order[n] = intid;
		s->rpr[n] = read_sysreg(S3_0_C12_C11_3) & 0xff;	/* ICC_RPR_EL1 */
		s->norder = n + 1;
	}
	if (intid == s->sample_intid) {
		s->sampled_active = irq_bit(cpu, GICD_ISACTIVER, intid);
		s->sampled_pending = irq_bit(cpu, GICD_ISPENDR, intid);
		s->sampled++;
	}
	if (intid == s->nest_on)
		nest(s, cpu);
	if (intid < COUNTED_INTIDS)
		s->count[intid]++;
	else
		s->other++;
	dmb_sy();
	write_sysreg(S3_0_C12_C12_1, iar);	/* ICC_EOIR1_EL1 */
	if (s->eoimode1 && intid != s->leave_active)
		write_sysreg(S3_0_C12_C11_1, iar);	/* ICC_DIR_EL1 */
	isb();
	return true;
}

/* ---- Set-up -------------------------------------------------------------- */

static void dist_init(void)
{
	u32 i;

	mmio_write32(gicd + GICD_CTLR, 0);
	wait_rwp(0, 32);
	for (i = 32; i < nr_irqs; i += 32) {
		mmio_write32(gicd + GICD_IGROUPR + i / 8, ~0U);
		mmio_write32(gicd + GICD_ICENABLER + i / 8, ~0U);
		mmio_write32(gicd + GICD_ICPENDR + i / 8, ~0U);
		mmio_write32(gicd + GICD_ICACTIVER + i / 8, ~0U);
	}
	for (i = 32; i < nr_irqs; i += 16)
		mmio_write32(gicd + GICD_ICFGR + i / 4, 0);	/* level */
	for (i = 32; i < nr_irqs; i += 4)
		mmio_write32(gicd + GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101U);
	wait_rwp(0, 32);
	mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A |
				       GICD_CTLR_ENABLE_G1);
	wait_rwp(0, 32);
}

/* This CPU's redistributor and CPU interface; prints its own checks. */
static void cpu_init(unsigned cpu)
{
	u64 rd = rd_base[cpu], sgi = rd + GICR_SGI_OFFSET, deadline;
	u32 waker;

	waker = mmio_read32(rd + GICR_WAKER);
	mmio_write32(rd + GICR_WAKER, waker & ~GICR_WAKER_SLEEP);
	deadline = deadline_after_ms(RWP_TIMEOUT_MS);
	while ((mmio_read32(rd + GICR_WAKER) & GICR_WAKER_ASLEEP) && !deadline_passed(deadline))
		;
	CHECK_EQ(0, mmio_read32(rd + GICR_WAKER) & (GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP),
		 "cpu%u gicr_waker processorsleep and childrenasleep clear after waking", cpu);

	mmio_write32(sgi + GICD_IGROUPR, ~0U);
	mmio_write32(sgi + GICD_ICACTIVER, ~0U);
	mmio_write32(sgi + GICD_ICPENDR, ~0U);
	mmio_write32(sgi + GICD_ICENABLER, 0xffff0000U);	/* PPIs off */
	mmio_write32(sgi + GICD_ISENABLER, 0x0000ffffU);	/* SGIs on */
	for (u32 i = 0; i < 32; i += 4)
		mmio_write32(sgi + GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101U);
	wait_rwp(cpu, 0);
	CHECK_EQ(~0U, mmio_read32(sgi + GICD_IGROUPR), "cpu%u gicr_igroupr0 all group 1", cpu);
	CHECK_EQ(0xffff, mmio_read32(sgi + GICD_ISENABLER),
		 "cpu%u gicr_isenabler0 sgis enabled, ppis disabled", cpu);

	write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1);	/* ICC_SRE_EL1.SRE */
	isb();
	CHECK_EQ(1, read_sysreg(S3_0_C12_C12_5) & 1, "cpu%u icc_sre_el1.sre set", cpu);
	write_sysreg(S3_0_C4_C6_0, 0xff);		/* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_3, 0);		/* ICC_BPR1_EL1: the minimum */
	write_sysreg(S3_0_C12_C12_4, 0);		/* ICC_CTLR_EL1: EOImode 0 */
	isb();
	write_sysreg(S3_0_C12_C12_7, 1);		/* ICC_IGRPEN1_EL1 */
	isb();
	CHECK_EQ(0, read_sysreg(S3_0_C12_C12_4) & 2, "cpu%u icc_ctlr_el1.eoimode 0", cpu);
	CHECK_EQ(1, read_sysreg(S3_0_C12_C12_7) & 1, "cpu%u icc_igrpen1_el1.enable set", cpu);
	CHECK((read_sysreg(S3_0_C4_C6_0) & 0xf0) == 0xf0,
	      "cpu%u icc_pmr_el1 0xff reads back 0xff in the implemented bits", cpu);
	CHECK_EQ(0xff, read_sysreg(S3_0_C12_C11_3) & 0xff, "cpu%u icc_rpr_el1 idle (0xff)", cpu);
	if (cpu == 0)
		print_line("note icc_ctlr_el1=0x%lx icc_pmr_el1=0x%lx icc_bpr1_el1=0x%lx",
			   read_sysreg(S3_0_C12_C12_4), read_sysreg(S3_0_C4_C6_0),
			   read_sysreg(S3_0_C12_C12_3));
	reset_irqs(cpu);
	set_exception_hook(irq_hook);
}

/* ---- ID registers and redistributor discovery ---------------------------- */

static bool test_ids(void)
{
	u64 frames[MAX_CPUS + 1];
	u32 typer = mmio_read32(gicd + GICD_TYPER), pidr2 = mmio_read32(gicd + GICD_PIDR2);
	unsigned n, i, cpu;
	bool last_seen, good = true;

	print_line("note gicd_ctlr=0x%x gicd_typer=0x%x gicd_iidr=0x%x gicd_pidr2=0x%x",
		   mmio_read32(gicd + GICD_CTLR), typer, mmio_read32(gicd + GICD_IIDR), pidr2);
	CHECK_EQ(3, GIC_PIDR2_ARCHREV(pidr2), "gicd_pidr2.archrev 3 (gicv3)");
	nr_irqs = 32 * ((typer & 0x1f) + 1);
	if (nr_irqs > INTID_SPURIOUS)
		nr_irqs = INTID_SPURIOUS;
	good &= CHECK(nr_irqs > 104, "gicd_typer.itlinesnumber: spis up to 104 exist");
	CHECK(((typer >> 19) & 0x1f) >= 9, "gicd_typer.idbits: at least 10 bits of intid");

	n = gic_redist_frames(&gic, frames, MAX_CPUS + 1, &last_seen);
	good &= CHECK(last_seen && n == ncpus,
		      "gicr: %u frame(s) up to gicr_typer.last, one per cpu (%u cpus)", n, ncpus);
	if (n > MAX_CPUS + 1)
		n = MAX_CPUS + 1;
	for (i = 0; i < n; i++) {
		u64 t = mmio_read64(frames[i] + GICR_TYPER);

		print_line("note gicr frame %u at 0x%lx: typer=0x%lx iidr=0x%x waker=0x%x", i,
			   frames[i], t, mmio_read32(frames[i] + GICR_IIDR),
			   mmio_read32(frames[i] + GICR_WAKER));
		CHECK_EQ(3, GIC_PIDR2_ARCHREV(mmio_read32(frames[i] + GICR_PIDR2)),
			 "gicr frame %u gicr_pidr2.archrev 3", i);
		CHECK_EQ(i + 1 == n, !!(t & GICR_TYPER_LAST),
			 "gicr frame %u gicr_typer.last %s", i, i + 1 == n ? "set" : "clear");
		CHECK_EQ(t, (u64)mmio_read32(frames[i] + GICR_TYPER + 4) << 32 |
			    mmio_read32(frames[i] + GICR_TYPER),
			 "gicr frame %u gicr_typer: one 64-bit read equals two 32-bit reads", i);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		u32 want = mpidr_aff32(cpu_mpidr[cpu]);

		rd_base[cpu] = 0;
		for (i = 0; i < n && i <= MAX_CPUS; i++)
			if (mmio_read64(frames[i] + GICR_TYPER) >> 32 == want) {
				rd_base[cpu] = frames[i];
				break;
			}
		good &= CHECK(rd_base[cpu] != 0, "cpu%u mpidr=0x%lx: gicr frame %u, gicr_typer"
			      " affinity 0x%x matches", cpu, cpu_mpidr[cpu], i, want);
	}
	return good;
}

/* ---- Enable, pending and active transitions ------------------------------ */

static void test_transitions(const char *kind, u32 intid)
{
	struct cpu_irqs *s = &irqs[0];
	u32 word;

	irqs_mask();
	reset_irqs(0);
	irq_quiesce(0, intid, PRIO_MID);
	if (intid >= 32) {
		route_spi(intid, 0);
		CHECK_EQ(mpidr_irouter(cpu_mpidr[0]), mmio_read64(gicd + GICD_IROUTER + 8 * intid),
			 "%s %u gicd_irouter reads back cpu0's affinity", kind, intid);
	}
	word = mmio_read32(bank(0, intid) + GICD_IPRIORITYR + (intid & ~3U));
	CHECK_EQ(PRIO_MID, word >> (8 * (intid & 3)) & 0xff,
		 "%s %u ipriorityr byte write reads back in the word", kind, intid);
	CHECK_EQ(1, irq_bit(0, GICD_IGROUPR, intid), "%s %u igroupr group 1", kind, intid);

	CHECK(!irq_bit(0, GICD_ISENABLER, intid) && !irq_bit(0, GICD_ICENABLER, intid),
	      "%s %u disabled: isenabler and icenabler read 0", kind, intid);
	irq_enable(0, intid, true);
	CHECK(irq_bit(0, GICD_ISENABLER, intid) && irq_bit(0, GICD_ICENABLER, intid),
	      "%s %u after isenabler: isenabler and icenabler read 1", kind, intid);
	irq_enable(0, intid, false);
	CHECK(!irq_bit(0, GICD_ISENABLER, intid) && !irq_bit(0, GICD_ICENABLER, intid),
	      "%s %u after icenabler: isenabler and icenabler read 0", kind, intid);

	irq_set_bit(0, GICD_ISACTIVER, intid);
	CHECK(irq_bit(0, GICD_ISACTIVER, intid) && irq_bit(0, GICD_ICACTIVER, intid),
	      "%s %u after isactiver: isactiver and icactiver read 1", kind, intid);
	irq_set_bit(0, GICD_ICACTIVER, intid);
	CHECK(!irq_bit(0, GICD_ISACTIVER, intid) && !irq_bit(0, GICD_ICACTIVER, intid),
	      "%s %u after icactiver: isactiver and icactiver read 0", kind, intid);

	/* Pending while disabled: held; cleared by ICPENDR: never taken. */
	make_pending(intid);
	CHECK(irq_bit(0, GICD_ISPENDR, intid) && irq_bit(0, GICD_ICPENDR, intid),
	      "%s %u made pending while disabled: ispendr and icpendr read 1", kind, intid);
	irq_window(QUIET_MS);
	CHECK_EQ(0, s->count[intid], "%s %u pending but disabled: not taken", kind, intid);
	irq_set_bit(0, GICD_ICPENDR, intid);
	CHECK(!irq_bit(0, GICD_ISPENDR, intid) && !irq_bit(0, GICD_ICPENDR, intid),
	      "%s %u after icpendr: ispendr and icpendr read 0", kind, intid);
	irq_enable(0, intid, true);
	irq_window(QUIET_MS);
	CHECK_EQ(0, s->count[intid], "%s %u cleared by icpendr, then enabled: not taken",
		 kind, intid);
	irq_enable(0, intid, false);

	/* Pending, then enabled: taken once; active (not pending) before EOI. */
	make_pending(intid);
	s->sample_intid = intid;
	dmb_sy();
	irq_enable(0, intid, true);
	irqs_unmask();
	wait_count(&s->count[intid], 1, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	CHECK_EQ(1, s->count[intid], "%s %u pending, then enabled: taken exactly once",
		 kind, intid);
	CHECK_EQ(1, s->sampled && s->sampled_active,
		 "%s %u in the handler before eoi: isactiver reads 1", kind, intid);
	CHECK_EQ(0, s->sampled_pending,
		 "%s %u in the handler before eoi: ispendr reads 0", kind, intid);
	CHECK(!irq_bit(0, GICD_ISACTIVER, intid) && !irq_bit(0, GICD_ISPENDR, intid),
	      "%s %u after eoi: isactiver and ispendr read 0", kind, intid);

	/* Active (by ISACTIVER) and pending: held until ICACTIVER. */
	irq_set_bit(0, GICD_ISACTIVER, intid);
	make_pending(intid);
	irq_window(QUIET_MS);
	CHECK(s->count[intid] == 1 && irq_bit(0, GICD_ISPENDR, intid) &&
	      irq_bit(0, GICD_ISACTIVER, intid),
	      "%s %u set active, then pending: not taken, reads active and pending", kind, intid);
	irq_set_bit(0, GICD_ICACTIVER, intid);
	irqs_unmask();
	wait_count(&s->count[intid], 2, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	CHECK_EQ(2, s->count[intid], "%s %u after icactiver: taken exactly once more", kind, intid);
	CHECK_EQ(0, s->other + s->spurious, "%s %u: no other interrupt and no spurious one",
		 kind, intid);
	irq_quiesce(0, intid, PRIO_DEFAULT);
	s->sample_intid = INTID_SPURIOUS;
}

/* ---- Priorities ---------------------------------------------------------- */

static bool order_is(struct cpu_irqs *s, const u32 *want, unsigned n)
{
	if (s->norder != n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (s->order[i] != want[i])
			return false;
	return true;
}

static void print_order(struct cpu_irqs *s, const char *what)
{
	u32 o[ORDER_MAX] = { 0 };

	for (unsigned i = 0; i < s->norder && i < 4; i++)
		o[i] = s->order[i];
	report_fail("%s: %u taken, in order %u %u %u %u (rpr 0x%x 0x%x 0x%x 0x%x)", what,
		    s->norder, o[0], o[1], o[2], o[3], s->rpr[0], s->rpr[1], s->rpr[2], s->rpr[3]);
}

static void test_priority_order(void)
{
	struct cpu_irqs *s = &irqs[0];
	const u32 want[3] = { 21, 101, 10 }, want_rpr[3] = { PRIO_HIGH, PRIO_MID, PRIO_LOW };
	u64 hppir;

	irqs_mask();
	reset_irqs(0);
	irq_quiesce(0, 10, PRIO_LOW);
	irq_quiesce(0, 101, PRIO_MID);
	irq_quiesce(0, 21, PRIO_HIGH);
	route_spi(101, 0);
	irq_enable(0, 10, true);
	irq_enable(0, 101, true);
	irq_enable(0, 21, true);
	make_pending(10);
	make_pending(101);
	make_pending(21);
	hppir = read_sysreg(S3_0_C12_C12_2) & 0xffffff;	/* ICC_HPPIR1_EL1 */
	CHECK_EQ(21, hppir, "icc_hppir1_el1 with sgi 10 (0xc0), spi 101 (0x80), ppi 21 (0x40)"
		 " pending: ppi 21");
	irqs_unmask();
	wait_count(&s->norder, 3, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	if (order_is(s, want, 3))
		report_ok("three pending interrupts taken in priority order: ppi 21 (0x40),"
			  " spi 101 (0x80), sgi 10 (0xc0)");
	else
		print_order(s, "priority order");
	CHECK(s->norder == 3 && s->rpr[0] == want_rpr[0] && s->rpr[1] == want_rpr[1] &&
	      s->rpr[2] == want_rpr[2], "icc_rpr_el1 in each handler is its priority");
	CHECK_EQ(0xff, read_sysreg(S3_0_C12_C11_3) & 0xff, "icc_rpr_el1 idle again (0xff)");
	irq_quiesce(0, 10, PRIO_DEFAULT);
	irq_quiesce(0, 101, PRIO_DEFAULT);
	irq_quiesce(0, 21, PRIO_DEFAULT);
	irq_enable(0, 10, true);	/* SGIs stay enabled, as set up */
}

static void test_pmr(void)
{
	struct cpu_irqs *s = &irqs[0];
	const u32 want[3] = { 11, 12, 102 };

	irqs_mask();
	reset_irqs(0);
	irq_quiesce(0, 11, PRIO_HIGH);
	irq_quiesce(0, 12, PRIO_MID);
	irq_quiesce(0, 102, PRIO_LOWER);
	route_spi(102, 0);
	irq_enable(0, 11, true);
	irq_enable(0, 12, true);
	irq_enable(0, 102, true);
	write_sysreg(S3_0_C4_C6_0, PRIO_MID);		/* ICC_PMR_EL1 */
	isb();
	CHECK_EQ(PRIO_MID, read_sysreg(S3_0_C4_C6_0), "icc_pmr_el1 0x80 reads back");
	make_pending(102);
	make_pending(12);
	make_pending(11);
	irq_window(QUIET_MS);
	CHECK(s->count[11] == 1 && s->count[12] == 0 && s->count[102] == 0,
	      "pmr 0x80: sgi 11 (0x40) taken, sgi 12 (0x80, equal) and spi 102 (0xa0) held");
	write_sysreg(S3_0_C4_C6_0, PRIO_LOWER);
	isb();
	irq_window(QUIET_MS);
	CHECK(s->count[11] == 1 && s->count[12] == 1 && s->count[102] == 0,
	      "pmr raised to 0xa0: sgi 12 (0x80) taken, spi 102 (0xa0, equal) held");
	CHECK(irq_bit(0, GICD_ISPENDR, 102), "spi 102 still pending while masked by pmr");
	write_sysreg(S3_0_C4_C6_0, 0xff);
	isb();
	irqs_unmask();
	wait_count(&s->count[102], 1, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	CHECK(s->count[11] == 1 && s->count[12] == 1 && s->count[102] == 1,
	      "pmr raised to 0xff: spi 102 taken");
	if (order_is(s, want, 3))
		report_ok("pmr: each interrupt taken exactly once, in the order 11, 12, 102");
	else
		print_order(s, "pmr order");
	irq_quiesce(0, 11, PRIO_DEFAULT);
	irq_quiesce(0, 12, PRIO_DEFAULT);
	irq_quiesce(0, 102, PRIO_DEFAULT);
	irq_enable(0, 11, true);
	irq_enable(0, 12, true);
}

/* Running priority: only a higher priority preempts a handler. */
static void test_preemption(void)
{
	struct cpu_irqs *s = &irqs[0];
	const u32 want_a[2] = { 13, 14 }, want_b[3] = { 14, 15, 9 };

	irqs_mask();
	reset_irqs(0);
	irq_priority(0, 13, PRIO_LOW);
	irq_priority(0, 9, PRIO_LOW);
	irq_priority(0, 14, PRIO_HIGH);
	irq_priority(0, 15, PRIO_HIGH);

	/* In the handler of 13 (0xc0), 14 (0x40) arrives: it preempts. */
	s->nest_on = 13;
	s->nest_sgis = 1U << 14;
	s->nest_ms = 100;
	dmb_sy();
	make_pending(13);
	irqs_unmask();
	wait_count(&s->count[13], 1, TAKE_TIMEOUT_MS);
	irqs_mask();
	CHECK_EQ(1, s->nested, "sgi 14 (0x40) sent in the handler of sgi 13 (0xc0) preempts it");
	if (order_is(s, want_a, 2) && s->rpr[0] == PRIO_LOW && s->rpr[1] == PRIO_HIGH)
		report_ok("preemption: handlers entered 13 then 14, icc_rpr_el1 0xc0 then 0x40");
	else
		print_order(s, "preemption");

	/* In the handler of 14 (0x40), 15 (0x40) and 9 (0xc0): both wait. */
	reset_irqs(0);
	s->nest_on = 14;
	s->nest_sgis = 1U << 15 | 1U << 9;
	s->nest_ms = QUIET_MS;
	dmb_sy();
	make_pending(14);
	irqs_unmask();
	wait_count(&s->norder, 3, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	CHECK_EQ(0, s->nested, "sgi 15 (0x40, equal) and sgi 9 (0xc0) sent in the handler of"
		 " sgi 14 (0x40) do not preempt it");
	if (order_is(s, want_b, 3))
		report_ok("after eoi of sgi 14: sgi 15 then sgi 9, once each");
	else
		print_order(s, "no preemption");
	for (u32 i = 9; i <= 15; i++)
		irq_priority(0, i, PRIO_DEFAULT);
}

/* ---- Secondary CPUs and their commands ----------------------------------- */

enum command { CMD_NONE, CMD_SGI, CMD_TIMERS, CMD_MASK, CMD_UNMASK, CMD_TIMER_ASSERT,
	       CMD_TIMER_OFF };

static volatile u32 ready[MAX_CPUS], cmd[MAX_CPUS], cmd_seq[MAX_CPUS], done_seq[MAX_CPUS];
static volatile u64 cmd_arg[MAX_CPUS];

static void test_timers(void);
static void timer_assert_disabled(bool virt);
static void timer_off(bool virt);

static bool run_on(unsigned cpu, enum command c, u64 arg)
{
	u64 deadline = deadline_after_ms(CPU_TIMEOUT_MS);
	u32 seq = cmd_seq[cpu] + 1;

	cmd_arg[cpu] = arg;
	cmd[cpu] = c;
	dmb_sy();
	cmd_seq[cpu] = seq;
	dmb_sy();
	asm volatile("sev");
	while (done_seq[cpu] != seq && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	if (done_seq[cpu] != seq) {
		report_fail("cpu%u did not finish command %u within %u ms", cpu, c,
			    CPU_TIMEOUT_MS);
		return false;
	}
	return true;
}

void secondary_main(unsigned cpu)
{
	bool masked = false;

	cpu_init(cpu);
	dmb_sy();
	ready[cpu] = 1;
	dmb_sy();
	irqs_unmask();
	for (;;) {
		u32 seq = cmd_seq[cpu];

		if (seq == done_seq[cpu]) {
			asm volatile("wfe");
			continue;
		}
		dmb_sy();
		if (cmd[cpu] == CMD_SGI) {
			send_sgi(cmd_arg[cpu]);
		} else if (cmd[cpu] == CMD_TIMERS) {
			test_timers();
		} else if (cmd[cpu] == CMD_MASK) {
			/* A register read (under a hypervisor, a trap): what
			 * earlier tests left in flight settles first. */
			(void)mmio_read32(gicd + GICD_CTLR);
			masked = true;
		} else if (cmd[cpu] == CMD_UNMASK) {
			masked = false;
		} else if (cmd[cpu] == CMD_TIMER_ASSERT) {
			timer_assert_disabled(cmd_arg[cpu]);
		} else if (cmd[cpu] == CMD_TIMER_OFF) {
			timer_off(true);
			timer_off(false);
		}
		if (masked)
			irqs_mask();
		else
			irqs_unmask();
		dmb_sy();
		done_seq[cpu] = seq;
		dmb_sy();
		asm volatile("sev");
	}
}

static unsigned start_cpus(void)
{
	unsigned started = 1;

	for (unsigned cpu = 1; cpu < ncpus; cpu++) {
		s32 ret = psci_cpu_on(cpu_mpidr[cpu], (u64)secondary_entry, cpu);

		if (ret != PSCI_SUCCESS) {
			report_fail("cpu_on cpu%u mpidr=0x%lx returned %d", cpu, cpu_mpidr[cpu],
				    ret);
			break;
		}
		if (!wait_count(&ready[cpu], 1, CPU_TIMEOUT_MS)) {
			report_fail("cpu%u did not set up its gic within %u ms", cpu,
				    CPU_TIMEOUT_MS);
			break;
		}
		started++;
	}
	return started;
}

/* ---- SGIs and SPIs between CPUs ------------------------------------------ */

static void reset_all(unsigned n)
{
	for (unsigned cpu = 0; cpu < n; cpu++)
		reset_irqs(cpu);
}

/* Every CPU took @intid exactly want[cpu] times (after a quiet while),
 * and nothing else; else *bad is the first CPU that did not. */
static bool counts_match(unsigned n, u32 intid, const u32 *want, unsigned *bad)
{
	spin_ms(SMP_QUIET_MS);
	dmb_sy();
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (irqs[cpu].count[intid] != want[cpu] || irqs[cpu].other ||
		    irqs[cpu].spurious) {
			*bad = cpu;
			return false;
		}
	return true;
}

#define CHECK_COUNTS(n, intid, want, fmt, ...) ({			\
	unsigned b_ = 0;						\
	bool m_ = counts_match(n, intid, want, &b_);			\
	if (m_)								\
		report_ok(fmt, ##__VA_ARGS__);				\
	else								\
		report_fail(fmt ": cpu%u took intid %u %u time(s), expected %u" \
			    " (other %u, spurious %u)", ##__VA_ARGS__, b_,	\
			    intid, irqs[b_].count[intid], want[b_],		\
			    irqs[b_].other, irqs[b_].spurious);		\
	m_;								\
})

/*
 * SPI 104 made pending for CPU @t while that CPU has IRQs masked, then
 * retracted by CPU 0 before @t unmasks: by GICD_ICPENDR, or by
 * GICD_ICENABLER (and RWP).  Neither may be taken; re-enabled, it is.
 * Rerouted by GICD_IROUTER instead, it is taken on CPU 0, and there only.
 * Then set pending again and again, each time once the last one is taken.
 */
static void test_retract(unsigned n, unsigned t)
{
	const u32 spi = 104;
	u32 want[MAX_CPUS], pending;
	unsigned i;

	irq_quiesce(0, spi, PRIO_MID);
	route_spi(spi, t);
	irq_enable(0, spi, true);
	for (i = 0; i < n; i++)
		want[i] = 0;

	reset_all(n);
	run_on(t, CMD_MASK, 0);
	irq_set_bit(0, GICD_ISPENDR, spi);
	spin_ms(SMP_QUIET_MS);
	irq_set_bit(0, GICD_ICPENDR, spi);
	pending = irq_bit(0, GICD_ISPENDR, spi);
	run_on(t, CMD_UNMASK, 0);
	CHECK_EQ(0, pending, "spi %u after icpendr from cpu0: ispendr reads 0", spi);
	CHECK_COUNTS(n, spi, want, "spi %u pending for cpu%u (irqs masked there), cleared by"
		     " icpendr from cpu0: never taken", spi, t);

	reset_all(n);
	run_on(t, CMD_MASK, 0);
	irq_set_bit(0, GICD_ISPENDR, spi);
	spin_ms(SMP_QUIET_MS);
	irq_enable(0, spi, false);
	run_on(t, CMD_UNMASK, 0);
	CHECK_COUNTS(n, spi, want, "spi %u pending for cpu%u (irqs masked there), disabled by"
		     " icenabler from cpu0: not taken", spi, t);
	reset_all(n);
	want[t] = 1;
	irq_enable(0, spi, true);
	wait_count(&irqs[t].count[spi], 1, TAKE_TIMEOUT_MS);
	CHECK_COUNTS(n, spi, want, "spi %u enabled again: taken once, on cpu%u", spi, t);

	reset_all(n);
	for (i = 0; i < n; i++)
		want[i] = i == 0;
	run_on(t, CMD_MASK, 0);
	irq_set_bit(0, GICD_ISPENDR, spi);
	spin_ms(SMP_QUIET_MS);
	route_spi(spi, 0);
	wait_count(&irqs[0].count[spi], 1, TAKE_TIMEOUT_MS);
	run_on(t, CMD_UNMASK, 0);
	CHECK_COUNTS(n, spi, want, "spi %u pending for cpu%u (irqs masked there), rerouted to cpu0"
		     " by gicd_irouter: taken once, on cpu0 only", spi, t);
	route_spi(spi, t);

	reset_all(n);
	for (i = 0; i < n; i++)
		want[i] = 0;
	for (i = 0; i < SGI_REPEATS; i++) {
		irq_set_bit(0, GICD_ISPENDR, spi);
		if (!wait_count(&irqs[t].count[spi], i + 1, TAKE_TIMEOUT_MS))
			break;
	}
	want[t] = SGI_REPEATS;
	CHECK_COUNTS(n, spi, want, "spi %u routed to cpu%u, set pending by cpu0 %u times, one at"
		     " a time: taken %u times", spi, t, SGI_REPEATS, SGI_REPEATS);
	irq_quiesce(0, spi, PRIO_DEFAULT);
}

static void test_smp_sgis(unsigned n)
{
	u32 want[MAX_CPUS];
	unsigned t, i;
	bool same_cluster = true;

	irqs_unmask();	/* cpu0 takes SGIs too */
	for (t = 1; t < n; t++) {
		reset_all(n);
		for (i = 0; i < n; i++)
			want[i] = i == t;
		send_sgi(sgi1r_to(cpu_mpidr[t], 1));
		wait_count(&irqs[t].count[1], 1, TAKE_TIMEOUT_MS);
		CHECK_COUNTS(n, 1, want, "sgi 1 from cpu0 to cpu%u (icc_sgi1r_el1 0x%lx): taken"
			     " once, on cpu%u only", t, sgi1r_to(cpu_mpidr[t], 1), t);

		for (i = 0; i < n; i++)
			want[i] = i == 0;
		if (run_on(t, CMD_SGI, sgi1r_to(cpu_mpidr[0], 2))) {
			wait_count(&irqs[0].count[2], 1, TAKE_TIMEOUT_MS);
			CHECK_COUNTS(n, 2, want, "sgi 2 from cpu%u to cpu0: taken once, on cpu0"
				     " only", t);
		}

		for (i = 0; i < n; i++)
			want[i] = i == t ? SGI_REPEATS : 0;
		for (i = 0; i < SGI_REPEATS; i++) {
			send_sgi(sgi1r_to(cpu_mpidr[t], 3));
			if (!wait_count(&irqs[t].count[3], i + 1, TAKE_TIMEOUT_MS))
				break;
		}
		CHECK_COUNTS(n, 3, want, "sgi 3 from cpu0 to cpu%u %u times, one at a time: taken"
			     " %u times", t, SGI_REPEATS, SGI_REPEATS);
	}

	/* IRM = 1: every CPU but the sender. */
	reset_all(n);
	for (i = 0; i < n; i++)
		want[i] = i != 0;
	send_sgi(SGI1R_IRM | SGI1R_INTID(4));
	for (t = 1; t < n; t++)
		wait_count(&irqs[t].count[4], 1, TAKE_TIMEOUT_MS);
	CHECK_COUNTS(n, 4, want, "sgi 4 broadcast (irm=1) from cpu0: once on each of the other"
		     " %u cpu(s), not on cpu0", n - 1);
	for (t = 1; t < n; t++) {
		reset_all(n);
		for (i = 0; i < n; i++)
			want[i] = i != t;
		if (!run_on(t, CMD_SGI, SGI1R_IRM | SGI1R_INTID(6)))
			continue;
		for (i = 0; i < n; i++)
			if (i != t)
				wait_count(&irqs[i].count[6], 1, TAKE_TIMEOUT_MS);
		CHECK_COUNTS(n, 6, want, "sgi 6 broadcast (irm=1) from cpu%u: once on every other"
			     " cpu, not on cpu%u", t, t);
	}

	/* One TargetList naming every CPU, the sender included. */
	for (i = 1; i < n; i++)
		if ((cpu_mpidr[i] & ~0xfUL) != (cpu_mpidr[0] & ~0xfUL))
			same_cluster = false;
	if (same_cluster) {
		u64 v = sgi1r_to(cpu_mpidr[0], 5) & ~SGI1R_TARGETS(0xffff);

		for (i = 0; i < n; i++)
			v |= SGI1R_TARGETS(1U << (cpu_mpidr[i] & 0xf));
		reset_all(n);
		for (i = 0; i < n; i++)
			want[i] = 1;
		send_sgi(v);
		for (i = 0; i < n; i++)
			wait_count(&irqs[i].count[5], 1, TAKE_TIMEOUT_MS);
		CHECK_COUNTS(n, 5, want, "sgi 5 from cpu0 with a targetlist of all %u cpus (0x%lx):"
			     " once on each, cpu0 included", n, v);
	} else {
		print_line("skip sgi targetlist of all cpus: they are not in one group of 16");
	}

	/* SPI 103 routed to each CPU in turn with GICD_IROUTER. */
	irq_quiesce(0, 103, PRIO_MID);
	irq_enable(0, 103, true);
	for (t = 0; t < n; t++) {
		reset_all(n);
		for (i = 0; i < n; i++)
			want[i] = i == t;
		route_spi(103, t);
		CHECK_EQ(mpidr_irouter(cpu_mpidr[t]), mmio_read64(gicd + GICD_IROUTER + 8 * 103),
			 "spi 103 gicd_irouter reads back cpu%u's affinity", t);
		irq_set_bit(0, GICD_ISPENDR, 103);
		wait_count(&irqs[t].count[103], 1, TAKE_TIMEOUT_MS);
		CHECK_COUNTS(n, 103, want, "spi 103 routed to cpu%u, set pending by cpu0: taken"
			     " once, on cpu%u only", t, t);
	}
	irq_quiesce(0, 103, PRIO_DEFAULT);
	for (t = 1; t < n; t++)
		test_retract(n, t);
	irqs_mask();
}

/* ---- Timers -------------------------------------------------------------- */

static void timer_write(bool virt, u64 cval, u64 ctl)
{
	if (virt) {
		write_sysreg(cntv_cval_el0, cval);
		write_sysreg(cntv_ctl_el0, ctl);
	} else {
		write_sysreg(cntp_cval_el0, cval);
		write_sysreg(cntp_ctl_el0, ctl);
	}
	isb();
}

static void timer_off(bool virt)
{
	if (virt)
		write_sysreg(cntv_ctl_el0, 0);
	else
		write_sysreg(cntp_ctl_el0, 0);
	isb();
}

/* One timer fires 10 ms ahead; the other one, 1 s ahead, ends a lost wait. */
static void test_timer(bool virt)
{
	unsigned cpu = this_cpu();
	struct cpu_irqs *s = &irqs[cpu];
	u32 intid = virt ? PPI_VTIMER : PPI_PTIMER, backstop = virt ? PPI_PTIMER : PPI_VTIMER;
	const char *name = virt ? "virtual timer (ppi 27, cntv)"
				: "el1 physical timer (ppi 30, cntp)";
	u64 cval, at, ctl, deadline;

	irqs_mask();
	timer_off(true);
	timer_off(false);
	reset_irqs(cpu);
	irq_quiesce(cpu, intid, PRIO_MID);
	irq_quiesce(cpu, backstop, PRIO_MID);
	irq_enable(cpu, intid, true);
	irq_enable(cpu, backstop, true);

	cval = (virt ? cntvct() : cntpct()) + freq / 1000 * TIMER_DELAY_MS;
	timer_write(virt, cval, 1);
	timer_write(!virt, (virt ? cntpct() : cntvct()) + freq / 1000 * TIMER_BACKSTOP_MS, 1);
	deadline = deadline_after_ms(2 * TIMER_BACKSTOP_MS);
	irqs_unmask();
	while (!s->count[intid] && !s->count[backstop] && !deadline_passed(deadline))
		asm volatile("wfi" : : : "memory");
	spin_ms(2 * TIMER_DELAY_MS);
	irqs_mask();
	timer_off(true);
	timer_off(false);
	irq_quiesce(cpu, intid, PRIO_DEFAULT);
	irq_quiesce(cpu, backstop, PRIO_DEFAULT);

	at = virt ? s->vtimer_at : s->ptimer_at;
	ctl = virt ? s->vtimer_ctl : s->ptimer_ctl;
	if (!CHECK(s->count[intid] == 1 && !s->count[backstop] && !s->other,
		   "cpu%u %s: taken exactly once (wfi loop)", cpu, name)) {
		report_fail("cpu%u %s: counts %u, backstop timer %u, other %u", cpu, name,
			    s->count[intid], s->count[backstop], s->other);
		return;
	}
	CHECK((s64)(at - cval) >= 0, "cpu%u %s: counter at the interrupt >= cval", cpu, name);
	CHECK((s64)(at - cval) <= (s64)(freq / 1000 * TIMER_SLACK_MS),
	      "cpu%u %s: interrupt within %u ms of cval", cpu, name, TIMER_SLACK_MS);
	CHECK_EQ(5, ctl & 7, "cpu%u %s: ctl in the handler enable=1 imask=0 istatus=1", cpu, name);
	print_line("note cpu%u %s: interrupt %ld us after cval", cpu, name,
		   (s64)(at - cval) * 1000000 / (s64)freq);
}

#define CNT_CTL_ENABLE		1UL
#define CNT_CTL_IMASK		2UL
#define CNT_CTL_ISTATUS		4UL

static u64 timer_ctl(bool virt)
{
	isb();
	return virt ? read_sysreg(cntv_ctl_el0) : read_sysreg(cntp_ctl_el0);
}

/* Program the timer 1 ms ahead and wait until its condition is met. */
static bool timer_fire(bool virt)
{
	u64 deadline = deadline_after_ms(TAKE_TIMEOUT_MS);

	timer_write(virt, (virt ? cntvct() : cntpct()) + freq / 1000, CNT_CTL_ENABLE);
	while (!(timer_ctl(virt) & CNT_CTL_ISTATUS))
		if (deadline_passed(deadline))
			return false;
	return true;
}

/*
 * The check of kvm-unit-tests' timer test ("interrupt signal pending"),
 * and what follows from it.  The timer's output is a level-sensitive
 * PPI; the GIC keeps an interrupt's pending state whatever its enable,
 * and for a level-sensitive one that state follows the line (IHI 0069
 * 4.1.2, 4.7; GICR_ICPENDR0: a clear has no effect on a line still
 * asserted).  So: disabled at the redistributor, the fired timer reads
 * pending; ICPENDR0 does not change that; re-enabled, it is taken once;
 * masked at the timer instead (CNT*_CTL.IMASK), it is no longer pending
 * and never taken.  Then GICR_ICACTIVER0 deactivates the interrupt the
 * handler left active (EOImode 1): the timer can fire again.
 */
static void test_timer_pending(bool virt)
{
	unsigned cpu = this_cpu();
	struct cpu_irqs *s = &irqs[cpu];
	u32 intid = virt ? PPI_VTIMER : PPI_PTIMER;
	const char *name = virt ? "virtual timer (ppi 27)" : "el1 physical timer (ppi 30)";
	u64 ctl;

	irqs_mask();
	timer_off(true);
	timer_off(false);
	reset_irqs(cpu);
	irq_quiesce(cpu, intid, PRIO_MID);
	CHECK_EQ(0, irq_bit(cpu, GICD_ISPENDR, intid),
		 "cpu%u %s disabled, timer off: gicr_ispendr0 reads 0", cpu, name);
	if (!CHECK(timer_fire(virt), "cpu%u %s disabled at the gicr: cnt_ctl.istatus set",
		   cpu, name))
		goto out;
	CHECK(irq_bit(cpu, GICD_ISPENDR, intid) && irq_bit(cpu, GICD_ICPENDR, intid),
	      "cpu%u %s disabled, timer fired: gicr_ispendr0 and gicr_icpendr0 read pending",
	      cpu, name);
	irq_set_bit(cpu, GICD_ICPENDR, intid);
	CHECK_EQ(1, irq_bit(cpu, GICD_ISPENDR, intid),
		 "cpu%u %s: gicr_icpendr0 while the timer asserts the line: still pending",
		 cpu, name);
	irq_window(QUIET_MS);
	CHECK_EQ(0, s->count[intid], "cpu%u %s pending but disabled: not taken", cpu, name);

	irq_enable(cpu, intid, true);
	irqs_unmask();
	wait_count(&s->count[intid], 1, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	ctl = virt ? s->vtimer_ctl : s->ptimer_ctl;
	CHECK_EQ(1, s->count[intid], "cpu%u %s enabled again: taken exactly once", cpu, name);
	CHECK_EQ(5, ctl & 7, "cpu%u %s enabled again: ctl in the handler enable=1 imask=0"
		 " istatus=1", cpu, name);
	CHECK_EQ(0, irq_bit(cpu, GICD_ISPENDR, intid),
		 "cpu%u %s turned off by the handler: gicr_ispendr0 reads 0", cpu, name);

	irq_enable(cpu, intid, false);
	reset_irqs(cpu);
	if (!timer_fire(virt))
		report_fail("cpu%u %s: cnt_ctl.istatus never set", cpu, name);
	CHECK_EQ(1, irq_bit(cpu, GICD_ISPENDR, intid),
		 "cpu%u %s disabled, fired again: gicr_ispendr0 reads pending", cpu, name);
	if (virt)
		write_sysreg(cntv_ctl_el0, CNT_CTL_ENABLE | CNT_CTL_IMASK);
	else
		write_sysreg(cntp_ctl_el0, CNT_CTL_ENABLE | CNT_CTL_IMASK);
	isb();
	CHECK_EQ(0, irq_bit(cpu, GICD_ISPENDR, intid),
		 "cpu%u %s masked at the timer (imask): the line dropped, gicr_ispendr0 reads 0",
		 cpu, name);
	irq_enable(cpu, intid, true);
	irq_window(QUIET_MS);
	CHECK_EQ(0, s->count[intid], "cpu%u %s masked at the timer, then enabled: not taken",
		 cpu, name);

	timer_off(virt);
	reset_irqs(cpu);
	s->eoimode1 = 1;
	s->leave_active = intid;
	dmb_sy();
	write_sysreg(S3_0_C12_C12_4, 2);		/* ICC_CTLR_EL1.EOImode */
	isb();
	timer_fire(virt);
	irqs_unmask();
	wait_count(&s->count[intid], 1, TAKE_TIMEOUT_MS);
	irqs_mask();
	CHECK(s->count[intid] == 1 && irq_bit(cpu, GICD_ISACTIVER, intid),
	      "cpu%u %s eoimode 1, only priority-dropped: taken, gicr_isactiver0 reads 1",
	      cpu, name);
	irq_set_bit(cpu, GICD_ICACTIVER, intid);
	CHECK_EQ(0, irq_bit(cpu, GICD_ISACTIVER, intid),
		 "cpu%u %s after gicr_icactiver0: gicr_isactiver0 reads 0", cpu, name);
	s->leave_active = INTID_SPURIOUS;
	dmb_sy();
	timer_fire(virt);
	irqs_unmask();
	wait_count(&s->count[intid], 2, TAKE_TIMEOUT_MS);
	spin_ms(QUIET_MS);
	irqs_mask();
	CHECK_EQ(2, s->count[intid], "cpu%u %s deactivated by gicr_icactiver0: fires again,"
		 " taken once more", cpu, name);
	CHECK_EQ(0, s->other + s->spurious, "cpu%u %s: no other interrupt and no spurious one",
		 cpu, name);
	write_sysreg(S3_0_C12_C12_4, 0);		/* EOImode 0 again */
	isb();
out:
	timer_off(true);
	timer_off(false);
	reset_irqs(cpu);
	irq_quiesce(cpu, intid, PRIO_DEFAULT);
}

/* This CPU's timer fired, its PPI disabled (left so for CMD_TIMER_OFF). */
static void timer_assert_disabled(bool virt)
{
	unsigned cpu = this_cpu();

	timer_off(true);
	timer_off(false);
	irq_quiesce(cpu, virt ? PPI_VTIMER : PPI_PTIMER, PRIO_DEFAULT);
	if (!timer_fire(virt))
		report_fail("cpu%u %s timer: cnt_ctl.istatus never set", cpu, virt ? "virtual"
			    : "el1 physical");
}

/* Another CPU's redistributor shows its timer's line too. */
static void test_timer_pending_remote(unsigned t)
{
	for (int virt = 1; virt >= 0; virt--) {
		u32 intid = virt ? PPI_VTIMER : PPI_PTIMER;

		if (!run_on(t, CMD_TIMER_ASSERT, virt))
			return;
		CHECK_EQ(1, irq_bit(t, GICD_ISPENDR, intid), "cpu%u's ppi %u disabled, its timer"
			 " fired: cpu0 reads it pending in cpu%u's gicr_ispendr0", t, intid, t);
		if (!run_on(t, CMD_TIMER_OFF, 0))
			return;
		CHECK_EQ(0, irq_bit(t, GICD_ISPENDR, intid), "cpu%u's timer off again: cpu0"
			 " reads ppi %u not pending in cpu%u's gicr_ispendr0", t, intid, t);
	}
}

static void test_timers(void)
{
	test_timer(true);
	test_timer(false);
	test_timer_pending(true);
	test_timer_pending(false);
}

/* ---- Main ---------------------------------------------------------------- */

static bool find_cpus(void)
{
	u64 dt_mpidr[MAX_CPUS], self = read_mpidr();
	unsigned dt_cpus = fdt_cpus(guest_dtb, dt_mpidr, MAX_CPUS);
	bool found_self = false;

	if (dt_cpus == 0 || dt_cpus > MAX_CPUS) {
		report_fail("dtb lists %u cpus, need 1..%u", dt_cpus, MAX_CPUS);
		return false;
	}
	cpu_mpidr[0] = self;
	ncpus = 1;
	for (unsigned i = 0; i < dt_cpus; i++) {
		if (dt_mpidr[i] == self)
			found_self = true;
		else if (ncpus < dt_cpus)
			cpu_mpidr[ncpus++] = dt_mpidr[i];
	}
	if (!found_self) {
		report_fail("boot cpu mpidr 0x%lx not in dtb /cpus", self);
		return false;
	}
	dmb_sy();
	return true;
}

void guest_main(void)
{
	unsigned n;
	u32 ctlr;

	freq = read_sysreg(cntfrq_el0);
	if (!freq) {
		report_fail("cntfrq_el0 is 0");
		return;
	}
	if (!find_cpus())
		return;
	gic_find(guest_dtb, &gic);
	gicd = gic.dist;
	if (!test_ids())
		return;

	dist_init();
	ctlr = mmio_read32(gicd + GICD_CTLR);
	print_line("note gicd_ctlr=0x%x after enabling", ctlr);
	CHECK_EQ(GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A,
		 ctlr & (GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A | GICD_CTLR_RWP),
		 "gicd_ctlr reads back are (bit 4) and enablegrp1 (bit 1) set, rwp clear");
	cpu_init(0);

	test_transitions("sgi", 7);
	test_transitions("ppi", 20);
	test_transitions("spi", 100);
	test_priority_order();
	test_pmr();
	test_preemption();

	n = start_cpus();
	if (n < 2) {
		if (ncpus < 2)
			print_line("skip sgis and spi routing between cpus: 1 cpu");
	} else {
		report_ok("%u cpus up with their redistributors and cpu interfaces", n);
		test_smp_sgis(n);
	}

	test_timers();
	for (unsigned cpu = 1; cpu < n; cpu++)
		run_on(cpu, CMD_TIMERS, 0);
	for (unsigned cpu = 1; cpu < n; cpu++)
		test_timer_pending_remote(cpu);

	irqs_mask();
	CHECK_EQ(0, irqs[0].other + irqs[0].spurious, "cpu0: no unexpected or spurious interrupt");
	set_exception_hook(NULL);
}

/*
 * gichostile.c - a hostile guest for the GIC's MMIO frames: pseudo-random
 * values (xorshift64, fixed seed) written at every 4-byte offset of the
 * GICD frame, of both 64 KiB frames of every CPU's redistributor and of a
 * few redistributor frames past the last one, 32-bit and then 8-, 16- or
 * 64-bit, each write read back (the values do not matter), in several
 * passes; then random ICC_SGI1R_EL1 values (SGIs to random targets), and
 * a few ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 ones, while the other CPUs send
 * random SGIs of their own at the same time.
 *
 * All it asks is to survive: synchronous external aborts (a hypervisor or
 * the machine may refuse an access) are counted and stepped over, and so
 * are undefined-instruction exceptions from the SGI registers.  IRQs and
 * FIQs stay masked throughout, whatever the writes leave pending; one
 * that is taken anyway is counted and acknowledged.  Afterwards the ID
 * registers must read as before and the guest's code must be intact.
 */
#include "gicv3.h"

const char guest_name[] = "gichostile";

#define SLOT_EL1H_IRQ		5
#define SLOT_EL1H_FIQ		6
#define SLOT_EL1H_SERROR	7

#define PASSES			3
#define EXTRA_REDISTS		2	/* redistributors past the last CPU's */
#define SGI1R_WRITES		4096
#define OTHER_SGI_WRITES	256	/* ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 each */
#define SEED			0x2545f4914f6cdd1dUL
#define MAX_REGIONS		(1 + 2 * (MAX_CPUS + EXTRA_REDISTS))
#define CPU_TIMEOUT_MS		5000

enum region_kind { GICD_FRAME, RD_FRAME, SGI_FRAME, BEYOND_RD_FRAME, BEYOND_SGI_FRAME };

struct region {
	u64 base;
	enum region_kind kind;
	unsigned index;			/* redistributor number */
	u64 writes, aborts;
};

/* Per CPU, from the exception hook. */
static struct {
	volatile u64 aborts, undefs, irqs, fiqs, serrors;
	volatile u64 last_esr, last_far;
	volatile u32 dfsc_seen;		/* bit n: DFSC 0x10 + n seen (n < 32) */
	volatile u32 armed_undef;
} ex[MAX_CPUS];

static struct region regions[MAX_REGIONS];
static unsigned nregions, ncpus;
static volatile u64 cpu_mpidr[MAX_CPUS];
static volatile u32 go, done[MAX_CPUS], started[MAX_CPUS];

static u64 xorshift64(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static bool hostile_hook(struct exception_frame *frame, u64 slot)
{
	unsigned cpu = this_cpu();
	u64 iar;

	if (slot == SLOT_EL1H_SYNC && ESR_EC(frame->esr) == EC_DABT_CUR_EL) {
		u32 dfsc = frame->esr & 0x3f;

		ex[cpu].aborts++;
		ex[cpu].last_esr = frame->esr;
		ex[cpu].last_far = frame->far;
		if (dfsc >= 0x10 && dfsc < 0x30)
			ex[cpu].dfsc_seen |= 1U << (dfsc - 0x10);
		frame->elr += 4;
		return true;
	}
	if (slot == SLOT_EL1H_SYNC && ESR_EC(frame->esr) == EC_UNKNOWN &&
	    ex[cpu].armed_undef) {
		ex[cpu].undefs++;
		ex[cpu].last_esr = frame->esr;
		frame->elr += 4;
		return true;
	}
	if (slot == SLOT_EL1H_IRQ) {
		ex[cpu].irqs++;
		iar = read_sysreg(S3_0_C12_C12_0);		/* ICC_IAR1_EL1 */
		if ((iar & 0xffffff) < 1020)
			write_sysreg(S3_0_C12_C12_1, iar);	/* ICC_EOIR1_EL1 */
		isb();
		return true;
	}
	if (slot == SLOT_EL1H_FIQ) {
		ex[cpu].fiqs++;
		iar = read_sysreg(S3_0_C12_C8_0);		/* ICC_IAR0_EL1 */
		if ((iar & 0xffffff) < 1020)
			write_sysreg(S3_0_C12_C8_1, iar);	/* ICC_EOIR0_EL1 */
		isb();
		return true;
	}
	if (slot == SLOT_EL1H_SERROR) {
		ex[cpu].serrors++;
		return true;
	}
	return false;
}

static void add_region(u64 base, enum region_kind kind, unsigned index)
{
	if (nregions < MAX_REGIONS)
		regions[nregions++] = (struct region){ .base = base, .kind = kind,
						       .index = index };
}

/* A 2-D char array, not pointers: the image holds no addresses (guest.h). */
static const char kind_names[5][32] = {
	[GICD_FRAME] = "gicd", [RD_FRAME] = "gicr rd_base",
	[SGI_FRAME] = "gicr sgi_base", [BEYOND_RD_FRAME] = "past the last gicr, rd_base",
	[BEYOND_SGI_FRAME] = "past the last gicr, sgi_base",
};

/* One pass over one 64 KiB frame: every 4-byte offset written and read at
 * 32 bits, then once more at 8, 16 or 64 bits (rotating with the pass). */
static void hammer_frame(struct region *r, unsigned pass, u64 *rng)
{
	u64 aborts_before = ex[0].aborts, writes = 0;

	for (u64 off = 0; off < GIC_FRAME_SIZE; off += 4) {
		u64 addr = r->base + off, v = xorshift64(rng);

		mmio_write32(addr, (u32)v);
		(void)mmio_read32(addr);
		writes++;
		switch ((off / 4 + pass) % 3) {
		case 0:
			addr += v >> 62;		/* any byte of the word */
			mmio_write8(addr, (u32)(v >> 32));
			(void)mmio_read8(addr);
			break;
		case 1:
			addr += (v >> 62) & 2;		/* either halfword */
			mmio_write16(addr, (u32)(v >> 32));
			(void)mmio_read16(addr);
			break;
		default:
			addr &= ~7UL;			/* the doubleword */
			mmio_write64(addr, xorshift64(rng));
			(void)mmio_read64(addr);
			break;
		}
		writes++;
	}
	r->writes += writes;
	r->aborts += ex[0].aborts - aborts_before;
}

/* Random SGI register writes; UNDEFINED ones are counted, not fatal. */
static u64 random_sgis(u64 *rng, unsigned sgi1r, unsigned others)
{
	unsigned cpu = this_cpu();

	ex[cpu].armed_undef = 1;
	for (unsigned i = 0; i < sgi1r; i++) {
		write_sysreg(S3_0_C12_C11_5, xorshift64(rng));	/* ICC_SGI1R_EL1 */
		isb();
	}
	for (unsigned i = 0; i < others; i++) {
		write_sysreg(S3_0_C12_C11_6, xorshift64(rng));	/* ICC_ASGI1R_EL1 */
		isb();
		write_sysreg(S3_0_C12_C11_7, xorshift64(rng));	/* ICC_SGI0R_EL1 */
		isb();
	}
	ex[cpu].armed_undef = 0;
	return sgi1r + 2 * others;
}

static void cpu_interface_on(void)
{
	write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1);	/* ICC_SRE_EL1.SRE */
	isb();
}

/* Other CPUs: random SGIs of their own while CPU 0 hammers the frames. */
void secondary_main(unsigned cpu)
{
	u64 rng = SEED ^ (0x9e3779b97f4a7c15UL * (cpu + 1));

	set_exception_hook(hostile_hook);
	cpu_interface_on();
	dmb_sy();
	started[cpu] = 1;
	while (!go)
		dmb_sy();
	random_sgis(&rng, SGI1R_WRITES, OTHER_SGI_WRITES);
	dmb_sy();
	done[cpu] = 1;
	dmb_sy();
}

static u64 code_checksum(void)
{
	const u32 *p = (const u32 *)_image_start, *end = (const u32 *)_text_end;
	u64 sum = 0;

	while (p < end)
		sum = (sum << 7 | sum >> 57) ^ *p++;
	return sum;
}

static bool wait_flag(volatile u32 *flag)
{
	u64 deadline = deadline_after_ms(CPU_TIMEOUT_MS);

	while (!*flag && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	return *flag;
}

void guest_main(void)
{
	u64 dt_mpidr[MAX_CPUS], frames[MAX_CPUS + 1], typer_before[MAX_CPUS + 1];
	u64 self = read_mpidr(), rng = SEED, total_writes = 0, sgi_writes, checksum;
	u64 aborts = 0, undefs = 0, irqs = 0, fiqs = 0, serrors = 0, end, last;
	unsigned dt_cpus, nframes, i, extra = 0, cpu, up = 1;
	struct gic_layout gic;
	u32 pidr2_before;
	bool last_seen, good;

	set_exception_hook(hostile_hook);
	checksum = code_checksum();
	gic_find(guest_dtb, &gic);
	dt_cpus = fdt_cpus(guest_dtb, dt_mpidr, MAX_CPUS);
	cpu_mpidr[0] = self;
	ncpus = 1;
	for (i = 0; i < dt_cpus && i < MAX_CPUS; i++)
		if (dt_mpidr[i] != self && ncpus < MAX_CPUS)
			cpu_mpidr[ncpus++] = dt_mpidr[i];

	nframes = gic_redist_frames(&gic, frames, MAX_CPUS + 1, &last_seen);
	if (!last_seen || nframes == 0 || nframes > MAX_CPUS) {
		report_fail("gicr: %u frames, last %s: cannot place the frames", nframes,
			    last_seen ? "seen" : "not seen");
		return;
	}
	pidr2_before = mmio_read32(gic.dist + GICD_PIDR2);
	for (i = 0; i < nframes; i++)
		typer_before[i] = mmio_read64(frames[i] + GICR_TYPER);

	add_region(gic.dist, GICD_FRAME, 0);
	for (i = 0; i < nframes; i++) {
		add_region(frames[i], RD_FRAME, i);
		add_region(frames[i] + GICR_SGI_OFFSET, SGI_FRAME, i);
	}
	end = gic.redist + gic.redist_size;
	last = frames[nframes - 1] + gic_redist_stride(&gic, frames[nframes - 1]);
	for (; extra < EXTRA_REDISTS && last + GICR_STRIDE_V3 <= end; extra++) {
		add_region(last, BEYOND_RD_FRAME, nframes + extra);
		add_region(last + GICR_SGI_OFFSET, BEYOND_SGI_FRAME, nframes + extra);
		last += GICR_STRIDE_V3;
	}
	print_line("note %u cpu(s), %u redistributor(s), %u more frame pair(s) past the last"
		   " in the dt's gicr region, %u frames of 64 KiB in all", ncpus, nframes,
		   extra, nregions);

	cpu_interface_on();
	for (cpu = 1; cpu < ncpus; cpu++) {
		s32 ret = psci_cpu_on(cpu_mpidr[cpu], (u64)secondary_entry, cpu);

		if (ret != PSCI_SUCCESS || !wait_flag(&started[cpu])) {
			report_fail("cpu%u mpidr=0x%lx did not start (cpu_on returned %d)", cpu,
				    cpu_mpidr[cpu], ret);
			break;
		}
		up++;
	}
	dmb_sy();
	go = 1;		/* the others send random SGIs meanwhile */
	dmb_sy();

	for (unsigned pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < nregions; i++)
			hammer_frame(&regions[i], pass, &rng);
		total_writes = 0;
		for (i = 0; i < nregions; i++)
			total_writes += regions[i].writes;
		print_line("note pass %u done: %lu mmio writes, %lu aborts so far", pass + 1,
			   total_writes, ex[0].aborts);
	}
	for (i = 0; i < nregions; i++)
		print_line("note %s of frame %u at 0x%lx: %lu writes, %lu aborts",
			   kind_names[regions[i].kind], regions[i].index, regions[i].base,
			   regions[i].writes, regions[i].aborts);

	sgi_writes = random_sgis(&rng, SGI1R_WRITES, OTHER_SGI_WRITES);
	for (cpu = 1; cpu < up; cpu++) {
		if (wait_flag(&done[cpu]))
			sgi_writes += SGI1R_WRITES + 2 * OTHER_SGI_WRITES;
		else
			report_fail("cpu%u did not finish its random sgis within %u ms", cpu,
				    CPU_TIMEOUT_MS);
	}
	print_line("note %lu random sgi register writes (icc_sgi1r_el1, icc_asgi1r_el1,"
		   " icc_sgi0r_el1) from %u cpu(s)", sgi_writes, up);
	total_writes += sgi_writes;

	for (cpu = 0; cpu < up; cpu++) {
		aborts += ex[cpu].aborts;
		undefs += ex[cpu].undefs;
		irqs += ex[cpu].irqs;
		fiqs += ex[cpu].fiqs;
		serrors += ex[cpu].serrors;
	}
	if (aborts)
		print_line("note aborts: dfsc set 0x%x (bit n = dfsc 0x10+n), last esr=0x%lx"
			   " far=0x%lx", ex[0].dfsc_seen, ex[0].last_esr, ex[0].last_far);
	if (undefs || irqs || fiqs || serrors)
		print_line("note also taken: %lu undefined (sgi registers), %lu irqs, %lu fiqs,"
			   " %lu serrors", undefs, irqs, fiqs, serrors);

	good = GIC_PIDR2_ARCHREV(mmio_read32(gic.dist + GICD_PIDR2)) ==
	       GIC_PIDR2_ARCHREV(pidr2_before);
	if (good)
		report_ok("gicd_pidr2.archrev still %u", GIC_PIDR2_ARCHREV(pidr2_before));
	else
		report_fail("gicd_pidr2 was 0x%x, now 0x%x", pidr2_before,
			    mmio_read32(gic.dist + GICD_PIDR2));
	good = true;
	for (i = 0; i < nframes; i++) {
		u64 now = mmio_read64(frames[i] + GICR_TYPER);

		if (now != typer_before[i]) {
			report_fail("gicr frame %u gicr_typer was 0x%lx, now 0x%lx", i,
				    typer_before[i], now);
			good = false;
		}
	}
	if (good)
		report_ok("gicr_typer of all %u redistributors unchanged", nframes);
	if (code_checksum() == checksum)
		report_ok("guest code intact");
	else
		report_fail("guest code changed during the test");

	print_line("gichostile survived %lu writes, %lu aborts", total_writes, aborts);
	set_exception_hook(NULL);
}

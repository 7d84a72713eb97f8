/*
 * exceptions.c - the guest takes its own synchronous exceptions at EL1
 * (SVC, UDF, BRK) and checks ESR and ELR, then checks that SMCCC calls
 * with unknown function IDs return NOT_SUPPORTED over HVC (and over SMC
 * where that is safe, see smc_allowed()); then what the ID registers
 * advertise: the features vigil hides read as absent (with
 * cpufeat-strict), and every advertised one checked here (MTE, SVE,
 * pointer authentication, PMU, RAS) is usable without an exception
 * (want-mte: MTE must be advertised).
 */
#include "guest.h"

const char guest_name[] = "exceptions";

#define UNKNOWN_HVC_FID		0x86000000	/* SMCCC vendor-hyp service, fast, SMC32 */
#define UNKNOWN_SMC_FID		0xC2FFFF00	/* SMCCC SiP service, fast, SMC64 */

static void check_trap(const char *what, bool taken, const struct exception_record *rec,
		       u64 ec, u64 iss, u64 elr)
{
	if (!taken)
		report_fail("%s: no exception taken", what);
	else if (ESR_EC(rec->esr) != ec || ESR_ISS(rec->esr) != iss || rec->elr != elr)
		report_fail("%s expected ec=0x%lx iss=0x%lx elr=0x%lx got ec=0x%lx iss=0x%lx elr=0x%lx",
			    what, ec, iss, elr, ESR_EC(rec->esr), ESR_ISS(rec->esr), rec->elr);
	else
		report_ok("%s ec=0x%lx iss=0x%lx", what, ec, iss);
}

/* SVC returns to the instruction after it, so ELR = the label after it. */
static void test_svc(void)
{
	struct exception_record rec;
	u64 after_svc;
	bool taken;

	expect_exception();
	asm volatile("adr %0, 1f\n\tsvc #0x123\n1:" : "=r"(after_svc) : : "memory");
	taken = exception_taken(&rec);
	check_trap("svc #0x123", taken, &rec, EC_SVC64, 0x123, after_svc);
}

/* UDF and BRK report the instruction itself; the handler steps over it. */
static void test_udf(void)
{
	struct exception_record rec;
	u64 udf_at;
	bool taken;

	expect_exception();
	asm volatile("adr %0, 1f\n1:\tudf #0" : "=r"(udf_at) : : "memory");
	taken = exception_taken(&rec);
	check_trap("udf #0", taken, &rec, EC_UNKNOWN, 0, udf_at);
}

static void test_brk(void)
{
	struct exception_record rec;
	u64 brk_at;
	bool taken;

	expect_exception();
	asm volatile("adr %0, 1f\n1:\tbrk #0x7" : "=r"(brk_at) : : "memory");
	taken = exception_taken(&rec);
	check_trap("brk #0x7", taken, &rec, EC_BRK64, 0x7, brk_at);
}

/* An exception here (e.g. UNDEFINED HVC/SMC) is reported, not fatal. */
static void test_unknown_call(const char *what, enum smccc_conduit conduit, u32 fid)
{
	struct exception_record rec;
	u64 x0;

	expect_exception();
	x0 = smccc_call(conduit, fid, 0x1111, 0x2222, 0x3333);
	if (exception_taken(&rec))
		report_fail("%s: call raised an exception esr=0x%lx elr=0x%lx",
			    what, rec.esr, rec.elr);
	else
		check_ret(what, PSCI_NOT_SUPPORTED, (s32)x0);
}

/* ---- CPU features: what the ID registers advertise ----------------------- */

#define ID_FIELD(v, lsb)	(((v) >> (lsb)) & 0xf)
#define CPACR_ZEN		(3UL << 16)
#define CPACR_FPEN		(3UL << 20)
#define CPACR_SMEN		(3UL << 24)

/* One instruction between arming and checking; EC 0 = UNDEF. */
#define TRIES(...) ({							\
	struct exception_record r_;					\
	expect_exception();						\
	asm volatile(__VA_ARGS__);					\
	exception_taken(&r_) ? (long)ESR_EC(r_.esr) : -1L;		\
})
/* -1 if @what ran, else its exception class (0 = UNDEF) */
#define NO_EXCEPTION(what, ec) check_eq(what ": no exception (ec -1 = none)", (u64)-1L, (u64)(ec))

static volatile u64 tco_at_undef;

static inline void isb(void)
{
	asm volatile("isb" ::: "memory");
}

static bool record_tco(struct exception_frame *frame, u64 slot)
{
	(void)frame, (void)slot;
	tco_at_undef = read_sysreg(S3_3_C4_C2_7);	/* PSTATE.TCO */
	return false;					/* expect_exception() goes on */
}

/*
 * Hidden: what vigil masks to "not implemented" (arch/arm64/cpufeatures.c);
 * with cpufeat-strict (under vigil) each must read 0, otherwise a note.
 */
static void check_hidden(const char *name, u64 value)
{
	if (bootargs_has("cpufeat-strict"))
		check_eq(name, 0, value);
	else
		print_line("note %s = 0x%lx (not required absent without cpufeat-strict)", name,
			   value);
}

static void test_cpu_features(void)
{
	u64 pfr0 = read_sysreg(S3_0_C0_C4_0), pfr1 = read_sysreg(S3_0_C0_C4_1);
	u64 dfr0 = read_sysreg(S3_0_C0_C5_0), smfr0 = read_sysreg(S3_0_C0_C4_5);
	u64 isar1 = read_sysreg(S3_0_C0_C6_1), isar2 = read_sysreg(S3_0_C0_C6_2);
	u64 cpacr = read_sysreg(cpacr_el1), v = 0;
	unsigned mte = ID_FIELD(pfr1, 8), pmu = ID_FIELD(dfr0, 8);
	long ec;

	print_line("note id_aa64pfr0=0x%lx pfr1=0x%lx dfr0=0x%lx isar1=0x%lx isar2=0x%lx"
		   " zfr0=0x%lx smfr0=0x%lx", pfr0, pfr1, dfr0, isar1, isar2,
		   read_sysreg(S3_0_C0_C4_4), smfr0);

	check_hidden("id_aa64pfr0_el1.mpam", ID_FIELD(pfr0, 40));
	check_hidden("id_aa64pfr0_el1.amu", ID_FIELD(pfr0, 44));
	check_hidden("id_aa64pfr1_el1.mpam_frac", ID_FIELD(pfr1, 16));
	check_hidden("id_aa64pfr1_el1.sme", ID_FIELD(pfr1, 24));
	check_hidden("id_aa64pfr1_el1.nmi", ID_FIELD(pfr1, 36));
	check_hidden("id_aa64pfr1_el1.gcs", ID_FIELD(pfr1, 44));
	check_hidden("id_aa64smfr0_el1", smfr0);
	check_hidden("id_aa64dfr0_el1.tracever", ID_FIELD(dfr0, 4));
	check_hidden("id_aa64dfr0_el1.pmsver", ID_FIELD(dfr0, 32));
	check_hidden("id_aa64dfr0_el1.tracefilt", ID_FIELD(dfr0, 40));
	check_hidden("id_aa64dfr0_el1.tracebuffer", ID_FIELD(dfr0, 44));
	check_hidden("id_aa64dfr0_el1.brbe", ID_FIELD(dfr0, 52));

	/* SME hidden: even enabled at EL1, its instructions are UNDEFINED. */
	if (ID_FIELD(pfr1, 24) == 0) {
		if (mte >= 2) {
			write_sysreg(S3_3_C4_C2_7, 0);	/* TCO = 0 */
			set_exception_hook(record_tco);
		}
		write_sysreg(cpacr_el1, cpacr | CPACR_SMEN | CPACR_FPEN);
		isb();
		ec = TRIES(".inst 0x04bf5820" : : : "x0", "memory");	/* rdsvl x0, #1 */
		write_sysreg(cpacr_el1, cpacr);
		isb();
		set_exception_hook(NULL);
		if (bootargs_has("cpufeat-strict"))
			check_eq("sme not advertised: rdsvl (smen enabled) is undefined (ec)", 0,
				 (u64)ec);
		else
			print_line("note sme not advertised: rdsvl gave ec %ld", ec);
		if (mte >= 2 && ec == 0)
			check_eq("mte: pstate.tco set on entry to the undef handler",
				 1UL << 25, tco_at_undef);
	}

	/* MTE advertised: its registers and instructions work. */
	if (bootargs_has("want-mte"))
		check_true("mte advertised (id_aa64pfr1_el1.mte >= 2)", mte >= 2);
	if (mte >= 2) {
		NO_EXCEPTION("mte: write gcr_el1",
			     TRIES("msr S3_0_C1_C0_6, %0" : : "r"(1UL) : "memory"));
		NO_EXCEPTION("mte: read gcr_el1",
			     TRIES("mrs %0, S3_0_C1_C0_6" : "=r"(v) : : "memory"));
		check_eq("mte: gcr_el1 reads back", 1, v & 0x1ffff);
		NO_EXCEPTION("mte: write rgsr_el1",
			     TRIES("msr S3_0_C1_C0_5, %0" : : "r"(0x1200UL) : "memory"));
		NO_EXCEPTION("mte: read rgsr_el1",
			     TRIES("mrs %0, S3_0_C1_C0_5" : "=r"(v) : : "memory"));
		NO_EXCEPTION("mte: write tfsr_el1",
			     TRIES("msr S3_0_C5_C6_0, %0" : : "r"(0UL) : "memory"));
		NO_EXCEPTION("mte: read tfsr_el1",
			     TRIES("mrs %0, S3_0_C5_C6_0" : "=r"(v) : : "memory"));
		NO_EXCEPTION("mte: write tfsre0_el1",
			     TRIES("msr S3_0_C5_C6_1, %0" : : "r"(0UL) : "memory"));
		NO_EXCEPTION("mte: read tfsre0_el1",
			     TRIES("mrs %0, S3_0_C5_C6_1" : "=r"(v) : : "memory"));
	}
	if (mte >= 1)
		NO_EXCEPTION("mte: irg x0, x1",
			     TRIES("mov x1, #0x1000\n\t.inst 0x9adf1020" : : : "x0", "x1",
				   "memory"));
	else
		print_line("skip mte: not advertised");

	if (ID_FIELD(pfr0, 32)) {
		write_sysreg(cpacr_el1, cpacr | CPACR_ZEN | CPACR_FPEN);
		isb();
		ec = TRIES("mov x0, #0\n\t.inst 0x04bf5020\n\tmov %0, x0" : "=r"(v) : : "x0",
			   "memory");			/* rdvl x0, #1 */
		write_sysreg(cpacr_el1, cpacr);
		isb();
		NO_EXCEPTION("sve: rdvl", ec);
		check_true("sve: vector length at least 16 bytes", v >= 16);
	} else {
		print_line("skip sve: not advertised");
	}

	if (ID_FIELD(isar1, 4) || ID_FIELD(isar1, 8) || ID_FIELD(isar1, 24) ||
	    ID_FIELD(isar1, 28) || ID_FIELD(isar2, 8) || ID_FIELD(isar2, 12)) {
		NO_EXCEPTION("pauth: write apiakeylo_el1",
			     TRIES("msr S3_0_C2_C1_0, %0" : : "r"(0x1234UL) : "memory"));
		NO_EXCEPTION("pauth: read apiakeylo_el1",
			     TRIES("mrs %0, S3_0_C2_C1_0" : "=r"(v) : : "memory"));
		check_eq("pauth: apiakeylo_el1 reads back", 0x1234, v);
	} else {
		print_line("skip pauth: not advertised");
	}

	if (pmu != 0 && pmu != 0xf)
		NO_EXCEPTION("pmu: read pmcr_el0",
			     TRIES("mrs %0, pmcr_el0" : "=r"(v) : : "memory"));
	if (ID_FIELD(pfr0, 28))
		NO_EXCEPTION("ras: read erridr_el1",
			     TRIES("mrs %0, S3_0_C5_C3_0" : "=r"(v) : : "memory"));
	print_line("note debug: %lu breakpoints, %lu watchpoints", ID_FIELD(dfr0, 12) + 1,
		   ID_FIELD(dfr0, 20) + 1);
}

void guest_main(void)
{
	test_svc();
	test_udf();
	test_brk();
	test_unknown_call("hvc unknown function returns not_supported",
			  SMCCC_HVC, UNKNOWN_HVC_FID);

	print_line("psci method=%s", fdt_psci_method(guest_dtb));
	if (smc_allowed())
		test_unknown_call("smc unknown function returns not_supported",
				  SMCCC_SMC, UNKNOWN_SMC_FID);
	else
		print_line("skip smc");
	test_cpu_features();
}

/*
 * exceptions.c - the guest takes its own synchronous exceptions at EL1
 * (SVC, UDF, BRK) and checks ESR and ELR, then checks that SMCCC calls
 * with unknown function IDs return NOT_SUPPORTED over HVC (and over SMC
 * where that is safe, see smc_allowed()).
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
}

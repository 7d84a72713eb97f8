/*
 * serror.c - an SError taken from the guest comes back to it as a
 * virtual SError (HCR_EL2.VSE). QEMU's TCG raises no physical SError, so
 * vigil's test hook (VIGIL_HVC_TEST_SERROR, test_hooks = on) starts the
 * injection path a physical one takes, with a syndrome the guest then
 * checks. While PSTATE.A masks it the SError stays pending; unmasked, it
 * is taken at once (EC 0x2f, at the EL1h SError vector), exactly once.
 * With the bootargs flag "ras" (a CPU with FEAT_RAS) ESR_EL1.ISS must be
 * the syndrome given.
 */
#include "guest.h"

const char guest_name[] = "serror";

#define VIGIL_HVC_TEST_SERROR	0xC6000102U
#define SLOT_EL1H_SERROR	7
#define EC_SERROR		0x2f
#define TEST_ISS		0x1000123UL	/* IDS set, an IMPDEF value */

static volatile unsigned taken;
static volatile u64 taken_esr;

static bool serror_hook(struct exception_frame *frame, u64 slot)
{
	if (slot != SLOT_EL1H_SERROR)
		return false;
	taken++;
	taken_esr = frame->esr;
	return true;
}

void guest_main(void)
{
	u64 deadline;

	set_exception_hook(serror_hook);
	asm volatile("msr daifset, #4; isb" ::: "memory");
	check_eq("test hook returns", 0,
		 smccc_call(SMCCC_HVC, VIGIL_HVC_TEST_SERROR, TEST_ISS, 0, 0));
	deadline = deadline_after_ms(50);
	while (!deadline_passed(deadline))
		;
	check_eq("serror while masked: taken", 0, taken);

	asm volatile("msr daifclr, #4; isb" ::: "memory");
	deadline = deadline_after_ms(50);
	while (!taken && !deadline_passed(deadline))
		;
	asm volatile("msr daifset, #4; isb" ::: "memory");
	check_eq("serror after unmasking: taken", 1, taken);
	check_eq("serror esr_el1.ec", EC_SERROR, ESR_EC(taken_esr));
	if (bootargs_has("ras"))
		check_eq("serror esr_el1.iss (vsesr)", TEST_ISS,
			 ESR_ISS(taken_esr));
	report_ok("virtual serror taken once unmasked esr=0x%lx", taken_esr);

	/* Taken means gone: unmasking again takes nothing more. */
	asm volatile("msr daifclr, #4; isb" ::: "memory");
	deadline = deadline_after_ms(50);
	while (!deadline_passed(deadline))
		;
	asm volatile("msr daifset, #4; isb" ::: "memory");
	check_eq("serror taken in all", 1, taken);
	set_exception_hook(NULL);
}

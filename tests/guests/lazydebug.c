/*
 * lazydebug.c - uses the debug registers once, then leaves them alone.
 *
 * The guest programs hardware breakpoint 0 (OSLAR_EL1, DBGBVR0/DBGBCR0,
 * MDSCR_EL1), hits it once, turns everything off again and prints
 * "guest: lazydebug cleared".  Then it runs a counted loop of exactly
 * LOOP_ITERATIONS x LOOP_INSNS_PER_ITERATION instructions that touches no
 * debug register, with one HVC (PSCI_VERSION) every HVC_EVERY iterations
 * so the hypervisor sees exits throughout, and prints
 * "guest: lazydebug loop done".
 *
 * Under vigil, a test reads the vCPU's debug-trap counter before and
 * after the loop: a hypervisor that switches debug state lazily must stop
 * trapping (and stop saving/restoring) once the guest is done with it.
 * With bootargs "stop-after-clear" the guest powers off right after the
 * "cleared" line, which gives the "before" figures.
 */
#include "guest.h"

const char guest_name[] = "lazydebug";

#define STR_(x)			#x
#define STR(x)			STR_(x)

#define LOOP_ITERATIONS		25000000u
#define LOOP_INSNS_PER_ITERATION 4	/* add, eor, subs, b.ne */
#define HVC_EVERY		1000000u
#define HVC_ROUNDS		(LOOP_ITERATIONS / HVC_EVERY)

#define BCR_E			(1UL << 0)
#define BCR_PMC_EL1		(1UL << 1)
#define BCR_BAS_A64		(0xfUL << 5)
#define EC_BREAKPT_CUR		0x31
#define ESR_EC_SHIFT		26
#define ESR_IL			(1UL << 25)
#define ISS_DEBUG_FSC		0x22
#define BP_ESR			(((u64)EC_BREAKPT_CUR << ESR_EC_SHIFT) | ESR_IL | ISS_DEBUG_FSC)
#define TARGET_VALUE		0x42

/* The breakpoint target: returns TARGET_VALUE. */
asm(
"	.pushsection .text, \"ax\"\n"
"	.balign	4\n"
"	.global	lazy_bp_target\n"
"	.type	lazy_bp_target, %function\n"
"lazy_bp_target:\n"
"	mov	x0, #" STR(TARGET_VALUE) "\n"
"	ret\n"
"	.popsection\n");
u64 lazy_bp_target(void);

static volatile u32 bp_hits;
static volatile u64 bp_esr, bp_elr;

/*
 * The breakpoint comes before the instruction executes: resume at ELR
 * with PSTATE.D set so that it runs once; the caller masks D anyway.
 */
static bool breakpoint_hook(struct exception_frame *frame, u64 slot)
{
	if (slot != SLOT_EL1H_SYNC || ESR_EC(frame->esr) != EC_BREAKPT_CUR)
		return false;
	bp_hits++;
	bp_esr = frame->esr;
	bp_elr = frame->elr;
	frame->spsr |= SPSR_D;
	return true;
}

static void hit_breakpoint_once(void)
{
	u64 ret;

	set_exception_hook(breakpoint_hook);
	write_sysreg(oslar_el1, 0);
	write_sysreg(dbgbvr0_el1, (u64)lazy_bp_target);
	write_sysreg(dbgbcr0_el1, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	asm volatile("isb; msr daifclr, #" STR(DAIF_IMM_D) : : : "memory");
	ret = lazy_bp_target();
	asm volatile("msr daifset, #" STR(DAIF_IMM_D) : : : "memory");

	if (bp_hits == 1 && bp_esr == BP_ESR && bp_elr == (u64)lazy_bp_target &&
	    ret == TARGET_VALUE)
		report_ok("breakpoint 0 hit once, esr=0x%lx elr exact", BP_ESR);
	else
		report_fail("breakpoint 0: expected 1 hit esr=0x%lx elr=0x%lx result 0x%x,"
			    " got %u hits esr=0x%lx elr=0x%lx result 0x%lx", BP_ESR,
			    (u64)lazy_bp_target, TARGET_VALUE, bp_hits, bp_esr, bp_elr, ret);

	/* Off again; DBGBVR0 may keep its value, nothing is enabled. */
	write_sysreg(dbgbcr0_el1, 0);
	write_sysreg(mdscr_el1, 0);
	asm volatile("isb" : : : "memory");
	set_exception_hook(NULL);	/* any debug exception from here is fatal */
}

/* Exactly @iterations x LOOP_INSNS_PER_ITERATION instructions; returns the count. */
static u64 counted_loop(u64 count, u32 iterations)
{
	u64 left = iterations, mix = 0;

	asm volatile(
	"1:	add	%[count], %[count], #1\n"
	"	eor	%[mix], %[mix], %[count]\n"
	"	subs	%[left], %[left], #1\n"
	"	b.ne	1b\n"
	: [count] "+r"(count), [mix] "+r"(mix), [left] "+r"(left));
	return count;
}

void guest_main(void)
{
	s32 version = psci_version(), v;
	u32 hvc_mismatches = 0;
	u64 count = 0;

	hit_breakpoint_once();
	print_line("lazydebug cleared");
	if (bootargs_has("stop-after-clear"))
		return;

	for (u32 round = 0; round < HVC_ROUNDS; round++) {
		count = counted_loop(count, HVC_EVERY);
		v = psci_version();
		if (v != version)
			hvc_mismatches++;
	}

	if (count == LOOP_ITERATIONS && hvc_mismatches == 0)
		report_ok("loop ran %u iterations x %u instructions, %u hvc psci_version exits",
			  LOOP_ITERATIONS, LOOP_INSNS_PER_ITERATION, HVC_ROUNDS);
	else
		report_fail("loop: expected %u iterations got %lu; %u of %u psci_version calls"
			    " differed from 0x%x", LOOP_ITERATIONS, count, hvc_mismatches,
			    HVC_ROUNDS, version);
	print_line("lazydebug loop done");
}

/*
 * exceptions.c - the C side of the EL1 vectors: expected exceptions are
 * recorded and stepped over, anything else is a fatal test failure.
 */
#include "guest.h"

_Static_assert(sizeof(struct exception_frame) == EXCEPTION_FRAME_SIZE,
	       "start.S and struct exception_frame disagree");

/* Per CPU, indexed by this_cpu(): a guest tests its own exceptions. */
static struct {
	volatile u32 armed;
	volatile u32 taken;
	struct exception_record record;
} expected[MAX_CPUS];

/* Set while a CPU reports a fatal exception, to catch one inside that. */
static volatile u32 in_fatal[MAX_CPUS];

/* Per CPU; set at run time, so the image holds no address (guest.h). */
static exception_hook_t hooks[MAX_CPUS];

void set_exception_hook(exception_hook_t hook)
{
	hooks[this_cpu()] = hook;
}

void expect_exception(void)
{
	expected[this_cpu()].taken = 0;
	expected[this_cpu()].armed = 1;
}

bool exception_taken(struct exception_record *rec)
{
	unsigned cpu = this_cpu();

	expected[cpu].armed = 0;
	if (expected[cpu].taken && rec)
		*rec = expected[cpu].record;
	return expected[cpu].taken;
}

/*
 * SVC, HVC and SMC exceptions already return past the instruction; for
 * every other synchronous exception ELR points at the culprit.
 */
static bool elr_is_past_instruction(u64 esr)
{
	u64 ec = ESR_EC(esr);

	return ec == EC_SVC64 || ec == EC_HVC64 || ec == EC_SMC64;
}

static void __noreturn fatal_exception(const struct exception_frame *frame, u64 slot)
{
	unsigned cpu = this_cpu();

	if (in_fatal[cpu]) {		/* faulted while reporting: just stop */
		psci_system_off();
		park();
	}
	in_fatal[cpu] = 1;
	console_unlock_if_owner();
	report_fail("unexpected exception esr=0x%lx elr=0x%lx far=0x%lx cpu=%u vector=%lu",
		    frame->esr, frame->elr, frame->far, cpu, slot);
	guest_finish();
}

/* Called from exception_common in start.S. */
void handle_exception(struct exception_frame *frame, u64 slot)
{
	unsigned cpu = this_cpu();

	if (hooks[cpu] && hooks[cpu](frame, slot))
		return;
	if (slot != SLOT_EL1H_SYNC || !expected[cpu].armed)
		fatal_exception(frame, slot);

	expected[cpu].armed = 0;
	expected[cpu].record.esr = frame->esr;
	expected[cpu].record.far = frame->far;
	expected[cpu].record.elr = frame->elr;
	expected[cpu].taken = 1;
	if (!elr_is_past_instruction(frame->esr))
		frame->elr += 4;	/* every A64 instruction is 4 bytes */
}

/* The load/store is the only instruction between arming and checking, so
 * a fault is necessarily this access; the handler steps over it. */
/*
 * Loads and stores that may fault, one per access size (the size is the
 * device's register width: a wider or narrower access is another access).
 */
#define PROBE_ACCESSORS(bits, type, ld, st, reg)                             \
	bool probe_read##bits(u64 addr, type *value,                         \
			      struct exception_record *rec)                  \
	{                                                                    \
		u64 v = 0;                                                   \
                                                                             \
		expect_exception();                                          \
		asm volatile(ld " %" reg "0, [%1]"                           \
			     : "+r"(v)                                       \
			     : "r"(addr)                                     \
			     : "memory");                                    \
		*value = (type)v;                                            \
		return exception_taken(rec);                                 \
	}                                                                    \
	bool probe_write##bits(u64 addr, type value,                         \
			       struct exception_record *rec)                 \
	{                                                                    \
		expect_exception();                                          \
		asm volatile(st " %" reg "0, [%1]"                           \
			     :                                               \
			     : "r"((u64)value), "r"(addr)                    \
			     : "memory");                                    \
		return exception_taken(rec);                                 \
	}

PROBE_ACCESSORS(8, u8, "ldrb", "strb", "w")
PROBE_ACCESSORS(16, u16, "ldrh", "strh", "w")
PROBE_ACCESSORS(32, u32, "ldr", "str", "w")
PROBE_ACCESSORS(64, u64, "ldr", "str", "")

/*
 * debug.c - the guest's own use of the AArch64 self-hosted debug
 * architecture, with every debug exception taken from EL1 or EL0 to EL1:
 * BRK, hardware breakpoints and watchpoints at every implemented index,
 * software step, the OS lock, linked context-ID breakpoints and
 * watchpoints, the MDSCR_EL1.MDE/KDE and PSTATE.D rules at EL1 and EL0,
 * debug register read-back (and UNDEFINED beyond the implemented ones),
 * per-CPU independence, and debug state that survives hypervisor exits.
 * The semantics follow Linux's KVM selftest aarch64/debug-exceptions.c.
 *
 * Every check is exact: hit counts, ESR (whole value), ELR, FAR, and the
 * memory contents seen when a watchpoint fires.  The suite runs on the
 * boot CPU, then on CPU 1 (if the DTB has one) with its own registers.
 *
 * Bootargs flags:
 *   oslock-strict  hardware breakpoints, watchpoints and software step
 *                  that fire while the OS lock is set are failures.  QEMU
 *                  7.2 ignores the OS lock for them (its check reads
 *                  OSLSR_EL1 bit 0, OSLM[0], where OSLK is bit 1), so by
 *                  default they are notes.
 */
#include "guest.h"

const char guest_name[] = "debug";

#define STR_(x)			#x
#define STR(x)			STR_(x)

/* ---- Register fields ----------------------------------------------------- */

/* ID_AA64DFR0_EL1: 4-bit fields; the three counts are "number minus one". */
#define DFR0_DEBUGVER_SHIFT	0
#define DFR0_BRPS_SHIFT		12
#define DFR0_WRPS_SHIFT		20
#define DFR0_CTX_CMPS_SHIFT	28
#define DFR0_FIELD_MASK		0xfUL

#define MDSCR_TDCC		(1UL << 12)
#define MDSCR_TESTED_BITS	(MDSCR_SS | MDSCR_TDCC | MDSCR_KDE | MDSCR_MDE)

#define OSLAR_OSLK		1UL
#define OSLSR_OSLK		(1UL << 1)

/* DBGBCR<n>_EL1 */
#define BCR_E			(1UL << 0)
#define BCR_PMC_EL1		(1UL << 1)
#define BCR_PMC_EL0		(2UL << 1)
#define BCR_PMC_EL1_EL0		(3UL << 1)
#define BCR_BAS_A64		(0xfUL << 5)	/* the only value for A64 code */
#define BCR_LBN(n)		((u64)(n) << 16)
#define BCR_BT_ADDR		(0UL << 20)	/* unlinked address match */
#define BCR_BT_ADDR_LINKED	(1UL << 20)	/* address match, linked */
#define BCR_BT_CTX_LINKED	(3UL << 20)	/* linked context ID match */
/* BT[23:20] LBN[19:16] SSC[15:14] HMC[13] BAS[8:5] PMC[2:1] E[0] */
#define BCR_FIELDS		0x00ffe1e7UL

/* DBGWCR<n>_EL1 */
#define WCR_E			(1UL << 0)
#define WCR_PAC_EL1		(1UL << 1)
#define WCR_PAC_EL0		(2UL << 1)
#define WCR_PAC_EL1_EL0		(3UL << 1)
#define WCR_LSC_LOAD		(1UL << 3)
#define WCR_LSC_STORE		(2UL << 3)
#define WCR_LSC_ANY		(3UL << 3)
#define WCR_BAS(bytes)		((u64)(bytes) << 5)	/* one bit per byte */
#define WCR_BAS_ALL		WCR_BAS(0xff)
#define WCR_LBN(n)		((u64)(n) << 16)
#define WCR_WT_LINKED		(1UL << 20)
#define WCR_MASK(bits)		((u64)(bits) << 24)	/* 2^bits-byte range */
/* MASK[28:24] WT[20] LBN[19:16] SSC[15:14] HMC[13] BAS[12:5] LSC[4:3] PAC[2:1] E[0] */
#define WCR_FIELDS		0x1f1fffffUL

/* SPSR_EL1 / PSTATE */
#define SPSR_ALL_MASKED		(SPSR_D | SPSR_A | SPSR_I | SPSR_F)

/* ESR_EL1 */
#define ESR_EC_SHIFT		26
#define ESR_IL			(1UL << 25)
#define EC_BREAKPT_LOW		0x30
#define EC_BREAKPT_CUR		0x31
#define EC_SOFTSTP_LOW		0x32
#define EC_SOFTSTP_CUR		0x33
#define EC_WATCHPT_LOW		0x34
#define EC_WATCHPT_CUR		0x35
#define ISS_DEBUG_FSC		0x22		/* IFSC/DFSC "debug exception" */
#define ISS_WP_WNR		(1UL << 6)
#define ISS_SS_EX		(1UL << 6)	/* stepped a load-exclusive */
#define ISS_SS_ISV		(1UL << 24)	/* EX is valid */
#define ESR_OF(ec, iss)		(((u64)(ec) << ESR_EC_SHIFT) | ESR_IL | (iss))

/* ---- Test constants ------------------------------------------------------ */

#define MAX_DEBUG_REGS		16	/* encodings DBG{B,W}{V,C}R0..15 */
#define REG_TABLE_ENTRY_SIZE	8	/* mrs/msr + ret */
#define MAX_LOGGED_HITS		8
#define STEP_LIMIT		32	/* a runaway step stops here */
#define EL0_EXIT_SVC_IMM	0xe0	/* svc from EL0: back to EL1 */
#define BP_TARGET_FIRST		0xb7	/* bp_target: mov, then add 1 */
#define BP_TARGET_RESULT	(BP_TARGET_FIRST + 1)
#define BP_SVC_IMM		0x5c
#define BP_BRK_IMM		0xb0
#define WATCH_INITIAL		0x1111111111111111UL
#define WATCH_FIRST		0x2222222222222220UL
#define WATCH_LANES		0x3c	/* BAS bytes 2..5 */
#define CONTEXT_ID_BASE		0x7e570000UL
#define CONTEXT_ID_OTHER	0x1000UL	/* xor: a non-matching ID */
#define EXIT_ROUNDS		1000	/* HVCs in the "state survives" tests */
#define SMP_TIMEOUT_MS		20000
#define EL0_STACK_BYTES		256

/* Read-back patterns: valid sign-extended VAs, bits [1:0] clear. */
#define VR_PATTERN_LOW		0x00005a5a5a5a5a58UL
#define VR_PATTERN_HIGH		0xffffa5a5a5a5a5a4UL

/* ---- Assembly: test code with known addresses, register tables --------- */

/*
 * Indexed access to DBGBVR/BCR/WVR/WCR<n>_EL1: one "mrs x0 / msr x0; ret"
 * pair per n, 8 bytes apart, so C calls entry n of a table.  This also
 * gives an exact ELR for the UNDEFINED checks of unimplemented indices.
 * The eight tables follow each other in enum debug_reg order, reads
 * first: C finds an entry by arithmetic from debug_reg_tables (a switch
 * over table addresses would become a table of addresses in .rodata).
 *
 * bp_target is what breakpoints stop on; watch_sequence does 3 stores and
 * 2 loads, each followed by "msr daifclr" since a same-EL watchpoint
 * resumes with PSTATE.D set (see debug_exception_hook).  The step_*
 * sequences are stepped one instruction at a time; each *_end label is
 * where the hook stops stepping.  The el0_* code runs at EL0 and comes
 * back to EL1 with "svc #EL0_EXIT_SVC_IMM".
 */
asm(
"	.pushsection .text, \"ax\"\n"
"	.macro	debug_reg_entry reg, n, op\n"
"	.ifc	\\op, read\n"
"	mrs	x0, \\reg\\n\\()_el1\n"
"	.else\n"
"	msr	\\reg\\n\\()_el1, x0\n"
"	.endif\n"
"	ret\n"
"	.endm\n"
"	.macro	debug_reg_table name, reg, op\n"
"	.balign	8\n"
"	.global	\\name\n"
"	.type	\\name, %function\n"
"\\name:\n"
"	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n"
"	debug_reg_entry \\reg, \\n, \\op\n"
"	.endr\n"
"	.endm\n"
"	.balign	8\n"
"	.global	debug_reg_tables\n"
"debug_reg_tables:\n"
"	debug_reg_table dbgbvr_read_table, dbgbvr, read\n"
"	debug_reg_table dbgbcr_read_table, dbgbcr, read\n"
"	debug_reg_table dbgwvr_read_table, dbgwvr, read\n"
"	debug_reg_table dbgwcr_read_table, dbgwcr, read\n"
"	debug_reg_table dbgbvr_write_table, dbgbvr, write\n"
"	debug_reg_table dbgbcr_write_table, dbgbcr, write\n"
"	debug_reg_table dbgwvr_write_table, dbgwvr, write\n"
"	debug_reg_table dbgwcr_write_table, dbgwcr, write\n"

"	.balign	4\n"
"	.global	bp_target, bp_target_second\n"
"	.type	bp_target, %function\n"
"bp_target:\n"
"	mov	x0, #" STR(BP_TARGET_FIRST) "\n"
"bp_target_second:\n"
"	add	x0, x0, #1\n"
"	ret\n"

"	.global	bp_on_svc, bp_svc_insn\n"
"	.type	bp_on_svc, %function\n"
"bp_on_svc:\n"
"bp_svc_insn:\n"
"	svc	#" STR(BP_SVC_IMM) "\n"
"	ret\n"

"	.global	bp_on_brk, bp_brk_insn\n"
"	.type	bp_on_brk, %function\n"
"bp_on_brk:\n"
"bp_brk_insn:\n"
"	brk	#" STR(BP_BRK_IMM) "\n"
"	ret\n"

/* u64 watch_sequence(volatile u64 *var, u64 first) */
"	.global	watch_sequence, watch_store_1, watch_store_2, watch_store_3\n"
"	.global	watch_load_1, watch_load_2\n"
"	.type	watch_sequence, %function\n"
"watch_sequence:\n"
"	mov	x2, x1\n"
"watch_store_1:\n"
"	str	x2, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"	add	x2, x2, #1\n"
"watch_store_2:\n"
"	str	x2, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"	add	x2, x2, #1\n"
"watch_store_3:\n"
"	str	x2, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"watch_load_1:\n"
"	ldr	x3, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"watch_load_2:\n"
"	ldr	x4, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"	add	x0, x3, x4\n"
"	ret\n"

/* void watch_store_byte(volatile u8 *p, u64 value) */
"	.global	watch_store_byte, watch_byte_insn\n"
"	.type	watch_store_byte, %function\n"
"watch_store_byte:\n"
"watch_byte_insn:\n"
"	strb	w1, [x0]\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"	ret\n"

/* u64 step_straight(u64 x): returns x + 3 */
"	.global	step_straight, step_straight_end\n"
"	.type	step_straight, %function\n"
"step_straight:\n"
"	nop\n"
"	add	x0, x0, #1\n"
"	add	x0, x0, #2\n"
"step_straight_end:\n"
"	ret\n"

/* u64 step_exclusive(u64 *p): the second instruction is a load-exclusive */
"	.global	step_exclusive, step_exclusive_end\n"
"	.type	step_exclusive, %function\n"
"step_exclusive:\n"
"	nop\n"
"	ldxr	x1, [x0]\n"
"	clrex\n"
"step_exclusive_end:\n"
"	mov	x0, x1\n"
"	ret\n"

/*
 * void step_active_pending(void), called with MDSCR_EL1.SS and KDE set,
 * PSTATE.D set and PSTATE.SS clear: unmasking D makes the step state
 * machine active-pending, so a step exception comes before step_ap_first
 * without any instruction stepped (ISV = 0), as in KVM's test.
 */
"	.global	step_active_pending, step_ap_first, step_ap_end\n"
"	.type	step_active_pending, %function\n"
"step_active_pending:\n"
"	msr	daifclr, #" STR(DAIF_IMM_D) "\n"
"step_ap_first:\n"
"	nop\n"
"	nop\n"
"step_ap_end:\n"
"	msr	daifset, #" STR(DAIF_IMM_D) "\n"
"	ret\n"

/* EL0: x0 = var, x1 = value; stores, loads back, returns value + 1. */
"	.global	el0_access, el0_store_insn, el0_load_insn, el0_bp_insn\n"
"	.type	el0_access, %function\n"
"el0_access:\n"
"el0_store_insn:\n"
"	str	x1, [x0]\n"
"el0_load_insn:\n"
"	ldr	x0, [x0]\n"
"el0_bp_insn:\n"
"	add	x0, x0, #1\n"
"	svc	#" STR(EL0_EXIT_SVC_IMM) "\n"

/* EL0: x0 = value; returns value + 3, stepped like step_straight. */
"	.global	el0_step, el0_step_end\n"
"	.type	el0_step, %function\n"
"el0_step:\n"
"	nop\n"
"	add	x0, x0, #1\n"
"	add	x0, x0, #2\n"
"el0_step_end:\n"
"	svc	#" STR(EL0_EXIT_SVC_IMM) "\n"
"	.popsection\n");

extern char debug_reg_tables[];
u64 bp_target(void);
u64 bp_on_svc(void);
u64 bp_on_brk(void);
u64 watch_sequence(volatile u64 *var, u64 first);
void watch_store_byte(volatile u8 *p, u64 value);
u64 step_straight(u64 x);
u64 step_exclusive(u64 *p);
void step_active_pending(void);
u64 el0_access(u64 var, u64 value);
u64 el0_step(u64 x);
extern char bp_target_second[], bp_svc_insn[], bp_brk_insn[];
extern char watch_store_1[], watch_store_2[], watch_store_3[];
extern char watch_load_1[], watch_load_2[], watch_byte_insn[];
extern char step_straight_end[], step_exclusive_end[], step_ap_first[], step_ap_end[];
extern char el0_store_insn[], el0_load_insn[], el0_bp_insn[];
extern char el0_step_end[];

/* ---- System registers (read_sysreg/write_sysreg: guest.h) --------------- */

static inline void isb(void)
{
	asm volatile("isb" : : : "memory");
}

static inline void debug_mask(void)
{
	asm volatile("msr daifset, #" STR(DAIF_IMM_D) : : : "memory");
}

static inline void debug_unmask(void)
{
	asm volatile("msr daifclr, #" STR(DAIF_IMM_D) : : : "memory");
}

/* In the order of the tables in debug_reg_tables. */
enum debug_reg { DBGBVR, DBGBCR, DBGWVR, DBGWCR, DEBUG_REG_KINDS };

/* One string, no table of pointers: names are DEBUG_REG_NAME_SIZE apart. */
#define DEBUG_REG_NAMES		"dbgbvr\0dbgbcr\0dbgwvr\0dbgwcr"
#define DEBUG_REG_NAME_SIZE	7

static const char *debug_reg_name(enum debug_reg reg)
{
	return DEBUG_REG_NAMES + reg * DEBUG_REG_NAME_SIZE;
}

/* Entry @n of the read or write table of @reg. */
static char *debug_reg_entry(enum debug_reg reg, bool write, unsigned n)
{
	unsigned table = (write ? DEBUG_REG_KINDS : 0) + reg;

	return debug_reg_tables + (table * MAX_DEBUG_REGS + n) * REG_TABLE_ENTRY_SIZE;
}

static u64 debug_reg_read(enum debug_reg reg, unsigned n)
{
	u64 (*read)(void) = (u64 (*)(void))(void *)debug_reg_entry(reg, false, n);

	return read();
}

static void debug_reg_write(enum debug_reg reg, unsigned n, u64 value)
{
	void (*write)(u64) = (void (*)(u64))(void *)debug_reg_entry(reg, true, n);

	write(value);
}

struct debug_caps {
	u64 dfr0;
	unsigned brps, wrps, ctx_cmps, debugver;
};

static void read_debug_caps(struct debug_caps *caps)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);

	caps->dfr0 = dfr0;
	caps->debugver = (dfr0 >> DFR0_DEBUGVER_SHIFT) & DFR0_FIELD_MASK;
	caps->brps = ((dfr0 >> DFR0_BRPS_SHIFT) & DFR0_FIELD_MASK) + 1;
	caps->wrps = ((dfr0 >> DFR0_WRPS_SHIFT) & DFR0_FIELD_MASK) + 1;
	caps->ctx_cmps = ((dfr0 >> DFR0_CTX_CMPS_SHIFT) & DFR0_FIELD_MASK) + 1;
}

static unsigned debug_reg_count(const struct debug_caps *caps, enum debug_reg reg)
{
	return reg == DBGBVR || reg == DBGBCR ? caps->brps : caps->wrps;
}

/* The context-aware breakpoints are the highest-numbered ones. */
static unsigned first_ctx_bp(const struct debug_caps *caps)
{
	return caps->brps - caps->ctx_cmps;
}

static void set_bp(unsigned n, u64 bcr, u64 bvr)
{
	debug_reg_write(DBGBVR, n, bvr);
	debug_reg_write(DBGBCR, n, bcr);
	isb();
}

static void set_wp(unsigned n, u64 wcr, u64 wvr)
{
	debug_reg_write(DBGWVR, n, wvr);
	debug_reg_write(DBGWCR, n, wcr);
	isb();
}

static void set_mdscr(u64 value)
{
	write_sysreg(mdscr_el1, value);
	isb();
}

static void set_os_lock(bool locked)
{
	write_sysreg(oslar_el1, locked ? OSLAR_OSLK : 0);
	isb();
}

static bool os_locked(void)
{
	return read_sysreg(oslsr_el1) & OSLSR_OSLK;
}

/* ---- The exception hook and its per-CPU log ------------------------------ */

struct debug_hit {
	u64 esr, elr, far;
	u64 watched;		/* watchpoints: the doubleword at FAR on entry */
};

static struct hit_log {
	volatile u32 count;
	volatile u64 step_stop_elr;	/* stepping stops at this ELR */
	volatile struct debug_hit hit[MAX_LOGGED_HITS];
} hit_logs[MAX_CPUS];

static volatile struct hit_log *my_log(void)
{
	return &hit_logs[this_cpu()];
}

static void hits_reset(u64 step_stop_elr)
{
	volatile struct hit_log *log = my_log();

	log->count = 0;
	log->step_stop_elr = step_stop_elr;
}

static bool is_debug_ec(u64 ec)
{
	return ec >= EC_BREAKPT_LOW && ec <= EC_WATCHPT_CUR;
}

/* Clears E (bit 0 in both DBGBCR and DBGWCR) in every implemented one. */
static void disable_all(enum debug_reg control, unsigned dfr0_count_shift)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned count = ((dfr0 >> dfr0_count_shift) & DFR0_FIELD_MASK) + 1;

	for (unsigned n = 0; n < count; n++)
		debug_reg_write(control, n, debug_reg_read(control, n) & ~BCR_E);
}

/*
 * Breakpoint and watchpoint exceptions come before the instruction
 * executes, so resuming at ELR re-executes it: from EL1 the hook resumes
 * with PSTATE.D set, which lets the instruction complete once and leaves
 * the registers as programmed (the test code unmasks D again, as KVM's
 * test does).  PSTATE.D does not mask debug exceptions from EL0, so for
 * those the hook disables every breakpoint (or watchpoint) instead.
 * Software step continues with SPSR.SS set until ELR reaches the stop
 * address, where it clears MDSCR_EL1.SS.  An SVC from EL0 with
 * EL0_EXIT_SVC_IMM ends run_with_pstate().  Everything else (BRK, UNDEF,
 * SVC from EL1) goes to the usual expect_exception() handling.
 */
static bool debug_exception_hook(struct exception_frame *frame, u64 slot)
{
	volatile struct hit_log *log = my_log();
	u64 ec = ESR_EC(frame->esr);
	u32 i;

	if (slot == SLOT_EL0_64_SYNC && ec == EC_SVC64 &&
	    ESR_ISS(frame->esr) == EL0_EXIT_SVC_IMM) {
		frame->elr = (u64)eret_return;
		frame->spsr = SPSR_M_EL1H | SPSR_ALL_MASKED;
		return true;
	}
	if (!is_debug_ec(ec) || (slot != SLOT_EL1H_SYNC && slot != SLOT_EL0_64_SYNC))
		return false;

	i = log->count++;
	if (i < MAX_LOGGED_HITS) {
		log->hit[i].esr = frame->esr;
		log->hit[i].elr = frame->elr;
		log->hit[i].far = frame->far;
		log->hit[i].watched = 0;
		/* Read the watched data only where it can be: inside the image. */
		if ((ec == EC_WATCHPT_CUR || ec == EC_WATCHPT_LOW) &&
		    frame->far >= (u64)_image_start && frame->far < (u64)_image_end)
			log->hit[i].watched = *(volatile u64 *)(frame->far & ~7UL);
	}

	switch (ec) {
	case EC_BREAKPT_CUR:
	case EC_WATCHPT_CUR:
		frame->spsr |= SPSR_D;
		break;
	case EC_BREAKPT_LOW:
		disable_all(DBGBCR, DFR0_BRPS_SHIFT);
		break;
	case EC_WATCHPT_LOW:
		disable_all(DBGWCR, DFR0_WRPS_SHIFT);
		break;
	default:	/* software step, either EL */
		if (frame->elr == log->step_stop_elr || log->count >= STEP_LIMIT)
			write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
		else
			frame->spsr |= SPSR_SS;
		break;
	}
	return true;
}

/* ---- Checking ------------------------------------------------------------- */

/* A check's name, built from text and numbers (there is no sprintf). */
struct what {
	char text[80];
	unsigned len;
};

static struct what *what_add(struct what *w, const char *s)
{
	while (*s && w->len < sizeof(w->text) - 1)
		w->text[w->len++] = *s++;
	w->text[w->len] = '\0';
	return w;
}

static struct what *what_num(struct what *w, unsigned n)
{
	char digits[10];
	unsigned i = 0;

	do {
		digits[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n && i < sizeof(digits));
	while (i && w->len < sizeof(w->text) - 1)
		w->text[w->len++] = digits[--i];
	w->text[w->len] = '\0';
	return w;
}

/* "<before><n><after>" */
static const char *what_n(struct what *w, const char *before, unsigned n, const char *after)
{
	w->len = 0;
	what_add(w, before);
	what_num(w, n);
	return what_add(w, after)->text;
}

struct expected_hit {
	u64 esr, elr, far, watched;
	bool check_far, check_watched;
};

static struct expected_hit bp_hit(u64 ec, u64 elr)
{
	struct expected_hit e = { .esr = ESR_OF(ec, ISS_DEBUG_FSC), .elr = elr };

	return e;
}

static struct expected_hit wp_hit(u64 ec, u64 elr, u64 far, bool write, u64 watched)
{
	struct expected_hit e = {
		.esr = ESR_OF(ec, ISS_DEBUG_FSC | (write ? ISS_WP_WNR : 0)),
		.elr = elr, .far = far, .watched = watched,
		.check_far = true, .check_watched = true,
	};

	return e;
}

static struct expected_hit step_hit(u64 ec, u64 elr, bool isv, bool ex)
{
	struct expected_hit e = {
		.esr = ESR_OF(ec, ISS_DEBUG_FSC | (isv ? ISS_SS_ISV : 0) | (ex ? ISS_SS_EX : 0)),
		.elr = elr,
	};

	return e;
}

/* Compares this CPU's hit log with @exp[0..n); prints a FAIL line if not. */
/* Index of the first logged hit that differs from @exp[i], or @n if none. */
static unsigned first_unexpected_hit(const struct expected_hit *exp, unsigned n)
{
	volatile struct hit_log *log = my_log();

	for (unsigned i = 0; i < n && i < MAX_LOGGED_HITS; i++) {
		volatile struct debug_hit *h = &log->hit[i];

		if (h->esr != exp[i].esr || h->elr != exp[i].elr ||
		    (exp[i].check_far && h->far != exp[i].far) ||
		    (exp[i].check_watched && h->watched != exp[i].watched))
			return i;
	}
	return n;
}

static bool hits_match(const char *what, const struct expected_hit *exp, unsigned n)
{
	volatile struct hit_log *log = my_log();
	unsigned cpu = this_cpu(), got = log->count, i;
	volatile struct debug_hit *h;

	if (got != n) {
		if (got)
			report_fail("cpu%u %s: expected %u debug exceptions got %u"
				    " (first esr=0x%lx elr=0x%lx far=0x%lx)", cpu, what, n, got,
				    log->hit[0].esr, log->hit[0].elr, log->hit[0].far);
		else
			report_fail("cpu%u %s: expected %u debug exceptions got 0", cpu, what, n);
		return false;
	}
	i = first_unexpected_hit(exp, n);
	if (i == n)
		return true;
	h = &log->hit[i];
	report_fail("cpu%u %s: exception %u expected esr=0x%lx elr=0x%lx far=0x%lx data=0x%lx"
		    " got esr=0x%lx elr=0x%lx far=0x%lx data=0x%lx", cpu, what, i, exp[i].esr,
		    exp[i].elr, exp[i].far, exp[i].watched, h->esr, h->elr, h->far, h->watched);
	return false;
}

static bool no_hits(const char *what)
{
	return hits_match(what, NULL, 0);
}

static bool value_matches(const char *what, u64 expected, u64 got)
{
	if (expected != got)
		report_fail("cpu%u %s expected 0x%lx got 0x%lx", this_cpu(), what, expected, got);
	return expected == got;
}

/* An exception the usual handler recorded (BRK, SVC, UNDEF), checked exactly. */
static bool trap_matches(const char *what, u64 esr, u64 elr)
{
	struct exception_record rec;

	if (!exception_taken(&rec)) {
		report_fail("cpu%u %s: no exception taken", this_cpu(), what);
		return false;
	}
	if (rec.esr != esr || rec.elr != elr) {
		report_fail("cpu%u %s expected esr=0x%lx elr=0x%lx got esr=0x%lx elr=0x%lx",
			    this_cpu(), what, esr, elr, rec.esr, rec.elr);
		return false;
	}
	return true;
}

/* ---- Per-CPU test data ----------------------------------------------------- */

static volatile u64 watched_vars[MAX_CPUS];
static u64 exclusive_vars[MAX_CPUS];
static u64 el0_stacks[MAX_CPUS][EL0_STACK_BYTES / 8] __attribute__((aligned(16)));

static volatile u64 *my_watched_var(void)
{
	return &watched_vars[this_cpu()];
}

static u64 el0_stack_top(void)
{
	return (u64)&el0_stacks[this_cpu()][EL0_STACK_BYTES / 8];
}

/* Everything off and zero, OS lock clear; PSTATE.D left set. */
static void reset_debug_state(const struct debug_caps *caps)
{
	debug_mask();
	set_mdscr(0);
	for (unsigned n = 0; n < caps->brps; n++)
		set_bp(n, 0, 0);
	for (unsigned n = 0; n < caps->wrps; n++)
		set_wp(n, 0, 0);
	write_sysreg(contextidr_el1, 0);
	set_os_lock(false);
	hits_reset(0);
}

/* Calls @fn with debug exceptions unmasked at EL1. */
static u64 call_debug_enabled(u64 (*fn)(void))
{
	u64 ret;

	debug_unmask();
	ret = fn();
	debug_mask();	/* a breakpoint hit leaves D set; be explicit either way */
	return ret;
}

static u64 run_watch_sequence(volatile u64 *var, u64 first)
{
	u64 ret;

	*var = WATCH_INITIAL;
	debug_unmask();
	ret = watch_sequence(var, first);
	debug_mask();
	return ret;
}

/* SPSR for stepping EL1 code: EL1h, PSTATE.SS set, D clear (KDE needs D clear). */
static u64 spsr_el1_stepping(void)
{
	return SPSR_M_EL1H | SPSR_SS | SPSR_I | SPSR_F;
}

/*
 * EL0 with D set on purpose: PSTATE.D only masks debug exceptions taken
 * to the current EL, never those from EL0 to EL1.
 */
static u64 spsr_el0(bool step)
{
	return SPSR_M_EL0T | SPSR_D | SPSR_I | SPSR_F | (step ? SPSR_SS : 0);
}

/* ---- BRK ------------------------------------------------------------------- */

#define BRK_CHECK(imm) do {						\
	u64 at;								\
									\
	expect_exception();						\
	asm volatile("adr %0, 1f\n1:\tbrk #" #imm : "=r"(at) : : "memory"); \
	if (trap_matches("brk #" #imm, ESR_OF(EC_BRK64, imm), at))	\
		report_ok("cpu%u brk #" #imm " esr=0x%lx elr=brk", this_cpu(), \
			  ESR_OF(EC_BRK64, imm));			\
} while (0)

static void test_brk(void)
{
	BRK_CHECK(0x0);
	BRK_CHECK(0x7);
	BRK_CHECK(0xffff);
}

/* ---- Hardware breakpoints ------------------------------------------------- */

/* Even indices match at EL1 only, odd ones at EL1 and EL0. */
static u64 bp_pmc(unsigned n)
{
	return n & 1 ? BCR_PMC_EL1_EL0 : BCR_PMC_EL1;
}

static void test_breakpoint(const struct debug_caps *caps, unsigned n)
{
	u64 bcr = BCR_E | bp_pmc(n) | BCR_BAS_A64 | BCR_BT_ADDR, r1, r2;
	struct expected_hit exp[2];
	struct what w;
	bool good = true;

	reset_debug_state(caps);
	set_bp(n, bcr, (u64)bp_target);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	r1 = call_debug_enabled(bp_target);
	r2 = call_debug_enabled(bp_target);
	exp[0] = exp[1] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	good &= hits_match(what_n(&w, "bp", n, " at entry, 2 calls"), exp, 2);
	good &= value_matches(what_n(&w, "bp", n, " 1st call result"), BP_TARGET_RESULT, r1);
	good &= value_matches(what_n(&w, "bp", n, " 2nd call result"), BP_TARGET_RESULT, r2);

	hits_reset(0);
	set_bp(n, bcr, (u64)bp_target_second);
	r1 = call_debug_enabled(bp_target);
	exp[0] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target_second);
	good &= hits_match(what_n(&w, "bp", n, " at 2nd instruction"), exp, 1);
	good &= value_matches(what_n(&w, "bp", n, " 2nd instruction result"),
			      BP_TARGET_RESULT, r1);

	hits_reset(0);
	set_bp(n, bcr & ~BCR_E, (u64)bp_target);
	r1 = call_debug_enabled(bp_target);
	good &= no_hits(what_n(&w, "bp", n, " disabled"));
	good &= value_matches(what_n(&w, "bp", n, " disabled result"), BP_TARGET_RESULT, r1);

	if (good)
		report_ok("cpu%u bp%u ec=0x%x: once per execution at entry and 2nd insn, elr exact,"
			  " not when disabled", this_cpu(), n, EC_BREAKPT_CUR);
}

/* KVM's "hardware breakpoint + svc" and "+ brk": the breakpoint comes first. */
static void test_breakpoint_then_trap(const struct debug_caps *caps)
{
	struct expected_hit exp = bp_hit(EC_BREAKPT_CUR, (u64)bp_svc_insn);
	bool good = true;

	reset_debug_state(caps);
	set_bp(0, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, (u64)bp_svc_insn);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	expect_exception();
	call_debug_enabled(bp_on_svc);
	good &= hits_match("bp on svc", &exp, 1);
	good &= trap_matches("svc after bp", ESR_OF(EC_SVC64, BP_SVC_IMM),
			     (u64)bp_svc_insn + 4);
	if (good)
		report_ok("cpu%u bp on svc: breakpoint at svc, then svc (elr past it)", this_cpu());

	good = true;
	hits_reset(0);
	exp = bp_hit(EC_BREAKPT_CUR, (u64)bp_brk_insn);
	set_bp(0, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, (u64)bp_brk_insn);
	expect_exception();
	call_debug_enabled(bp_on_brk);
	good &= hits_match("bp on brk", &exp, 1);
	good &= trap_matches("brk after bp", ESR_OF(EC_BRK64, BP_BRK_IMM), (u64)bp_brk_insn);
	if (good)
		report_ok("cpu%u bp on brk: breakpoint, then brk, both elr=brk", this_cpu());
}

/* ---- Watchpoints ----------------------------------------------------------- */

/*
 * The exceptions watch_sequence() raises for a watchpoint of type @lsc on
 * its variable: each comes before the access, so a store has not landed.
 */
static unsigned expect_watch_sequence(struct expected_hit *exp, u64 lsc, u64 ec, u64 var)
{
	unsigned n = 0;

	if (lsc & WCR_LSC_STORE) {
		exp[n++] = wp_hit(ec, (u64)watch_store_1, var, true, WATCH_INITIAL);
		exp[n++] = wp_hit(ec, (u64)watch_store_2, var, true, WATCH_FIRST);
		exp[n++] = wp_hit(ec, (u64)watch_store_3, var, true, WATCH_FIRST + 1);
	}
	if (lsc & WCR_LSC_LOAD) {
		exp[n++] = wp_hit(ec, (u64)watch_load_1, var, false, WATCH_FIRST + 2);
		exp[n++] = wp_hit(ec, (u64)watch_load_2, var, false, WATCH_FIRST + 2);
	}
	return n;
}

/* Every access of watch_sequence() completed, watched or not. */
static bool watch_sequence_done(const char *what, volatile u64 *var, u64 ret)
{
	return value_matches(what, WATCH_FIRST + 2, *var) &&
	       value_matches(what, 2 * (WATCH_FIRST + 2), ret);
}

/* Even indices match at EL1 only, odd ones at EL1 and EL0. */
static u64 wp_pac(unsigned n)
{
	return n & 1 ? WCR_PAC_EL1_EL0 : WCR_PAC_EL1;
}

static void test_watchpoint_lsc(const struct debug_caps *caps, unsigned n, u64 lsc,
				const char *kind)
{
	volatile u64 *var = my_watched_var();
	struct expected_hit exp[MAX_LOGGED_HITS];
	unsigned nexp = expect_watch_sequence(exp, lsc, EC_WATCHPT_CUR, (u64)var);
	struct what w;
	bool good = true;
	u64 ret;

	reset_debug_state(caps);
	set_wp(n, WCR_E | wp_pac(n) | lsc | WCR_BAS_ALL, (u64)var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	ret = run_watch_sequence(var, WATCH_FIRST);
	what_n(&w, "wp", n, " ");
	what_add(&w, kind);
	good &= hits_match(w.text, exp, nexp);
	good &= watch_sequence_done(w.text, var, ret);
	if (good)
		report_ok("cpu%u wp%u %s: %u exceptions for 3 stores + 2 loads, ec=0x%x wnr far"
			  " elr exact, taken before the access, all accesses complete",
			  this_cpu(), n, kind, nexp, EC_WATCHPT_CUR);
}

static void test_watchpoint_disabled(const struct debug_caps *caps, unsigned n)
{
	volatile u64 *var = my_watched_var();
	struct what w;
	bool good = true;
	u64 ret;

	reset_debug_state(caps);
	set_wp(n, wp_pac(n) | WCR_LSC_ANY | WCR_BAS_ALL, (u64)var);	/* E clear */
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= no_hits(what_n(&w, "wp", n, " disabled"));
	good &= watch_sequence_done(w.text, var, ret);
	if (good)
		report_ok("cpu%u wp%u disabled: no exceptions", this_cpu(), n);
}

/* BAS selects bytes 2..5: byte stores to 1 and 6 pass, to 2 and 5 trap. */
static void test_watchpoint_lanes(const struct debug_caps *caps, unsigned n)
{
	volatile u64 *var = my_watched_var();
	volatile u8 *bytes = (volatile u8 *)var;
	static const u8 offsets[] = { 1, 2, 5, 6 };
	struct expected_hit exp[2];
	struct what w;
	bool good = true;

	reset_debug_state(caps);
	*var = 0;
	set_wp(n, WCR_E | WCR_PAC_EL1 | WCR_LSC_STORE | WCR_BAS(WATCH_LANES), (u64)var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	for (unsigned i = 0; i < sizeof(offsets); i++) {
		debug_unmask();
		watch_store_byte(bytes + offsets[i], 0x10 + offsets[i]);
		debug_mask();
	}
	exp[0] = wp_hit(EC_WATCHPT_CUR, (u64)watch_byte_insn, (u64)var + 2, true, 0x1100);
	exp[1] = wp_hit(EC_WATCHPT_CUR, (u64)watch_byte_insn, (u64)var + 5, true, 0x121100);
	good &= hits_match(what_n(&w, "wp", n, " byte lanes 2..5"), exp, 2);
	good &= value_matches(w.text, 0x0016150000121100UL, *var);
	if (good)
		report_ok("cpu%u wp%u bas=0x%x: byte stores to 2 and 5 trap (far exact), 1 and 6 do not",
			  this_cpu(), n, WATCH_LANES);
}

static void test_watchpoint(const struct debug_caps *caps, unsigned n)
{
	test_watchpoint_lsc(caps, n, WCR_LSC_STORE, "store");
	test_watchpoint_lsc(caps, n, WCR_LSC_LOAD, "load");
	test_watchpoint_lsc(caps, n, WCR_LSC_ANY, "load+store");
	test_watchpoint_disabled(caps, n);
	test_watchpoint_lanes(caps, n);
}

/* ---- Software step ------------------------------------------------------ */

static void test_step_straight(const struct debug_caps *caps)
{
	u64 start = (u64)step_straight, ret;
	struct expected_hit exp[3];
	bool good = true;

	reset_debug_state(caps);
	set_mdscr(MDSCR_SS | MDSCR_KDE);
	hits_reset((u64)step_straight_end);
	ret = run_with_pstate(40, 0, step_straight, spsr_el1_stepping(), 0);
	for (unsigned i = 0; i < 3; i++)
		exp[i] = step_hit(EC_SOFTSTP_CUR, start + 4 * (i + 1), true, false);
	good &= hits_match("step straight", exp, 3);
	good &= value_matches("step straight result", 43, ret);
	if (good)
		report_ok("cpu%u step: eret with spsr.ss, ec=0x%x isv=1 elr=pc+4, pc+8, pc+12",
			  this_cpu(), EC_SOFTSTP_CUR);
}

static void test_step_exclusive(const struct debug_caps *caps)
{
	u64 *var = &exclusive_vars[this_cpu()], start = (u64)step_exclusive, ret;
	struct expected_hit exp[3];
	bool good = true;

	*var = 0x5eed;
	reset_debug_state(caps);
	set_mdscr(MDSCR_SS | MDSCR_KDE);
	hits_reset((u64)step_exclusive_end);
	ret = run_with_pstate((u64)var, 0, step_exclusive, spsr_el1_stepping(), 0);
	exp[0] = step_hit(EC_SOFTSTP_CUR, start + 4, true, false);
	exp[1] = step_hit(EC_SOFTSTP_CUR, start + 8, true, true);
	exp[2] = step_hit(EC_SOFTSTP_CUR, start + 12, true, false);
	good &= hits_match("step over ldxr", exp, 3);
	good &= value_matches("step over ldxr result", 0x5eed, ret);
	if (good)
		report_ok("cpu%u step: iss.ex=1 exactly after the load-exclusive", this_cpu());
}

static void test_step_active_pending(const struct debug_caps *caps)
{
	u64 first = (u64)step_ap_first;
	struct expected_hit exp[3];
	bool good = true;

	reset_debug_state(caps);
	set_mdscr(MDSCR_SS | MDSCR_KDE);
	hits_reset((u64)step_ap_end);
	step_active_pending();
	exp[0] = step_hit(EC_SOFTSTP_CUR, first, false, false);
	exp[1] = step_hit(EC_SOFTSTP_CUR, first + 4, true, false);
	exp[2] = step_hit(EC_SOFTSTP_CUR, first + 8, true, false);
	good &= hits_match("step active-pending", exp, 3);
	if (good)
		report_ok("cpu%u step: unmasking D with mdscr.ss set steps from the next insn"
			  " (isv=0 first), as in kvm's test", this_cpu());
}

/* ---- OS lock ----------------------------------------------------------------- */

/*
 * While the OS lock is set, breakpoints, watchpoints and software step
 * generate nothing (Arm ARM, "debug exceptions disabled"); BRK still
 * does.  QEMU 7.2 does not implement the rule: what fires there is a
 * note unless oslock-strict is given.
 */
static void check_suppressed(const char *what, bool strict,
			     const struct expected_hit *unlocked, unsigned n)
{
	volatile struct hit_log *log = my_log();
	unsigned cpu = this_cpu();
	bool as_unlocked = log->count == n && first_unexpected_hit(unlocked, n) == n;

	if (log->count == 0)
		report_ok("cpu%u os lock suppresses %s", cpu, what);
	else if (strict)
		report_fail("cpu%u %s fired %u times under the os lock (first esr=0x%lx elr=0x%lx)",
			    cpu, what, log->count, log->hit[0].esr, log->hit[0].elr);
	else
		print_line("note cpu%u %s fired under the os lock: %u exceptions, first esr=0x%lx,"
			   " %s (not counted without oslock-strict)", cpu, what, log->count,
			   log->hit[0].esr, as_unlocked ? "exactly as unlocked" : "unlike unlocked");
}

/* The three kinds of debug exception, with the OS lock as it is. */
static void fire_all_kinds(bool strict, bool locked)
{
	volatile u64 *var = my_watched_var();
	struct expected_hit exp[MAX_LOGGED_HITS];
	unsigned nexp;
	u64 ret;

	hits_reset(0);
	set_bp(0, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, (u64)bp_target);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	ret = call_debug_enabled(bp_target);
	value_matches("os lock bp result", BP_TARGET_RESULT, ret);
	exp[0] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	if (locked)
		check_suppressed("hw breakpoint", strict, exp, 1);
	else if (hits_match("bp after os unlock", exp, 1))
		report_ok("cpu%u os unlock: hw breakpoint fires again", this_cpu());
	set_bp(0, 0, 0);

	hits_reset(0);
	set_wp(0, WCR_E | WCR_PAC_EL1 | WCR_LSC_STORE | WCR_BAS_ALL, (u64)var);
	ret = run_watch_sequence(var, WATCH_FIRST);
	watch_sequence_done("os lock watch sequence", var, ret);
	nexp = expect_watch_sequence(exp, WCR_LSC_STORE, EC_WATCHPT_CUR, (u64)var);
	if (locked)
		check_suppressed("watchpoint", strict, exp, nexp);
	else if (hits_match("wp after os unlock", exp, nexp))
		report_ok("cpu%u os unlock: watchpoint fires again", this_cpu());
	set_wp(0, 0, 0);

	set_mdscr(MDSCR_SS | MDSCR_KDE);
	hits_reset((u64)step_straight_end);
	ret = run_with_pstate(40, 0, step_straight, spsr_el1_stepping(), 0);
	value_matches("os lock step result", 43, ret);
	for (unsigned i = 0; i < 3; i++)
		exp[i] = step_hit(EC_SOFTSTP_CUR, (u64)step_straight + 4 * (i + 1), true, false);
	if (locked)
		check_suppressed("software step", strict, exp, 3);
	else if (hits_match("step after os unlock", exp, 3))
		report_ok("cpu%u os unlock: software step fires again", this_cpu());
	set_mdscr(0);
}

static void test_os_lock(const struct debug_caps *caps)
{
	bool strict = bootargs_has("oslock-strict");
	u64 at;

	reset_debug_state(caps);
	set_os_lock(true);
	if (!os_locked()) {
		report_fail("cpu%u oslsr_el1.oslk reads 0 after oslar_el1=1", this_cpu());
		return;
	}
	report_ok("cpu%u oslsr_el1.oslk reads 1 after oslar_el1=1", this_cpu());
	fire_all_kinds(strict, true);

	expect_exception();
	asm volatile("adr %0, 1f\n1:\tbrk #0x0" : "=r"(at) : : "memory");
	if (trap_matches("brk under os lock", ESR_OF(EC_BRK64, 0), at))
		report_ok("cpu%u os lock does not block brk", this_cpu());

	set_os_lock(false);
	if (os_locked()) {
		report_fail("cpu%u oslsr_el1.oslk reads 1 after oslar_el1=0", this_cpu());
		return;
	}
	report_ok("cpu%u oslsr_el1.oslk reads 0 after oslar_el1=0", this_cpu());
	fire_all_kinds(strict, false);
}

/* ---- Linked context-ID breakpoints and watchpoints ------------------------ */

static void set_context_id(u64 id)
{
	write_sysreg(contextidr_el1, id);
	isb();
}

/*
 * Address breakpoint @b (linked address match) linked to context-aware
 * breakpoint @c (linked context ID match): fires only while CONTEXTIDR_EL1
 * holds the context ID, and not at all with @c disabled.
 */
static void test_linked_bp(const struct debug_caps *caps, unsigned b, unsigned c)
{
	u64 ctx = CONTEXT_ID_BASE | (c << 8) | b;
	u64 ctx_bcr = BCR_E | BCR_PMC_EL1 | BCR_BAS_A64 | BCR_BT_CTX_LINKED;
	struct expected_hit exp = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	struct what w;
	bool good = true;

	reset_debug_state(caps);
	set_bp(c, ctx_bcr, ctx);
	set_bp(b, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64 | BCR_BT_ADDR_LINKED | BCR_LBN(c),
	       (u64)bp_target);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	set_context_id(ctx);
	call_debug_enabled(bp_target);
	good &= hits_match(what_n(&w, "linked bp", b, " context id match"), &exp, 1);

	hits_reset(0);
	set_context_id(ctx ^ CONTEXT_ID_OTHER);
	call_debug_enabled(bp_target);
	good &= no_hits(what_n(&w, "linked bp", b, " context id mismatch"));

	hits_reset(0);
	set_context_id(ctx);
	set_bp(c, ctx_bcr & ~BCR_E, ctx);
	call_debug_enabled(bp_target);
	good &= no_hits(what_n(&w, "linked bp", b, " context bp disabled"));
	set_context_id(0);
	if (good)
		report_ok("cpu%u bp%u linked to ctx bp%u: fires on contextidr match only,"
			  " not with the ctx bp disabled", this_cpu(), b, c);
}

static void test_linked_wp(const struct debug_caps *caps, unsigned wpn, unsigned c)
{
	volatile u64 *var = my_watched_var();
	u64 ctx = CONTEXT_ID_BASE | (c << 8) | 0x80 | wpn, ret;
	struct expected_hit exp[MAX_LOGGED_HITS];
	unsigned nexp = expect_watch_sequence(exp, WCR_LSC_STORE, EC_WATCHPT_CUR, (u64)var);
	struct what w;
	bool good = true;

	reset_debug_state(caps);
	set_bp(c, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64 | BCR_BT_CTX_LINKED, ctx);
	set_wp(wpn, WCR_E | WCR_PAC_EL1 | WCR_LSC_STORE | WCR_BAS_ALL | WCR_WT_LINKED |
	       WCR_LBN(c), (u64)var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	set_context_id(ctx);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= hits_match(what_n(&w, "linked wp", wpn, " context id match"), exp, nexp);
	good &= watch_sequence_done(w.text, var, ret);

	hits_reset(0);
	set_context_id(ctx ^ CONTEXT_ID_OTHER);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= no_hits(what_n(&w, "linked wp", wpn, " context id mismatch"));
	good &= watch_sequence_done(w.text, var, ret);
	set_context_id(0);
	if (good)
		report_ok("cpu%u wp%u linked to ctx bp%u: fires on contextidr match only",
			  this_cpu(), wpn, c);
}

static void test_linked(const struct debug_caps *caps)
{
	unsigned first_ctx = first_ctx_bp(caps);

	if (first_ctx == 0) {
		print_line("skip cpu%u linked breakpoints: every breakpoint is context-aware",
			   this_cpu());
		return;
	}
	for (unsigned c = first_ctx; c < caps->brps; c++) {
		for (unsigned b = 0; b < first_ctx; b++)
			test_linked_bp(caps, b, c);
		for (unsigned wpn = 0; wpn < caps->wrps; wpn++)
			test_linked_wp(caps, wpn, c);
	}
}

/* ---- What enables debug exceptions at EL1 ----------------------------------- */

/*
 * At EL1, breakpoints and watchpoints need MDE, KDE and PSTATE.D clear,
 * and a PMC/PAC that includes EL1; software step needs SS, KDE and D
 * clear but not MDE.
 */
static void test_el1_enables(const struct debug_caps *caps)
{
	volatile u64 *var = my_watched_var();
	u64 bp_on = BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, wp_on = WCR_E | WCR_PAC_EL1 |
		    WCR_LSC_ANY | WCR_BAS_ALL, ret;
	struct expected_hit exp[3];
	unsigned cpu = this_cpu();
	bool good;

	/* MDE without KDE */
	good = true;
	reset_debug_state(caps);
	set_bp(0, bp_on, (u64)bp_target);
	set_wp(0, wp_on, (u64)var);
	set_mdscr(MDSCR_MDE);
	call_debug_enabled(bp_target);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= no_hits("mde without kde: bp, wp") && watch_sequence_done("kde=0", var, ret);
	/*
	 * SS without KDE: no step at EL1. With the host debugger attached
	 * ("hostdebug") vigil steps this window through EL2, and the console
	 * lock taken in it (an exclusive loop) must still succeed.
	 */
	set_mdscr(MDSCR_MDE | MDSCR_SS);
	hits_reset((u64)step_straight_end);
	ret = run_with_pstate(40, 0, step_straight, spsr_el1_stepping(), 0);
	good &= no_hits("ss without kde") &&
		value_matches("ss without kde result", 43, ret);
	if (good)
		report_ok("cpu%u mde=1 kde=0: no bp, wp or step at el1", cpu);

	/* KDE without MDE: step still works */
	good = true;
	hits_reset(0);
	set_mdscr(MDSCR_KDE);
	call_debug_enabled(bp_target);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= no_hits("kde without mde: bp, wp") && watch_sequence_done("mde=0", var, ret);
	set_mdscr(MDSCR_KDE | MDSCR_SS);
	hits_reset((u64)step_straight_end);
	run_with_pstate(40, 0, step_straight, spsr_el1_stepping(), 0);
	for (unsigned i = 0; i < 3; i++)
		exp[i] = step_hit(EC_SOFTSTP_CUR, (u64)step_straight + 4 * (i + 1), true, false);
	good &= hits_match("ss with kde, without mde", exp, 3);
	if (good)
		report_ok("cpu%u mde=0 kde=1: no bp or wp at el1, but step works", cpu);

	/* Everything enabled but PSTATE.D set */
	good = true;
	hits_reset(0);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	ret = bp_target();
	*var = 1;
	ret += *var;
	good &= no_hits("pstate.d set: bp, wp") &&
		value_matches("pstate.d set result", BP_TARGET_RESULT + 1, ret);
	if (good)
		report_ok("cpu%u pstate.d=1: no bp or wp at el1", cpu);

	/* PMC/PAC for EL0 only */
	good = true;
	hits_reset(0);
	set_bp(0, BCR_E | BCR_PMC_EL0 | BCR_BAS_A64, (u64)bp_target);
	set_wp(0, WCR_E | WCR_PAC_EL0 | WCR_LSC_ANY | WCR_BAS_ALL, (u64)var);
	call_debug_enabled(bp_target);
	ret = run_watch_sequence(var, WATCH_FIRST);
	good &= no_hits("el0-only pmc/pac at el1") && watch_sequence_done("el0-only", var, ret);
	if (good)
		report_ok("cpu%u pmc=el0, pac=el0: no bp or wp at el1", cpu);
}

/* ---- EL0 ----------------------------------------------------------------------- */

static u64 run_el0_access(volatile u64 *var, u64 value)
{
	*var = WATCH_INITIAL;
	return run_with_pstate((u64)var, value, el0_access, spsr_el0(false), el0_stack_top());
}

/*
 * Debug exceptions from EL0 go to EL1 with the "lower EL" classes and
 * need MDE for breakpoints and watchpoints, but not KDE; PMC/PAC must
 * include EL0.  Software step from EL0 needs neither MDE nor KDE.
 */
static void test_el0(const struct debug_caps *caps)
{
	volatile u64 *var = my_watched_var();
	unsigned cpu = this_cpu(), last_bp = caps->brps - 1, last_wp = caps->wrps - 1;
	struct expected_hit exp[3];
	bool good;
	u64 ret;

	/* Breakpoint, EL0 only, in the last breakpoint */
	good = true;
	reset_debug_state(caps);
	set_bp(last_bp, BCR_E | BCR_PMC_EL0 | BCR_BAS_A64, (u64)el0_bp_insn);
	set_mdscr(MDSCR_MDE);
	ret = run_el0_access(var, 7);
	exp[0] = bp_hit(EC_BREAKPT_LOW, (u64)el0_bp_insn);
	good &= hits_match("el0 bp", exp, 1) && value_matches("el0 bp result", 8, ret);
	if (good)
		report_ok("cpu%u el0 bp (mde=1 kde=0): ec=0x%x elr exact, insn runs after",
			  cpu, EC_BREAKPT_LOW);

	good = true;
	hits_reset(0);
	set_bp(last_bp, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, (u64)el0_bp_insn);
	ret = run_el0_access(var, 7);
	good &= no_hits("el0 bp with pmc=el1") && value_matches("el0 pmc=el1 result", 8, ret);
	if (good)
		report_ok("cpu%u el0 bp with pmc=el1: no exception", cpu);
	set_bp(last_bp, 0, 0);

	/* Watchpoints on the EL0 store and load */
	good = true;
	hits_reset(0);
	set_wp(last_wp, WCR_E | WCR_PAC_EL0 | WCR_LSC_STORE | WCR_BAS_ALL, (u64)var);
	ret = run_el0_access(var, 0x1234);
	exp[0] = wp_hit(EC_WATCHPT_LOW, (u64)el0_store_insn, (u64)var, true, WATCH_INITIAL);
	good &= hits_match("el0 store wp", exp, 1) &&
		value_matches("el0 store wp result", 0x1235, ret) &&
		value_matches("el0 store landed", 0x1234, *var);
	if (good)
		report_ok("cpu%u el0 store wp: ec=0x%x wnr=1 far exact, store lands after", cpu,
			  EC_WATCHPT_LOW);

	good = true;
	hits_reset(0);
	set_wp(last_wp, WCR_E | WCR_PAC_EL1_EL0 | WCR_LSC_LOAD | WCR_BAS_ALL, (u64)var);
	ret = run_el0_access(var, 0x4321);
	exp[0] = wp_hit(EC_WATCHPT_LOW, (u64)el0_load_insn, (u64)var, false, 0x4321);
	good &= hits_match("el0 load wp", exp, 1) &&
		value_matches("el0 load wp result", 0x4322, ret);
	if (good)
		report_ok("cpu%u el0 load wp: ec=0x%x wnr=0 far exact", cpu, EC_WATCHPT_LOW);

	good = true;
	hits_reset(0);
	set_wp(last_wp, WCR_E | WCR_PAC_EL1 | WCR_LSC_ANY | WCR_BAS_ALL, (u64)var);
	ret = run_el0_access(var, 0x55);
	good &= no_hits("el0 wp with pac=el1") && value_matches("el0 pac=el1 result", 0x56, ret);
	if (good)
		report_ok("cpu%u el0 access with pac=el1: no exception", cpu);

	/* No MDE: nothing from EL0 either */
	good = true;
	hits_reset(0);
	set_bp(last_bp, BCR_E | BCR_PMC_EL0 | BCR_BAS_A64, (u64)el0_bp_insn);
	set_wp(last_wp, WCR_E | WCR_PAC_EL0 | WCR_LSC_ANY | WCR_BAS_ALL, (u64)var);
	set_mdscr(MDSCR_KDE);
	ret = run_el0_access(var, 0x66);
	good &= no_hits("el0 bp and wp without mde") &&
		value_matches("el0 mde=0 result", 0x67, ret);
	if (good)
		report_ok("cpu%u el0 with mde=0: no bp or wp", cpu);

	/* Software step at EL0 with neither MDE nor KDE */
	good = true;
	reset_debug_state(caps);
	set_mdscr(MDSCR_SS);
	hits_reset((u64)el0_step_end);
	ret = run_with_pstate(10, 0, el0_step, spsr_el0(true), el0_stack_top());
	for (unsigned i = 0; i < 3; i++)
		exp[i] = step_hit(EC_SOFTSTP_LOW, (u64)el0_step + 4 * (i + 1), true, false);
	good &= hits_match("el0 step", exp, 3) && value_matches("el0 step result", 13, ret);
	if (good)
		report_ok("cpu%u el0 step (mde=0 kde=0): ec=0x%x elr=pc+4, pc+8, pc+12",
			  cpu, EC_SOFTSTP_LOW);

	good = true;
	set_mdscr(0);
	hits_reset((u64)el0_step_end);
	ret = run_with_pstate(10, 0, el0_step, spsr_el0(true), el0_stack_top());
	good &= no_hits("el0 spsr.ss without mdscr.ss") &&
		value_matches("el0 no-step result", 13, ret);
	if (good)
		report_ok("cpu%u el0 spsr.ss=1 with mdscr.ss=0: no step", cpu);
}

/* ---- Register read-back ---------------------------------------------------- */

/* Values with only valid field encodings; @pattern 0 or 1. */
static u64 vr_pattern(unsigned n, unsigned pattern)
{
	return pattern ? VR_PATTERN_HIGH - ((u64)n << 8) : VR_PATTERN_LOW + ((u64)n << 8);
}

static u64 bcr_pattern(const struct debug_caps *caps, unsigned n, unsigned pattern)
{
	bool ctx_aware = n >= first_ctx_bp(caps);

	if (pattern)
		return BCR_PMC_EL1 | BCR_BAS_A64 | (ctx_aware ? BCR_BT_CTX_LINKED : BCR_BT_ADDR);
	return BCR_E | BCR_PMC_EL1_EL0 | BCR_BAS_A64 | BCR_BT_ADDR_LINKED |
	       BCR_LBN(caps->brps - 1 - (n & 1));
}

static u64 wcr_pattern(const struct debug_caps *caps, unsigned n, unsigned pattern)
{
	if (pattern)
		return WCR_E | WCR_PAC_EL0 | WCR_LSC_LOAD | WCR_BAS_ALL | WCR_MASK(3 + n) |
		       WCR_WT_LINKED | WCR_LBN(caps->brps - 1);
	return WCR_PAC_EL1_EL0 | (n & 1 ? WCR_LSC_STORE : WCR_LSC_ANY) |
	       WCR_BAS(n & 1 ? 0xf0 : 0x0f);
}

static u64 reg_pattern(const struct debug_caps *caps, enum debug_reg reg, unsigned n,
		       unsigned pattern)
{
	switch (reg) {
	case DBGBCR: return bcr_pattern(caps, n, pattern);
	case DBGWCR: return wcr_pattern(caps, n, pattern);
	default: return vr_pattern(n, pattern);
	}
}

static u64 reg_fields(enum debug_reg reg)
{
	switch (reg) {
	case DBGBCR: return BCR_FIELDS;
	case DBGWCR: return WCR_FIELDS;
	default: return ~3UL;
	}
}

static void write_patterns(const struct debug_caps *caps, unsigned pattern)
{
	for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++)
		for (unsigned n = 0; n < debug_reg_count(caps, reg); n++)
			debug_reg_write(reg, n, reg_pattern(caps, reg, n, pattern));
	isb();
}

/* Every register of @reg holds its pattern; a FAIL line per one that does not. */
static bool patterns_read_back(const struct debug_caps *caps, enum debug_reg reg,
			       unsigned pattern, const char *when)
{
	bool good = true;

	for (unsigned n = 0; n < debug_reg_count(caps, reg); n++) {
		u64 want = reg_pattern(caps, reg, n, pattern) & reg_fields(reg);
		u64 got = debug_reg_read(reg, n) & reg_fields(reg);

		if (want != got) {
			report_fail("cpu%u %s%u_el1 %s: wrote 0x%lx read 0x%lx", this_cpu(),
				    debug_reg_name(reg), n, when, want, got);
			good = false;
		}
	}
	return good;
}

static void test_readback(const struct debug_caps *caps)
{
	bool good[DEBUG_REG_KINDS] = { true, true, true, true }, mdscr_good = true;
	unsigned cpu = this_cpu();

	reset_debug_state(caps);	/* MDE clear: enabled patterns cannot fire */
	for (unsigned pattern = 0; pattern < 2; pattern++) {
		write_patterns(caps, pattern);
		for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++)
			good[reg] &= patterns_read_back(caps, reg, pattern, "read-back");
	}
	for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++)
		if (good[reg])
			report_ok("cpu%u %s0..%u_el1 read back 2 patterns each (written all, then read)",
				  cpu, debug_reg_name(reg), debug_reg_count(caps, reg) - 1);

	for (u64 combo = 0; combo < 16; combo++) {
		u64 value = (combo & 1 ? MDSCR_SS : 0) | (combo & 2 ? MDSCR_TDCC : 0) |
			    (combo & 4 ? MDSCR_KDE : 0) | (combo & 8 ? MDSCR_MDE : 0);
		u64 got;

		set_mdscr(value);	/* PSTATE.D is set: nothing can fire */
		got = read_sysreg(mdscr_el1) & MDSCR_TESTED_BITS;
		if (got != value) {
			report_fail("cpu%u mdscr_el1 wrote 0x%lx read 0x%lx (ss|tdcc|kde|mde)",
				    cpu, value, got);
			mdscr_good = false;
		}
	}
	set_mdscr(0);
	if (mdscr_good)
		report_ok("cpu%u mdscr_el1 mde/kde/ss/tdcc read back (16 combinations)", cpu);
}

/* Indices beyond ID_AA64DFR0_EL1's counts are unallocated encodings. */
static void test_unimplemented_undefined(const struct debug_caps *caps)
{
	unsigned cpu = this_cpu();

	for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++) {
		unsigned first = debug_reg_count(caps, reg), checked = 0;
		bool good = true;

		for (unsigned n = first; n < MAX_DEBUG_REGS; n++) {
			for (int write = 0; write < 2; write++) {
				struct what w;

				what_n(&w, debug_reg_name(reg), n, write ? "_el1 write" : "_el1 read");
				expect_exception();
				if (write)
					debug_reg_write(reg, n, 0);
				else
					debug_reg_read(reg, n);
				good &= trap_matches(w.text, ESR_OF(EC_UNKNOWN, 0),
						     (u64)debug_reg_entry(reg, write, n));
				checked++;
			}
		}
		if (!checked)
			print_line("skip cpu%u %s: all 16 implemented", cpu, debug_reg_name(reg));
		else if (good)
			report_ok("cpu%u %s%u..15_el1 read and write are undefined (ec=0x0)",
				  cpu, debug_reg_name(reg), first);
	}
}

/* ---- State that survives exits to the hypervisor ---------------------------- */

struct debug_snapshot {
	u64 reg[DEBUG_REG_KINDS][MAX_DEBUG_REGS];
	u64 mdscr;
};

static void take_snapshot(const struct debug_caps *caps, struct debug_snapshot *s)
{
	for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++)
		for (unsigned n = 0; n < debug_reg_count(caps, reg); n++)
			s->reg[reg][n] = debug_reg_read(reg, n);
	s->mdscr = read_sysreg(mdscr_el1);
}

static bool snapshots_equal(const struct debug_caps *caps, const struct debug_snapshot *a,
			    const struct debug_snapshot *b, const char *when)
{
	bool good = true;

	for (enum debug_reg reg = DBGBVR; reg < DEBUG_REG_KINDS; reg++)
		for (unsigned n = 0; n < debug_reg_count(caps, reg); n++)
			if (a->reg[reg][n] != b->reg[reg][n]) {
				report_fail("cpu%u %s%u_el1 %s: was 0x%lx now 0x%lx", this_cpu(),
					    debug_reg_name(reg), n, when, a->reg[reg][n],
					    b->reg[reg][n]);
				good = false;
			}
	if (a->mdscr != b->mdscr) {
		report_fail("cpu%u mdscr_el1 %s: was 0x%lx now 0x%lx", this_cpu(), when,
			    a->mdscr, b->mdscr);
		good = false;
	}
	return good;
}

/* EXIT_ROUNDS exits to the hypervisor (or firmware); all must agree. */
static bool many_hvc_exits(void)
{
	s32 first = psci_version();

	for (unsigned i = 1; i < EXIT_ROUNDS; i++) {
		s32 v = psci_version();

		if (v != first) {
			report_fail("cpu%u psci_version call %u returned 0x%x, first 0x%x",
				    this_cpu(), i, v, first);
			return false;
		}
	}
	return true;
}

static void test_state_survives(const struct debug_caps *caps)
{
	volatile u64 *var = my_watched_var();
	struct expected_hit exp[MAX_LOGGED_HITS];
	struct debug_snapshot before, after;
	unsigned cpu = this_cpu(), nexp;
	bool good = true;

	/* Live: bp0 and wp0 armed, the rest disabled patterns, MDE|KDE. */
	reset_debug_state(caps);
	write_patterns(caps, 1);
	for (unsigned n = 0; n < caps->brps; n++)
		debug_reg_write(DBGBCR, n, bcr_pattern(caps, n, 1) & ~BCR_E);
	for (unsigned n = 0; n < caps->wrps; n++)
		debug_reg_write(DBGWCR, n, wcr_pattern(caps, n, 1) & ~WCR_E);
	set_bp(0, BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, (u64)bp_target);
	set_wp(0, WCR_E | WCR_PAC_EL1 | WCR_LSC_STORE | WCR_BAS_ALL, (u64)var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	take_snapshot(caps, &before);
	good &= many_hvc_exits();
	take_snapshot(caps, &after);
	good &= snapshots_equal(caps, &before, &after, "after hvc exits");
	call_debug_enabled(bp_target);
	exp[0] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	good &= hits_match("bp after hvc exits", exp, 1);
	hits_reset(0);
	run_watch_sequence(var, WATCH_FIRST);
	nexp = expect_watch_sequence(exp, WCR_LSC_STORE, EC_WATCHPT_CUR, (u64)var);
	good &= hits_match("wp after hvc exits", exp, nexp);
	if (good)
		report_ok("cpu%u armed debug state survives %u hvc exits: registers identical,"
			  " bp and wp fire", cpu, EXIT_ROUNDS);

	/* Idle: every value programmed, nothing enabled (a lazy hypervisor
	 * may stop switching the registers here, but must keep them). */
	good = true;
	reset_debug_state(caps);
	write_patterns(caps, 0);
	for (unsigned n = 0; n < caps->brps; n++)
		debug_reg_write(DBGBCR, n, bcr_pattern(caps, n, 0) & ~BCR_E);
	isb();
	take_snapshot(caps, &before);
	good &= many_hvc_exits();
	take_snapshot(caps, &after);
	good &= snapshots_equal(caps, &before, &after, "idle, after hvc exits");
	if (good)
		report_ok("cpu%u idle debug values survive %u hvc exits", cpu, EXIT_ROUNDS);
}

/* ---- The suite, per CPU ------------------------------------------------------ */

static void test_debugger_takeover(const struct debug_caps *caps);
static void host_debug_attach(void);
static void host_debug_detach(void);

static void run_suite(void)
{
	struct debug_caps caps;
	unsigned cpu = this_cpu();

	set_exception_hook(debug_exception_hook);
	read_debug_caps(&caps);
	print_line("note cpu%u id_aa64dfr0_el1=0x%lx debugver=%u brps=%u wrps=%u ctx_cmps=%u",
		   cpu, caps.dfr0, caps.debugver, caps.brps, caps.wrps, caps.ctx_cmps);
	print_line("note cpu%u oslsr_el1=0x%lx at entry", cpu, read_sysreg(oslsr_el1));
	if (caps.ctx_cmps > caps.brps) {
		report_fail("cpu%u id_aa64dfr0_el1: more context-aware breakpoints than breakpoints",
			    cpu);
		return;
	}

	if (bootargs_has("hostdebug"))
		host_debug_attach();
	test_brk();
	for (unsigned n = 0; n < caps.brps; n++)
		test_breakpoint(&caps, n);
	test_breakpoint_then_trap(&caps);
	for (unsigned n = 0; n < caps.wrps; n++)
		test_watchpoint(&caps, n);
	test_step_straight(&caps);
	test_step_exclusive(&caps);
	test_step_active_pending(&caps);
	test_os_lock(&caps);
	test_linked(&caps);
	test_el1_enables(&caps);
	test_el0(&caps);
	test_readback(&caps);
	test_unimplemented_undefined(&caps);
	test_state_survives(&caps);
	if (bootargs_has("takeover"))
		test_debugger_takeover(&caps);
	reset_debug_state(&caps);
	if (bootargs_has("hostdebug"))
		host_debug_detach();
}

/*
 * vigil's internal hook (bootargs "takeover", vigil.cfg "test_hooks = on"):
 * the host debugger takes this vCPU's debug hardware and gives it back.
 * While it holds it, the guest still reads back exactly what it wrote;
 * after the release its breakpoint and watchpoint fire as before.
 */
#define VIGIL_HVC_TEST_DEBUG_HOST 0xC6000100U

static void test_debugger_takeover(const struct debug_caps *caps)
{
	u64 bcr = BCR_E | BCR_PMC_EL1 | BCR_BAS_A64 | BCR_BT_ADDR;
	u64 wcr = WCR_E | WCR_PAC_EL1 | WCR_LSC_STORE | WCR_BAS_ALL;
	volatile u64 *var = my_watched_var();
	unsigned cpu = this_cpu();
	struct expected_hit exp[1];
	bool good = true;
	u64 ret;

	reset_debug_state(caps);
	set_bp(0, bcr, (u64)bp_target);
	set_wp(0, wcr, (u64)var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);

	ret = smccc_call(SMCCC_HVC, VIGIL_HVC_TEST_DEBUG_HOST, 1, 0, 0);
	good &= value_matches("takeover: acquire returns 0", 0, ret);
	good &= value_matches("takeover: dbgbcr0 while the host holds it", bcr,
			      debug_reg_read(DBGBCR, 0));
	good &= value_matches("takeover: dbgbvr0 while the host holds it", (u64)bp_target,
			      debug_reg_read(DBGBVR, 0));
	good &= value_matches("takeover: dbgwcr0 while the host holds it", wcr,
			      debug_reg_read(DBGWCR, 0));
	good &= value_matches("takeover: mdscr_el1 while the host holds it",
			      MDSCR_MDE | MDSCR_KDE,
			      read_sysreg(mdscr_el1) & (MDSCR_MDE | MDSCR_KDE));

	ret = smccc_call(SMCCC_HVC, VIGIL_HVC_TEST_DEBUG_HOST, 0, 0, 0);
	good &= value_matches("takeover: release returns 0", 0, ret);
	good &= value_matches("takeover: dbgbcr0 after release", bcr, debug_reg_read(DBGBCR, 0));
	good &= value_matches("takeover: dbgwvr0 after release", (u64)var,
			      debug_reg_read(DBGWVR, 0));

	hits_reset(0);
	call_debug_enabled(bp_target);
	exp[0] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	good &= hits_match("takeover: breakpoint fires again after release", exp, 1);
	reset_debug_state(caps);
	if (good)
		report_ok("cpu%u debug state survives the debugger taking the hardware and"
			  " giving it back", cpu);
}

/* ---- The host debugger attached (vigil's test hook) -------------------------- */

/*
 * Bootargs "hostdebug" (vigil.cfg "test_hooks = on"): VIGIL_HVC_TEST_DEBUG_HOST
 * stands in for the GDB stub. Op 2 attaches a debugger that holds a hardware
 * breakpoint on host_bp_target and a write watchpoint on this CPU's
 * host_watched[] entry, for the whole suite: every guest check above must
 * pass unchanged while it is there (the guest is never masked). Then the
 * debugger's own events: its breakpoint and watchpoint reach EL2 and, as
 * no debugger takes them, the guest runs on without noticing; ops 4 and 5
 * single-step and range-step from the instruction after the HVC. vigil logs
 * every event ("vigil: test: debug event ..."); this guest prints the lines
 * vigil must have logged as "guest: expect <line>", and the system test
 * checks them. Op 3 detaches.
 */
#define HOST_OP_ATTACH 2
#define HOST_OP_DETACH 3
#define HOST_OP_STEP 4
#define HOST_OP_RANGE 5
#define HOST_BP_RESULT 77
#define HOST_RANGE_STEPS 9 /* mov, 3 x (subs, b.ne), wfi, nop */

u64 host_bp_target(void);
void host_watch_store(volatile u64 *p, u64 value);
u64 host_step_probe(u32 fid, u64 op);
u64 host_range_probe(u32 fid, u64 op, u64 start, u64 end);
extern char host_watch_store_insn[], host_step_probe_end[];
extern char host_range_start[], host_range_end[];

asm(
"	.pushsection .text, \"ax\"\n"
"	.balign	4\n"
"	.global	host_bp_target\n"
"host_bp_target:\n"
"	mov	x0, #" STR(HOST_BP_RESULT) "\n"
"	ret\n"
"	.global	host_watch_store, host_watch_store_insn\n"
"host_watch_store:\n"
"host_watch_store_insn:\n"
"	str	x1, [x0]\n"
"	ret\n"
/* The HVC turns the step on; the step is the mov after it. */
"	.global	host_step_probe, host_step_probe_end\n"
"host_step_probe:\n"
"	hvc	#0\n"
"	mov	x0, #1\n"
"host_step_probe_end:\n"
"	ret\n"
/* Range-stepped from host_range_start up to host_range_end. A WFI with
 * nothing to wake it: the debugger's step must complete it as a NOP. */
"	.global	host_range_probe, host_range_start, host_range_end\n"
"host_range_probe:\n"
"	hvc	#0\n"
"host_range_start:\n"
"	mov	x5, #3\n"
"1:	subs	x5, x5, #1\n"
"	b.ne	1b\n"
"	wfi\n"
"	nop\n"
"host_range_end:\n"
"	mov	x0, #2\n"
"	ret\n"
"	.popsection\n"
);

static volatile u64 host_watched[MAX_CPUS] __attribute__((aligned(64)));

static u64 host_hook(u64 op, u64 a2, u64 a3)
{
	return smccc_call(SMCCC_HVC, VIGIL_HVC_TEST_DEBUG_HOST, op, a2, a3);
}

static void host_debug_attach(void)
{
	unsigned cpu = this_cpu();
	u64 ret = host_hook(HOST_OP_ATTACH, (u64)host_bp_target,
			    (u64)&host_watched[cpu]);

	if (value_matches("hostdebug: attach returns 0", 0, ret))
		report_ok("cpu%u the host debugger is attached with a breakpoint and a"
			  " watchpoint", cpu);
}

static void host_debug_detach(void)
{
	unsigned cpu = this_cpu();
	volatile u64 *var = &host_watched[cpu];
	bool good = true;
	u64 ret;

	/* Its breakpoint and watchpoint: EL2 sees them, the guest does not. */
	hits_reset(0);
	good &= value_matches("hostdebug: host breakpoint target result", HOST_BP_RESULT,
			      host_bp_target());
	host_watch_store(var, 0x1234);
	good &= value_matches("hostdebug: host-watched store", 0x1234, *var);
	good &= no_hits("hostdebug: the host's breakpoint and watchpoint");
	print_line("expect vigil: test: debug event hw-break vcpu=%u pc=0x%lx slot=0 addr=0x0"
		   " write=0 steps=0", cpu, (u64)host_bp_target);
	print_line("expect vigil: test: debug event watch vcpu=%u pc=0x%lx slot=0 addr=0x%lx"
		   " write=1 steps=0", cpu, (u64)host_watch_store_insn, (u64)var);

	/* A step and a range step, each ending with an event at EL2. */
	ret = host_step_probe(VIGIL_HVC_TEST_DEBUG_HOST, HOST_OP_STEP);
	good &= value_matches("hostdebug: stepped probe result", 1, ret);
	print_line("expect vigil: test: debug event step vcpu=%u pc=0x%lx slot=0 addr=0x0"
		   " write=0 steps=1", cpu, (u64)host_step_probe_end);
	ret = host_range_probe(VIGIL_HVC_TEST_DEBUG_HOST, HOST_OP_RANGE,
			       (u64)host_range_start, (u64)host_range_end);
	good &= value_matches("hostdebug: range-stepped probe result", 2, ret);
	print_line("expect vigil: test: debug event step vcpu=%u pc=0x%lx slot=0 addr=0x0"
		   " write=0 steps=%u", cpu, (u64)host_range_end, HOST_RANGE_STEPS);
	good &= no_hits("hostdebug: the host's steps");

	ret = host_hook(HOST_OP_DETACH, 0, 0);
	good &= value_matches("hostdebug: detach returns 0", 0, ret);
	if (good)
		report_ok("cpu%u the host debugger's events stay out of the guest", cpu);
}

/* ---- Two CPUs: independent debug registers ---------------------------------- */

/* Progress of each side of the handshake; each has a single writer. */
static volatile u32 cpu0_stage, cpu1_stage;
static volatile u64 shared_var;

static bool wait_stage(volatile u32 *stage, u32 want)
{
	u64 deadline = deadline_after_ms(SMP_TIMEOUT_MS);

	while (*stage < want && !deadline_passed(deadline))
		dmb_sy();
	dmb_sy();
	return *stage >= want;
}

static void set_stage(volatile u32 *stage, u32 value)
{
	dmb_sy();
	*stage = value;
	dmb_sy();
}

/*
 * CPU 1, with its registers reset: CPU 0's breakpoint and watchpoint must
 * not fire here, and what each CPU writes to slot 0 stays its own.
 */
static void cpu1_independence(void)
{
	struct debug_caps caps;
	bool good = true;
	u64 ret;

	read_debug_caps(&caps);
	if (!wait_stage(&cpu0_stage, 1)) {
		report_fail("cpu1 cpu0 never armed its breakpoint");
		return;
	}
	good &= value_matches("own dbgbcr0 while cpu0 armed", 0, debug_reg_read(DBGBCR, 0));
	good &= value_matches("own dbgbvr0 while cpu0 armed", 0, debug_reg_read(DBGBVR, 0));
	good &= value_matches("own dbgwcr0 while cpu0 armed", 0, debug_reg_read(DBGWCR, 0));
	good &= value_matches("own dbgwvr0 while cpu0 armed", 0, debug_reg_read(DBGWVR, 0));
	hits_reset(0);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	ret = call_debug_enabled(bp_target);
	good &= value_matches("bp_target result", BP_TARGET_RESULT, ret);
	ret = run_watch_sequence(&shared_var, WATCH_FIRST);
	good &= watch_sequence_done("shared watch sequence", &shared_var, ret);
	good &= no_hits("cpu0's bp and wp seen on cpu1");
	set_bp(0, bcr_pattern(&caps, 0, 1), vr_pattern(0, 1));
	set_wp(0, wcr_pattern(&caps, 0, 1), vr_pattern(0, 1));
	set_mdscr(0);
	if (good)
		report_ok("cpu1 does not see cpu0's breakpoint or watchpoint");
	set_stage(&cpu1_stage, 2);

	good = true;
	if (!wait_stage(&cpu0_stage, 2)) {
		report_fail("cpu1 cpu0 never finished its checks");
		return;
	}
	good &= value_matches("own dbgbcr0 after cpu0", bcr_pattern(&caps, 0, 1),
			      debug_reg_read(DBGBCR, 0));
	good &= value_matches("own dbgbvr0 after cpu0", vr_pattern(0, 1), debug_reg_read(DBGBVR, 0));
	good &= value_matches("own dbgwcr0 after cpu0", wcr_pattern(&caps, 0, 1),
			      debug_reg_read(DBGWCR, 0));
	good &= value_matches("own dbgwvr0 after cpu0", vr_pattern(0, 1), debug_reg_read(DBGWVR, 0));
	if (good)
		report_ok("cpu1 slot 0 keeps its own values while cpu0 uses its slot 0");
	reset_debug_state(&caps);
}

/* CPU 0: arms slot 0, lets CPU 1 run, then checks its slot 0 is untouched. */
static void cpu0_independence(void)
{
	struct debug_caps caps;
	struct expected_hit exp[MAX_LOGGED_HITS];
	u64 bcr = BCR_E | BCR_PMC_EL1 | BCR_BAS_A64, wcr = WCR_E | WCR_PAC_EL1 |
		  WCR_LSC_STORE | WCR_BAS_ALL;
	unsigned nexp;
	bool good = true;

	read_debug_caps(&caps);
	reset_debug_state(&caps);
	set_bp(0, bcr, (u64)bp_target);
	set_wp(0, wcr, (u64)&shared_var);
	set_mdscr(MDSCR_MDE | MDSCR_KDE);
	set_stage(&cpu0_stage, 1);
	if (!wait_stage(&cpu1_stage, 2)) {
		report_fail("cpu0 cpu1 never ran its side of the independence check");
		return;
	}
	good &= no_hits("cpu1's accesses seen on cpu0");
	good &= value_matches("dbgbcr0 after cpu1 wrote its own", bcr, debug_reg_read(DBGBCR, 0));
	good &= value_matches("dbgbvr0 after cpu1 wrote its own", (u64)bp_target,
			      debug_reg_read(DBGBVR, 0));
	good &= value_matches("dbgwcr0 after cpu1 wrote its own", wcr, debug_reg_read(DBGWCR, 0));
	good &= value_matches("dbgwvr0 after cpu1 wrote its own", (u64)&shared_var,
			      debug_reg_read(DBGWVR, 0));
	call_debug_enabled(bp_target);
	exp[0] = bp_hit(EC_BREAKPT_CUR, (u64)bp_target);
	good &= hits_match("bp after cpu1 ran", exp, 1);
	hits_reset(0);
	run_watch_sequence(&shared_var, WATCH_FIRST);
	nexp = expect_watch_sequence(exp, WCR_LSC_STORE, EC_WATCHPT_CUR, (u64)&shared_var);
	good &= hits_match("wp after cpu1 ran", exp, nexp);
	if (good)
		report_ok("cpu0 keeps its breakpoint and watchpoint while cpu1 writes its own");
	reset_debug_state(&caps);
	set_stage(&cpu0_stage, 2);
}

void secondary_main(unsigned cpu)
{
	if (cpu != 1) {
		report_fail("cpu %u started, only cpu 1 expected", cpu);
		return;
	}
	run_suite();
	set_stage(&cpu1_stage, 1);
	cpu1_independence();
	set_stage(&cpu1_stage, 3);
}

static void test_smp(void)
{
	u64 dt_mpidr[MAX_CPUS], self = read_mpidr(), target = ~0UL;
	unsigned dt_cpus = fdt_cpus(guest_dtb, dt_mpidr, MAX_CPUS);
	s32 ret;

	for (unsigned i = 0; i < dt_cpus && i < MAX_CPUS; i++)
		if (dt_mpidr[i] != self) {
			target = dt_mpidr[i];
			break;
		}
	if (target == ~0UL) {
		print_line("skip smp: %u cpu", dt_cpus);
		return;
	}
	/* No line until CPU 1 is done: its output would race with ours. */
	ret = psci_cpu_on(target, (u64)secondary_entry, 1);
	if (ret != PSCI_SUCCESS) {
		report_fail("cpu_on cpu 1 mpidr=0x%lx returned %d", target, ret);
		return;
	}
	if (!wait_stage(&cpu1_stage, 1)) {
		report_fail("cpu1 did not finish its suite within %u ms", SMP_TIMEOUT_MS);
		return;
	}
	report_ok("cpu1 started by cpu_on ran the suite");
	cpu0_independence();
	if (!wait_stage(&cpu1_stage, 3))
		report_fail("cpu1 did not finish the independence check within %u ms",
			    SMP_TIMEOUT_MS);
}

void guest_main(void)
{
	run_suite();
	test_smp();
	set_exception_hook(NULL);
}

/*
 * The guest's debug registers: trap-on-access, the dirty bit and lazy
 * switching (see debug.h for the states). The design follows the KVM/arm
 * thread in shared/seeds: trap until the guest touches a debug register,
 * then hand it the hardware and switch the full set on every exit until
 * its control registers show nothing enabled; never a partial set.
 */
#include <arch_vcpu.h>
#include <vigil/debugger.h>
#include <vigil/log.h>
#include <vigil/vm.h>

#include "debug.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"
#include "vcpu.h"

enum debug_state {
	DEBUG_TRAPPING = 0,
	DEBUG_DIRTY = 1,
};

/* MDCR_EL2 */
#define MDCR_HPMN_MASK 0x1fUL
#define MDCR_TDE B(8)
#define MDCR_TDA B(9)
#define MDCR_TDOSA B(10)
#define MDCR_TDRA B(11)
#define MDCR_TPMS B(14) /* SPE's EL1 registers (FEAT_SPE) */
#define MDCR_TTRF B(19) /* TRFCR_EL1 (FEAT_TRF) */

/* MDSCR_EL1 bits the guest can set through the system-register interface. */
#define MDSCR_SS B(0)
#define MDSCR_TDCC B(12)
#define MDSCR_KDE B(13)
#define MDSCR_MDE B(15)
#define MDSCR_WRITABLE (MDSCR_SS | MDSCR_TDCC | MDSCR_KDE | MDSCR_MDE)

/* Writable fields of the breakpoint and watchpoint registers. */
#define DBGBCR_E B(0)
#define DBGBCR_MASK 0xffe1e7UL   /* BT, LBN, SSC, HMC, BAS, PMC, E */
#define DBGWCR_E B(0)
#define DBGWCR_MASK 0x1f1fffffUL /* MASK, WT, LBN, SSC, HMC, BAS, LSC, PAC, E */

/* Fields of DBGBCR<n>_EL1 and DBGWCR<n>_EL1 (Arm ARM D17.3). */
#define DBGxCR_PxC_EL1_EL0 (3UL << 1) /* PMC / PAC: match at EL1 and EL0 */
#define DBGxCR_PxC_EL1 (1UL << 1)     /* PMC / PAC: match at EL1 only */
#define DBGxCR_HMC B(13)
#define DBGxCR_LBN(cr) field_get(cr, 19, 16)
#define DBGBCR_BAS_A64 (0xfUL << 5)   /* an A64 instruction */
#define DBGBCR_BT(bcr) field_get(bcr, 23, 20)
#define DBGBCR_BT_ADDR 0x0            /* unlinked address match */
#define DBGBCR_BT_ADDR_LINKED 0x1     /* address match linked to a context */
#define DBGWCR_LSC_SHIFT 3
#define DBGWCR_BAS_SHIFT 5
#define DBGWCR_WT_LINKED B(20)
#define DBGWCR_MASK_SHIFT 24
#define DBGWCR_MASK_MAX 31            /* 2^31 bytes */
/*
 * DBGBVR: bits [1:0] are RES0 for an address, but part of the value for a
 * context-ID breakpoint, so the whole register is kept. DBGWVR: always an
 * address, bits [1:0] RES0.
 */
#define DBGBVR_MASK (~0UL)
#define DBGWVR_MASK (~3UL)

#define OSLSR_OSLM_IMPLEMENTED B(3)
#define OSLSR_OSLK B(1)
#define OSLAR_OSLK B(0)
/*
 * Claim tags are software's own bookkeeping with no effect on the debug
 * logic, and QEMU 7.2 does not implement the registers: they live in the
 * shadow only. vigil never executes, on a guest's behalf, a debug
 * instruction the CPU might not implement.
 */
#define DBGCLAIM_TAGS 0xffU
/* Non-secure invasive and non-invasive debug implemented and enabled. */
#define DBGAUTHSTATUS_NS_ENABLED 0xfUL
#define MDCCINT_MASK (B(29) | B(30))

static unsigned int nr_brps, nr_wrps;
/* MDCR_EL2 bits of every state: the counters, and the hidden features. */
static uint64_t mdcr_base;

unsigned int debug_nr_brps(void) { return nr_brps; }
unsigned int debug_nr_wrps(void) { return nr_wrps; }

void debug_init(void)
{
	uint64_t dfr0;

	__asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
	nr_brps = (unsigned int)field_get(dfr0, 15, 12) + 1;
	nr_wrps = (unsigned int)field_get(dfr0, 23, 20) + 1;
	if (nr_brps > DEBUG_MAX_BRPS)
		nr_brps = DEBUG_MAX_BRPS;
	if (nr_wrps > DEBUG_MAX_WRPS)
		nr_wrps = DEBUG_MAX_WRPS;
	/* The guest gets every performance counter. */
	mdcr_base = field_get(read_pmcr_el0(), 15, 11) & MDCR_HPMN_MASK;
	/*
	 * SPE and trace filtering are hidden from the guest (cpufeatures.c):
	 * their EL1 registers trap, and the trap injects UNDEF, as an
	 * absent feature's registers would.
	 */
	if (field_get(dfr0, 35, 32))
		mdcr_base |= MDCR_TPMS;
	if (field_get(dfr0, 43, 40))
		mdcr_base |= MDCR_TTRF;
}

/*
 * Hardware access to breakpoint/watchpoint register n. MSR and MRS encode
 * the register in the instruction, hence one case per index.
 */
#define DBG_CASE_READ(reg, n) \
	case n: __asm__ volatile("mrs %0, " #reg #n "_el1" : "=r"(v)); break;
#define DBG_CASE_WRITE(reg, n) \
	case n: __asm__ volatile("msr " #reg #n "_el1, %0" : : "r"(v)); break;
#define DBG_CASES(M, reg)                                                  \
	M(reg, 0) M(reg, 1) M(reg, 2) M(reg, 3) M(reg, 4) M(reg, 5)        \
	M(reg, 6) M(reg, 7) M(reg, 8) M(reg, 9) M(reg, 10) M(reg, 11)      \
	M(reg, 12) M(reg, 13) M(reg, 14) M(reg, 15)

#define DBG_ACCESSORS(reg)                                                 \
	static uint64_t hw_read_##reg(unsigned int n)                      \
	{                                                                  \
		uint64_t v = 0;                                            \
		switch (n) { DBG_CASES(DBG_CASE_READ, reg) }               \
		return v;                                                  \
	}                                                                  \
	static void hw_write_##reg(unsigned int n, uint64_t v)             \
	{                                                                  \
		switch (n) { DBG_CASES(DBG_CASE_WRITE, reg) }              \
	}

DBG_ACCESSORS(dbgbvr)
DBG_ACCESSORS(dbgbcr)
DBG_ACCESSORS(dbgwvr)
DBG_ACCESSORS(dbgwcr)

static inline uint64_t hw_read_mdccint(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, mdccint_el1" : "=r"(v));
	return v;
}

static inline void hw_write_mdccint(uint64_t v)
{
	__asm__ volatile("msr mdccint_el1, %0" : : "r"(v));
}

/* The whole set, hardware to shadow. */
static void save_full(struct arch_debug *d)
{
	for (unsigned int i = 0; i < nr_brps && i < DEBUG_MAX_BRPS; i++) {
		d->bvr[i] = hw_read_dbgbvr(i);
		d->bcr[i] = hw_read_dbgbcr(i);
	}
	for (unsigned int i = 0; i < nr_wrps && i < DEBUG_MAX_WRPS; i++) {
		d->wvr[i] = hw_read_dbgwvr(i);
		d->wcr[i] = hw_read_dbgwcr(i);
	}
	d->mdscr = read_mdscr_el1();
	d->mdccint = hw_read_mdccint();
}

/* The whole set, shadow to hardware. */
static void restore_full(const struct arch_debug *d)
{
	for (unsigned int i = 0; i < nr_brps && i < DEBUG_MAX_BRPS; i++) {
		hw_write_dbgbvr(i, d->bvr[i]);
		hw_write_dbgbcr(i, d->bcr[i]);
	}
	for (unsigned int i = 0; i < nr_wrps && i < DEBUG_MAX_WRPS; i++) {
		hw_write_dbgwvr(i, d->wvr[i]);
		hw_write_dbgwcr(i, d->wcr[i]);
	}
	write_mdscr_el1(d->mdscr);
	hw_write_mdccint(d->mdccint);
	isb();
}

/* Nothing that can raise a debug exception: what TRAPPING keeps loaded. */
static void clear_hardware(void)
{
	for (unsigned int i = 0; i < nr_brps && i < DEBUG_MAX_BRPS; i++)
		hw_write_dbgbcr(i, 0);
	for (unsigned int i = 0; i < nr_wrps && i < DEBUG_MAX_WRPS; i++)
		hw_write_dbgwcr(i, 0);
	write_mdscr_el1(0);
	isb();
}

/* Does the guest's state enable anything? Decided on the control registers. */
static bool anything_enabled(const struct arch_debug *d)
{
	if (d->mdscr & (MDSCR_MDE | MDSCR_KDE | MDSCR_SS))
		return true;
	for (unsigned int i = 0; i < nr_brps && i < DEBUG_MAX_BRPS; i++) {
		if (d->bcr[i] & DBGBCR_E)
			return true;
	}
	for (unsigned int i = 0; i < nr_wrps && i < DEBUG_MAX_WRPS; i++) {
		if (d->wcr[i] & DBGWCR_E)
			return true;
	}
	return false;
}

uint64_t debug_mdcr(const struct vcpu *vcpu)
{
	const struct arch_debug *d = &vcpu->arch.debug;

	if (d->host_owned)
		return mdcr_base | MDCR_TDE | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
	if (d->state == DEBUG_DIRTY)
		return mdcr_base | MDCR_TDOSA;
	return mdcr_base | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
}

static void update_mdcr(struct vcpu *vcpu)
{
	vcpu->arch.mdcr_el2 = debug_mdcr(vcpu);
	write_mdcr_el2(vcpu->arch.mdcr_el2);
	isb();
}

static void go_dirty(struct vcpu *vcpu)
{
	vcpu->arch.debug.state = DEBUG_DIRTY;
	vcpu->stats.dbg_dirty++;
	restore_full(&vcpu->arch.debug);
	update_mdcr(vcpu);
}

static void go_trapping(struct vcpu *vcpu)
{
	vcpu->arch.debug.state = DEBUG_TRAPPING;
	vcpu->stats.dbg_clean++;
	clear_hardware();
	update_mdcr(vcpu);
}

static void host_load(struct vcpu *vcpu);

void debug_vcpu_reset(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	bool host = d->host_owned;

	if (d->excl_run)
		vcpu->arch.vgic_hold_pending = 0;
	*d = (struct arch_debug){0};
	/* The OS lock is set by a cold reset (Arm ARM D2.5.4). */
	d->oslk = 1;
	d->host_owned = host;
	if (host)
		host_load(vcpu);
	else
		clear_hardware();
	update_mdcr(vcpu);
}

void debug_exit_dirty(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	save_full(d);
	vcpu->stats.dbg_switches++;
	if (!anything_enabled(d))
		go_trapping(vcpu);
}

void debug_entry_dirty(struct vcpu *vcpu)
{
	restore_full(&vcpu->arch.debug);
}

/* The OS lock changed: the hardware follows the architecture's rule. */
static void os_lock_changed(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (d->host_owned) {
		host_load(vcpu); /* the guest's slots follow its OS lock */
		return;
	}
	if (d->oslk && d->state == DEBUG_DIRTY) {
		save_full(d);
		go_trapping(vcpu);
	} else if (!d->oslk && d->state == DEBUG_TRAPPING &&
		   anything_enabled(d)) {
		/* Enabled while locked: it takes effect now. */
		go_dirty(vcpu);
	}
}

/* Which register of which kind: decoded from the encoding. */
enum dbg_kind { K_BVR = 4, K_BCR = 5, K_WVR = 6, K_WCR = 7 };

static bool access_bp_wp(struct vcpu *vcpu, uint32_t enc, bool read,
			 uint64_t *val)
{
	struct arch_debug *d = &vcpu->arch.debug;
	unsigned int n = (enc >> 3) & 0xf, kind = enc & 7;
	unsigned int count = kind <= K_BCR ? nr_brps : nr_wrps;
	uint64_t *slot, mask;

	if (n >= count)
		return false; /* not implemented: UNDEF */
	switch (kind) {
	case K_BVR: slot = &d->bvr[n]; mask = DBGBVR_MASK; break;
	case K_BCR: slot = &d->bcr[n]; mask = DBGBCR_MASK; break;
	case K_WVR: slot = &d->wvr[n]; mask = DBGWVR_MASK; break;
	default: slot = &d->wcr[n]; mask = DBGWCR_MASK; break;
	}
	if (read)
		*val = *slot;
	else
		*slot = *val & mask;
	return true;
}

bool debug_access(struct vcpu *vcpu, const struct sysreg_trap *r, bool read,
		  uint64_t *val)
{
	struct arch_debug *d = &vcpu->arch.debug;
	uint32_t enc = r->enc;
	bool handled = true, os_lock_regs = false;

	vcpu->stats.dbg_traps++;

	/*
	 * The guest is using its debug hardware: give it the real thing
	 * (unless the OS lock or the debugger says otherwise) so that its
	 * next accesses run at full speed. The access itself is emulated
	 * below against the shadow, which then equals the hardware.
	 */
	switch (enc) {
	case SYS_ENC(2, 0, 1, 0, 4): /* OSLAR_EL1 */
	case SYS_ENC(2, 0, 1, 1, 4): /* OSLSR_EL1 */
	case SYS_ENC(2, 0, 1, 3, 4): /* OSDLR_EL1 */
	case SYS_ENC(2, 0, 1, 4, 4): /* DBGPRCR_EL1 */
		os_lock_regs = true;
		break;
	default:
		if (d->state == DEBUG_TRAPPING && !d->oslk && !d->host_owned)
			go_dirty(vcpu);
		break;
	}

	if ((enc & ~0x7fU) == SYS_ENC(2, 0, 0, 0, 0) && (enc & 7) >= 4) {
		handled = access_bp_wp(vcpu, enc, read, val);
		goto done;
	}

	switch (enc) {
	case SYS_ENC(2, 0, 0, 2, 2): /* MDSCR_EL1 */
		if (read)
			*val = d->mdscr;
		else
			d->mdscr = *val & MDSCR_WRITABLE;
		break;
	case SYS_ENC(2, 0, 0, 2, 0): /* MDCCINT_EL1 */
		if (read)
			*val = d->mdccint;
		else
			d->mdccint = *val & MDCCINT_MASK;
		break;
	case SYS_ENC(2, 0, 0, 6, 2): /* OSECCR_EL1 */
		if (read)
			*val = d->oseccr;
		else
			d->oseccr = *val & 0xffffffffUL;
		break;
	case SYS_ENC(2, 0, 1, 0, 4): /* OSLAR_EL1: write-only */
		if (read)
			return false;
		d->oslk = (*val & OSLAR_OSLK) ? 1 : 0;
		os_lock_changed(vcpu);
		break;
	case SYS_ENC(2, 0, 1, 1, 4): /* OSLSR_EL1: read-only */
		if (!read)
			return false;
		*val = OSLSR_OSLM_IMPLEMENTED | (d->oslk ? OSLSR_OSLK : 0);
		break;
	case SYS_ENC(2, 0, 1, 3, 4): /* OSDLR_EL1 */
		if (read)
			*val = d->osdlk;
		else
			d->osdlk = *val & 1;
		break;
	case SYS_ENC(2, 0, 1, 4, 4): /* DBGPRCR_EL1 */
		if (read)
			*val = d->corenpdrq;
		else
			d->corenpdrq = *val & 1;
		break;
	case SYS_ENC(2, 0, 7, 8, 6): /* DBGCLAIMSET_EL1 */
		if (read)
			*val = DBGCLAIM_TAGS;
		else
			d->claim |= (uint32_t)*val & DBGCLAIM_TAGS;
		break;
	case SYS_ENC(2, 0, 7, 9, 6): /* DBGCLAIMCLR_EL1 */
		if (read)
			*val = d->claim;
		else
			d->claim &= ~((uint32_t)*val & DBGCLAIM_TAGS);
		break;
	case SYS_ENC(2, 0, 7, 14, 6): /* DBGAUTHSTATUS_EL1: read-only */
		if (!read)
			return false;
		*val = DBGAUTHSTATUS_NS_ENABLED;
		break;
	case SYS_ENC(2, 0, 1, 0, 0): /* MDRAR_EL1: no ROM table */
		if (!read)
			return false;
		*val = 0;
		break;
	case SYS_ENC(2, 3, 0, 1, 0): /* MDCCSR_EL0: DCC never full */
		if (!read)
			return false;
		*val = 0;
		break;
	case SYS_ENC(2, 0, 0, 0, 2): /* OSDTRRX_EL1 */
	case SYS_ENC(2, 0, 0, 3, 2): /* OSDTRTX_EL1 */
	case SYS_ENC(2, 3, 0, 4, 0): /* DBGDTR_EL0 */
	case SYS_ENC(2, 3, 0, 5, 0): /* DBGDTRRX_EL0 / DBGDTRTX_EL0 */
		/* No external debugger on the other end: RAZ/WI. */
		if (read)
			*val = 0;
		break;
	default:
		handled = false;
		break;
	}

done:
	/*
	 * While DIRTY the hardware must equal the shadow; while host-owned
	 * it holds the merge of the debugger's state and the shadow.
	 */
	if (handled && !read && !os_lock_regs) {
		if (d->state == DEBUG_DIRTY)
			restore_full(d);
		else if (d->host_owned)
			host_load(vcpu);
	}
	return handled;
}

/*
 * The host debugger's hardware.
 *
 * While host-owned, MDCR_EL2.TDE routes every debug exception to EL2 and
 * the hardware holds a merge, rebuilt by host_load():
 *
 *   - the debugger's breakpoints and watchpoints (dbg_host) in the lowest
 *     slots;
 *   - the guest's own enabled ones (from the shadow, while its OS lock is
 *     clear and MDSCR_EL1.MDE set) in the slots left over: in the same
 *     slot where it is free, else in any free one. Context-matching
 *     breakpoints are never moved (only some slots can compare contexts),
 *     so the LBN of a linked breakpoint or watchpoint stays valid; one
 *     whose context breakpoint is not loaded is left out. When slots run
 *     out the debugger wins: the guest's breakpoint or watchpoint that does
 *     not fit does not fire (docs/gdb.md, "Limits");
 *   - MDSCR_EL1.MDE when anything is loaded, SS for a step (the
 *     debugger's, a silent step-over, or the guest's own), the guest's
 *     TDCC. KDE is never set: with TDE the debug target is EL2, so KDE
 *     only matters for EL2 itself, and vigil must never take a debug
 *     exception from its own code.
 *
 * With TDE, EL1 and EL0 generate debug exceptions whatever the guest's
 * KDE and PSTATE.D, and the hardware's MDE is the merged one: a debug
 * exception that is not the debugger's is checked against the guest's
 * own rules (Arm ARM D2.2, "Enabling debug exceptions from the current
 * Exception level": OS lock clear, MDE for breakpoints and watchpoints,
 * SS for step, and from EL1 also KDE set and PSTATE.D clear). If the guest
 * would have taken it, it is injected into EL1 with the syndrome the
 * hardware gave EL2 (the same ISS; EC "lower EL" from EL0, "current EL"
 * from EL1); if not, vigil steps over the instruction silently: every
 * breakpoint and watchpoint off (MDE clear), one software step, then the
 * merge again.
 */

static bool guest_bp_wp_live(const struct arch_debug *d)
{
	return !d->oslk && (d->mdscr & MDSCR_MDE);
}

static bool guest_step_live(const struct arch_debug *d)
{
	return !d->oslk && (d->mdscr & MDSCR_SS);
}

/* Would the guest take a debug exception from where it is? */
static bool guest_takes_debug(const struct vcpu *vcpu)
{
	const struct arch_debug *d = &vcpu->arch.debug;

	if (vcpu_from_el0(vcpu))
		return true;
	return (d->mdscr & MDSCR_KDE) && !(vcpu_regs(vcpu)->pstate & PSR_D);
}

/* DBGWVR/DBGWCR for one of the debugger's watchpoints; false if invalid. */
static bool host_watch_regs(const struct dbg_hw_watch *w, uint64_t *wvr,
			    uint64_t *wcr)
{
	uint64_t cr = DBGWCR_E | DBGxCR_PxC_EL1_EL0 |
		      ((uint64_t)w->kind << DBGWCR_LSC_SHIFT);
	uint64_t offset = w->addr & 7;

	if (w->kind < DBG_WATCH_READ || w->kind > DBG_WATCH_ACCESS ||
	    w->len == 0)
		return false;
	if (offset + w->len <= 8) {
		/* BAS: one bit per byte of the doubleword. */
		*wvr = w->addr & ~7UL;
		*wcr = cr | (((1UL << w->len) - 1) << offset
			     << DBGWCR_BAS_SHIFT);
		return true;
	}
	/* MASK: an aligned power of two; BAS must then be all ones. */
	if ((w->len & (w->len - 1)) || (w->addr & (w->len - 1)) ||
	    w->len > arch_debug_max_watch_len())
		return false;
	*wvr = w->addr;
	*wcr = cr | (0xffUL << DBGWCR_BAS_SHIFT) |
	       ((uint64_t)__builtin_ctzl(w->len) << DBGWCR_MASK_SHIFT);
	return true;
}

/* Does the access at far (a write or not) hit the debugger's watch? */
static bool host_watch_hit(const struct dbg_hw_watch *w, uint64_t far,
			   bool write)
{
	if ((w->kind == DBG_WATCH_READ && write) ||
	    (w->kind == DBG_WATCH_WRITE && !write))
		return false;
	/*
	 * FAR_EL2 is an address the access used, not necessarily the
	 * watched byte (Arm ARM D2.10.5): compare the aligned blocks the
	 * hardware compared.
	 */
	if ((w->addr & 7) + w->len <= 8)
		return ALIGN_DOWN(far, 8) == ALIGN_DOWN(w->addr, 8);
	return ALIGN_DOWN(far, w->len) == w->addr;
}

/* A guest control register as the merge loads it (never matching EL2). */
static uint64_t guest_cr_for_hw(uint64_t cr)
{
	return cr & ~DBGxCR_HMC;
}

static bool bp_is_context(uint64_t bcr)
{
	return DBGBCR_BT(bcr) != DBGBCR_BT_ADDR &&
	       DBGBCR_BT(bcr) != DBGBCR_BT_ADDR_LINKED;
}

/* Guest breakpoint g into hardware slot h. */
static void load_guest_bp(struct arch_debug *d, unsigned int g,
			  unsigned int h)
{
	hw_write_dbgbvr(h, d->bvr[g]);
	hw_write_dbgbcr(h, guest_cr_for_hw(d->bcr[g]));
	d->hw_bp_guest[h] = (uint8_t)(g + 1);
}

static void load_guest_wp(struct arch_debug *d, unsigned int g,
			  unsigned int h)
{
	hw_write_dbgwvr(h, d->wvr[g]);
	hw_write_dbgwcr(h, guest_cr_for_hw(d->wcr[g]));
	d->hw_wp_guest[h] = (uint8_t)(g + 1);
}

/* Is the context breakpoint a linked one names loaded where it was? */
static bool link_loaded(const struct arch_debug *d, uint64_t cr)
{
	unsigned int lbn = (unsigned int)DBGxCR_LBN(cr);

	return lbn < nr_brps && d->hw_bp_guest[lbn] == lbn + 1 &&
	       bp_is_context(d->bcr[lbn]);
}

static void merge_guest_bps(struct arch_debug *d, unsigned int first)
{
	uint32_t used = (1U << first) - 1, pending = 0;
	unsigned int g, h;

	for (g = 0; g < nr_brps; g++) {
		uint64_t bcr = d->bcr[g];

		if (!(bcr & DBGBCR_E) || (DBGBCR_BT(bcr) & 8))
			continue; /* disabled, or VMID matching (no EL2) */
		if (!(used & B(g))) {
			load_guest_bp(d, g, g);
			used |= 1U << g;
		} else if (!bp_is_context(bcr)) {
			pending |= 1U << g;
		}
	}
	for (g = 0; g < nr_brps; g++) {
		if (!(pending & B(g)))
			continue;
		for (h = first; h < nr_brps && (used & B(h)); h++)
			;
		if (h == nr_brps)
			break; /* out of slots: the debugger wins */
		load_guest_bp(d, g, h);
		used |= 1U << h;
	}
	/* A linked address breakpoint needs its context breakpoint. */
	for (h = first; h < nr_brps; h++) {
		unsigned int gs = d->hw_bp_guest[h];

		if (gs && DBGBCR_BT(d->bcr[gs - 1]) == DBGBCR_BT_ADDR_LINKED &&
		    !link_loaded(d, d->bcr[gs - 1])) {
			hw_write_dbgbcr(h, 0);
			d->hw_bp_guest[h] = 0;
		}
	}
}

static void merge_guest_wps(struct arch_debug *d, unsigned int first)
{
	uint32_t used = (1U << first) - 1, pending = 0;
	unsigned int g, h;

	for (g = 0; g < nr_wrps; g++) {
		uint64_t wcr = d->wcr[g];

		if (!(wcr & DBGWCR_E))
			continue;
		if ((wcr & DBGWCR_WT_LINKED) && !link_loaded(d, wcr))
			continue;
		if (!(used & B(g))) {
			load_guest_wp(d, g, g);
			used |= 1U << g;
		} else {
			pending |= 1U << g;
		}
	}
	for (g = 0; g < nr_wrps; g++) {
		if (!(pending & B(g)))
			continue;
		for (h = first; h < nr_wrps && (used & B(h)); h++)
			;
		if (h == nr_wrps)
			break;
		load_guest_wp(d, g, h);
		used |= 1U << h;
	}
}

static void excl_stop(struct vcpu *vcpu);

/* Rebuild the hardware from dbg_host and the guest's shadow. */
static void host_load(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	unsigned int nb = 0, nw = 0, i;
	bool any = false;
	uint64_t mdscr = d->mdscr & MDSCR_TDCC;

	/* An exclusive sequence's breakpoints are not part of the merge. */
	if (d->excl_run)
		excl_stop(vcpu);
	if (dbg_host.attached) {
		nb = dbg_host.nr_breaks < nr_brps ? dbg_host.nr_breaks
						  : nr_brps;
		nw = dbg_host.nr_watches < nr_wrps ? dbg_host.nr_watches
						   : nr_wrps;
	}
	d->nr_host_bps = (uint8_t)nb;
	d->nr_host_wps = (uint8_t)nw;
	for (i = 0; i < nr_brps; i++) {
		d->hw_bp_guest[i] = 0;
		if (i < nb) {
			hw_write_dbgbvr(i, dbg_host.breaks[i] & ~3UL);
			hw_write_dbgbcr(i, DBGBCR_E | DBGxCR_PxC_EL1_EL0 |
						   DBGBCR_BAS_A64);
			any = true;
		} else {
			hw_write_dbgbcr(i, 0);
		}
	}
	for (i = 0; i < nr_wrps; i++) {
		uint64_t wvr, wcr = 0;

		d->hw_wp_guest[i] = 0;
		if (i < nw && host_watch_regs(&dbg_host.watches[i], &wvr, &wcr)) {
			hw_write_dbgwvr(i, wvr);
			any = true;
		}
		hw_write_dbgwcr(i, wcr);
	}
	if (guest_bp_wp_live(d)) {
		merge_guest_bps(d, nb);
		merge_guest_wps(d, nw);
		any = true;
	}
	if (any && !d->step_over)
		mdscr |= MDSCR_MDE;
	if (d->host_step || d->step_over || guest_step_live(d))
		mdscr |= MDSCR_SS;
	write_mdscr_el1(mdscr);
	isb();
	d->host_mdscr = mdscr;
	d->host_loaded = 1;
}

/* Trap WFI/WFE and hold interrupts back while the debugger steps. */
static void set_host_step(struct vcpu *vcpu, bool step)
{
	uint64_t hcr = vcpu->arch.hcr_el2 & ~(HCR_TWI | HCR_TWE);

	vcpu->arch.debug.host_step = step;
	vcpu->arch.debug.range_steps = 0;
	/*
	 * A stepped WFI or WFE traps and completes as a NOP: with interrupts
	 * held back it could otherwise sleep for good.
	 */
	if (step)
		hcr |= HCR_TWI | HCR_TWE;
	if (hcr != vcpu->arch.hcr_el2) {
		vcpu->arch.hcr_el2 = hcr;
		write_hcr_el2(hcr);
		isb();
	}
	vcpu->arch.vgic_hold_pending = step && !dbg_host.step_irqs;
	if (step)
		vcpu_regs(vcpu)->pstate |= PSR_SS;
}

uint64_t debug_guest_pstate(const struct vcpu *vcpu, uint64_t pstate)
{
	const struct arch_debug *d = &vcpu->arch.debug;

	/*
	 * PSTATE.SS that vigil set for its own step is not the guest's; nor
	 * is it while vigil steps through the guest's masked window, where
	 * the guest's PSTATE.SS is 0 (see "exclusive sequences" below).
	 */
	if (((d->host_step || d->step_over) && !guest_step_live(d)) ||
	    d->step_through)
		pstate &= ~PSR_SS;
	return pstate;
}

void debug_wfx_stepped(struct vcpu *vcpu)
{
	/*
	 * A range step over a line that waits for an interrupt would spin
	 * for good with interrupts held back: deliver them for the rest of
	 * this range (a single step just completes the WFI as a NOP).
	 */
	if (vcpu->dbg.mode == DBG_RUN_RANGE)
		vcpu->arch.vgic_hold_pending = 0;
}

static void acquire(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (d->state == DEBUG_DIRTY) {
		save_full(d);
		vcpu->stats.dbg_switches++;
	}
	d->state = DEBUG_TRAPPING;
	d->host_owned = 1;
	/* vigil keeps the guest's OS lock in the shadow (TDOSA). */
	write_oslar_el1(0);
	update_mdcr(vcpu);
}

void arch_debug_host_acquire(struct vcpu *vcpu)
{
	if (vcpu->arch.debug.host_owned)
		return;
	acquire(vcpu);
	host_load(vcpu);
}

void arch_debug_host_release(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (!d->host_owned)
		return;
	if (d->excl_run)
		excl_stop(vcpu);
	if (d->host_step || d->step_over || d->step_through) {
		vcpu_regs(vcpu)->pstate = debug_guest_pstate(
			vcpu, vcpu_regs(vcpu)->pstate);
		d->step_over = 0;
		d->step_through = 0;
		set_host_step(vcpu, false);
	}
	d->host_owned = 0;
	d->host_loaded = 0;
	clear_hardware();
	if (!d->oslk && anything_enabled(d))
		go_dirty(vcpu);
	else
		update_mdcr(vcpu);
}

unsigned int arch_debug_nr_hw_breaks(void) { return nr_brps; }
unsigned int arch_debug_nr_hw_watches(void) { return nr_wrps; }

uint64_t arch_debug_max_watch_len(void)
{
	return 1UL << DBGWCR_MASK_MAX;
}

void arch_debug_vcpu_resume(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	bool step = vcpu->dbg.mode != DBG_RUN_CONTINUE;
	/*
	 * Read before dbg_host: the debugger may change it while this runs
	 * (non-stop), and then this older generation makes the next reload
	 * (vcpu_request_debug_reload) load it again.
	 */
	uint32_t generation =
		__atomic_load_n(&dbg_host.generation, __ATOMIC_ACQUIRE);

	if (!dbg_host.attached) {
		if (d->host_owned)
			arch_debug_host_release(vcpu);
		return;
	}
	/*
	 * Stopped inside an exclusive sequence: the debugger may have changed
	 * anything, so step through again from wherever the vCPU is.
	 */
	if (d->excl_run)
		excl_stop(vcpu);
	/* The common resume: nothing changed since the last one. */
	if (d->host_loaded && !step && !d->host_step && !d->step_over &&
	    vcpu->dbg.loaded_generation == generation)
		return;
	if (!d->host_owned)
		acquire(vcpu);
	/* A silent step-over cut short by the pause: its breakpoint re-fires. */
	if (d->step_over) {
		d->step_over = 0;
		vcpu_regs(vcpu)->pstate &= ~PSR_SS;
	}
	set_host_step(vcpu, step);
	host_load(vcpu);
	vcpu->dbg.loaded_generation = generation;
}

/* ---- The guest's own step, masked at EL1: exclusive sequences ---------- */

/*
 * What the architecture says (Arm ARM DDI 0487, D2.12 "Software Step
 * exceptions", and D2.2 "Enabling debug exceptions from the current
 * Exception level"): software step is enabled at EL0 whenever
 * MDSCR_EL1.SS is set (OS lock clear), and at EL1 only with MDSCR_EL1.KDE
 * set and PSTATE.D clear. Where it is not enabled, the step state machine
 * is inactive and the PE just runs: a guest may leave SS set at EL1 with D
 * set or KDE clear (Linux between enabling a ptrace step and its eret;
 * kvm-unit-tests around its own step test) and nothing happens there. It
 * becomes active only by a way out of that window:
 *
 *   - an exception return to where it is enabled: PSTATE.SS comes from
 *     SPSR_EL1.SS (DebugExceptionReturnSS(): disabled at the source,
 *     enabled at the destination). SS = 1 is active-not-pending: the
 *     first instruction there completes, then the step exception;
 *     SS = 0 is active-pending: the exception comes before it (ISV = 0);
 *   - MSR DAIFClr/DAIF clearing D with KDE set: active-pending at once;
 *   - a write to MDSCR_EL1 or OSLAR_EL1, which vigil traps.
 *
 * With the debugger attached (MDCR_EL2.TDE) the hardware cannot tell that
 * window apart: the debug target is EL2, so KDE and PSTATE.D do not apply
 * and the hardware step either steps every EL1 instruction or none. ERET
 * and MSR DAIF do not trap (not without FEAT_NV or FEAT_FGT), so vigil
 * cannot run the window freely and stop it at the way out. It steps the
 * window through EL2 instead (guest_step(): exact, the way out is seen at
 * the instruction that takes it), which costs one exit per instruction
 * and has one flaw: an exception return clears the PE's local exclusive
 * monitor (Arm ARM B2.9, "Context switch support"), so a store-exclusive
 * that follows a stepped load-exclusive always fails and an LDAXR/STXR
 * lock taken in the window is never taken.
 *
 * So an exclusive sequence is run unstepped, as GDB steps over atomic
 * sequences: when the instruction vigil is about to step through is a
 * load-exclusive followed, within EXCL_SCAN_MAX instructions, by a
 * store-exclusive, and everything in between is data processing, barriers,
 * NOP or conditional branches, the hardware step goes off (MDSCR_EL1.SS
 * clear, MDE set) and breakpoints of vigil's own (EL1 only, in slots that
 * neither the debugger nor the guest uses) go on: after the
 * store-exclusive, on every branch target outside the sequence, and on
 * the guest's synchronous vector for its current SP (an abort, UNDEF or
 * anything vigil injects in between ends up there). Nothing in the
 * sequence can leave the window (no ERET, no MSR, no indirect branch),
 * virtual interrupts are held back meanwhile, as for a step, and an
 * exception taken to EL1 sets PSTATE.D: so the guest is still in its
 * masked window when one of those breakpoints fires, and stepping through
 * goes on from there. A breakpoint at the same address that is the
 * debugger's or the guest's own is handled as usual. Any exit in the
 * middle clears the monitor too, so the store-exclusive fails and the
 * guest retries, as it would after an interrupt on hardware; a stop by
 * the debugger ends the sequence (step through again from wherever the
 * vCPU is). When the slots are not free, vigil steps through as before.
 *
 * The guest's PSTATE.SS is 0 throughout the window (an exception entry
 * clears it, a return into the window cannot set it, and the instruction
 * that masked the step was stepped), so that is what it is while a
 * sequence runs and what SPSR_EL1.SS shows (debug_guest_pstate()).
 */
#define EXCL_SCAN_MAX 16 /* instructions after the load-exclusive */
#define EXCL_MAX_BPS 4   /* struct arch_debug.excl_bps */

/* A64 encodings (Arm ARM C4.1, "A64 instruction set encoding"). */
#define INSN_LDST_EXCL_MASK 0x3f800000U /* load/store exclusive, o2 = 0 */
#define INSN_LDST_EXCL 0x08000000U
#define INSN_LDST_EXCL_L B(22)          /* load */
#define INSN_LDST_EXCL_O1 B(21)         /* pair */
#define INSN_SIZE_64 B(31)
#define INSN_DP_IMM_MASK 0x1c000000U    /* data processing, immediate */
#define INSN_DP_IMM 0x10000000U
#define INSN_DP_REG_MASK 0x0e000000U    /* data processing, register */
#define INSN_DP_REG 0x0a000000U
#define INSN_BCOND_MASK 0xff000010U
#define INSN_BCOND 0x54000000U
#define INSN_CB_MASK 0x7e000000U
#define INSN_CBZ_CBNZ 0x34000000U
#define INSN_TBZ_TBNZ 0x36000000U
#define INSN_NOP 0xd503201fU
#define INSN_BARRIER_MASK 0xfffff01fU   /* CLREX, DSB, DMB, ISB, SB */
#define INSN_BARRIER 0xd503301fU
#define PAR_F B(0)
#define PAR_PA_MASK GENMASK(47, 12)
#define VECTOR_SYNC_SPX 0x200 /* current EL with SP_ELx */

enum excl_kind { EXCL_NONE, EXCL_LOAD, EXCL_STORE };

static enum excl_kind insn_exclusive(uint32_t insn)
{
	if ((insn & INSN_LDST_EXCL_MASK) != INSN_LDST_EXCL)
		return EXCL_NONE;
	/* o1 with a 32-bit size is CASP (FEAT_LSE), not LDXP/STXP. */
	if ((insn & INSN_LDST_EXCL_O1) && !(insn & INSN_SIZE_64))
		return EXCL_NONE;
	return (insn & INSN_LDST_EXCL_L) ? EXCL_LOAD : EXCL_STORE;
}

static int64_t sign_extend(uint64_t v, unsigned int bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* B.cond, CB(N)Z, TB(N)Z: true, and its target. */
static bool insn_cond_branch(uint32_t insn, uint64_t pc, uint64_t *target)
{
	int64_t words;

	if ((insn & INSN_BCOND_MASK) == INSN_BCOND ||
	    (insn & INSN_CB_MASK) == INSN_CBZ_CBNZ)
		words = sign_extend(field_get(insn, 23, 5), 19);
	else if ((insn & INSN_CB_MASK) == INSN_TBZ_TBNZ)
		words = sign_extend(field_get(insn, 18, 5), 14);
	else
		return false;
	*target = pc + (uint64_t)(words * 4);
	return true;
}

/* No branch, no memory access, no change of PSTATE.D, SP or EL. */
static bool insn_plain(uint32_t insn)
{
	return (insn & INSN_DP_IMM_MASK) == INSN_DP_IMM ||
	       (insn & INSN_DP_REG_MASK) == INSN_DP_REG || insn == INSN_NOP ||
	       (insn & INSN_BARRIER_MASK) == INSN_BARRIER;
}

/*
 * The instruction at the guest's virtual address va, through its stage-1
 * tables (AT; PAR_EL1 is the guest's and is put back) and vigil's map of
 * guest RAM, which is identity (IPA == PA).
 */
static bool guest_insn(const struct vcpu *vcpu, uint64_t va, uint32_t *insn)
{
	uint64_t saved = read_par_el1(), par, ipa;

	__asm__ volatile("at s1e1r, %0" : : "r"(va));
	isb();
	par = read_par_el1();
	write_par_el1(saved);
	if (par & PAR_F)
		return false;
	ipa = (par & PAR_PA_MASK) | (va & 0xfff);
	if (!IS_ALIGNED(ipa, 4) || !vm_ipa_is_ram(vcpu->vm, ipa, 4))
		return false;
	*insn = *(const volatile uint32_t *)(uintptr_t)ipa;
	return true;
}

static unsigned int add_bp(uint64_t *bps, unsigned int n, uint64_t addr)
{
	for (unsigned int i = 0; i < n; i++) {
		if (bps[i] == addr)
			return n;
	}
	if (n < EXCL_MAX_BPS)
		bps[n] = addr;
	return n + 1;
}

/*
 * The exclusive sequence that starts at pc, as above: the number of
 * breakpoints that end it (in bps), or 0 if there is none to run.
 */
static unsigned int excl_sequence(const struct vcpu *vcpu, uint64_t *bps)
{
	const struct arch_regs *regs = vcpu_regs(vcpu);
	uint64_t pc = regs->pc, at, target, outside[EXCL_SCAN_MAX];
	unsigned int n, nr_outside = 0, i;
	uint32_t insn;

	if (!guest_insn(vcpu, pc, &insn) || insn_exclusive(insn) != EXCL_LOAD)
		return 0;
	for (at = pc + 4; at <= pc + 4 * EXCL_SCAN_MAX; at += 4) {
		if (!guest_insn(vcpu, at, &insn))
			return 0;
		if (insn_exclusive(insn) == EXCL_STORE)
			break;
		if (insn_cond_branch(insn, at, &target)) {
			outside[nr_outside++] = target;
			continue;
		}
		if (!insn_plain(insn))
			return 0;
	}
	if (at > pc + 4 * EXCL_SCAN_MAX)
		return 0;
	n = add_bp(bps, 0, at + 4);
	n = add_bp(bps, n, read_vbar_el1() +
			       ((regs->pstate & PSR_MODE_MASK) == PSR_MODE_EL1H
					? VECTOR_SYNC_SPX
					: 0));
	for (i = 0; i < nr_outside; i++) {
		if (outside[i] < pc || outside[i] > at)
			n = add_bp(bps, n, outside[i]);
	}
	/* Never a breakpoint on the first instruction: it would fire now. */
	for (i = 0; i < n && i < EXCL_MAX_BPS; i++) {
		if (bps[i] == pc)
			return 0;
	}
	return n <= EXCL_MAX_BPS ? n : 0;
}

/*
 * About to step through the instruction at pc in the guest's masked
 * window: run it and the rest of an exclusive sequence unstepped instead,
 * if there is one and the slots for its breakpoints are free.
 */
static void excl_try_start(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	uint64_t bps[EXCL_MAX_BPS];
	unsigned int n, i = 0, h;
	uint16_t slots = 0;

	if (d->host_step || d->step_over || !d->host_loaded ||
	    !guest_step_live(d) || vcpu_from_el0(vcpu))
		return;
	n = excl_sequence(vcpu, bps);
	if (n == 0)
		return;
	for (h = d->nr_host_bps; h < nr_brps && i < n; h++) {
		if (!d->hw_bp_guest[h]) {
			slots |= (uint16_t)(1U << h);
			i++;
		}
	}
	if (i < n)
		return; /* out of slots: step through */
	i = 0;
	for (h = 0; h < nr_brps; h++) {
		if (!(slots & B(h)))
			continue;
		d->excl_bps[i] = bps[i];
		hw_write_dbgbvr(h, bps[i++]);
		hw_write_dbgbcr(h, DBGBCR_E | DBGxCR_PxC_EL1 | DBGBCR_BAS_A64);
	}
	d->nr_excl_bps = (uint8_t)n;
	d->excl_slots = slots;
	d->excl_run = 1;
	write_mdscr_el1((d->host_mdscr | MDSCR_MDE) & ~MDSCR_SS);
	isb();
	vcpu_regs(vcpu)->pstate &= ~PSR_SS;
	vcpu->arch.vgic_hold_pending = 1;
}

/* The sequence is over, or cut short: step through again from here. */
static void excl_stop(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	for (unsigned int h = 0; h < nr_brps; h++) {
		if (d->excl_slots & B(h))
			hw_write_dbgbcr(h, 0);
	}
	d->excl_slots = 0;
	d->excl_run = 0;
	write_mdscr_el1(d->host_mdscr);
	isb();
	vcpu->arch.vgic_hold_pending = 0; /* a sequence never runs in a host step */
	d->step_through = 1;
	vcpu_regs(vcpu)->pstate |= PSR_SS;
}

/* Step the guest through its masked window: the next instruction. */
static void step_through(struct vcpu *vcpu)
{
	vcpu->arch.debug.step_through = 1;
	vcpu_regs(vcpu)->pstate |= PSR_SS;
	excl_try_start(vcpu);
}

static bool host_bp_at(const struct arch_debug *d, uint64_t pc);
static bool guest_bp_at(const struct arch_debug *d, uint64_t pc);

/*
 * A breakpoint while a sequence runs: it is over. True if the breakpoint
 * was only vigil's; the debugger's or the guest's is handled as usual.
 */
static bool excl_breakpoint(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	uint64_t pc = vcpu_regs(vcpu)->pc;
	bool ours = false;

	for (unsigned int i = 0; i < d->nr_excl_bps; i++)
		ours |= d->excl_bps[i] == pc;
	excl_stop(vcpu);
	if (!ours || host_bp_at(d, pc) || guest_bp_at(d, pc))
		return false;
	excl_try_start(vcpu); /* the next sequence may start right here */
	return true;
}

/* ---- Debug exceptions taken to EL2 ------------------------------------ */

static const char *const event_names[] = {
	[DBG_EV_BRK] = "brk",
	[DBG_EV_HW_BREAK] = "hw-break",
	[DBG_EV_WATCH] = "watch",
	[DBG_EV_STEP] = "step",
};

static bool host_event(struct vcpu *vcpu, const struct dbg_event *ev,
		       uint32_t steps)
{
	/* Test guests check from the serial log that EL2 saw the event. */
	if (vcpu->vm->test_hooks)
		log_info("test: debug event %s vcpu=%u pc=0x%llx slot=%u "
			 "addr=0x%llx write=%u steps=%u",
			 event_names[ev->kind], vcpu->id,
			 (unsigned long long)ev->pc, ev->slot,
			 (unsigned long long)ev->data_addr, ev->write ? 1 : 0,
			 steps);
	return debugger_event(vcpu, ev);
}

/* Over one instruction with every breakpoint and watchpoint off. */
static void step_over(struct vcpu *vcpu)
{
	vcpu->arch.debug.step_over = 1;
	vcpu_regs(vcpu)->pstate |= PSR_SS;
	host_load(vcpu);
}

/*
 * A breakpoint, watchpoint or step exception that is not the debugger's:
 * the guest's, if its own rules say it takes it (mde_or_ss is the enable
 * its kind needs), else stepped over (or, for a step, stepped through).
 */
static void guest_debug_exception(struct vcpu *vcpu, uint64_t esr,
				  uint64_t ec_low, uint64_t ec_cur, bool live,
				  uint64_t far, bool set_far)
{
	if (live && guest_takes_debug(vcpu)) {
		uint64_t ec = vcpu_from_el0(vcpu) ? ec_low : ec_cur;

		esr = (esr & ~((uint64_t)EC_MAX << ESR_EC_SHIFT)) |
		      ec << ESR_EC_SHIFT;
		vcpu_inject_sync(vcpu, esr, far, set_far);
		return;
	}
	if (ec_low == EC_SOFTSTP_LOW) {
		/*
		 * The guest's MDSCR_EL1.SS at EL1 with KDE clear or D set:
		 * on hardware nothing happens until it returns to EL0. Here
		 * each such instruction steps through EL2.
		 */
		vcpu_regs(vcpu)->pstate |= PSR_SS;
		return;
	}
	step_over(vcpu);
}

void debug_handle_brk(struct vcpu *vcpu, uint64_t esr)
{
	struct dbg_event ev = {
		.kind = DBG_EV_BRK,
		.pc = vcpu_regs(vcpu)->pc,
		.brk_imm = (uint16_t)ESR_BRK_IMM(esr),
	};

	if (dbg_host.attached && host_event(vcpu, &ev, 0))
		return;
	/* The guest's own: the same syndrome at EL1, ELR at the BRK. */
	vcpu_inject_sync(vcpu, esr, 0, false);
}

/* Does one of the debugger's loaded breakpoints match pc? */
static bool host_bp_at(const struct arch_debug *d, uint64_t pc)
{
	for (unsigned int i = 0; i < d->nr_host_bps; i++) {
		if ((dbg_host.breaks[i] & ~3UL) == pc)
			return true;
	}
	return false;
}

/* Does one of the guest's loaded breakpoints match pc? */
static bool guest_bp_at(const struct arch_debug *d, uint64_t pc)
{
	for (unsigned int h = d->nr_host_bps; h < nr_brps; h++) {
		unsigned int g = d->hw_bp_guest[h];
		if (g && !bp_is_context(d->bcr[g - 1]) &&
		    (d->bvr[g - 1] & ~3UL) == pc)
			return true;
	}
	return false;
}

void debug_handle_breakpoint(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_debug *d = &vcpu->arch.debug;
	uint64_t pc = vcpu_regs(vcpu)->pc;

	if (d->excl_run && excl_breakpoint(vcpu))
		return;
	for (unsigned int i = 0; i < d->nr_host_bps; i++) {
		struct dbg_event ev = {
			.kind = DBG_EV_HW_BREAK, .pc = pc, .slot = i,
		};

		if ((dbg_host.breaks[i] & ~3UL) != pc)
			continue;
		if (host_event(vcpu, &ev, 0))
			return;
		if (!guest_bp_at(d, pc)) {
			step_over(vcpu);
			return;
		}
		break;
	}
	guest_debug_exception(vcpu, esr, EC_BREAKPT_LOW, EC_BREAKPT_CUR,
			      guest_bp_wp_live(d), 0, false);
}

static bool guest_wp_at(const struct arch_debug *d, uint64_t far)
{
	for (unsigned int h = d->nr_host_wps; h < nr_wrps; h++) {
		unsigned int g = d->hw_wp_guest[h];
		uint64_t mask;

		if (!g)
			continue;
		mask = field_get(d->wcr[g - 1], 28, 24);
		mask = mask ? (1UL << mask) - 1 : 7;
		if ((d->wvr[g - 1] & ~mask) == (far & ~mask))
			return true;
	}
	return false;
}

void debug_handle_watchpoint(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_debug *d = &vcpu->arch.debug;
	uint64_t far = read_far_el2();
	bool write = esr & ESR_WP_WNR;

	if (d->excl_run)
		excl_stop(vcpu); /* handled as while stepping through */
	for (unsigned int i = 0; i < d->nr_host_wps; i++) {
		struct dbg_event ev = {
			.kind = DBG_EV_WATCH, .pc = vcpu_regs(vcpu)->pc,
			.data_addr = far, .slot = i, .write = write,
		};

		if (!host_watch_hit(&dbg_host.watches[i], far, write))
			continue;
		if (host_event(vcpu, &ev, 0))
			return;
		if (!guest_wp_at(d, far)) {
			step_over(vcpu);
			return;
		}
		break;
	}
	guest_debug_exception(vcpu, esr, EC_WATCHPT_LOW, EC_WATCHPT_CUR,
			      guest_bp_wp_live(d), far, true);
}

/* The debugger's step or range step is over: report it. */
static void host_step_done(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	struct dbg_event ev = {
		.kind = DBG_EV_STEP, .pc = vcpu_regs(vcpu)->pc,
	};
	uint32_t steps = d->range_steps + 1;

	set_host_step(vcpu, false);
	host_load(vcpu);
	/*
	 * Not taken (no debugger): run on. Taken: every vCPU stops, and
	 * the debugger says how this one resumes.
	 */
	if (!host_event(vcpu, &ev, steps))
		vcpu->dbg.mode = DBG_RUN_CONTINUE;
}

/*
 * Did the instruction just stepped (while stepping through EL1, where the
 * guest would not take its step) return from an exception?
 *
 * Now at EL0: yes, that is the only way down from EL1. Still at EL1: if it
 * left the guest where an ERET would, PC = ELR_EL1 and PSTATE = SPSR_EL1
 * (SS aside). The first test cannot use the second: QEMU does not restore
 * every PSTATE bit of an EL0 return exactly as SPSR_EL1 holds it.
 */
static bool stepped_eret(const struct vcpu *vcpu)
{
	const struct arch_regs *regs = vcpu_regs(vcpu);

	if (vcpu_from_el0(vcpu))
		return true;
	return regs->pc == read_elr_el1() &&
	       ((regs->pstate ^ read_spsr_el1()) & ~PSR_SS) == 0;
}

/*
 * The guest's own software step. At EL1 with its KDE clear or D set the
 * guest would not take it: vigil steps through instead (PSTATE.SS = 1),
 * one instruction at a time (or one exclusive sequence: step_through()),
 * until the guest gets where it does take it.
 * If it got there by an exception return, the step goes on as the
 * guest's ERET would have set it: debug exceptions off at the source, on
 * at the destination, so PSTATE.SS comes from SPSR_EL1.SS (Arm ARM,
 * DebugExceptionReturnSS()). With TDE the hardware saw them on at the
 * source too, and cleared PSTATE.SS.
 */
static void guest_step(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_debug *d = &vcpu->arch.debug;
	bool through = d->step_through;

	d->step_through = 0;
	if (guest_step_live(d) && guest_takes_debug(vcpu)) {
		if (through) {
			if (stepped_eret(vcpu) && (read_spsr_el1() & PSR_SS)) {
				vcpu_regs(vcpu)->pstate |= PSR_SS;
				return;
			}
			/*
			 * The guest's step just became active, and pending
			 * (e.g. PSTATE.D unmasked): no instruction was
			 * stepped, so ISV = 0.
			 */
			esr &= ~(ESR_SS_ISV | ESR_SS_EX);
		}
		guest_debug_exception(vcpu, esr, EC_SOFTSTP_LOW,
				      EC_SOFTSTP_CUR, true, 0, false);
		return;
	}
	step_through(vcpu);
}

static void step_slow(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (d->excl_run)
		excl_stop(vcpu); /* not expected: the step is off meanwhile */
	if (d->step_over) {
		/* The instruction is done: the merge again. */
		d->step_over = 0;
		host_load(vcpu);
		if (d->host_step)
			debug_handle_step(vcpu, esr);
		return;
	}
	guest_step(vcpu, esr);
}

void debug_handle_step(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_debug *d = &vcpu->arch.debug;
	struct arch_regs *regs = vcpu_regs(vcpu);

	if (__builtin_expect(!d->host_step || d->step_over, 0)) {
		step_slow(vcpu, esr);
		return;
	}
	/*
	 * The hot path of a range step: still in the range, so step the
	 * next instruction (PSTATE.SS = 1 makes the step active-not-pending
	 * again, Arm ARM D2.12.3). entry.S (guest_sync) does the same before
	 * the full save whenever the exit hooks have nothing to do: keep
	 * the conditions and range_steps in step with it.
	 */
	if (vcpu->dbg.mode == DBG_RUN_RANGE &&
	    regs->pc - vcpu->dbg.range_start <
		    vcpu->dbg.range_end - vcpu->dbg.range_start) {
		d->range_steps++;
		regs->pstate |= PSR_SS;
		return;
	}
	host_step_done(vcpu);
}

#ifdef VIGIL_EAGER_DEBUG
/*
 * Build variant for `make bench` only (EXTRA_CFLAGS=-DVIGIL_EAGER_DEBUG):
 * what every exit would cost without lazy switching, i.e. the whole set
 * saved on every exit and restored on every entry, whatever the state.
 *
 * The values go to a scratch copy, never to the shadow, so the guest sees
 * exactly what the lazy scheme gives it. The restore is skipped (the
 * hardware is left as the exit left it) unless the vCPU was TRAPPING and
 * guest-owned at both ends of the exit: then nothing is enabled in either
 * copy and rewriting the saved values changes nothing the guest can see.
 * In every other case the exit may have changed the hardware on purpose
 * (go_dirty, go_trapping, an emulated write, the debugger), and DIRTY
 * entries restore the shadow right after this anyway.
 */
static struct {
	struct arch_debug regs;
	uint8_t restorable;
} eager_scratch[VM_MAX_VCPUS];

static bool eager_restorable(const struct vcpu *vcpu)
{
	const struct arch_debug *d = &vcpu->arch.debug;

	return d->state == DEBUG_TRAPPING && !d->host_owned;
}

void debug_eager_exit(struct vcpu *vcpu)
{
	save_full(&eager_scratch[vcpu->id].regs);
	eager_scratch[vcpu->id].restorable = eager_restorable(vcpu);
}

void debug_eager_entry(struct vcpu *vcpu)
{
	if (eager_scratch[vcpu->id].restorable && eager_restorable(vcpu))
		restore_full(&eager_scratch[vcpu->id].regs);
}
#endif

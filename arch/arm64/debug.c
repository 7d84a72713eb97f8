/*
 * The guest's debug registers: trap-on-access, the dirty bit and lazy
 * switching (see debug.h for the states). The design follows the KVM/arm
 * thread in shared/seeds: trap until the guest touches a debug register,
 * then hand it the hardware and switch the full set on every exit until
 * its control registers show nothing enabled; never a partial set.
 */
#include <arch_vcpu.h>
#include <vigil/log.h>
#include <vigil/vm.h>

#include "debug.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"

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
static uint64_t mdcr_hpmn;

unsigned int debug_nr_brps(void) { return nr_brps; }
unsigned int debug_nr_wrps(void) { return nr_wrps; }

void debug_init(void)
{
	uint64_t dfr0;

	__asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
	nr_brps = (unsigned int)field_get(dfr0, 15, 12) + 1;
	nr_wrps = (unsigned int)field_get(dfr0, 23, 20) + 1;
	/* The guest gets every performance counter. */
	mdcr_hpmn = field_get(read_pmcr_el0(), 15, 11) & MDCR_HPMN_MASK;
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
		return mdcr_hpmn | MDCR_TDE | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
	if (d->state == DEBUG_DIRTY)
		return mdcr_hpmn | MDCR_TDOSA;
	return mdcr_hpmn | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
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

void debug_vcpu_reset(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;
	bool host = d->host_owned;

	*d = (struct arch_debug){0};
	/* The OS lock is set by a cold reset (Arm ARM D2.5.4). */
	d->oslk = 1;
	d->host_owned = host;
	if (!host)
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

	if (d->host_owned)
		return;
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
	/* While DIRTY the hardware must equal the shadow. */
	if (handled && !read && !os_lock_regs && d->state == DEBUG_DIRTY)
		restore_full(d);
	return handled;
}

void arch_debug_host_acquire(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (d->host_owned)
		return;
	if (d->state == DEBUG_DIRTY) {
		save_full(d);
		vcpu->stats.dbg_switches++;
	}
	d->state = DEBUG_TRAPPING;
	d->host_owned = 1;
	clear_hardware();
	update_mdcr(vcpu);
}

void arch_debug_host_release(struct vcpu *vcpu)
{
	struct arch_debug *d = &vcpu->arch.debug;

	if (!d->host_owned)
		return;
	d->host_owned = 0;
	clear_hardware();
	if (!d->oslk && anything_enabled(d))
		go_dirty(vcpu);
	else
		update_mdcr(vcpu);
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

/*
 * The guest's GICv3. The distributor and the redistributors are emulated
 * as trapped MMIO at the addresses of the real ones; the CPU interface is
 * the hardware's virtual one (ICV_* behind HCR_EL2.IMO/FMO), fed through
 * the list registers.
 *
 * While an interrupt sits in a list register, the LR owns its state: the
 * guest may take, complete and deactivate it without an exit. At every
 * exit the list registers in use are folded back (a pending state the
 * software side gained meanwhile, e.g. a second edge from another vCPU,
 * is OR-ed in, never overwritten) and emptied; before every entry the
 * highest-priority deliverable interrupts of that vCPU are loaded (active
 * ones first, so the guest can always deactivate what it took). With more
 * candidates than list registers, the underflow maintenance interrupt
 * brings the vCPU back to load the rest. A per-vCPU count of
 * pending-or-active interrupts keeps both hooks to one branch when nothing
 * is in flight.
 *
 * A change that must take an interrupt back out of another running
 * vCPU's list register (clear-pending, disable, reroute) marks it, kicks
 * that vCPU and waits until its next exit has synced: like GICD_CTLR.RWP
 * on hardware, the write has taken effect when it completes.
 *
 * Interrupts of devices the guest owns, and its timers, are forwarded with
 * the list register's HW bit: vigil only drops the physical priority, and
 * the guest's deactivation of the virtual interrupt deactivates the
 * physical one. The pending state the guest reads of them includes the
 * physical one, a level-sensitive line's level (read_bits). Interrupts
 * vigil owns (its timer, the kick SGI, the UART) are never visible to the
 * guest; the emulated UART has its own virtual line, driven by
 * arch_virq_set_level().
 *
 * One lock covers all of it: interrupt traffic is light next to the cost
 * of the trap that carries it.
 */
#include <string.h>

#include <arch_cpu.h>
#include <arch_irq.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/mmio.h>
#include <vigil/platform.h>
#include <vigil/pool.h>
#include <vigil/vm.h>

#include "cpu.h"
#include "gic_regs.h"
#include "gicv3.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"
#include "vgic.h"

/* ICH_* (virtual CPU interface control) */
SYSREG_RW(ich_hcr, S3_4_C12_C11_0)
SYSREG_READ(ich_vtr, S3_4_C12_C11_1)
SYSREG_RW(ich_vmcr, S3_4_C12_C11_7)
SYSREG_RW(ich_ap0r0, S3_4_C12_C8_0)
SYSREG_RW(ich_ap1r0, S3_4_C12_C9_0)
#define ICH_HCR_EN (1UL << 0)
#define ICH_HCR_UIE (1UL << 1)

#define LR_STATE_PENDING (1UL << 62)
#define LR_STATE_ACTIVE (1UL << 63)
#define LR_HW (1UL << 61)
#define LR_GROUP1 (1UL << 60)
#define LR_PRIORITY_SHIFT 48
#define LR_PINTID_SHIFT 32
#define LR_EOI (1UL << 41) /* maintenance interrupt on EOI (HW = 0) */
#define VGIC_MAX_LRS 16

#define IROUTER_IRM (1UL << 31)
#define AP_WORDS ((GIC_MAX_INTID + 63) / 64)

struct virq {
	uint8_t priority;
	uint8_t enabled;
	uint8_t pending;
	uint8_t active;
	uint8_t level;    /* line level of an emulated interrupt */
	uint8_t edge;     /* ICFGR: edge-triggered */
	uint8_t hw;       /* forwarded from the same physical INTID */
	uint8_t emulated; /* vigil's device models drive it */
	uint8_t group1;
	uint8_t in_lr;    /* vCPU + 1 whose list register holds it, or 0 */
	uint8_t drop_lr_pending; /* ICPENDR'd while in a list register */
	uint32_t target;  /* vCPU (SPIs) */
	uint64_t irouter;
};

static struct vgic {
	struct vm *vm;
	uint32_t nr_irqs, nr_lrs;
	uint8_t priority_mask;
	uint32_t ctlr;
	struct mem_range dist, redist;
	struct virq *spis;
	struct virq priv[VM_MAX_VCPUS][GIC_NR_PRIVATE];
	/* Pending-or-active interrupts by the vCPU they target. */
	uint64_t ap[VM_MAX_VCPUS][AP_WORDS];
	uint32_t lr_intid[VM_MAX_VCPUS][VGIC_MAX_LRS];
	volatile uint64_t sync_seq[VM_MAX_VCPUS]; /* list registers folded back */
	uint8_t sleeping[VM_MAX_VCPUS];
	arch_spinlock_t lock;
} vgic;

static inline uint32_t this_vcpu_id(void)
{
	return this_cpu()->index;
}

static struct virq *virq_of(uint32_t vcpu, uint32_t intid)
{
	if (intid < GIC_NR_PRIVATE)
		return vcpu < VM_MAX_VCPUS ? &vgic.priv[vcpu][intid] : NULL;
	if (intid < vgic.nr_irqs)
		return &vgic.spis[intid - GIC_NR_PRIVATE];
	return NULL;
}

static uint32_t target_of(const struct virq *irq, uint32_t vcpu,
			  uint32_t intid)
{
	return intid < GIC_NR_PRIVATE ? vcpu : irq->target;
}

/* Keep the per-vCPU pending-or-active bitmap in step with irq. */
static void update_ap(uint32_t target, uint32_t intid, const struct virq *irq)
{
	uint64_t bit = 1UL << (intid % 64), *word = &vgic.ap[target][intid / 64];
	bool want = irq->pending || irq->active;

	if (want && !(*word & bit)) {
		*word |= bit;
		vgic.vm->vcpus[target].arch.vgic_in_flight++;
	} else if (!want && (*word & bit)) {
		*word &= ~bit;
		vgic.vm->vcpus[target].arch.vgic_in_flight--;
	}
}

/* Make the target notice a change, if it is another CPU. */
static void notify(uint32_t target)
{
	if (target != this_vcpu_id())
		arch_cpu_kick(target);
}

static void set_pending(uint32_t vcpu, uint32_t intid, bool pending)
{
	struct virq *irq = virq_of(vcpu, intid);
	if (irq == NULL)
		return;
	uint32_t t = target_of(irq, vcpu, intid);
	irq->pending = pending;
	update_ap(t, intid, irq);
	if (pending)
		notify(t);
}

/* ---- list registers ------------------------------------------------- */

#define LR_CASE_READ(n, crm, op2) \
	case n: __asm__ volatile("mrs %0, S3_4_C12_" #crm "_" #op2 : "=r"(v)); break;
#define LR_CASE_WRITE(n, crm, op2) \
	case n: __asm__ volatile("msr S3_4_C12_" #crm "_" #op2 ", %0" : : "r"(v)); break;
#define LR_CASES(M)                                                        \
	M(0, C12, 0) M(1, C12, 1) M(2, C12, 2) M(3, C12, 3) M(4, C12, 4)    \
	M(5, C12, 5) M(6, C12, 6) M(7, C12, 7) M(8, C13, 0) M(9, C13, 1)    \
	M(10, C13, 2) M(11, C13, 3) M(12, C13, 4) M(13, C13, 5)             \
	M(14, C13, 6) M(15, C13, 7)

static uint64_t read_lr(unsigned int n)
{
	uint64_t v = 0;
	switch (n) { LR_CASES(LR_CASE_READ) }
	return v;
}

static void write_lr(unsigned int n, uint64_t v)
{
	switch (n) { LR_CASES(LR_CASE_WRITE) }
}

/* Fold the list registers back into the software state. */
static void sync_lrs(uint32_t v)
{
	for (unsigned int i = 0; i < vgic.vm->vcpus[v].arch.vgic_used_lrs; i++) {
		uint64_t lr = read_lr(i);
		uint32_t intid = vgic.lr_intid[v][i];
		struct virq *irq = virq_of(v, intid);

		write_lr(i, 0);
		if (irq == NULL)
			continue;
		irq->in_lr = 0;
		if ((lr & LR_STATE_PENDING) && !irq->drop_lr_pending)
			irq->pending = 1;
		irq->drop_lr_pending = 0;
		irq->active = (lr & LR_STATE_ACTIVE) != 0;
		/* A level-sensitive line still high is pending again. */
		if (irq->emulated && !irq->edge && irq->level)
			irq->pending = 1;
		/* Rerouted while here: the new target takes it from now on. */
		uint32_t t = target_of(irq, v, intid);
		update_ap(t, intid, irq);
		if (t != v && (irq->pending || irq->active))
			notify(t);
	}
	vgic.vm->vcpus[v].arch.vgic_used_lrs = 0;
	vgic.sync_seq[v]++;
}

static bool deliverable(const struct virq *irq)
{
	if (irq->active)
		return true;
	return irq->pending && irq->enabled && irq->group1 &&
	       (vgic.ctlr & (GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G1A));
}

/*
 * Load the best candidates: active first, then by priority. While the
 * debugger steps the vCPU (vgic_hold_pending), only active interrupts are
 * loaded, as active alone: the guest can still complete what it took, but
 * nothing new is signalled, and pending state stays in software until the
 * step is over. The guest's view of the GIC is unchanged: to it, the
 * interrupt simply arrives after the step.
 */
static void flush_lrs(uint32_t v)
{
	uint32_t cand[VGIC_MAX_LRS];
	unsigned int n = 0, total = 0;
	bool hold = vgic.vm->vcpus[v].arch.vgic_hold_pending;

	for (unsigned int w = 0; w < AP_WORDS; w++) {
		for (uint64_t bits = vgic.ap[v][w]; bits; bits &= bits - 1) {
			uint32_t intid = w * 64 + (uint32_t)__builtin_ctzl(bits);
			struct virq *irq = virq_of(v, intid);
			if (irq == NULL || !deliverable(irq))
				continue;
			if (hold && !irq->active)
				continue;
			total++;
			/* Keep the nr_lrs best: replace the worst if better. */
			unsigned int key = irq->active ? 0 : 1U + irq->priority;
			if (n < vgic.nr_lrs) {
				cand[n++] = intid;
				continue;
			}
			unsigned int worst = 0, worst_key = 0;
			for (unsigned int i = 0; i < n; i++) {
				struct virq *c = virq_of(v, cand[i]);
				unsigned int k = c->active ? 0 : 1U + c->priority;
				if (k >= worst_key) {
					worst_key = k;
					worst = i;
				}
			}
			if (key < worst_key)
				cand[worst] = intid;
		}
	}

	for (unsigned int i = 0; i < n; i++) {
		struct virq *irq = virq_of(v, cand[i]);
		uint64_t lr = cand[i] | LR_GROUP1 |
			      (uint64_t)irq->priority << LR_PRIORITY_SHIFT;
		if (irq->pending && !hold)
			lr |= LR_STATE_PENDING;
		if (irq->active)
			lr |= LR_STATE_ACTIVE;
		if (irq->hw)
			lr |= LR_HW | (uint64_t)cand[i] << LR_PINTID_SHIFT;
		else if (irq->emulated && !irq->edge)
			lr |= LR_EOI;
		write_lr(i, lr);
		vgic.lr_intid[v][i] = cand[i];
		/* The list register owns the state until the next sync. */
		irq->in_lr = (uint8_t)(v + 1);
		if (!hold)
			irq->pending = 0;
		irq->active = 0;
	}
	vgic.vm->vcpus[v].arch.vgic_used_lrs = n;

	uint64_t hcr = ICH_HCR_EN;
	if (total > n)
		hcr |= ICH_HCR_UIE;
	write_ich_hcr(hcr);
}

void vgic_exit_slow(struct vcpu *vcpu)
{
	arch_spin_lock(&vgic.lock);
	sync_lrs(vcpu->id);
	arch_spin_unlock(&vgic.lock);
}

void vgic_entry_slow(struct vcpu *vcpu)
{
	arch_spin_lock(&vgic.lock);
	flush_lrs(vcpu->id);
	arch_spin_unlock(&vgic.lock);
}

/* ---- forwarded (HW) interrupts ------------------------------------- */

static enum gic_irq_result forward_irq(uint32_t intid, void *ctx)
{
	uint32_t self = this_vcpu_id();
	struct virq *irq;
	enum gic_irq_result r = GIC_IRQ_FORWARDED;

	(void)ctx;
	arch_spin_lock(&vgic.lock);
	irq = virq_of(self, intid);
	if (irq == NULL || !irq->enabled || irq->emulated) {
		/* Disabled meanwhile: let the hardware have it back. */
		if (irq != NULL && intid >= GIC_NR_PRIVATE)
			gic_enable(intid, false);
		r = GIC_IRQ_DONE;
	} else {
		irq->hw = 1;
		set_pending(self, intid, true);
	}
	arch_spin_unlock(&vgic.lock);
	return r;
}

/*
 * The virtual timer's PPI is level-triggered and forwarded: when it fires
 * vigil marks it pending for the guest and leaves the physical interrupt
 * active until the guest deactivates the virtual one (HW bit). A vCPU held
 * by the debugger keeps its old CNTVOFF_EL2 until it resumes, so its timer
 * can fire during the stop for a deadline that, once the offset has grown
 * by the stop, is still in the guest's future. Delivered anyway, the guest
 * would find CNTV_CTL.ISTATUS clear and the interrupt spurious (Linux
 * returns IRQ_NONE). So, once the offset has changed: if the timer's
 * condition no longer holds and the guest has not taken the interrupt
 * yet, take the pending state back and deactivate the physical PPI; the
 * timer then fires again when it is due in the guest's time. A timer that
 * was already due at the stop still is: it stays pending and the guest
 * takes it as soon as it runs. Called between exit and entry, so the list
 * registers are empty (synced at the exit).
 */
void vgic_vtimer_offset_changed(struct vcpu *vcpu)
{
	uint64_t ctl = read_cntv_ctl_el0();
	bool firing = (ctl & (CNTV_CTL_ENABLE | CNTV_CTL_IMASK |
			      CNTV_CTL_ISTATUS)) ==
		      (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS);
	struct virq *irq;

	if (firing)
		return;
	arch_spin_lock(&vgic.lock);
	irq = virq_of(vcpu->id, GIC_PPI_VIRT_TIMER);
	if (irq != NULL && irq->hw && irq->pending && !irq->active &&
	    !irq->in_lr) {
		irq->pending = 0;
		update_ap(vcpu->id, GIC_PPI_VIRT_TIMER, irq);
		/* This CPU's redistributor: the PPI is this vCPU's own. */
		gic_set_active(GIC_PPI_VIRT_TIMER, false);
	}
	arch_spin_unlock(&vgic.lock);
}

static enum gic_irq_result maintenance_irq(uint32_t intid, void *ctx)
{
	(void)intid, (void)ctx;
	/* The exit itself re-syncs and refills the list registers. */
	write_ich_hcr(ICH_HCR_EN);
	return GIC_IRQ_DONE;
}

/* A guest write changed enable/pending/config/route of a forwarded irq:
 * the physical interrupt follows. Private ones on their own CPU only. */
static bool is_forwarded(const struct virq *irq, uint32_t intid)
{
	if (irq->emulated)
		return false;
	return intid == GIC_PPI_VIRT_TIMER || intid == GIC_PPI_PHYS_TIMER ||
	       intid >= GIC_NR_PRIVATE;
}

static void phys_enable(uint32_t vcpu, uint32_t intid, bool en)
{
	if (intid < GIC_NR_PRIVATE)
		gic_enable_on(vcpu, intid, en);
	else
		gic_enable(intid, en);
}

/*
 * The interrupt is in the list register of a vCPU other than the caller's:
 * have it folded back now. Called with the lock held; returns the vCPU to
 * wait for (see wait_synced), or -1.
 */
static int recall_from_lr(const struct virq *irq)
{
	int owner = (int)irq->in_lr - 1;

	if (owner < 0 || (uint32_t)owner == this_vcpu_id())
		return -1;
	arch_cpu_kick((uint32_t)owner);
	return owner;
}

/* Without the lock: wait (bounded) until vCPU v has synced since seq. */
static void wait_synced(int v, uint64_t seq)
{
	if (v < 0)
		return;
	for (unsigned long spins = 0;
	     vgic.sync_seq[v] == seq && spins < 10000000UL; spins++)
		__asm__ volatile("yield" ::: "memory");
}

/* ---- register emulation -------------------------------------------- */

enum bitop { OP_ENABLE, OP_DISABLE, OP_SETPEND, OP_CLRPEND, OP_SETACT,
	     OP_CLRACT, OP_GROUP };

/*
 * The pending state of a forwarded interrupt is its software state (what
 * vigil took at EL2 and has not delivered yet, or what the guest set with
 * ISPENDR) OR-ed with the physical interrupt's pending state, read from
 * the GIC that owns it. The GIC keeps an interrupt's pending state
 * whatever its enable: disabling only stops it being forwarded to a CPU
 * interface (IHI 0069 4.7.1 and 4.7.3; GICD_ICENABLER does not change the
 * state). For a level-sensitive interrupt that state follows the line
 * (4.1.2): pending while the signal is asserted, and a write to
 * GIC*_ICPENDR has no effect on an interrupt pending because its signal
 * is asserted (the GICR_ICPENDR0 description) - it is "immediately
 * pending again". A timer's output is such a line (CNT*_CTL: ENABLE,
 * ISTATUS, not IMASK).
 *
 * vigil disables the physical interrupt while the guest has the virtual
 * one disabled (so a line the guest does not want never storms EL2), and
 * does not latch anything then: the physical GIC holds the line's state,
 * and the guest reads it here, for its own redistributor, another vCPU's
 * or the distributor alike. Enabled again, a still-asserted line fires
 * at EL2 and is forwarded as usual, once; a line that dropped meanwhile
 * (the guest masked its timer) leaves nothing pending, as on hardware.
 * Latching the line in software while the physical interrupt stays
 * enabled would instead keep a stale pending state after the line
 * dropped (kvm-unit-tests' timer test checks exactly that).
 */
static uint64_t read_bits(uint32_t vcpu, uint32_t first, enum bitop op)
{
	uint64_t v = 0;
	uint32_t line = 0;

	if (op == OP_SETPEND || op == OP_CLRPEND)
		line = gic_pending_word_on(vcpu, first);
	for (uint32_t i = 0; i < 32; i++) {
		struct virq *irq = virq_of(vcpu, first + i);
		if (irq == NULL)
			break;
		bool bit;
		switch (op) {
		case OP_ENABLE: case OP_DISABLE: bit = irq->enabled; break;
		case OP_SETPEND: case OP_CLRPEND:
			bit = irq->pending || (is_forwarded(irq, first + i) &&
					       ((line >> i) & 1));
			break;
		case OP_SETACT: case OP_CLRACT: bit = irq->active; break;
		default: bit = irq->group1; break;
		}
		v |= (uint64_t)bit << i;
	}
	return v;
}

/* Returns a vCPU whose list registers must be synced first, or -1. */
static int write_bits(uint32_t vcpu, uint32_t first, enum bitop op,
		      uint32_t val)
{
	int recall = -1;

	for (uint32_t i = 0; i < 32; i++) {
		uint32_t intid = first + i;
		struct virq *irq = virq_of(vcpu, intid);
		if (irq == NULL)
			break;
		bool bit = (val >> i) & 1;
		if (op == OP_GROUP) {
			irq->group1 = bit;
			continue;
		}
		if (!bit)
			continue;
		uint32_t t = target_of(irq, vcpu, intid);
		bool fwd = is_forwarded(irq, intid);
		switch (op) {
		case OP_ENABLE:
			irq->enabled = 1;
			if (fwd)
				phys_enable(t, intid, true);
			if (irq->pending)
				notify(t);
			break;
		case OP_DISABLE:
			irq->enabled = 0;
			if (fwd)
				phys_enable(t, intid, false);
			if (irq->in_lr)
				recall = recall_from_lr(irq);
			break;
		case OP_SETPEND:
			set_pending(vcpu, intid, true);
			break;
		case OP_CLRPEND:
			set_pending(vcpu, intid, false);
			/* The physical latch; an asserted line stays pending. */
			if (fwd)
				gic_set_pending_on(t, intid, false);
			if (irq->in_lr) {
				irq->drop_lr_pending = 1;
				recall = recall_from_lr(irq);
			}
			break;
		case OP_SETACT:
			irq->active = 1;
			update_ap(t, intid, irq);
			break;
		case OP_CLRACT:
			irq->active = 0;
			update_ap(t, intid, irq);
			/*
			 * The physical interrupt stays active for as long as
			 * the guest has the virtual one (HW bit): deactivated
			 * here rather than through a list register, it must
			 * be deactivated too, or it never fires again. Timer
			 * PPIs included, in their CPU's redistributor.
			 */
			if (fwd && irq->hw)
				gic_set_active_on(t, intid, false);
			break;
		default:
			break;
		}
	}
	return recall;
}

/* Common layout of the distributor and the redistributor's SGI frame. */
static bool bank_access(uint32_t vcpu, uint64_t off, uint32_t base_intid,
			uint32_t nr, struct mmio_access *acc, int *recall)
{
	static const struct { uint64_t off; enum bitop op; } bitregs[] = {
		{GICD_IGROUPR, OP_GROUP},     {GICD_ISENABLER, OP_ENABLE},
		{GICD_ICENABLER, OP_DISABLE}, {GICD_ISPENDR, OP_SETPEND},
		{GICD_ICPENDR, OP_CLRPEND},   {GICD_ISACTIVER, OP_SETACT},
		{GICD_ICACTIVER, OP_CLRACT},
	};

	for (size_t k = 0; k < sizeof(bitregs) / sizeof(bitregs[0]); k++) {
		uint64_t start = bitregs[k].off + base_intid / 8;
		if (off < start || off >= bitregs[k].off + (base_intid + nr) / 8)
			continue;
		uint32_t first = (uint32_t)(off - bitregs[k].off) * 8;
		if (acc->size != 4)
			return true; /* word registers: other widths RAZ/WI */
		if (acc->write)
			*recall = write_bits(vcpu, first, bitregs[k].op,
					     (uint32_t)acc->value);
		else
			acc->value = read_bits(vcpu, first, bitregs[k].op);
		return true;
	}

	if (off >= GICD_IPRIORITYR + base_intid &&
	    off < GICD_IPRIORITYR + base_intid + nr) {
		for (unsigned int b = 0; b < acc->size; b++) {
			struct virq *irq =
				virq_of(vcpu, (uint32_t)(off - GICD_IPRIORITYR) + b);
			if (irq == NULL)
				break;
			if (acc->write)
				irq->priority = (uint8_t)(acc->value >> (8 * b)) &
						vgic.priority_mask;
			else
				acc->value |= (uint64_t)irq->priority << (8 * b);
		}
		return true;
	}

	if (off >= GICD_ICFGR + base_intid / 4 &&
	    off < GICD_ICFGR + (base_intid + nr) / 4 && acc->size == 4) {
		uint32_t first = (uint32_t)(off - GICD_ICFGR) * 4;
		for (uint32_t i = 0; i < 16; i++) {
			struct virq *irq = virq_of(vcpu, first + i);
			if (irq == NULL)
				break;
			if (!acc->write) {
				acc->value |= (uint64_t)(irq->edge ? 2 : 0) << (2 * i);
			} else if (first + i >= 16) { /* SGIs are always edge */
				irq->edge = (acc->value >> (2 * i + 1)) & 1;
				if (is_forwarded(irq, first + i) &&
				    first + i >= GIC_NR_PRIVATE)
					gic_set_level_triggered(first + i, !irq->edge);
			}
		}
		return true;
	}
	return false;
}

static uint32_t vcpu_of_affinity(uint64_t aff)
{
	struct vcpu *v = vm_find_vcpu_by_mpidr(vgic.vm, aff & MPIDR_HWID_MASK);
	return v != NULL ? v->id : 0;
}

static bool dist_access(struct vcpu *vcpu, struct mmio_access *acc,
			uint64_t off, void *priv)
{
	int recall = -1;
	uint64_t seq = 0;

	(void)priv;
	arch_spin_lock(&vgic.lock);
	acc->value = acc->write ? acc->value : 0;

	if (off >= GICD_IROUTER + 8 * GIC_NR_PRIVATE &&
	    off < GICD_IROUTER + 8 * (uint64_t)vgic.nr_irqs) {
		uint32_t intid = (uint32_t)((off - GICD_IROUTER) / 8);
		struct virq *irq = virq_of(0, intid);
		unsigned int shift = (off & 4) ? 32 : 0;
		uint64_t mask = acc->size == 8 ? ~0UL : 0xffffffffUL << shift;
		if (acc->size != 8 && acc->size != 4) {
			/* RAZ/WI */
		} else if (!acc->write) {
			acc->value = (irq->irouter & mask) >> shift;
		} else {
			uint64_t old_target = irq->target;
			irq->irouter = ((irq->irouter & ~mask) |
					((acc->value << shift) & mask)) &
				       (0xff00ffffffUL | IROUTER_IRM);
			irq->target = (irq->irouter & IROUTER_IRM)
					      ? 0
					      : vcpu_of_affinity(irq->irouter);
			if (irq->target != old_target && irq->in_lr)
				recall = recall_from_lr(irq);
			if (irq->target != old_target) {
				/* Move its bookkeeping to the new target. */
				bool p = irq->pending, a = irq->active;
				irq->pending = irq->active = 0;
				update_ap((uint32_t)old_target, intid, irq);
				irq->pending = p;
				irq->active = a;
				update_ap(irq->target, intid, irq);
			}
			if (is_forwarded(irq, intid))
				gic_route_spi(intid,
					      vgic.vm->vcpus[irq->target].mpidr);
		}
		goto out;
	}
	if (bank_access(vcpu->id, off, GIC_NR_PRIVATE,
			vgic.nr_irqs - GIC_NR_PRIVATE, acc, &recall))
		goto out;

	switch (off) {
	case GICD_CTLR:
		if (acc->write)
			vgic.ctlr = (uint32_t)acc->value &
				    (GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G1A);
		else
			acc->value = vgic.ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
		break;
	case GICD_TYPER:
		if (!acc->write)
			acc->value = ((vgic.nr_irqs / 32) - 1) | (9U << 19) |
				     GICD_TYPER_NO1N;
		break;
	case GICD_IIDR:
		if (!acc->write)
			acc->value = GIC_IIDR_ARM;
		break;
	case GICD_PIDR2:
		if (!acc->write)
			acc->value = GIC_PIDR2_ARCH_V3;
		break;
	default:
		break; /* reserved, or banked to the redistributors: RAZ/WI */
	}
out:
	if (recall >= 0)
		seq = vgic.sync_seq[recall];
	arch_spin_unlock(&vgic.lock);
	wait_synced(recall, seq);
	return true;
}

static bool redist_access(struct vcpu *vcpu, struct mmio_access *acc,
			  uint64_t off, void *priv)
{
	uint32_t frame = (uint32_t)(off / GICR_FRAME_SIZE);
	uint64_t reg = off % GICR_FRAME_SIZE;
	struct vm *vm = vgic.vm;

	int recall = -1;
	uint64_t seq = 0;

	(void)vcpu, (void)priv;
	acc->value = acc->write ? acc->value : 0;
	/* Past the last vCPU's frame there is no device, as on hardware. */
	if (frame >= vm->nr_vcpus)
		return false;

	arch_spin_lock(&vgic.lock);
	if (reg >= GICR_SGI_BASE) {
		bank_access(frame, reg - GICR_SGI_BASE, 0, GIC_NR_PRIVATE, acc,
			    &recall);
		goto out;
	}
	switch (reg) {
	case GICR_TYPER:
	case GICR_TYPER + 4:
		if (!acc->write) {
			uint64_t mpidr = vm->vcpus[frame].mpidr;
			uint64_t typer = gic_affinity_of(mpidr) << 32 | (uint64_t)frame << 8 |
					 (frame == vm->nr_vcpus - 1 ? GICR_TYPER_LAST : 0);
			acc->value = reg == GICR_TYPER
					     ? (acc->size == 8 ? typer : (uint32_t)typer)
					     : typer >> 32;
		}
		break;
	case GICR_IIDR:
		if (!acc->write)
			acc->value = GIC_IIDR_ARM;
		break;
	case GICR_WAKER:
		if (acc->write)
			vgic.sleeping[frame] = (acc->value & GICR_WAKER_PROCESSOR_SLEEP) != 0;
		else
			acc->value = vgic.sleeping[frame]
					     ? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
					     : 0;
		break;
	case GICD_PIDR2:
		if (!acc->write)
			acc->value = GIC_PIDR2_ARCH_V3;
		break;
	default:
		break; /* CTLR (no LPIs), PROPBASER, PENDBASER...: RAZ/WI */
	}
out:
	if (recall >= 0)
		seq = vgic.sync_seq[recall];
	arch_spin_unlock(&vgic.lock);
	wait_synced(recall, seq);
	return true;
}

/* ---- SGIs --------------------------------------------------------- */

bool vgic_sgi_access(struct vcpu *vcpu, const struct sysreg_trap *r,
		     bool read, uint64_t *val)
{
	uint64_t v = *val;
	uint32_t intid = (uint32_t)((v >> 24) & 0xf);
	bool broadcast = (v >> 40) & 1;
	uint64_t aff321 = ((v >> 48) & 0xff) << 32 | ((v >> 32) & 0xff) << 16 |
			  ((v >> 16) & 0xff) << 8;
	uint32_t rs = (uint32_t)((v >> 44) & 0xf);
	struct vm *vm = vcpu->vm;

	(void)r;
	if (read)
		return false; /* write-only */
	arch_spin_lock(&vgic.lock);
	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		uint64_t mpidr = vm->vcpus[i].mpidr;
		bool hit;
		if (broadcast) {
			hit = i != vcpu->id;
		} else {
			uint32_t aff0 = (uint32_t)(mpidr & 0xff);
			hit = (mpidr & 0xff00ffff00UL) == aff321 &&
			      aff0 / 16 == rs && ((v >> (aff0 % 16)) & 1);
		}
		if (hit)
			set_pending(i, intid, true);
	}
	arch_spin_unlock(&vgic.lock);
	return true;
}

/* ---- device models and set-up --------------------------------------- */

bool arch_virq_claim(struct vm *vm, uint32_t intid)
{
	struct virq *irq = virq_of(0, intid);

	(void)vm;
	if (irq == NULL || intid < GIC_NR_PRIVATE)
		return false;
	irq->emulated = 1;
	return true;
}

void arch_virq_set_level(struct vm *vm, uint32_t intid, bool level)
{
	struct virq *irq = virq_of(0, intid);

	(void)vm;
	if (irq == NULL || !irq->emulated)
		return;
	arch_spin_lock(&vgic.lock);
	if (irq->level != level) {
		irq->level = level;
		if (level || !irq->edge)
			set_pending(irq->target, intid, level);
		/* A line that dropped takes back what a list register holds. */
		if (!level && !irq->edge && irq->in_lr) {
			irq->drop_lr_pending = 1;
			recall_from_lr(irq);
		}
	}
	arch_spin_unlock(&vgic.lock);
}

bool arch_irq_from_dt(const void *fdt, const char *compatible, uint32_t *intid)
{
	uint32_t cells[4];
	int n;

	/* GIC binding: <type number flags>, type 0 = SPI, 1 = PPI. */
	if (!platform_find_device_irq(fdt, compatible, 0, cells, &n) || n != 3)
		return false;
	*intid = cells[1] + (cells[0] == 1 ? 16 : GIC_NR_PRIVATE);
	return *intid < gic_nr_irqs();
}

struct irq_request {
	void (*fn)(void *ctx);
	void *ctx;
};
static struct irq_request irq_requests[4];
static unsigned int nr_irq_requests;

static enum gic_irq_result requested_irq(uint32_t intid, void *ctx)
{
	struct irq_request *rq = ctx;
	(void)intid;
	rq->fn(rq->ctx);
	return GIC_IRQ_DONE;
}

bool arch_irq_request(uint32_t intid, void (*handler)(void *ctx), void *ctx)
{
	if (intid < GIC_NR_PRIVATE || intid >= gic_nr_irqs() ||
	    nr_irq_requests == sizeof(irq_requests) / sizeof(irq_requests[0]))
		return false;
	struct irq_request *rq = &irq_requests[nr_irq_requests++];
	rq->fn = handler;
	rq->ctx = ctx;
	gic_set_handler(intid, requested_irq, rq);
	gic_set_level_triggered(intid, true);
	gic_route_spi(intid, cpu_data[0].hwid);
	gic_enable(intid, true);
	return true;
}

static void reset_private(uint32_t v)
{
	/* GICR_WAKER: ProcessorSleep and ChildrenAsleep reset to 1. */
	vgic.sleeping[v] = 1;
	for (uint32_t i = 0; i < GIC_NR_PRIVATE; i++) {
		struct virq *irq = &vgic.priv[v][i];
		*irq = (struct virq){.edge = i < 16};
		update_ap(v, i, irq);
	}
}

void vgic_vcpu_reset(struct vcpu *vcpu)
{
	arch_spin_lock(&vgic.lock);
	sync_lrs(vcpu->id);
	reset_private(vcpu->id);
	arch_spin_unlock(&vgic.lock);
	write_ich_vmcr(0);
	write_ich_ap0r0(0);
	write_ich_ap1r0(0);
	write_ich_hcr(ICH_HCR_EN);
	/*
	 * The virtual state is gone, so is any physical activation held for
	 * it (a timer interrupt forwarded just before the guest's CPU_OFF):
	 * left active, the timer would never fire again after the reset.
	 */
	gic_enable(GIC_PPI_VIRT_TIMER, false);
	gic_enable(GIC_PPI_PHYS_TIMER, false);
	gic_set_active(GIC_PPI_VIRT_TIMER, false);
	gic_set_active(GIC_PPI_PHYS_TIMER, false);
	isb();
}

void vgic_vcpu_init(struct vcpu *vcpu)
{
	gic_cpu_init();
	gic_set_level_triggered(GIC_PPI_VIRT_TIMER, true);
	gic_set_level_triggered(GIC_PPI_PHYS_TIMER, true);
	gic_enable(GIC_PPI_MAINTENANCE, true);
	write_ich_hcr(ICH_HCR_EN);
	(void)vcpu;
	isb();
}

static bool vgic_init(const void *fdt, struct vm *vm)
{
	struct mmio_region dist, redist;

	if (!gic_init(fdt))
		return false;
	vgic.vm = vm;
	vgic.nr_irqs = gic_nr_irqs();
	vgic.nr_lrs = (uint32_t)(read_ich_vtr() & 0x1f) + 1;
	if (vgic.nr_lrs > VGIC_MAX_LRS)
		vgic.nr_lrs = VGIC_MAX_LRS;
	unsigned int pri_bits = (unsigned int)((read_ich_vtr() >> 29) & 7) + 1;
	vgic.priority_mask = (uint8_t)(0xff << (8 - pri_bits));
	vgic.spis = pool_alloc_pages((ALIGN_UP((vgic.nr_irqs - GIC_NR_PRIVATE) *
						       sizeof(struct virq),
					       PAGE_SIZE)) /
				     PAGE_SIZE);
	if (vgic.spis == NULL)
		return false;
	for (uint32_t v = 0; v < VM_MAX_VCPUS; v++)
		reset_private(v);

	gic_dist_range(&vgic.dist);
	gic_redist_range(&vgic.redist);
	dist = (struct mmio_region){"gicd", vgic.dist.base, 0x10000,
				    dist_access, NULL};
	redist = (struct mmio_region){"gicr", vgic.redist.base, vgic.redist.size,
				      redist_access, NULL};
	if (!mmio_register(&vm->mmio, &dist) || !mmio_register(&vm->mmio, &redist))
		return false;
	/* No ITS for the guest: its register frame is not passed through. */
	struct mem_range its;
	if (platform_find_device_reg(fdt, "arm,gic-v3-its", 0, &its))
		platform_hide_device(its.base, its.size);

	for (uint32_t i = GIC_NR_PRIVATE; i < vgic.nr_irqs; i++)
		gic_set_handler(i, forward_irq, NULL);
	gic_set_handler(GIC_PPI_VIRT_TIMER, forward_irq, NULL);
	gic_set_handler(GIC_PPI_PHYS_TIMER, forward_irq, NULL);
	gic_set_handler(GIC_PPI_MAINTENANCE, maintenance_irq, NULL);
	log_debug("vGIC: %u interrupts, %u list registers", vgic.nr_irqs,
		  vgic.nr_lrs);
	return true;
}
HV_INIT(HV_INIT_IRQCHIP, vgic_init);

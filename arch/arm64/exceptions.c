/*
 * Guest exits, dispatched by exception class through a const table whose
 * every slot defaults to injecting UNDEF (KVM's handle_exit.c pattern).
 * Nothing the guest does may stop EL2: each handler either emulates, or
 * hands the guest the exception real hardware would have given it.
 */
#include <arch_vcpu.h>
#include <vigil/log.h>
#include <vigil/mmio.h>
#include <vigil/panic.h>
#include <vigil/smccc.h>
#include <vigil/vm.h>

#include "cpu.h"
#include "debug.h"
#include "exceptions.h"
#include "gicv3.h"
#include "regs.h"
#include "sysreg.h"
#include "vcpu.h"
#include "vgic.h"

typedef void (*exit_handler_t)(struct vcpu *vcpu, uint64_t esr);

/* The trapped instruction is complete (see vcpu_instruction_done). */
static void skip_instruction(struct vcpu *vcpu, uint64_t esr)
{
	vcpu_instruction_done(vcpu, (esr & ESR_IL) ? 4 : 2);
}

static void handle_unknown(struct vcpu *vcpu, uint64_t esr)
{
	log_debug("vCPU %u: unhandled exit EC 0x%llx at pc 0x%llx, UNDEF "
		  "injected",
		  vcpu->id, (unsigned long long)ESR_EC(esr),
		  (unsigned long long)vcpu_regs(vcpu)->pc);
	arch_vcpu_inject_undef(vcpu);
}

static void smccc_from_regs(struct vcpu *vcpu)
{
	struct arch_regs *regs = vcpu_regs(vcpu);
	struct smccc_args args = {
		.fid = regs->x[0],
		.a1 = regs->x[1],
		.a2 = regs->x[2],
		.a3 = regs->x[3],
	};
	regs->x[0] = (uint64_t)smccc_guest_call(vcpu, &args);
}

static void handle_hvc(struct vcpu *vcpu, uint64_t esr)
{
	/*
	 * ELR already points past the HVC, which is complete: a step in
	 * flight is due before the next instruction (vcpu_instruction_done).
	 * Only HVC #0 is SMCCC.
	 */
	vcpu_instruction_done(vcpu, 0);
	if (ESR_ISS(esr) & 0xffff) {
		vcpu_regs(vcpu)->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
		return;
	}
	smccc_from_regs(vcpu);
}

static void handle_smc(struct vcpu *vcpu, uint64_t esr)
{
	/* A trapped SMC returns to the SMC itself: step over it first. */
	skip_instruction(vcpu, esr);
	if (ESR_ISS(esr) & 0xffff) {
		vcpu_regs(vcpu)->x[0] = (uint64_t)SMCCC_NOT_SUPPORTED;
		return;
	}
	smccc_from_regs(vcpu);
}

static void handle_wfx(struct vcpu *vcpu, uint64_t esr)
{
	/*
	 * Only trapped when vigil needs the CPU back, or while the debugger
	 * steps (the WFI completes as a NOP); resume after it.
	 */
	skip_instruction(vcpu, esr);
	if (vcpu->arch.debug.host_step)
		debug_wfx_stepped(vcpu);
}

/* FAR and HPFAR matter only for aborts: read them there, not per exit. */
static void record_fault_address(struct vcpu *vcpu)
{
	vcpu->arch.far = read_far_el2();
	vcpu->arch.hpfar = read_hpfar_el2();
}

static uint64_t fault_ipa(const struct vcpu *vcpu)
{
	return ((vcpu->arch.hpfar & HPFAR_FIPA_MASK) << 8) |
	       (vcpu->arch.far & 0xfff);
}

/*
 * A guest can fault as fast as it likes: log the first few aborts of each
 * vCPU and count the rest (stats), so the console stays usable.
 */
#define ABORT_LOG_LIMIT 16

static bool abort_log_allowed(struct vcpu *vcpu)
{
	uint64_t n = vcpu->stats.aborts_injected++;

	if (n == ABORT_LOG_LIMIT)
		log_info("vCPU %u: more aborts injected; counted, not logged",
			 vcpu->id);
	return n < ABORT_LOG_LIMIT;
}

static void handle_dabt(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_regs *regs = vcpu_regs(vcpu);
	uint64_t ipa;

	record_fault_address(vcpu);
	ipa = fault_ipa(vcpu);
	bool write = esr & ESR_DABT_WNR;

	/*
	 * Without a valid syndrome (ISV = 0: load/store pair, writeback,
	 * SIMD...) the access cannot be emulated safely: treat it as a bus
	 * error, as a real device behind an unsupported access would.
	 */
	if (esr & ESR_DABT_ISV) {
		unsigned int size = 1U << ESR_DABT_SAS(esr);
		unsigned int rt = ESR_DABT_SRT(esr);
		struct mmio_access acc = {
			.addr = ipa_init(ipa),
			.size = (uint8_t)size,
			.write = write,
		};

		if (write) {
			uint64_t v = rt == 31 ? 0 : regs->x[rt];
			acc.value = size == 8 ? v : v & ((1UL << (size * 8)) - 1);
		}
		if (mmio_dispatch(&vcpu->vm->mmio, vcpu, &acc)) {
			if (!write && rt != 31) {
				uint64_t v = acc.value;
				if ((esr & ESR_DABT_SSE) && size < 8) {
					unsigned int shift = 64 - size * 8;
					v = (uint64_t)((int64_t)(v << shift) >> shift);
				}
				if (!(esr & ESR_DABT_SF))
					v &= 0xffffffffUL;
				regs->x[rt] = v;
			}
			vcpu->stats.mmio++;
			skip_instruction(vcpu, esr);
			return;
		}
	}

	if (abort_log_allowed(vcpu))
		log_info("vCPU %u: %s of unmapped IPA 0x%llx at pc 0x%llx: "
			 "abort injected",
			 vcpu->id, write ? "write" : "read",
			 (unsigned long long)ipa, (unsigned long long)regs->pc);
	vcpu_inject_data_abort(vcpu, vcpu->arch.far, write);
}

static void handle_iabt(struct vcpu *vcpu, uint64_t esr)
{
	(void)esr;
	record_fault_address(vcpu);
	if (abort_log_allowed(vcpu))
		log_info("vCPU %u: instruction fetch from unmapped IPA 0x%llx: "
			 "abort injected",
			 vcpu->id, (unsigned long long)fault_ipa(vcpu));
	vcpu_inject_prefetch_abort(vcpu, vcpu->arch.far);
}

/* Every slot first gets the default, then the handled classes override it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const exit_handler_t exit_handlers[EC_MAX + 1] = {
	[0 ... EC_MAX] = handle_unknown,
	[EC_WFX] = handle_wfx,
	[EC_HVC64] = handle_hvc,
	[EC_SMC64] = handle_smc,
	[EC_SYS64] = handle_sysreg_trap,
	[EC_IABT_LOW] = handle_iabt,
	[EC_DABT_LOW] = handle_dabt,
	/* Routed here only while the debugger owns the hardware (TDE). */
	[EC_BREAKPT_LOW] = debug_handle_breakpoint,
	[EC_SOFTSTP_LOW] = debug_handle_step,
	[EC_WATCHPT_LOW] = debug_handle_watchpoint,
	[EC_BRK64] = debug_handle_brk,
};
#pragma GCC diagnostic pop

/*
 * Every exit starts and ends here. While the guest leaves its debug
 * hardware alone and no virtual interrupt is in flight, the debug and
 * vGIC hooks cost one predictable branch each.
 */
static struct vcpu *exit_begin(void)
{
	struct vcpu *vcpu = this_cpu()->vcpu;

	vcpu->stats.exits++;
	/* The hardware clears VSE as the guest takes the virtual SError. */
	if (__builtin_expect(vcpu->arch.hcr_el2 & HCR_VSE, 0))
		vcpu->arch.hcr_el2 = read_hcr_el2();
#ifdef VIGIL_EAGER_DEBUG
	debug_eager_exit(vcpu);
#endif
	if (__builtin_expect(vcpu->arch.debug.state != 0, 0))
		debug_exit_dirty(vcpu);
	vgic_exit(vcpu);
	return vcpu;
}

static void exit_end(struct vcpu *vcpu)
{
	vcpu_exit_epilogue(vcpu);
	vgic_entry(vcpu);
#ifdef VIGIL_EAGER_DEBUG
	debug_eager_entry(vcpu);
#endif
	if (__builtin_expect(vcpu->arch.debug.state != 0, 0))
		debug_entry_dirty(vcpu);
}

void arm64_guest_sync(struct arch_regs *regs)
{
	struct vcpu *vcpu = exit_begin();
	uint64_t esr = read_esr_el2();

	(void)regs;
	vcpu->arch.esr = esr;
	vcpu->stats.exits_by_class[ESR_EC(esr)]++;
	exit_handlers[ESR_EC(esr)](vcpu, esr);
	exit_end(vcpu);
}

void arm64_guest_irq(struct arch_regs *regs)
{
	struct vcpu *vcpu = exit_begin();

	(void)regs;
	gic_handle_irqs();
	exit_end(vcpu);
}

void arm64_guest_serror(struct arch_regs *regs)
{
	struct vcpu *vcpu = exit_begin();

	uint64_t esr = read_esr_el2();

	(void)regs;
	/*
	 * A physical SError routed here (HCR_EL2.AMO) while the guest ran:
	 * an external abort on one of its device accesses, say. It is
	 * asynchronous, so it cannot be pinned on an instruction, but it is
	 * the guest's: it gets it back as a virtual SError with the same
	 * syndrome, as it would have without vigil (KVM does the same).
	 */
	if (abort_log_allowed(vcpu))
		log_info("vCPU %u: SError (ESR 0x%llx) at pc 0x%llx: injected "
			 "into the guest",
			 vcpu->id, (unsigned long long)esr,
			 (unsigned long long)vcpu_regs(vcpu)->pc);
	arch_vcpu_inject_serror(vcpu, ESR_ISS(esr));
	exit_end(vcpu);
}

void arm64_el2_fault(struct arch_regs *regs, uint64_t kind)
{
	static const char *const kinds[] = {"synchronous", "IRQ", "FIQ",
					    "SError"};
	panic("%s exception in vigil at 0x%llx: ESR 0x%llx FAR 0x%llx",
	      kinds[kind & 3], (unsigned long long)read_elr_el2(),
	      (unsigned long long)read_esr_el2(),
	      (unsigned long long)read_far_el2());
	(void)regs;
}

/*
 * The trapped-system-register table (KVM sys_regs.c style): one sorted
 * const table of {encoding, access, reset}; an access that is not in the
 * table gets UNDEF, so enabling a new trap bit without emulating what it
 * catches fails loudly in the guest rather than silently in vigil.
 */
#include <arch_vcpu.h>
#include <vigil/log.h>
#include <vigil/panic.h>
#include <vigil/vm.h>

#include "exceptions.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"
#include "vcpu.h"

/*
 * ACTLR_EL1 (trapped by HCR_EL2.TACR): its bits are IMPLEMENTATION DEFINED
 * and some change the behaviour of the whole core, so the guest reads the
 * value the firmware chose and its writes are ignored, as under KVM.
 */
static bool access_actlr(struct vcpu *vcpu, const struct sysreg_trap *r,
			 bool read, uint64_t *val)
{
	(void)vcpu, (void)r;
	if (read)
		*val = read_actlr_el1();
	return true;
}

static const struct sysreg_trap sysreg_table[] = {
	{SYS_ENC(3, 0, 1, 0, 1), "ACTLR_EL1", access_actlr, 0},
};

void sysreg_trap_check_table(void)
{
	for (size_t i = 1; i < sizeof(sysreg_table) / sizeof(sysreg_table[0]);
	     i++) {
		if (sysreg_table[i - 1].enc >= sysreg_table[i].enc)
			panic("sysreg table not sorted at %s",
			      sysreg_table[i].name);
	}
}

const struct sysreg_trap *sysreg_trap_find(uint32_t enc)
{
	size_t lo = 0, hi = sizeof(sysreg_table) / sizeof(sysreg_table[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sysreg_table[mid].enc == enc)
			return &sysreg_table[mid];
		if (sysreg_table[mid].enc < enc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void handle_sysreg_trap(struct vcpu *vcpu, uint64_t esr)
{
	struct arch_regs *regs = vcpu_regs(vcpu);
	uint32_t enc = SYS_ENC(ESR_SYS_OP0(esr), ESR_SYS_OP1(esr),
			       ESR_SYS_CRN(esr), ESR_SYS_CRM(esr),
			       ESR_SYS_OP2(esr));
	unsigned int rt = ESR_SYS_RT(esr);
	bool read = esr & ESR_SYS_READ;
	const struct sysreg_trap *r = sysreg_trap_find(enc);
	uint64_t val = (!read && rt != 31) ? regs->x[rt] : 0;

	if (r == NULL || !r->access(vcpu, r, read, &val)) {
		log_debug("vCPU %u: %s of system register S%u_%u_C%u_C%u_%u: "
			  "UNDEF injected",
			  vcpu->id, read ? "read" : "write",
			  (unsigned)ESR_SYS_OP0(esr), (unsigned)ESR_SYS_OP1(esr),
			  (unsigned)ESR_SYS_CRN(esr), (unsigned)ESR_SYS_CRM(esr),
			  (unsigned)ESR_SYS_OP2(esr));
		arch_vcpu_inject_undef(vcpu);
		return;
	}
	if (read && rt != 31)
		regs->x[rt] = val;
	regs->pc += 4;
}

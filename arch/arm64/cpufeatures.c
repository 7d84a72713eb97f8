/*
 * What the guest is told about the CPU. HCR_EL2.TID3 traps its reads of
 * the ID registers (the whole "ID group 3" space, op0 = 3, op1 = 0,
 * CRn = 0, CRm = 1..7); each read gives the value of the CPU the vCPU runs
 * on, with the features vigil does not give the guest masked to "not
 * implemented". The table below is the audit: every feature field vigil
 * has looked at, given or hidden, and why. A field not in it passes
 * through unchanged.
 *
 * Given means the feature works for the guest as on hardware: either it
 * needs no EL2 work, or vigil does it (named in the row). Hidden means it
 * would trap or break, so the guest must never believe it is there; where
 * the architecture lets EL2 trap the feature's registers, they trap too,
 * and the trap injects UNDEF, as on a CPU without it.
 */
#include <stdio.h>

#include <vigil/log.h>

#include "cpufeatures.h"
#include "regs.h"
#include "sysreg.h"
#include "sysreg_trap.h"

#define ID_REG(crm, op2) SYS_ENC(3, 0, 0, crm, op2)
#define ID_AA64PFR0_EL1 ID_REG(4, 0)
#define ID_AA64PFR1_EL1 ID_REG(4, 1)
#define ID_AA64SMFR0_EL1 ID_REG(4, 5)
#define ID_AA64DFR0_EL1 ID_REG(5, 0)
#define ID_AA64ISAR1_EL1 ID_REG(6, 1)
#define ID_AA64ISAR2_EL1 ID_REG(6, 2)

struct cpu_feature {
	uint32_t reg;    /* ID register (SYS_ENC) */
	uint8_t lsb;     /* the field is bits lsb+width-1..lsb */
	uint8_t width;
	bool hidden;     /* reads as 0: "not implemented" */
	const char *name;
};

#define GIVEN(reg, lsb, name) {reg, lsb, 4, false, name}
#define HIDDEN(reg, lsb, name) {reg, lsb, 4, true, name}

static const struct cpu_feature cpu_features[] = {
	/*
	 * FP/SIMD and SVE: the registers are the guest's and stay live
	 * across exits (vigil is built -mgeneral-regs-only); SVE is not
	 * trapped and ZCR_EL2 allows the full vector length. A pause for
	 * the debugger saves V0-V31 and writes them back only if the
	 * debugger changed them, so Z, P and FFR survive it.
	 */
	GIVEN(ID_AA64PFR0_EL1, 16, "FP"),
	GIVEN(ID_AA64PFR0_EL1, 20, "AdvSIMD"),
	GIVEN(ID_AA64PFR0_EL1, 32, "SVE"),
	/* The system-register CPU interface: the hardware's virtual one. */
	GIVEN(ID_AA64PFR0_EL1, 24, "GIC"),
	/*
	 * RAS: ESB and the SError model need nothing at EL2 (SErrors taken
	 * at EL2 are logged and dropped). The error record registers are not
	 * trapped (HCR_EL2.TERR clear): the guest sees the CPU's own.
	 */
	GIVEN(ID_AA64PFR0_EL1, 28, "RAS"),
	/* MPAM: its EL1 registers trap to EL2 by default (MPAM2_EL2). */
	HIDDEN(ID_AA64PFR0_EL1, 40, "MPAM"),
	HIDDEN(ID_AA64PFR1_EL1, 16, "MPAM_frac"),
	/*
	 * Activity monitors count for the physical CPU and their virtual
	 * offsets would be vigil's to manage: CPTR_EL2.TAM traps them.
	 */
	HIDDEN(ID_AA64PFR0_EL1, 44, "AMU"),
	/* BTI and SSBS: PSTATE bits, set on injection as the rules say. */
	GIVEN(ID_AA64PFR1_EL1, 0, "BT"),
	GIVEN(ID_AA64PFR1_EL1, 4, "SSBS"),
	/*
	 * MTE: HCR_EL2.ATA lets EL1 use allocation tags and its MTE
	 * registers (GCR, RGSR, TFSR, TFSRE0_EL1), which nothing at EL2
	 * touches. Stage 2 maps guest RAM Normal Write-Back, which keeps
	 * the Tagged attribute of the guest's stage 1; the tag storage is
	 * that of the guest's own RAM. PSTATE.TCO is set on injection.
	 */
	GIVEN(ID_AA64PFR1_EL1, 8, "MTE"),
	/*
	 * SME: in streaming mode vigil's own FP/SIMD save for the debugger
	 * would not be legal, and ZA is not saved: CPTR_EL2.TSM traps it.
	 */
	HIDDEN(ID_AA64PFR1_EL1, 24, "SME"),
	{ID_AA64SMFR0_EL1, 0, 64, true, "SME features"},
	/* NMI and GCS change exception entry, which vigil's injection
	 * does not implement. */
	HIDDEN(ID_AA64PFR1_EL1, 36, "NMI"),
	HIDDEN(ID_AA64PFR1_EL1, 44, "GCS"),
	/*
	 * Debug: every breakpoint and watchpoint the CPU has, emulated or
	 * switched by debug.c, and shared with the GDB stub.
	 */
	GIVEN(ID_AA64DFR0_EL1, 0, "DebugVer"),
	GIVEN(ID_AA64DFR0_EL1, 12, "BRPs"),
	GIVEN(ID_AA64DFR0_EL1, 20, "WRPs"),
	GIVEN(ID_AA64DFR0_EL1, 28, "CTX_CMPs"),
	GIVEN(ID_AA64DFR0_EL1, 36, "DoubleLock"),
	/* PMU: every event counter is the guest's (MDCR_EL2.HPMN). */
	GIVEN(ID_AA64DFR0_EL1, 8, "PMUVer"),
	/*
	 * Trace, the statistical profiling extension, trace filtering,
	 * the trace buffer and branch records: none is switched, and
	 * their buffers would write to memory outside stage 2's control.
	 * CPTR_EL2.TTA traps the trace unit's registers.
	 */
	HIDDEN(ID_AA64DFR0_EL1, 4, "TraceVer"),
	HIDDEN(ID_AA64DFR0_EL1, 32, "PMSVer"),
	HIDDEN(ID_AA64DFR0_EL1, 40, "TraceFilt"),
	HIDDEN(ID_AA64DFR0_EL1, 44, "TraceBuffer"),
	HIDDEN(ID_AA64DFR0_EL1, 52, "BRBE"),
	/* Pointer authentication: HCR_EL2.APK/API, the keys are the
	 * guest's (vigil does not use them). */
	GIVEN(ID_AA64ISAR1_EL1, 4, "APA"),
	GIVEN(ID_AA64ISAR1_EL1, 8, "API"),
	GIVEN(ID_AA64ISAR1_EL1, 24, "GPA"),
	GIVEN(ID_AA64ISAR1_EL1, 28, "GPI"),
	GIVEN(ID_AA64ISAR2_EL1, 8, "GPA3"),
	GIVEN(ID_AA64ISAR2_EL1, 12, "APA3"),
};

static uint64_t field_mask(const struct cpu_feature *f)
{
	return (f->width == 64 ? ~0UL : ((1UL << f->width) - 1)) << f->lsb;
}

/* The hardware value of ID register (crm, op2); reserved ones RAZ. */
#define ID_CASE(crm, op2)                                                  \
	case (crm) * 8 + (op2):                                            \
		__asm__ volatile("mrs %0, S3_0_C0_C" #crm "_" #op2 : "=r"(v)); \
		break;
static uint64_t read_id_reg(uint32_t enc)
{
	uint64_t v = 0;

	switch (((enc >> 3) & 0xf) * 8 + (enc & 7)) {
	ID_CASE(1, 0) ID_CASE(1, 1) ID_CASE(1, 2) ID_CASE(1, 3)
	ID_CASE(1, 4) ID_CASE(1, 5) ID_CASE(1, 6) ID_CASE(1, 7)
	ID_CASE(2, 0) ID_CASE(2, 1) ID_CASE(2, 2) ID_CASE(2, 3)
	ID_CASE(2, 4) ID_CASE(2, 5) ID_CASE(2, 6) ID_CASE(2, 7)
	ID_CASE(3, 0) ID_CASE(3, 1) ID_CASE(3, 2) ID_CASE(3, 4)
	ID_CASE(3, 5) ID_CASE(3, 6)
	ID_CASE(4, 0) ID_CASE(4, 1) ID_CASE(4, 2) ID_CASE(4, 4)
	ID_CASE(4, 5)
	ID_CASE(5, 0) ID_CASE(5, 1) ID_CASE(5, 4) ID_CASE(5, 5)
	ID_CASE(6, 0) ID_CASE(6, 1) ID_CASE(6, 2)
	ID_CASE(7, 0) ID_CASE(7, 1) ID_CASE(7, 2) ID_CASE(7, 3)
	ID_CASE(7, 4)
	default:
		break; /* reserved in the ID space: RAZ */
	}
	return v;
}

uint64_t cpu_features_guest_view(uint32_t enc, uint64_t hw)
{
	for (size_t i = 0; i < sizeof(cpu_features) / sizeof(cpu_features[0]);
	     i++) {
		if (cpu_features[i].reg == enc && cpu_features[i].hidden)
			hw &= ~field_mask(&cpu_features[i]);
	}
	return hw;
}

bool cpu_features_access(struct vcpu *vcpu, const struct sysreg_trap *r,
			 bool read, uint64_t *val)
{
	(void)vcpu;
	if (!read)
		return false; /* read-only */
	*val = cpu_features_guest_view(r->enc, read_id_reg(r->enc));
	return true;
}

static bool has(uint32_t reg, unsigned int lsb)
{
	return field_get(read_id_reg(reg), lsb + 3, lsb) != 0;
}

uint64_t cpu_features_hcr(void)
{
	uint64_t hcr = HCR_TID3;

	/* FEAT_MTE2 and up: tag storage exists, the guest may use it. */
	if (field_get(read_id_reg(ID_AA64PFR1_EL1), 11, 8) >= 2)
		hcr |= HCR_ATA;
	/* Pointer authentication: the keys and instructions are the guest's. */
	if (has(ID_AA64ISAR1_EL1, 4) || has(ID_AA64ISAR1_EL1, 8) ||
	    has(ID_AA64ISAR1_EL1, 24) || has(ID_AA64ISAR1_EL1, 28) ||
	    has(ID_AA64ISAR2_EL1, 8) || has(ID_AA64ISAR2_EL1, 12))
		hcr |= HCR_APK | HCR_API;
	return hcr;
}

uint64_t cpu_features_cptr(void)
{
	/*
	 * TSM and TZ are RES1 where SME and SVE are absent, so setting TSM
	 * always is right either way. TTA and TAM trap what is hidden; where
	 * trace or AMU are absent they are RES0, and KVM sets them anyway.
	 */
	uint64_t cptr = CPTR_EL2_RES1 | CPTR_EL2_TSM | CPTR_EL2_TTA |
			CPTR_EL2_TAM;

	if (!has(ID_AA64PFR0_EL1, 32))
		cptr |= CPTR_EL2_TZ;
	return cptr;
}

bool cpu_features_has_mte(void)
{
	return has(ID_AA64PFR1_EL1, 8);
}

void cpu_features_log(void)
{
	char hidden[160];
	size_t n = 0;

	hidden[0] = '\0';
	for (size_t i = 0; i < sizeof(cpu_features) / sizeof(cpu_features[0]);
	     i++) {
		const struct cpu_feature *f = &cpu_features[i];
		if (!f->hidden || (read_id_reg(f->reg) & field_mask(f)) == 0 ||
		    f->width == 64)
			continue;
		int w = snprintf(hidden + n, sizeof(hidden) - n, "%s%s",
				 n ? ", " : "", f->name);
		if (w < 0 || (size_t)w >= sizeof(hidden) - n)
			break;
		n += (size_t)w;
	}
	if (n != 0)
		log_info("CPU features the guest is not given: %s", hidden);
}

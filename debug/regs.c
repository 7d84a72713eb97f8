/*
 * The register table GDB sees: its order is the target.xml order, the g
 * packet order and the register numbers of p/P and of expedited registers
 * in stop replies. The first REG_SYS_FIRST entries are the layout gdb's
 * aarch64 support expects (org.gnu.gdb.aarch64.core and .fpu); the system
 * registers after them are vigil's own feature.
 */
#include "target.h"

#define GPR_BYTES 8
#define PSR_BYTES 4
#define VREG_BYTES 16
#define SYSREG_BYTES 8

#define GPR(n) {"x" #n, GPR_BYTES, true, "int", NULL}
#define VREG(n) {"v" #n, VREG_BYTES, true, "aarch64v", NULL}
#define SYSREG(name, type) {name, SYSREG_BYTES, true, type, "system"}

static const struct target_reg regs[] = {
	GPR(0), GPR(1), GPR(2), GPR(3), GPR(4), GPR(5), GPR(6), GPR(7),
	GPR(8), GPR(9), GPR(10), GPR(11), GPR(12), GPR(13), GPR(14), GPR(15),
	GPR(16), GPR(17), GPR(18), GPR(19), GPR(20), GPR(21), GPR(22),
	GPR(23), GPR(24), GPR(25), GPR(26), GPR(27), GPR(28), GPR(29),
	GPR(30),
	[REG_SP] = {"sp", GPR_BYTES, true, "data_ptr", NULL},
	[REG_PC] = {"pc", GPR_BYTES, true, "code_ptr", NULL},
	[REG_CPSR] = {"cpsr", PSR_BYTES, true, "cpsr_flags", NULL},
	VREG(0), VREG(1), VREG(2), VREG(3), VREG(4), VREG(5), VREG(6),
	VREG(7), VREG(8), VREG(9), VREG(10), VREG(11), VREG(12), VREG(13),
	VREG(14), VREG(15), VREG(16), VREG(17), VREG(18), VREG(19),
	VREG(20), VREG(21), VREG(22), VREG(23), VREG(24), VREG(25),
	VREG(26), VREG(27), VREG(28), VREG(29), VREG(30), VREG(31),
	[REG_FPSR] = {"fpsr", PSR_BYTES, true, "int", NULL},
	[REG_FPCR] = {"fpcr", PSR_BYTES, true, "int", NULL},
	[REG_SYS_FIRST] = SYSREG("sctlr_el1", "uint64"),
	SYSREG("tcr_el1", "uint64"),
	SYSREG("ttbr0_el1", "data_ptr"),
	SYSREG("ttbr1_el1", "data_ptr"),
	SYSREG("mair_el1", "uint64"),
	SYSREG("vbar_el1", "code_ptr"),
	SYSREG("esr_el1", "uint64"),
	SYSREG("far_el1", "data_ptr"),
	SYSREG("elr_el1", "code_ptr"),
	SYSREG("spsr_el1", "uint64"),
	SYSREG("sp_el0", "data_ptr"),
	SYSREG("sp_el1", "data_ptr"),
	SYSREG("tpidr_el0", "data_ptr"),
	SYSREG("tpidrro_el0", "data_ptr"),
	SYSREG("tpidr_el1", "data_ptr"),
	SYSREG("contextidr_el1", "uint64"),
	/* The exception level the vCPU is in: a fact, not state to set. */
	{"el", SYSREG_BYTES, false, "uint64", "system"},
};

#define NR_REGS (sizeof(regs) / sizeof(regs[0]))

_Static_assert(REG_V0 == REG_CPSR + 1 && REG_FPSR == REG_V0 + 32 &&
		       REG_FPCR == REG_FPSR + 1 &&
		       REG_SYS_FIRST == REG_FPCR + 1,
	       "target.h register numbers follow gdb's aarch64 layout");

unsigned int target_nr_regs(void)
{
	return (unsigned int)NR_REGS;
}

const struct target_reg *target_reg_info(unsigned int regnum)
{
	if (regnum >= NR_REGS)
		return NULL;
	return &regs[regnum];
}

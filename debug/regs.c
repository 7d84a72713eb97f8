/*
 * The register table GDB sees: its order is the target.xml order, the g
 * packet order and the register numbers of p/P and of expedited registers
 * in stop replies. The first REG_SYS_FIRST entries are the layout gdb's
 * aarch64 support expects (org.gnu.gdb.aarch64.core and .fpu). The system
 * registers after them are named as QEMU's gdbstub names them (its cpreg
 * names, in its feature org.qemu.gdb.arm.sys.regs: SCTLR and VBAR without
 * a suffix, SP_EL0, TTBR0_EL1, ...), because gdb scripts written against
 * QEMU, the Linux kernel's scripts/gdb among them ($SP_EL0 is `current`),
 * read them by those names. Only "el", which QEMU has no register for, is
 * vigil's own (feature org.vigil.aarch64.el).
 */
#include "target.h"

#define GPR_BYTES 8
#define PSR_BYTES 4
#define VREG_BYTES 16
#define SYSREG_BYTES 8

#define GPR(n) {"x" #n, GPR_BYTES, true, "int", NULL}
#define VREG(n) {"v" #n, VREG_BYTES, true, "aarch64v", NULL}
/*
 * No type, as QEMU's gdbstub gives none (gdb then takes a signed integer
 * of the register's size): the kernel's scripts/gdb compute with these
 * ($SP_EL0 >> 63 in linux/cpus.py), which gdb refuses on a pointer type.
 */
#define SYSREG(name) {name, SYSREG_BYTES, true, "int", "system"}

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
	[REG_SYS_FIRST] = SYSREG("SCTLR"),
	SYSREG("TCR_EL1"),
	SYSREG("TTBR0_EL1"),
	SYSREG("TTBR1_EL1"),
	SYSREG("MAIR_EL1"),
	SYSREG("VBAR"),
	SYSREG("ESR_EL1"),
	SYSREG("FAR_EL1"),
	SYSREG("ELR_EL1"),
	SYSREG("SPSR_EL1"),
	SYSREG("SP_EL0"),
	SYSREG("SP_EL1"),
	SYSREG("TPIDR_EL0"),
	SYSREG("TPIDRRO_EL0"),
	SYSREG("TPIDR_EL1"),
	SYSREG("CONTEXTIDR_EL1"),
	/* The exception level the vCPU is in: a fact, not state to set. */
	[REG_EL] = {"el", SYSREG_BYTES, false, "uint64", "system"},
};

#define NR_REGS (sizeof(regs) / sizeof(regs[0]))

_Static_assert(REG_V0 == REG_CPSR + 1 && REG_FPSR == REG_V0 + 32 &&
		       REG_FPCR == REG_FPSR + 1 &&
		       REG_SYS_FIRST == REG_FPCR + 1 && REG_EL + 1 == NR_REGS,
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

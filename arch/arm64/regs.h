/*
 * Named fields of the arm64 control and syndrome registers vigil uses,
 * kept in one place (Linux's arch/arm64/tools/sysreg does the same at
 * scale). Shared by C and assembly.
 */
#ifndef ARCH_ARM64_REGS_H
#define ARCH_ARM64_REGS_H

#ifndef __ASSEMBLER__
#define _UL(x) x##UL
#else
#define _UL(x) x
#endif
#define B(n) (_UL(1) << (n))

/* ESR_ELx */
#define ESR_EC_SHIFT 26
#define ESR_EC(esr) (((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_IL B(25)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)
#define EC_MAX 0x3f

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYS64 0x18
#define EC_SVE 0x19
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2f
#define EC_BREAKPT_LOW 0x30
#define EC_BREAKPT_CUR 0x31
#define EC_SOFTSTP_LOW 0x32
#define EC_SOFTSTP_CUR 0x33
#define EC_WATCHPT_LOW 0x34
#define EC_WATCHPT_CUR 0x35
#define EC_BRK64 0x3c

/* ISS of debug exceptions (Arm ARM D17.2.37, ESR_ELx) */
#define ESR_BRK_IMM(esr) ((esr) & 0xffff)
#define ESR_WP_WNR B(6)   /* watchpoint: the access was a write */
#define ESR_SS_ISV B(24)  /* software step: EX is valid */
#define ESR_SS_EX B(6)    /* software step: a load-exclusive was stepped */

/* ISS of data aborts */
#define ESR_DABT_ISV B(24)
#define ESR_DABT_SAS(esr) (((esr) >> 22) & 3)
#define ESR_DABT_SSE B(21)
#define ESR_DABT_SRT(esr) (((esr) >> 16) & 0x1f)
#define ESR_DABT_SF B(15)
#define ESR_DABT_WNR B(6)
#define ESR_FSC(esr) ((esr) & 0x3f)
#define FSC_SYNC_EXTERNAL 0x10

/* ISS of trapped MSR/MRS (EC_SYS64) */
#define ESR_SYS_OP0(esr) (((esr) >> 20) & 3)
#define ESR_SYS_OP2(esr) (((esr) >> 17) & 7)
#define ESR_SYS_OP1(esr) (((esr) >> 14) & 7)
#define ESR_SYS_CRN(esr) (((esr) >> 10) & 0xf)
#define ESR_SYS_RT(esr) (((esr) >> 5) & 0x1f)
#define ESR_SYS_CRM(esr) (((esr) >> 1) & 0xf)
#define ESR_SYS_READ B(0)

/* HPFAR_EL2: FIPA holds IPA[47:12] in bits [43:4]. */
#define HPFAR_FIPA_MASK 0xffffffffff0UL

/* HCR_EL2 */
#define HCR_VM B(0)
#define HCR_SWIO B(1)
#define HCR_FMO B(3)
#define HCR_IMO B(4)
#define HCR_AMO B(5)
#define HCR_VSE B(8) /* a virtual SError is pending */
#define HCR_BSU_IS B(10)
#define HCR_TWI B(13)
#define HCR_TWE B(14)
#define HCR_TID3 B(18)
#define HCR_TSC B(19)
#define HCR_TACR B(21)
#define HCR_RW B(31)
#define HCR_APK B(40)
#define HCR_API B(41)
#define HCR_ATA B(56)

/* SPSR / PSTATE */
#define PSR_MODE_MASK 0x1f
#define PSR_MODE_EL0T 0x0
#define PSR_MODE_EL1T 0x4
#define PSR_MODE_EL1H 0x5
#define PSR_MODE32 B(4)
#define PSR_F B(6)
#define PSR_I B(7)
#define PSR_A B(8)
#define PSR_D B(9)
#define PSR_DAIF (PSR_D | PSR_A | PSR_I | PSR_F)
#define PSR_SSBS B(12)
#define PSR_SS B(21) /* software step: active-not-pending */
#define PSR_PAN B(22)
#define PSR_TCO B(25) /* tag check override (MTE) */

/* SCTLR_EL1 */
#define SCTLR_EL1_RES1 (B(11) | B(20) | B(22) | B(23) | B(28) | B(29))
#define SCTLR_EL1_SPAN B(23)
#define SCTLR_EL1_DSSBS B(44)

/* SCTLR_EL2 (non-VHE) */
#define SCTLR_EL2_M B(0)
#define SCTLR_EL2_C B(2)
#define SCTLR_EL2_SA B(3)
#define SCTLR_EL2_I B(12)
#define SCTLR_EL2_RES1 0x30c50830
#define SCTLR_EL2_VALUE \
	(SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_SA | SCTLR_EL2_I)

/* CPTR_EL2 (non-VHE) */
#define CPTR_EL2_RES1 (0xffUL | B(9) | B(13))
#define CPTR_EL2_TZ B(8)
#define CPTR_EL2_TSM B(12)
#define CPTR_EL2_TTA B(20)
#define CPTR_EL2_TAM B(30)

/* CNTHCTL_EL2 (non-VHE): let EL1 use the physical counter and timer. */
#define CNTHCTL_EL1PCTEN B(0)
#define CNTHCTL_EL1PCEN B(1)
/* CNTV_CTL_EL0 */
#define CNTV_CTL_ENABLE B(0)
#define CNTV_CTL_IMASK B(1)
#define CNTV_CTL_ISTATUS B(2)

/* ICC_SRE_EL2 */
#define ICC_SRE_EL2_SRE B(0)
#define ICC_SRE_EL2_DFB B(1)
#define ICC_SRE_EL2_DIB B(2)
#define ICC_SRE_EL2_ENABLE B(3)

/* MPIDR */
#define MPIDR_HWID_MASK 0xff00ffffffUL

/* TCR_EL2 / VTCR_EL2 */
#define TCR_IRGN_WBWA (_UL(1) << 8)
#define TCR_ORGN_WBWA (_UL(1) << 10)
#define TCR_SH_INNER (_UL(3) << 12)
#define TCR_TG0_4K (_UL(0) << 14)
#define TCR_PS_SHIFT 16
#define TCR_EL2_RES1 (B(23) | B(31))
#define VTCR_SL0_SHIFT 6
#define VTCR_RES1 B(31)

/* MAIR_EL2 attribute indexes */
#define MAIR_IDX_NORMAL 0
#define MAIR_IDX_DEVICE 1
#define MAIR_VALUE 0x04ffUL /* 0: normal WB RA/WA, 1: Device-nGnRE */

#endif

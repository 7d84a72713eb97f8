/*
 * SMC Calling Convention and PSCI (DEN0022) as seen by the guest. The arch
 * layer turns an HVC or a trapped SMC into smccc_guest_call(); the core
 * answers PSCI and rejects everything else with NOT_SUPPORTED.
 */
#ifndef VIGIL_SMCCC_H
#define VIGIL_SMCCC_H

#include <vigil/types.h>

#define SMCCC_NOT_SUPPORTED (-1L)

#define PSCI_0_2_FN_BASE 0x84000000U
#define PSCI_0_2_FN64_BASE 0xC4000000U
#define PSCI_FN_VERSION 0x84000000U
#define PSCI_FN_CPU_SUSPEND 0x84000001U
#define PSCI_FN64_CPU_SUSPEND 0xC4000001U
#define PSCI_FN_CPU_OFF 0x84000002U
#define PSCI_FN_CPU_ON 0x84000003U
#define PSCI_FN64_CPU_ON 0xC4000003U
#define PSCI_FN_AFFINITY_INFO 0x84000004U
#define PSCI_FN64_AFFINITY_INFO 0xC4000004U
#define PSCI_FN_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_FN_SYSTEM_OFF 0x84000008U
#define PSCI_FN_SYSTEM_RESET 0x84000009U
#define PSCI_FN_FEATURES 0x8400000AU

#define PSCI_SUCCESS 0
#define PSCI_E_NOT_SUPPORTED (-1)
#define PSCI_E_INVALID_PARAMETERS (-2)
#define PSCI_E_DENIED (-3)
#define PSCI_E_ALREADY_ON (-4)
#define PSCI_E_ON_PENDING (-5)
#define PSCI_E_INTERNAL_FAILURE (-6)
#define PSCI_E_INVALID_ADDRESS (-9)

#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define PSCI_AFFINITY_ON_PENDING 2

/* MIGRATE_INFO_TYPE: no Trusted OS, so migration is not required. */
#define PSCI_TOS_NOT_PRESENT_MP 2

#define PSCI_VERSION_1_1 0x00010001U

/*
 * vigil's own calls, in the SMCCC vendor-specific hypervisor range. Only
 * answered when vigil.cfg says "test_hooks = on": they let test guests
 * exercise internal mechanisms before the interfaces that use them exist.
 *
 * VIGIL_HVC_TEST_DEBUG_HOST(1) makes the (future) debugger take this
 * vCPU's debug hardware; (0) gives it back. Returns 0. It also stands in
 * for the GDB stub on the calling vCPU: (2, bp, var) attaches a debugger
 * with a hardware breakpoint at bp and an 8-byte write watchpoint at var;
 * (3) detaches; (4) single-steps the instruction after the HVC; (5, start,
 * end) range-steps while start <= pc < end. vigil logs each event it sees
 * ("test: debug event ..."); none is taken, so the guest runs on.
 */
#define VIGIL_HVC_TEST_DEBUG_HOST 0xC6000100U
/*
 * VIGIL_HVC_TEST_STOP_OTHERS(ms) stops every other vCPU with the
 * debugger's pause primitive and holds the calling one in EL2 for ms
 * milliseconds (at most 60000), then lets them all go on: vigil's own
 * services (the network) must carry on meanwhile. Returns 0.
 */
#define VIGIL_HVC_TEST_STOP_OTHERS 0xC6000101U
/*
 * VIGIL_HVC_TEST_SERROR(iss) hands the calling vCPU a virtual SError with
 * syndrome iss, through the path a physical SError taken from the guest
 * follows (arch_vcpu_inject_serror): QEMU's TCG raises no physical
 * SError. Returns 0; the SError is taken once the guest unmasks it.
 */
#define VIGIL_HVC_TEST_SERROR 0xC6000102U

struct vcpu;

struct smccc_args {
	uint64_t fid;
	uint64_t a1, a2, a3;
};

/*
 * Handle one guest SMCCC call. Returns the value for x0. May not return at
 * all (SYSTEM_OFF, SYSTEM_RESET, CPU_OFF park the physical CPU).
 */
int64_t smccc_guest_call(struct vcpu *vcpu, const struct smccc_args *args);

#endif

/*
 * The guest's PSCI 1.1 (DEN0022), over HVC or SMC alike. vCPUs are pinned
 * one to one on physical CPUs, so CPU_ON only flips a vCPU's power state and
 * wakes the physical CPU that is parked for it; vigil never calls firmware
 * CPU_ON on the guest's behalf.
 */
#include <arch_cpu.h>
#include <arch_firmware.h>
#include <arch_timer.h>
#include <arch_vcpu.h>
#include <vigil/debugger.h>
#include <vigil/idle.h>
#include <vigil/log.h>
#include <vigil/smccc.h>
#include <vigil/vm.h>

/* MPIDR affinity fields Aff3..Aff0; everything else must be zero. */
#define MPIDR_AFF_MASK 0xff00ffffffULL

static uint64_t affinity_mask_from_level(uint64_t level)
{
	/* Level n ignores Aff(n-1)..Aff0. */
	static const uint64_t masks[] = {
		0xff00ffffffULL, 0xff00ffff00ULL, 0xff00ff0000ULL,
		0xff00000000ULL,
	};
	return masks[level];
}

static int64_t psci_cpu_on(struct vcpu *caller, uint64_t target,
			   uint64_t entry, uint64_t context)
{
	struct vm *vm = caller->vm;
	struct vcpu *vcpu;
	int64_t ret;

	if (target & ~MPIDR_AFF_MASK)
		return PSCI_E_INVALID_PARAMETERS;
	vcpu = vm_find_vcpu_by_mpidr(vm, target);
	if (vcpu == NULL)
		return PSCI_E_INVALID_PARAMETERS;
	if (!IS_ALIGNED(entry, 4) || !vm_ipa_is_ram(vm, entry, 4))
		return PSCI_E_INVALID_ADDRESS;

	arch_spin_lock(&vm->power_lock);
	switch (vcpu->power) {
	case VCPU_ON:
		ret = PSCI_E_ALREADY_ON;
		break;
	case VCPU_ON_PENDING:
		ret = PSCI_E_ON_PENDING;
		break;
	case VCPU_OFF:
	default:
		vcpu->on_entry = entry;
		vcpu->on_context = context;
		vcpu->power = VCPU_ON_PENDING;
		ret = PSCI_SUCCESS;
		break;
	}
	arch_spin_unlock(&vm->power_lock);

	/* Its CPU waits for an interrupt (vigil/idle.h). */
	if (ret == PSCI_SUCCESS)
		arch_cpu_kick(vcpu->id);
	return ret;
}

static int64_t psci_affinity_info(struct vm *vm, uint64_t target,
				  uint64_t level)
{
	uint64_t mask;
	bool matched = false, pending = false;

	if (level > 3 || (target & ~MPIDR_AFF_MASK))
		return PSCI_E_INVALID_PARAMETERS;
	mask = affinity_mask_from_level(level);

	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if ((v->mpidr & mask) != (target & mask))
			continue;
		matched = true;
		if (v->power == VCPU_ON)
			return PSCI_AFFINITY_ON;
		if (v->power == VCPU_ON_PENDING)
			pending = true;
	}
	if (!matched)
		return PSCI_E_INVALID_PARAMETERS;
	return pending ? PSCI_AFFINITY_ON_PENDING : PSCI_AFFINITY_OFF;
}

static bool psci_function_supported(uint32_t fid)
{
	switch (fid) {
	case PSCI_FN_VERSION:
	case PSCI_FN_CPU_SUSPEND:
	case PSCI_FN64_CPU_SUSPEND:
	case PSCI_FN_CPU_OFF:
	case PSCI_FN_CPU_ON:
	case PSCI_FN64_CPU_ON:
	case PSCI_FN_AFFINITY_INFO:
	case PSCI_FN64_AFFINITY_INFO:
	case PSCI_FN_MIGRATE_INFO_TYPE:
	case PSCI_FN_SYSTEM_OFF:
	case PSCI_FN_SYSTEM_RESET:
	case PSCI_FN_FEATURES:
		return true;
	default:
		return false;
	}
}

/* SMC32 calls pass 32-bit arguments: the upper halves are not defined. */
static uint64_t arg(const struct smccc_args *a, uint64_t v)
{
	return (a->fid & 0x40000000U) ? v : (uint32_t)v;
}

/*
 * Test hook (VIGIL_HVC_TEST_STOP_OTHERS): everything stopped in EL2 the way
 * the debugger stops it, while vigil's services go on. The caller's own CPU
 * polls rather than sleeps: it has no timer interrupt to wake it.
 */
static void test_stop_others(struct vcpu *self, uint64_t ms)
{
	struct vm *vm = self->vm;
	uint64_t end;

	if (ms > 60000)
		ms = 60000;
	for (uint32_t i = 0; i < vm->nr_vcpus; i++)
		if (i != self->id)
			vcpu_pause(&vm->vcpus[i]);
	log_info("test hook: all vCPUs stopped in EL2 for %llu ms",
		 (unsigned long long)ms);
	end = arch_timer_now_ns() + ms * 1000000;
	while (arch_timer_now_ns() < end)
		hv_idle_poll();
	for (uint32_t i = 0; i < vm->nr_vcpus; i++)
		if (i != self->id)
			vcpu_resume(&vm->vcpus[i]);
	log_info("test hook: vCPUs resumed");
}

/*
 * Test hook (VIGIL_HVC_TEST_DEBUG_HOST, smccc.h): the debugger's hardware
 * half driven without a debugger, on the calling vCPU, the way the GDB stub
 * drives it (dbg_host, vcpu->dbg, then arch_debug_vcpu_resume()).
 */
static int64_t test_debug_host(struct vcpu *vcpu, const struct smccc_args *a)
{
	switch (a->a1) {
	case 0:
		arch_debug_host_release(vcpu);
		return 0;
	case 1:
		arch_debug_host_acquire(vcpu);
		return 0;
	case 2:
		dbg_host.attached = true;
		dbg_host.nr_breaks = 1;
		dbg_host.breaks[0] = a->a2;
		dbg_host.nr_watches = 1;
		dbg_host.watches[0] = (struct dbg_hw_watch){
			.addr = a->a3, .len = 8, .kind = DBG_WATCH_WRITE};
		break;
	case 3:
		dbg_host.attached = false;
		dbg_host.nr_breaks = dbg_host.nr_watches = 0;
		vcpu->dbg.mode = DBG_RUN_CONTINUE;
		break;
	case 4:
		vcpu->dbg.mode = DBG_RUN_STEP;
		break;
	case 5:
		vcpu->dbg.mode = DBG_RUN_RANGE;
		vcpu->dbg.range_start = a->a2;
		vcpu->dbg.range_end = a->a3;
		break;
	default:
		return SMCCC_NOT_SUPPORTED;
	}
	dbg_host.generation++;
	arch_debug_vcpu_resume(vcpu);
	return 0;
}

int64_t smccc_guest_call(struct vcpu *vcpu, const struct smccc_args *args)
{
	uint32_t fid = (uint32_t)args->fid;

	vcpu->stats.smccc++;
	/* SMCCC: the upper 32 bits of the function id must be zero. */
	if (args->fid >> 32)
		return SMCCC_NOT_SUPPORTED;

	switch (fid) {
	case PSCI_FN_VERSION:
		return PSCI_VERSION_1_1;
	case PSCI_FN_FEATURES:
		return psci_function_supported((uint32_t)args->a1)
			       ? PSCI_SUCCESS
			       : PSCI_E_NOT_SUPPORTED;
	case PSCI_FN_CPU_SUSPEND:
	case PSCI_FN64_CPU_SUSPEND:
		/*
		 * Treated as a standby that woke up at once, which PSCI
		 * allows for every state (KVM does the same): the caller
		 * resumes after the call with success.
		 */
		return PSCI_SUCCESS;
	case PSCI_FN_CPU_OFF:
		vcpu_power_off_self(vcpu);
	case PSCI_FN_CPU_ON:
	case PSCI_FN64_CPU_ON:
		return psci_cpu_on(vcpu, arg(args, args->a1), arg(args, args->a2),
				   arg(args, args->a3));
	case PSCI_FN_AFFINITY_INFO:
	case PSCI_FN64_AFFINITY_INFO:
		return psci_affinity_info(vcpu->vm, arg(args, args->a1),
					  arg(args, args->a2));
	case PSCI_FN_MIGRATE_INFO_TYPE:
		return PSCI_TOS_NOT_PRESENT_MP;
	case PSCI_FN_SYSTEM_OFF:
		log_info("guest powered off (PSCI SYSTEM_OFF on vCPU %u)",
			 vcpu->id);
		debugger_guest_exit(vcpu);
		vm_report_stats(vcpu->vm);
		arch_fw_system_off();
	case VIGIL_HVC_TEST_DEBUG_HOST:
		if (!vcpu->vm->test_hooks)
			return SMCCC_NOT_SUPPORTED;
		return test_debug_host(vcpu, args);
	case VIGIL_HVC_TEST_STOP_OTHERS:
		if (!vcpu->vm->test_hooks)
			return SMCCC_NOT_SUPPORTED;
		test_stop_others(vcpu, args->a1);
		return 0;
	case VIGIL_HVC_TEST_SERROR:
		if (!vcpu->vm->test_hooks)
			return SMCCC_NOT_SUPPORTED;
		log_info("test hook: SError for vCPU %u (ISS 0x%llx)", vcpu->id,
			 (unsigned long long)args->a1);
		arch_vcpu_inject_serror(vcpu, args->a1);
		return 0;
	case PSCI_FN_SYSTEM_RESET:
		log_info("guest reset (PSCI SYSTEM_RESET on vCPU %u)", vcpu->id);
		debugger_guest_exit(vcpu);
		vm_report_stats(vcpu->vm);
		arch_fw_system_reset();
	default:
		log_debug("vCPU %u: unsupported SMCCC function 0x%x", vcpu->id,
			  fid);
		return SMCCC_NOT_SUPPORTED;
	}
}

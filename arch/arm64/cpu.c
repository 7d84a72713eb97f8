/* Physical CPUs: per-CPU data, locks, events and secondary start-up. */
#include <arch_cpu.h>
#include <arch_firmware.h>
#include <vigil/log.h>
#include <vigil/panic.h>
#include <vigil/pool.h>

#include "cpu.h"
#include "regs.h"

struct cpu_data cpu_data[MAX_CPUS];
static struct mem_range hv_image;

void cpu_boot_init(const struct boot_info *info)
{
	for (uint32_t i = 0; i < MAX_CPUS; i++) {
		uint8_t *stack = pool_alloc_pages(EL2_STACK_SIZE / PAGE_SIZE);
		if (stack == NULL)
			panic("hypervisor pool exhausted (stacks)");
		/* The guest frame occupies the top of the stack. */
		cpu_data[i].stack_top = (uint64_t)(uintptr_t)(
			stack + EL2_STACK_SIZE - sizeof(struct arch_regs));
		cpu_data[i].index = i;
	}
	cpu_data[0].hwid = read_mpidr_el1() & MPIDR_HWID_MASK;
	write_tpidr_el2((uint64_t)(uintptr_t)&cpu_data[0]);
	hv_image = info->hv_image;

	/*
	 * The switch runs briefly with the MMU off and secondaries start
	 * with it off: both fetch vigil's code and read its data from
	 * memory, so everything the loader and we wrote must reach it.
	 */
	arch_clean_dcache_range(hv_image.base, hv_image.size);
}

uint32_t arch_cpu_index(void)
{
	return this_cpu()->index;
}

uint64_t arch_cpu_hwid(void)
{
	return read_mpidr_el1() & MPIDR_HWID_MASK;
}

void arch_cpu_wait_event(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

void arch_cpu_wait_interrupt(void)
{
	/* WFI ends on a pending interrupt whatever PSTATE.I says (WFE does
	 * not), so interrupts stay masked and are handled by the caller. */
	__asm__ volatile("dsb sy\n wfi" ::: "memory");
}

void arch_cpu_send_event(void)
{
	__asm__ volatile("dsb ish\n sev" ::: "memory");
}

void arch_memory_barrier(void)
{
	__asm__ volatile("dmb ish" ::: "memory");
}

void arch_spin_lock(arch_spinlock_t *lock)
{
	uint32_t tmp, one = 1;

	__asm__ volatile("	sevl\n"
			 "1:	wfe\n"
			 "2:	ldaxr	%w0, [%1]\n"
			 "	cbnz	%w0, 1b\n"
			 "	stxr	%w0, %w2, [%1]\n"
			 "	cbnz	%w0, 2b\n"
			 : "=&r"(tmp)
			 : "r"(&lock->locked), "r"(one)
			 : "memory");
}

void arch_spin_unlock(arch_spinlock_t *lock)
{
	__asm__ volatile("stlr wzr, [%0]" : : "r"(&lock->locked) : "memory");
}

static uint64_t dcache_line_size(void)
{
	uint64_t ctr;
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	return 4UL << field_get(ctr, 19, 16);
}

void arch_clean_dcache_range(uintptr_t addr, size_t size)
{
	uint64_t line = dcache_line_size();
	for (uintptr_t p = ALIGN_DOWN(addr, line); p < addr + size; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb_sy();
}

void arch_sync_icache_range(uintptr_t addr, size_t size)
{
	uint64_t line = dcache_line_size();
	for (uintptr_t p = ALIGN_DOWN(addr, line); p < addr + size; p += line)
		__asm__ volatile("dc cvau, %0" : : "r"(p) : "memory");
	dsb_ish();
	__asm__ volatile("ic ialluis\n dsb ish\n isb" ::: "memory");
}

bool arch_cpu_start(uint32_t index, uint64_t hwid)
{
	struct cpu_data *cpu = &cpu_data[index];
	int64_t ret;

	cpu->hwid = hwid;
	arch_clean_dcache_range((uintptr_t)cpu, sizeof(*cpu));
	arch_clean_dcache_range((uintptr_t)&el2_mmu_config,
				sizeof(el2_mmu_config));
	ret = arch_fw_cpu_on(hwid, (uintptr_t)cpu);
	if (ret != 0)
		log_always("firmware CPU_ON(0x%llx) = %lld",
			   (unsigned long long)hwid, (long long)ret);
	return ret == 0;
}

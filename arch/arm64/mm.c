/*
 * vigil's EL2 address space and the guest's stage 2.
 *
 * EL2: an identity map. All RAM (from the UEFI memory map) is normal
 * memory; everything else below DEVICE_MAP_LIMIT is device memory, so any
 * device a driver finds in the device tree is reachable without further
 * mapping calls.
 *
 * Stage 2: guest RAM identity mapped (IPA == PA) and nothing else of RAM;
 * unmapped IPAs fault to EL2 for MMIO emulation or an injected abort.
 */
#include <arch_cpu.h>
#include <arch_mm.h>
#include <vigil/log.h>
#include <vigil/panic.h>
#include <vigil/pool.h>

#include "cpu.h"
#include "cpufeatures.h"
#include "debug.h"
#include "pgtable.h"
#include "regs.h"
#include "sysreg_trap.h"
#include "sysreg.h"

#define DEVICE_MAP_LIMIT (1UL << 40)
#define VMID 1UL

static struct pgtable el2_pt, stage2_pt;
static uint64_t vtcr_value;

/* Read by secondary CPUs with their MMU off: see cpu.c. */
struct el2_mmu_config el2_mmu_config;

static void *pool_page(void *ctx)
{
	(void)ctx;
	return pool_alloc_pages(1);
}

static unsigned int pa_bits(void)
{
	static const unsigned int bits[] = {32, 36, 40, 42, 44, 48, 52};
	uint64_t parange = field_get(read_id_aa64mmfr0_el1(), 3, 0);

	if (parange >= sizeof(bits) / sizeof(bits[0]))
		return 48;
	/* 52-bit output needs the LPA descriptor format; 48 is plenty. */
	return bits[parange] > 48 ? 48 : bits[parange];
}

static uint64_t tcr_ps_field(unsigned int bits)
{
	switch (bits) {
	case 32: return 0;
	case 36: return 1;
	case 40: return 2;
	case 42: return 3;
	case 44: return 4;
	default: return 5;
	}
}

static void init_table(struct pgtable *pt, unsigned int va_bits)
{
	pt->va_bits = va_bits;
	pt->start_level = pgtable_start_level(va_bits);
	pt->alloc_page = pool_page;
	pt->root = pool_alloc_pages(1);
	if (pt->root == NULL)
		panic("hypervisor pool exhausted (page tables)");
}

static void el2_map(uint64_t base, uint64_t size, uint64_t attrs)
{
	uint64_t start = ALIGN_DOWN(base, SZ_4K);
	uint64_t end = ALIGN_UP(base + size, SZ_4K);

	if (!pgtable_map(&el2_pt, start, start, end - start, attrs))
		panic("EL2 map 0x%llx-0x%llx failed", (unsigned long long)start,
		      (unsigned long long)end);
}

void arch_mm_init(const struct boot_info *info)
{
	const uint64_t normal = PTE_AF | PTE_SH_INNER | PTE_S1_AP_RES1 |
				PTE_S1_ATTRIDX(MAIR_IDX_NORMAL);
	const uint64_t device = PTE_AF | PTE_S1_AP_RES1 | PTE_S1_XN |
				PTE_S1_ATTRIDX(MAIR_IDX_DEVICE);
	unsigned int bits = pa_bits();
	uint64_t dev_limit = DEVICE_MAP_LIMIT;

	if (bits < 64 && dev_limit > (1UL << bits))
		dev_limit = 1UL << bits;

	init_table(&el2_pt, bits);
	el2_map(0, dev_limit, device);
	for (uint32_t i = 0; i < info->nr_ram; i++)
		el2_map(info->ram[i].base, info->ram[i].size, normal);
	/* vigil's own memory, in case the memory map classified it oddly. */
	el2_map(info->hv_image.base, info->hv_image.size, normal);
	el2_map(info->hv_pool.base, info->hv_pool.size, normal);

	el2_mmu_config.mair = MAIR_VALUE;
	el2_mmu_config.tcr = TCR_EL2_RES1 | (64 - bits) | TCR_IRGN_WBWA |
			     TCR_ORGN_WBWA | TCR_SH_INNER | TCR_TG0_4K |
			     (tcr_ps_field(bits) << TCR_PS_SHIFT);
	el2_mmu_config.ttbr0 = (uint64_t)(uintptr_t)el2_pt.root;
	el2_mmu_config.sctlr = SCTLR_EL2_VALUE;

	/* Stage 2 covers the same input range as the machine's PA space. */
	init_table(&stage2_pt, bits);
	vtcr_value = VTCR_RES1 | (64 - bits) | TCR_IRGN_WBWA | TCR_ORGN_WBWA |
		     TCR_SH_INNER | TCR_TG0_4K |
		     (tcr_ps_field(bits) << TCR_PS_SHIFT) |
		     ((uint64_t)(2 - stage2_pt.start_level) << VTCR_SL0_SHIFT);

	cpu_boot_init(info);
	el2_switch_mmu(&el2_mmu_config);
	write_vbar_el2((uint64_t)(uintptr_t)el2_vectors);
	isb();
	sysreg_trap_check_table();
	cpu_features_log();
	debug_init();
	log_debug("EL2 page tables installed (%u-bit PA)", bits);
}

bool arch_stage2_map_identity(ipaddr_t ipa, uint64_t size, enum mm_attr attr)
{
	uint64_t attrs = PTE_AF | PTE_S2_AP_RW;

	if (attr == MM_NORMAL)
		attrs |= PTE_S2_MEMATTR_NORMAL_WB | PTE_SH_INNER;
	else
		attrs |= PTE_S2_MEMATTR_DEVICE_nGnRE | PTE_S2_XN;
	return pgtable_map(&stage2_pt, ipa_addr(ipa), ipa_addr(ipa), size,
			   attrs);
}

void arch_stage2_enable(void)
{
	write_vtcr_el2(vtcr_value);
	write_vttbr_el2((uint64_t)(uintptr_t)stage2_pt.root | (VMID << 48));
	isb();
	/* Nothing this CPU cached for VMID 1 may survive (CPU_OFF/ON). */
	__asm__ volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}

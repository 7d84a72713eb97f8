/*
 * hv_main(): from the boot_info that boot/ prepared to a running guest.
 *
 * Order matters: vigil's own address space first (nothing may depend on
 * the firmware's page tables after that), then the console so that errors
 * can be seen, then the guest's memory, devices and device tree, and the
 * secondary CPUs last, when everything they read is in place.
 */
#include <string.h>

#include <arch_cpu.h>
#include <arch_firmware.h>
#include <arch_mm.h>
#include <arch_vcpu.h>
#include <vigil/boot_info.h>
#include <vigil/init.h>
#include <vigil/log.h>
#include <vigil/panic.h>
#include <vigil/platform.h>
#include <vigil/pool.h>
#include <vigil/vm.h>

/* Bounds of the init-call table, from the linker script. */
extern const struct hv_init_call __hv_init_start[], __hv_init_end[];

#define HEAP_SIZE (2UL << 20)

static bool run_init_calls(enum hv_init_level level, const void *fdt,
			   struct vm *vm)
{
	for (const struct hv_init_call *c = __hv_init_start; c < __hv_init_end;
	     c++) {
		if (c->level == level && !c->fn(fdt, vm)) {
			log_always("start-up failed in %s", c->name);
			return false;
		}
	}
	return true;
}

static void setup_vcpus(struct vm *vm, const struct platform_cpus *cpus,
			uint32_t wanted)
{
	vm->nr_vcpus = wanted;
	for (uint32_t i = 0; i < wanted; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->id = i;
		v->mpidr = cpus->hwid[i];
		v->power = VCPU_OFF;
	}
}

static bool build_guest_dt(const struct boot_info *info, struct vm *vm,
			   const struct platform_cpus *cpus)
{
	char err[160];
	uint32_t nr_hidden;
	struct guest_dt_params p = {
		.ram = info->guest_ram,
		.cmdline = info->cfg.cmdline[0] ? info->cfg.cmdline : NULL,
		.initrd = info->guest_initrd,
		.cpu_hwids = cpus->hwid,
		.nr_cpus = vm->nr_vcpus,
	};

	p.hidden = platform_hidden_devices(&nr_hidden);
	p.nr_hidden = nr_hidden;
	if (!guest_dt_build(info->dtb, (void *)info->guest_dtb_slot.base,
			    info->guest_dtb_slot.size, &p, err, sizeof(err))) {
		log_always("guest device tree: %s", err);
		return false;
	}
	vm->dtb_ipa = info->guest_dtb_slot.base;
	return true;
}

/*
 * Devices the guest owns are mapped straight through (identity, device
 * memory), minus the holes: what vigil emulates (the MMIO registry) and
 * what it keeps (platform_hidden_devices()), at page granularity, so the
 * guest traps or faults there. A device that shares a page with a hole
 * (virtio-mmio slots are 0x200 apart) cannot be mapped without exposing
 * its neighbour: its registers in that page are forwarded instead
 * (mmio_register_forward()), and the rest of the page aborts like any
 * unmapped address.
 */
struct passthrough_ctx {
	struct vm *vm;
	bool ok;
	/* Pages mapped last: small devices share them. */
	uint64_t last_base, last_end;
};

/* Hole number i: the emulated ranges, then the hidden ones. */
static bool passthrough_hole(const struct passthrough_ctx *pc, uint32_t i,
			     struct mem_range *hole)
{
	const struct mmio_registry *mmio = &pc->vm->mmio;
	uint32_t nr_hidden;
	const struct mem_range *hidden = platform_hidden_devices(&nr_hidden);

	if (i < mmio->count) {
		*hole = (struct mem_range){mmio->regions[i].base,
					   mmio->regions[i].size};
		return true;
	}
	i -= mmio->count;
	if (i >= nr_hidden)
		return false;
	*hole = hidden[i];
	return true;
}

/*
 * The hole that starts lowest among those overlapping [start, end),
 * widened to whole pages with page_granular.
 */
static bool first_hole(const struct passthrough_ctx *pc, uint64_t start,
		       uint64_t end, bool page_granular, struct mem_range *first)
{
	struct mem_range h;
	bool found = false;

	for (uint32_t i = 0; passthrough_hole(pc, i, &h); i++) {
		uint64_t hs = h.base, he = h.base + h.size;
		if (page_granular) {
			hs = ALIGN_DOWN(hs, PAGE_SIZE);
			he = ALIGN_UP(he, PAGE_SIZE);
		}
		if (h.size == 0 || he <= start || hs >= end ||
		    (found && hs >= first->base))
			continue;
		*first = (struct mem_range){hs, he - hs};
		found = true;
	}
	return found;
}

static void map_device_pages(struct passthrough_ctx *pc, uint64_t base,
			     uint64_t end, const char *node)
{
	if (!arch_stage2_map_identity(ipa_init(base), end - base, MM_DEVICE)) {
		log_always("stage 2: cannot map %s at 0x%llx", node,
			   (unsigned long long)base);
		pc->ok = false;
		return;
	}
	log_debug("guest device %s: 0x%llx-0x%llx", node,
		  (unsigned long long)base, (unsigned long long)(end - 1));
}

/* What device range r has in the page at page, outside every hole. */
static void forward_shared_page(struct passthrough_ctx *pc,
				const struct mem_range *r, uint64_t page,
				const char *node)
{
	uint64_t cur = page > r->base ? page : r->base;
	uint64_t end = page + PAGE_SIZE < r->base + r->size ? page + PAGE_SIZE
							   : r->base + r->size;
	struct mem_range hole;

	while (cur < end) {
		uint64_t stop = end, next = end;
		if (first_hole(pc, cur, end, false, &hole)) {
			stop = hole.base > cur ? hole.base : cur;
			next = hole.base + hole.size;
		}
		if (stop > cur) {
			if (mmio_register_forward(&pc->vm->mmio, node, cur,
						  stop - cur))
				log_debug("guest device %s: 0x%llx-0x%llx "
					  "forwarded (its page is not the guest's)",
					  node, (unsigned long long)cur,
					  (unsigned long long)(stop - 1));
			else
				log_warn("guest device %s: 0x%llx-0x%llx "
					 "unreachable (cannot forward it)",
					 node, (unsigned long long)cur,
					 (unsigned long long)(stop - 1));
		}
		cur = next;
	}
}

static void map_passthrough(const struct mem_range *r, const char *node,
			    void *ctx)
{
	struct passthrough_ctx *pc = ctx;
	uint64_t base = ALIGN_DOWN(r->base, PAGE_SIZE);
	uint64_t end = ALIGN_UP(r->base + r->size, PAGE_SIZE);
	struct mem_range hole;

	if (end <= base || (base >= pc->last_base && end <= pc->last_end))
		return;
	/* Never hand out RAM this way (a node describing RAM as a device). */
	if (base < pc->vm->ram.base + pc->vm->ram.size && pc->vm->ram.base < end)
		return;
	bool holes = false;
	for (uint64_t cur = base; cur < end && pc->ok;) {
		if (!first_hole(pc, cur, end, true, &hole)) {
			map_device_pages(pc, cur, end, node);
			break;
		}
		holes = true;
		if (hole.base > cur)
			map_device_pages(pc, cur, hole.base, node);
		/* Only a hole's first and last pages can hold more than it. */
		forward_shared_page(pc, r, hole.base, node);
		if (hole.size > PAGE_SIZE)
			forward_shared_page(pc, r, hole.base + hole.size - PAGE_SIZE,
					    node);
		cur = hole.base + hole.size;
	}
	if (!holes) {
		pc->last_base = base;
		pc->last_end = end;
	}
}

/*
 * No SMMU is driven yet, so a device that can master DMA writes wherever
 * its driver in the guest points it, stage 2 or not (QEMU's fw-cfg once
 * zeroed vigil itself this way). Such devices are hidden from the guest
 * (removed from its tree, left out of stage 2) unless vigil.cfg says
 * unsafe.dma_passthrough = on, which names each one in a warning.
 */
struct dma_rule_ctx {
	bool passthrough;
	bool ok;
	uint32_t hidden;
};

static void apply_dma_rule(const void *fdt, int node, const char *name,
			   const char *why, void *ctx)
{
	struct dma_rule_ctx *d = ctx;

	if (d->passthrough) {
		log_warn("WARNING: unsafe.dma_passthrough = on: %s (%s) is the "
			 "guest's, and its DMA reaches all memory, vigil's "
			 "included",
			 name, why);
		return;
	}
	if (!platform_hide_node(fdt, node)) {
		log_always("cannot hide %s (%s): more than %u hidden ranges",
			   name, why, PLATFORM_MAX_HIDDEN);
		d->ok = false;
		return;
	}
	d->hidden++;
	log_debug("guest device %s hidden: it can master DMA (%s)", name, why);
}

static bool hide_dma_devices(const void *fdt, bool passthrough)
{
	struct dma_rule_ctx d = {passthrough, true, 0};

	platform_for_each_dma_device(fdt, apply_dma_rule, &d);
	if (d.hidden != 0)
		log_info("%u device%s that can master DMA hidden from the guest "
			 "(no SMMU; see unsafe.dma_passthrough)",
			 d.hidden, d.hidden == 1 ? "" : "s");
	return d.ok;
}

/* The guest could not be started: leave the machine in a clean state. */
static void __attribute__((noreturn)) boot_failed(void)
{
	log_always("cannot start the guest; powering off");
	arch_fw_system_off();
}

void hv_main(const struct boot_info *info)
{
	static struct platform_cpus cpus;
	struct vm *vm = &the_vm;
	char err[160];

	log_set_level(info->cfg.log);
	pool_init(&info->hv_pool);
	arch_mm_init(info);

	void *heap = pool_alloc_pages(HEAP_SIZE / PAGE_SIZE);
	if (heap == NULL)
		panic("hypervisor pool too small for the heap");
	heap_init(heap, HEAP_SIZE);

	/* The console first, so that every later failure can be seen. */
	if (!run_init_calls(HV_INIT_CONSOLE, info->dtb, vm))
		boot_failed();

	if (!platform_read_cpus(info->dtb, arch_cpu_hwid(), &cpus, err,
				sizeof(err))) {
		log_always("device tree: %s", err);
		boot_failed();
	}

	uint32_t wanted = info->cfg.vcpus ? info->cfg.vcpus : cpus.count;
	if (wanted > cpus.count) {
		log_always("config: vcpus = %u, but this machine has %u CPU%s",
			   wanted, cpus.count, cpus.count == 1 ? "" : "s");
		boot_failed();
	}
	if (cpus.ignored)
		log_warn("%u CPUs beyond the first %u are left to the firmware",
			 cpus.ignored, MAX_CPUS);

	vm->ram = info->guest_ram;
	vm->test_hooks = info->cfg.test_hooks;
	vm->cfg = &info->cfg;
	setup_vcpus(vm, &cpus, wanted);
	if (!run_init_calls(HV_INIT_IRQCHIP, info->dtb, vm) ||
	    !run_init_calls(HV_INIT_DEVICE, info->dtb, vm) ||
	    !run_init_calls(HV_INIT_LATE, info->dtb, vm) ||
	    !run_init_calls(HV_INIT_SERVICE, info->dtb, vm))
		boot_failed();

	log_info("guest RAM 0x%llx-0x%llx, %u vCPU%s, entry 0x%llx",
		 (unsigned long long)vm->ram.base,
		 (unsigned long long)(vm->ram.base + vm->ram.size - 1), wanted,
		 wanted == 1 ? "" : "s",
		 (unsigned long long)info->guest_entry);

	if (!arch_stage2_map_identity(ipa_init(vm->ram.base), vm->ram.size,
				      MM_NORMAL))
		panic("stage 2: cannot map guest RAM");
	if (!hide_dma_devices(info->dtb, info->cfg.dma_passthrough))
		boot_failed();
	struct passthrough_ctx pc = {vm, true, 0, 0};
	platform_for_each_device_range(info->dtb, map_passthrough, &pc);
	if (!pc.ok || !build_guest_dt(info, vm, &cpus))
		boot_failed();

	for (uint32_t i = 1; i < wanted; i++) {
		if (!arch_cpu_start(i, cpus.hwid[i])) {
			log_always("CPU %u (MPIDR 0x%llx) did not start", i,
				   (unsigned long long)cpus.hwid[i]);
			boot_failed();
		}
	}

	/* The boot vCPU starts the way PSCI CPU_ON starts the others. */
	struct vcpu *boot_vcpu = &vm->vcpus[0];
	boot_vcpu->on_entry = info->guest_entry;
	boot_vcpu->on_context = vm->dtb_ipa;
	boot_vcpu->power = VCPU_ON_PENDING;
	vcpu_run_pinned(boot_vcpu);
}

void hv_secondary_main(uint32_t index)
{
	vcpu_run_pinned(&the_vm.vcpus[index]);
}

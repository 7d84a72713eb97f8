/* Per-physical-CPU services the core needs from the architecture. */
#ifndef VIGIL_ARCH_CPU_H
#define VIGIL_ARCH_CPU_H

#include <arch_types.h>
#include <vigil/types.h>

#define MAX_CPUS 8

/* Index of the calling physical CPU (0 = boot CPU). */
uint32_t arch_cpu_index(void);
/* The hardware id (MPIDR on arm64) of the calling physical CPU. */
uint64_t arch_cpu_hwid(void);

/* Wait for an event (another CPU's arch_cpu_send_event()) or an interrupt. */
void arch_cpu_wait_event(void);
void arch_cpu_send_event(void);
/*
 * Wait until an interrupt is pending for this CPU, even one that is masked
 * (EL2 runs with interrupts masked): the idle wait of vigil/idle.h. Another
 * CPU ends it with arch_cpu_kick(); arch_cpu_send_event() does not.
 */
void arch_cpu_wait_interrupt(void);

void arch_spin_lock(arch_spinlock_t *lock);
void arch_spin_unlock(arch_spinlock_t *lock);

/* Make [addr, addr+size) visible to a CPU whose caches are off. */
void arch_clean_dcache_range(uintptr_t addr, size_t size);
/* After writing instructions to [addr, addr+size). */
void arch_sync_icache_range(uintptr_t addr, size_t size);

/*
 * Make physical CPU cpu take an exception to EL2 soon (an inter-processor
 * interrupt). A no-op until an interrupt controller driver provides it; the
 * target then notices requests at its next natural exit.
 */
void arch_cpu_kick(uint32_t cpu);

/*
 * Prepare per-CPU state for CPU index with hardware id hwid and start it
 * through the firmware. It enters hv_secondary_main(index) at EL2 with
 * vigil's address space installed. Returns false if the firmware refused.
 */
bool arch_cpu_start(uint32_t index, uint64_t hwid);
void hv_secondary_main(uint32_t index) __attribute__((noreturn));

/* Full barrier for memory shared between CPUs. */
void arch_memory_barrier(void);

#endif

/*
 * guest.h - the whole API of the test-guest runtime in tests/guests/lib.
 *
 * A guest provides guest_name[] and guest_main(), plus secondary_main() if
 * it starts other CPUs.  The runtime prints "guest: <name> start", runs
 * guest_main() on the boot CPU (cpu index 0), then prints the verdict
 * ("guest: <name> PASS" or "guest: <name> FAIL (<n> failures)") and powers
 * the machine off with PSCI SYSTEM_OFF.
 *
 * Two rules keep a guest loadable anywhere with the MMU off:
 *  - no absolute addresses in data (no pointer tables, no jump tables):
 *    take addresses in code, where the compiler uses adrp/add;
 *  - all data accesses are Device memory accesses: aligned only.
 */
#ifndef GUEST_H
#define GUEST_H

/* Shared with start.S. */
#define MAX_CPUS		8
#define STACK_SHIFT		12	/* 4 KiB of stack per CPU */
#define EXCEPTION_FRAME_SIZE	288	/* sizeof(struct exception_frame) */

#ifndef __ASSEMBLER__

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define __noreturn	__attribute__((noreturn))
#define __printf(f, a)	__attribute__((format(printf, f, a)))

/* ---- Provided by each guest ------------------------------------------ */

extern const char guest_name[];
void guest_main(void);
void secondary_main(unsigned cpu);	/* optional, see runtime.c */

/* ---- Image layout (guest.ld, start.S) -------------------------------- */

extern char _image_start[], _text_end[], _image_end[];
extern char secondary_entry[];	/* CPU_ON entry; context_id = cpu index */
void park(void) __noreturn;	/* idle this CPU for good */

/* Called from start.S only. */
void boot_main(u64 x0) __noreturn;		/* boot CPU, x0 from the loader */
void secondary_boot(u64 cpu) __noreturn;	/* CPUs entering secondary_entry */
struct exception_frame;
void handle_exception(struct exception_frame *frame, u64 slot);

/* ---- CPU ------------------------------------------------------------- */

#define MPIDR_AFFINITY_MASK	0xff00ffffffUL	/* Aff3, Aff2, Aff1, Aff0 */

/* The cpu index start.S stored for this CPU (0 = boot CPU). */
static inline unsigned this_cpu(void)
{
	u64 v;

	asm volatile("mrs %0, tpidr_el1" : "=r"(v));
	return v;
}

static inline u64 read_mpidr(void)
{
	u64 v;

	asm volatile("mrs %0, mpidr_el1" : "=r"(v));
	return v & MPIDR_AFFINITY_MASK;
}

static inline unsigned current_el(void)
{
	u64 v;

	asm volatile("mrs %0, CurrentEL" : "=r"(v));
	return (v >> 2) & 3;
}

/* System registers by name, or S3_<op1>_C<n>_C<m>_<op2> for any. */
#define read_sysreg(reg) ({						\
	u64 __val;							\
	asm volatile("mrs %0, " #reg : "=r"(__val) : : "memory");	\
	__val;								\
})
#define write_sysreg(reg, val)						\
	asm volatile("msr " #reg ", %0" : : "r"((u64)(val)) : "memory")

/*
 * Full barrier for flags shared between CPUs.  With the MMU off every
 * access is Device-nGnRnE, so no cache maintenance is needed: volatile
 * accesses ordered by dmb are all it takes.
 */
static inline void dmb_sy(void)
{
	asm volatile("dmb sy" ::: "memory");
}

/* ---- Output: print.c, uart.c ----------------------------------------- */

/* Print one whole "guest: ..." line; lines from different CPUs never mix.
 * Supports %s %c %d %u %x and %ld %lu %lx. */
void print_line(const char *fmt, ...) __printf(1, 2);
void vprint_line(const char *prefix, const char *fmt, va_list ap);
/* The same, but nothing can be printed after it (the verdict line). */
void print_last_line(const char *fmt, ...) __printf(1, 2);
void console_write_line(const char *s, unsigned len, bool keep_locked);
void console_unlock_if_owner(void);

/* ---- Verdicts: runtime.c --------------------------------------------- */

void report_ok(const char *fmt, ...) __printf(1, 2);	/* "ok ..." */
void report_fail(const char *fmt, ...) __printf(1, 2);	/* "FAIL ...", counted */
bool check_true(const char *what, bool cond);
bool check_eq(const char *what, u64 expected, u64 got);
bool check_ret(const char *what, s32 expected, s32 got); /* return codes */
unsigned failure_count(void);
void guest_finish(void) __noreturn;	/* verdict line + SYSTEM_OFF */

/* ---- Boot information and time: runtime.c ---------------------------- */

extern const void *guest_dtb;		/* validated, never NULL in guests */
bool bootargs_has(const char *flag);	/* whole word of /chosen/bootargs */
/* The first bootargs word "name=N": true and *value = N if N is a number,
 * decimal or 0x hex, of at most 16 digits. */
bool bootargs_value(const char *name, u64 *value);
u64 deadline_after_ms(unsigned ms);
bool deadline_passed(u64 deadline);

/* ---- Exceptions: start.S, exceptions.c ------------------------------- */

struct exception_frame {		/* pushed by the vectors in start.S */
	u64 x[31];
	u64 elr, spsr, esr, far;
	u64 pad;			/* keeps sp 16-byte aligned */
};

struct exception_record {
	u64 esr, far, elr;
};

#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)		((esr) & 0x1ffffff)
#define EC_UNKNOWN		0x00
#define EC_SVC64		0x15
#define EC_HVC64		0x16
#define EC_SMC64		0x17
#define EC_DABT_CUR_EL		0x25
#define EC_BRK64		0x3c

/* Vector slots, as passed to handle_exception() and exception hooks. */
#define SLOT_EL1H_SYNC		4	/* synchronous, from EL1 using SP_EL1 */
#define SLOT_EL0_64_SYNC	8	/* synchronous, from AArch64 EL0 */

/*
 * A guest's own first look at every exception taken on this CPU, from any
 * vector slot, before the expect_exception() machinery below.  Returning
 * true means "handled": the CPU returns through the frame, which the hook
 * may have edited (elr, spsr, x[]).  Returning false leaves the exception
 * to the usual handling.  NULL removes the hook.  For guests that take
 * exceptions the usual handling cannot resume from (debug exceptions that
 * must re-execute the instruction, exceptions from EL0).
 */
typedef bool (*exception_hook_t)(struct exception_frame *frame, u64 slot);
void set_exception_hook(exception_hook_t hook);

/*
 * Arm the next synchronous exception on this CPU: instead of being fatal,
 * it is recorded and the faulting instruction is stepped over.
 * exception_taken() disarms and says whether one happened.
 */
void expect_exception(void);
bool exception_taken(struct exception_record *rec);

/* One aligned access of that size at addr; true if it raised an exception. */
bool probe_read8(u64 addr, u8 *value, struct exception_record *rec);
bool probe_write8(u64 addr, u8 value, struct exception_record *rec);
bool probe_read16(u64 addr, u16 *value, struct exception_record *rec);
bool probe_write16(u64 addr, u16 value, struct exception_record *rec);
bool probe_read32(u64 addr, u32 *value, struct exception_record *rec);
bool probe_write32(u64 addr, u32 value, struct exception_record *rec);
bool probe_read64(u64 addr, u64 *value, struct exception_record *rec);
bool probe_write64(u64 addr, u64 value, struct exception_record *rec);

/*
 * eret.S: enter @entry by ERET with x0/x1 = @arg0/@arg1, PSTATE = @spsr
 * and SP_EL0 = @sp_el0; returns the code's x0. EL1 code returns with ret;
 * EL0 code with an SVC the guest's exception hook turns into a return to
 * eret_return (ELR = eret_return, SPSR = EL1h with DAIF masked).
 */
u64 run_with_pstate(u64 arg0, u64 arg1, void *entry, u64 spsr, u64 sp_el0);

/* SPSR_EL1 / PSTATE fields for run_with_pstate() and the debug guests. */
#define SPSR_M_EL0T		0x0UL
#define SPSR_M_EL1H		0x5UL
#define SPSR_F			(1UL << 6)
#define SPSR_I			(1UL << 7)
#define SPSR_A			(1UL << 8)
#define SPSR_D			(1UL << 9)
#define SPSR_SS			(1UL << 21)
/* DAIFSet/DAIFClr immediate for PSTATE.D */
#define DAIF_IMM_D		8
/* MDSCR_EL1 */
#define MDSCR_SS		(1UL << 0)
#define MDSCR_KDE		(1UL << 13)
#define MDSCR_MDE		(1UL << 15)
extern char eret_return[];

/* ---- Counting EL2 instructions: pmu.c -------------------------------- */

/*
 * PMU counter 0 counts the instructions EL2 executes on this CPU (event
 * INST_RETIRED filtered to EL2: exact under QEMU -icount shift=0). false,
 * with a FAIL line, if the CPU has no PMU event counter.
 */
bool pmu_start(void);
bool pmu_overflowed(void);	/* counter 0 wrapped since pmu_start() */

/* Counter 0 is 32 bits wide (PMUv3 before v8.5): differences mod 2^32. */
static inline u32 pmu_read(void)
{
	u64 v;

	asm volatile("isb; mrs %0, pmevcntr0_el0" : "=r"(v) : : "memory");
	return (u32)v;
}

/* ---- PSCI and SMCCC: psci.c ------------------------------------------ */

#define PSCI_VERSION		0x84000000
#define PSCI_CPU_OFF		0x84000002
#define PSCI_CPU_ON		0xC4000003
#define PSCI_AFFINITY_INFO	0xC4000004
#define PSCI_SYSTEM_OFF		0x84000008
#define PSCI_SYSTEM_RESET	0x84000009
#define PSCI_FEATURES		0x8400000A

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)	/* also SMCCC "unknown function" */
#define PSCI_INVALID_PARAMETERS	(-2)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)

#define AFFINITY_ON		0
#define AFFINITY_OFF		1
#define AFFINITY_ON_PENDING	2

enum smccc_conduit { SMCCC_HVC, SMCCC_SMC };

/* Raw SMCCC call; returns x0.  x4-x17 are treated as clobbered. */
u64 smccc_call(enum smccc_conduit conduit, u32 fid, u64 a1, u64 a2, u64 a3);

/* PSCI over HVC, the conduit both plain QEMU and vigil provide. */
s32 psci_version(void);
s32 psci_features(u32 fid);
s32 psci_cpu_on(u64 mpidr, u64 entry, u64 context_id);
s32 psci_cpu_off(void);
s32 psci_affinity_info(u64 mpidr, u32 lowest_level);
void psci_system_off(void);
void psci_system_reset(void);

/* SMC is only safe if the DT says so or the test asked (bootargs smc-ok):
 * at EL1 without EL2/EL3 firmware behind it, SMC is UNDEFINED. */
bool smc_allowed(void);

/* ---- Device tree: fdt.c ---------------------------------------------- */

#define FDT_MAGIC		0xd00dfeed

u32 fdt_be32(const void *p);		/* p must be 4-byte aligned */
bool fdt_is_valid(const void *dtb);
bool fdt_memory(const void *dtb, u64 *base, u64 *size); /* first /memory reg */
const char *fdt_bootargs(const void *dtb);	/* "" if there are none */
const char *fdt_psci_method(const void *dtb);	/* "" if there is none */
/* Number of /cpus/cpu@ nodes; their MPIDRs (reg) go to mpidr[0..max). */
unsigned fdt_cpus(const void *dtb, u64 *mpidr, unsigned max);

/* ---- Strings: string.c ----------------------------------------------- */

size_t strlen(const char *s);
bool str_eq(const char *a, const char *b);
void *memset(void *dst, int c, size_t n);	/* gcc may emit calls */
void *memcpy(void *dst, const void *src, size_t n);

#endif /* __ASSEMBLER__ */
#endif /* GUEST_H */

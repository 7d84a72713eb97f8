/*
 * The machine the GDB stub debugs: vigil's vCPUs (threads), their registers,
 * guest memory through the guest's own page tables, breakpoints and
 * watchpoints, and all-stop run control (debug/target.h).
 *
 * Where things run. lwIP, and with it the whole stub, runs on the boot CPU
 * (drivers/net.h), either in an exit of vCPU 0 or while vCPU 0 is stopped
 * and its CPU idles. The stub can therefore never wait for vCPU 0 to stop:
 * stops are requested (vcpu_request_stop) and noticed later, when
 * target_poll_stop() finds every vCPU stopped. Debug events come the other
 * way, from each vCPU's own CPU (debugger_event), and only set what the
 * stub later reports.
 *
 * In all-stop mode, everything the stub changes - registers, memory,
 * breakpoints, dbg_host - it changes while every vCPU is stopped, so the
 * vCPUs pick it up when they resume (arch_debug_vcpu_resume) and no lock is
 * needed. The exceptions are the stop claim (an atomic, several vCPUs may
 * report at once) and the run state, which is written before vCPUs are
 * released, with barriers.
 *
 * Non-stop mode (RS_NON_STOP) keeps that per vCPU: registers only of a
 * stopped one, a stop claim per vCPU, each stop reported on its own. What
 * others share while they run is made safe where it is changed:
 *   - software breakpoints: a 32-bit store of BRK or of the original
 *     (both may be changed under a running CPU: Arm ARM's concurrent
 *     modification and execution rule) and the I-cache invalidated on
 *     every CPU; a BRK a running vCPU fetched just before GDB removed it
 *     is run again, not handed to the guest (gone_breaks);
 *   - hardware breakpoints and watchpoints are per-CPU registers: every
 *     running vCPU is sent to EL2 at once to reload them
 *     (vcpu_request_debug_reload), which the guest cannot see.
 *
 * This is AArch64's target (target.xml describes an aarch64 core), so it
 * reads the saved guest context of struct arch_vcpu directly.
 */
#include <stdio.h>
#include <string.h>

#include <arch_cpu.h>
#include <arch_firmware.h>
#include <arch_timer.h>
#include <arch_vcpu.h>
#include <vigil/config.h>
#include <vigil/debugger.h>
#include <vigil/idle.h>
#include <vigil/log.h>
#include <vigil/vm.h>

#include "target.h"
#include "walk.h"

struct dbg_host_state dbg_host;

/* BRK #0: what GDB itself plants on AArch64. */
#define BRK_INSN 0xd4200000U
#define INSN_SIZE 4
/* Physical mode copies at most this much per step. */
#define PHYS_CHUNK 4096ULL
#define MAX_SW_BREAKS 256

/* PSTATE fields GDB sees in cpsr (SPSR_EL2 layout). */
#define PSTATE_M_MASK 0x1fU
#define PSTATE_M_EL0T 0x0U
#define PSTATE_M_EL1T 0x4U
#define PSTATE_M_EL1H 0x5U
#define PSTATE_EL_SHIFT 2
#define PSTATE_SP_SEL 1U

/* A reset asked for over the wire waits this long for its reply to leave. */
#define RESET_DELAY_NS (200ULL * 1000 * 1000)
/*
 * A guest powering off with a debugger attached waits for its W00 to leave
 * (the NIC needs a moment after lwIP hands the frame over), but not for
 * ever: a client that stopped reading must not keep the machine up.
 */
#define EXIT_FLUSH_NS (100ULL * 1000 * 1000)
#define EXIT_BOUND_NS (2000ULL * 1000 * 1000)

struct sw_break {
	uint64_t va;
	uint64_t pa;
	uint32_t orig;
	bool used;
};

enum run_state {
	RS_DETACHED, /* no session: the guest runs free */
	RS_RUNNING,  /* resumed by the debugger */
	RS_STOPPING, /* a stop is requested, not every vCPU has stopped */
	RS_STOPPED,  /* every vCPU stopped, the stop reported */
	RS_HALTED,   /* no session, the guest left stopped (`k`, on_kill=stop) */
	RS_NON_STOP, /* a session in non-stop mode: each vCPU as tgt.ns says */
};

/*
 * Non-stop, per vCPU. The stub's side: running from the resume that let
 * it go until its stop is reported. Either side claims its stop (the vCPU
 * on its debug event, the stub for vCont;t or vCtrlC): the first claim
 * is the one reported, as in all-stop.
 */
struct ns_vcpu {
	bool running;
	volatile uint32_t claimed;
	struct target_stop stop;
};

/*
 * A software breakpoint GDB removed while vCPUs ran, and the vCPUs
 * (a bit each) that may still take its BRK: one that fetched it before
 * the original was back. Each runs the instruction again once; if it is
 * the guest's own BRK by then, it traps again and goes to the guest.
 */
#define MAX_GONE_BREAKS 16
struct gone_break {
	uint64_t va;
	volatile uint32_t vcpus;
};

static struct {
	volatile enum run_state state;
	/* 0 until a vCPU (or Ctrl-C) claims the stop being reported. */
	volatile uint32_t stop_claimed;
	struct target_stop stop;
	/* The session ended while vCPUs ran: clean up once they stopped. */
	bool detach_pending;
	/* ... and leave the guest stopped then (`k` in non-stop mode). */
	bool halt_after_detach;
	/*
	 * A session is open (target_attach .. target_detach/kill). A new one
	 * may open before a lost one's clean-up is done: it then takes over
	 * the stop, and the guest must not be resumed under it.
	 */
	bool session;
	unsigned int resumed_tid;
	unsigned int mem_tid; /* whose page tables Z0 translates with */
	bool phys;
	uint64_t reset_at_ns; /* 0 = no reset pending */
	/* The guest is powering off: W00 first (debugger_guest_exit). */
	volatile bool exiting;
	volatile uint64_t exit_reported_ns;
	struct sw_break sw[MAX_SW_BREAKS];
	/* gdb.wait: the guest has not run yet (target_hold_at_entry). */
	bool held_at_entry;
	/* The Z2-Z4 request each of dbg_host.watches[] is a piece of. */
	struct watch_origin {
		uint64_t addr, len;
	} watch_origin[DBG_MAX_HW_WATCHES];
	struct ns_vcpu ns[VM_MAX_VCPUS];
	struct gone_break gone[MAX_GONE_BREAKS];
	unsigned int gone_next;
} tgt = {.resumed_tid = 1, .mem_tid = 1};

/* ---- threads --------------------------------------------------------- */

static struct vcpu *vcpu_of(unsigned int tid)
{
	if (tid == 0 || tid > the_vm.nr_vcpus)
		return NULL;
	return &the_vm.vcpus[tid - 1];
}

unsigned int target_nr_threads(void)
{
	return the_vm.nr_vcpus;
}

static bool vcpu_has_context(const struct vcpu *vcpu)
{
	return vcpu->arch.regs != NULL;
}

static unsigned int vcpu_el(const struct vcpu *vcpu)
{
	return (unsigned int)(vcpu->arch.regs->pstate >> PSTATE_EL_SHIFT) & 3;
}

void target_thread_name(unsigned int tid, char *buf, size_t len)
{
	const struct vcpu *vcpu = vcpu_of(tid);

	if (vcpu == NULL)
		snprintf(buf, len, "?");
	else if (vcpu->power != VCPU_ON || !vcpu_has_context(vcpu))
		snprintf(buf, len, "vCPU%u (off)", vcpu->id);
	else
		snprintf(buf, len, "vCPU%u (EL%u)", vcpu->id, vcpu_el(vcpu));
}

/* ---- registers ------------------------------------------------------- */

/* target.xml's system registers (regs.c order) -> saved EL1 context. */
static const int sysreg_slot[] = {
	EL1_SCTLR, EL1_TCR, EL1_TTBR0, EL1_TTBR1, EL1_MAIR, EL1_VBAR,
	EL1_ESR, EL1_FAR, EL1_ELR, EL1_SPSR, EL0_SP, EL1_SP, EL0_TPIDR,
	EL0_TPIDRRO, EL1_TPIDR, EL1_CONTEXTIDR,
	-1, /* "el": the current exception level, from PSTATE */
};

static uint64_t *sp_slot(struct vcpu *vcpu)
{
	uint64_t m = vcpu->arch.regs->pstate & PSTATE_M_MASK;

	return (m & PSTATE_SP_SEL) ? &vcpu->arch.sysregs[EL1_SP]
				   : &vcpu->arch.sysregs[EL0_SP];
}

/* Where register regnum lives, for the 64-bit ones; NULL otherwise. */
static uint64_t *reg64_slot(struct vcpu *vcpu, unsigned int regnum)
{
	if (regnum <= REG_X30)
		return &vcpu->arch.regs->x[regnum];
	if (regnum == REG_SP)
		return sp_slot(vcpu);
	if (regnum == REG_PC)
		return &vcpu->arch.regs->pc;
	if (regnum >= REG_SYS_FIRST &&
	    regnum - REG_SYS_FIRST < ARRAY_SIZE(sysreg_slot) &&
	    sysreg_slot[regnum - REG_SYS_FIRST] >= 0)
		return &vcpu->arch.sysregs[sysreg_slot[regnum - REG_SYS_FIRST]];
	return NULL;
}

static void put_le(uint8_t *buf, uint64_t v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

static struct vcpu *stopped_vcpu(unsigned int tid)
{
	struct vcpu *vcpu = vcpu_of(tid);

	if (vcpu == NULL || !vcpu_has_context(vcpu) || !vcpu_is_stopped(vcpu))
		return NULL;
	return vcpu;
}

bool target_read_reg(unsigned int tid, unsigned int regnum, uint8_t *buf)
{
	struct vcpu *vcpu = stopped_vcpu(tid);
	const struct target_reg *info = target_reg_info(regnum);
	uint64_t *slot;

	if (vcpu == NULL || info == NULL)
		return false;
	slot = reg64_slot(vcpu, regnum);
	if (slot != NULL) {
		put_le(buf, *slot, info->size);
		return true;
	}
	if (regnum == REG_CPSR) {
		put_le(buf, vcpu->arch.regs->pstate, 4);
	} else if (regnum >= REG_V0 && regnum < REG_V0 + 32) {
		memcpy(buf, &vcpu->arch.fpsimd.v[regnum - REG_V0], 16);
	} else if (regnum == REG_FPSR) {
		put_le(buf, vcpu->arch.fpsimd.fpsr, 4);
	} else if (regnum == REG_FPCR) {
		put_le(buf, vcpu->arch.fpsimd.fpcr, 4);
	} else if (info->size == 8 && !info->writable) {
		put_le(buf, vcpu_el(vcpu), 8); /* "el" */
	} else {
		return false;
	}
	return true;
}

/*
 * A debugger may set any PSTATE the guest itself could reach: AArch64 at
 * EL0 or EL1. Anything else would make vigil's eret leave the guest's
 * exception levels.
 */
static bool guest_pstate_ok(uint64_t pstate)
{
	uint64_t m = pstate & PSTATE_M_MASK;

	return m == PSTATE_M_EL0T || m == PSTATE_M_EL1T || m == PSTATE_M_EL1H;
}

bool target_reg_write_ok(unsigned int tid, unsigned int regnum,
			 const uint8_t *buf)
{
	const struct target_reg *info = target_reg_info(regnum);

	if (stopped_vcpu(tid) == NULL || info == NULL || !info->writable)
		return false;
	if (regnum == REG_CPSR)
		return guest_pstate_ok(get_le(buf, 4));
	return true;
}

bool target_write_reg(unsigned int tid, unsigned int regnum,
		      const uint8_t *buf)
{
	struct vcpu *vcpu = stopped_vcpu(tid);
	const struct target_reg *info = target_reg_info(regnum);
	uint64_t *slot;

	if (vcpu == NULL || info == NULL || !info->writable)
		return false;
	slot = reg64_slot(vcpu, regnum);
	if (slot != NULL) {
		*slot = get_le(buf, info->size);
		return true;
	}
	if (regnum == REG_CPSR) {
		uint64_t v = get_le(buf, 4);
		if (!guest_pstate_ok(v))
			return false;
		vcpu->arch.regs->pstate = v;
	} else if (regnum >= REG_V0 && regnum < REG_V0 + 32) {
		memcpy(&vcpu->arch.fpsimd.v[regnum - REG_V0], buf, 16);
	} else if (regnum == REG_FPSR) {
		vcpu->arch.fpsimd.fpsr = get_le(buf, 4);
	} else if (regnum == REG_FPCR) {
		vcpu->arch.fpsimd.fpcr = get_le(buf, 4);
	} else {
		return false;
	}
	return true;
}

/* ---- memory ---------------------------------------------------------- */

void target_set_phys(bool on)
{
	tgt.phys = on;
}

bool target_phys(void)
{
	return tgt.phys;
}

/* Guest RAM is identity-mapped at EL2, so a guest PA is vigil's VA. */
static bool read_guest_pa64(void *ctx, ipaddr_t ipa, uint64_t *val)
{
	uint64_t pa = ipa_addr(ipa);

	(void)ctx;
	if (!IS_ALIGNED(pa, 8) || !vm_ipa_is_ram(&the_vm, pa, 8))
		return false;
	*val = *(volatile const uint64_t *)(uintptr_t)pa;
	return true;
}

/*
 * The guest-physical address of addr as thread tid sees it, and how many
 * bytes from there are contiguous and guest RAM. False if none.
 */
static bool translate(unsigned int tid, uint64_t addr, uint64_t *pa,
		      uint64_t *span)
{
	struct vcpu *vcpu = vcpu_of(tid);
	uint64_t size;

	if (vcpu == NULL)
		return false;
	if (tgt.phys) {
		*pa = addr;
		size = PHYS_CHUNK - (addr & (PHYS_CHUNK - 1));
	} else {
		const struct walk_regs r = {
			.sctlr = vcpu->arch.sysregs[EL1_SCTLR],
			.tcr = vcpu->arch.sysregs[EL1_TCR],
			.ttbr0 = vcpu->arch.sysregs[EL1_TTBR0],
			.ttbr1 = vcpu->arch.sysregs[EL1_TTBR1],
		};
		ipaddr_t ipa;
		if (walk_translate(&r, va_init(addr), read_guest_pa64, NULL,
				   &ipa, &size) != WALK_OK)
			return false;
		*pa = ipa_addr(ipa);
	}
	if (!vm_ipa_is_ram(&the_vm, *pa, 1))
		return false;
	/* Clip to guest RAM: the mapping may run past its end. */
	while (size > 1 && !vm_ipa_is_ram(&the_vm, *pa, size))
		size = size > PHYS_CHUNK ? PHYS_CHUNK : size / 2;
	*span = size;
	return true;
}

/*
 * New code in guest RAM: to the point of coherency, for a guest that runs
 * with its MMU or caches off and fetches from memory, and out of every
 * I-cache.
 */
static void sync_code(uint64_t pa, size_t len)
{
	arch_clean_dcache_range((uintptr_t)pa, len);
	arch_sync_icache_range((uintptr_t)pa, len);
}

/* Show the instruction GDB replaced, not our BRK, in [pa, pa+len). */
static void hide_sw_breaks(uint64_t pa, uint8_t *buf, size_t len)
{
	for (unsigned int i = 0; i < MAX_SW_BREAKS; i++) {
		const struct sw_break *b = &tgt.sw[i];
		for (unsigned int k = 0; b->used && k < INSN_SIZE; k++) {
			if (b->pa + k >= pa && b->pa + k < pa + len)
				buf[b->pa + k - pa] = (uint8_t)(b->orig >> (8 * k));
		}
	}
}

/*
 * A write over a planted BRK changes what the breakpoint restores, and the
 * BRK stays: GDB's view and the guest's stay consistent.
 */
static void write_under_sw_breaks(uint64_t pa, const uint8_t *buf, size_t len)
{
	for (unsigned int i = 0; i < MAX_SW_BREAKS; i++) {
		struct sw_break *b = &tgt.sw[i];
		for (unsigned int k = 0; b->used && k < INSN_SIZE; k++) {
			if (b->pa + k < pa || b->pa + k >= pa + len)
				continue;
			b->orig &= ~(0xffU << (8 * k));
			b->orig |= (uint32_t)buf[b->pa + k - pa] << (8 * k);
			((uint8_t *)(uintptr_t)(b->pa))[k] =
				(uint8_t)(BRK_INSN >> (8 * k));
		}
	}
}

/*
 * All-stop: only while the guest is stopped. Non-stop: at any time,
 * through tid's page tables as it last stopped (its own, current ones if
 * it is stopped now).
 */
static bool debugger_may_change(void)
{
	return tgt.state == RS_STOPPED || tgt.state == RS_NON_STOP;
}

static bool mem_allowed(unsigned int tid)
{
	return debugger_may_change() && vcpu_of(tid) != NULL;
}

/*
 * Copy between buf and guest memory, a page (or block) at a time, as far
 * as the addresses translate. Reads show the instructions under GDB's
 * BRKs; writes keep the BRKs and the instruction fetches coherent.
 */
static size_t access_mem(unsigned int tid, uint64_t addr, uint8_t *buf,
			 size_t len, bool write)
{
	size_t done = 0;

	if (!mem_allowed(tid))
		return 0;
	tgt.mem_tid = tid;
	while (done < len) {
		uint64_t pa, span;
		if (!translate(tid, addr + done, &pa, &span))
			break;
		size_t n = len - done < span ? len - done : (size_t)span;
		void *guest = (void *)(uintptr_t)pa;
		if (write) {
			memcpy(guest, buf + done, n);
			write_under_sw_breaks(pa, buf + done, n);
			sync_code(pa, n);
		} else {
			memcpy(buf + done, guest, n);
			hide_sw_breaks(pa, buf + done, n);
		}
		done += n;
	}
	return done;
}

bool target_mem_writable(unsigned int tid, uint64_t addr, size_t len)
{
	size_t done = 0;

	if (!mem_allowed(tid))
		return false;
	while (done < len) {
		uint64_t pa, span;
		if (!translate(tid, addr + done, &pa, &span))
			return false;
		done += len - done < span ? len - done : (size_t)span;
	}
	return true;
}

size_t target_read_mem(unsigned int tid, uint64_t addr, uint8_t *buf,
		       size_t len)
{
	return access_mem(tid, addr, buf, len, false);
}

size_t target_write_mem(unsigned int tid, uint64_t addr, const uint8_t *buf,
			size_t len)
{
	/* Only read through when write is false. */
	return access_mem(tid, addr, (uint8_t *)(uintptr_t)buf, len, true);
}

/* ---- breakpoints and watchpoints -------------------------------------- */

static void host_state_changed(void)
{
	__atomic_add_fetch(&dbg_host.generation, 1, __ATOMIC_RELEASE);
	/* Non-stop: the vCPUs that run reload at an exit, made now. */
	if (tgt.state != RS_NON_STOP)
		return;
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++) {
		if (tgt.ns[i].running)
			vcpu_request_debug_reload(&the_vm.vcpus[i]);
	}
}

static struct sw_break *find_sw_break(uint64_t va)
{
	for (unsigned int i = 0; i < MAX_SW_BREAKS; i++) {
		if (tgt.sw[i].used && tgt.sw[i].va == va)
			return &tgt.sw[i];
	}
	return NULL;
}

static void patch_insn(uint64_t pa, uint32_t insn)
{
	*(volatile uint32_t *)(uintptr_t)pa = insn;
	sync_code(pa, INSN_SIZE);
}

static enum target_result insert_sw_break(uint64_t addr, uint64_t kind)
{
	struct sw_break *b;
	uint64_t pa, span;

	if (kind != INSN_SIZE || !IS_ALIGNED(addr, INSN_SIZE))
		return TARGET_ERROR;
	if (find_sw_break(addr) != NULL)
		return TARGET_OK;
	if (!translate(tgt.mem_tid, addr, &pa, &span) || span < INSN_SIZE)
		return TARGET_ERROR;
	b = NULL;
	for (unsigned int i = 0; b == NULL && i < MAX_SW_BREAKS; i++) {
		if (!tgt.sw[i].used)
			b = &tgt.sw[i];
	}
	if (b == NULL)
		return TARGET_ERROR;
	*b = (struct sw_break){
		.va = addr,
		.pa = pa,
		.orig = *(volatile const uint32_t *)(uintptr_t)pa,
		.used = true,
	};
	/* Known before a running vCPU can take it (non-stop). */
	arch_memory_barrier();
	patch_insn(pa, BRK_INSN);
	return TARGET_OK;
}

/* Non-stop: va's BRK may have been fetched by any vCPU; see gone_break. */
static void note_gone_break(uint64_t va)
{
	struct gone_break *g = &tgt.gone[tgt.gone_next++ % MAX_GONE_BREAKS];
	uint32_t all = (uint32_t)((1ULL << the_vm.nr_vcpus) - 1);

	__atomic_store_n(&g->vcpus, 0, __ATOMIC_RELAXED);
	arch_memory_barrier();
	g->va = va;
	__atomic_store_n(&g->vcpus, all, __ATOMIC_RELEASE);
}

/* On vcpu's CPU: a BRK at pc not in the table; was it one GDB removed? */
static bool took_gone_break(const struct vcpu *vcpu, uint64_t pc)
{
	uint32_t bit = 1U << vcpu->id;

	for (unsigned int i = 0; i < MAX_GONE_BREAKS; i++) {
		struct gone_break *g = &tgt.gone[i];

		if ((__atomic_load_n(&g->vcpus, __ATOMIC_ACQUIRE) & bit) &&
		    g->va == pc &&
		    (__atomic_fetch_and(&g->vcpus, ~bit, __ATOMIC_ACQ_REL) & bit))
			return true;
	}
	return false;
}

static void remove_sw_break(struct sw_break *b)
{
	if (tgt.state == RS_NON_STOP)
		note_gone_break(b->va);
	patch_insn(b->pa, b->orig);
	/* The original is back everywhere before the entry goes. */
	arch_memory_barrier();
	b->used = false;
}

/*
 * Cover [addr, addr + len) exactly with what one watchpoint can watch: an
 * aligned power-of-two block of 8 bytes or more (DBGWCR.MASK), or bytes
 * within one doubleword (DBGWCR.BAS). A variable that straddles a
 * doubleword, or a 12-byte struct, takes two. Returns the number of
 * pieces, 0 if more than max would be needed.
 */
#define WATCH_DWORD 8ULL

static unsigned int split_watch(uint64_t addr, uint64_t len,
				struct dbg_hw_watch *out, unsigned int max,
				enum dbg_watch_kind kind)
{
	unsigned int n = 0;

	while (len > 0) {
		uint64_t size = 0;

		if (n == max)
			return 0;
		if (len >= WATCH_DWORD && IS_ALIGNED(addr, WATCH_DWORD)) {
			size = WATCH_DWORD;
			while (size * 2 <= len && IS_ALIGNED(addr, size * 2) &&
			       size * 2 <= arch_debug_max_watch_len())
				size *= 2;
		} else {
			size = WATCH_DWORD - (addr & (WATCH_DWORD - 1));
			if (size > len)
				size = len;
		}
		out[n++] = (struct dbg_hw_watch){
			.addr = addr, .len = size, .kind = kind,
		};
		addr += size;
		len -= size;
	}
	return n;
}

static bool is_piece_of(unsigned int i, uint64_t addr, uint64_t len,
			enum dbg_watch_kind kind)
{
	return tgt.watch_origin[i].addr == addr &&
	       tgt.watch_origin[i].len == len &&
	       dbg_host.watches[i].kind == kind;
}

static bool watch_present(uint64_t addr, uint64_t len,
			  enum dbg_watch_kind kind)
{
	for (unsigned int i = 0; i < dbg_host.nr_watches; i++) {
		if (is_piece_of(i, addr, len, kind))
			return true;
	}
	return false;
}

static enum target_result insert_watch(uint64_t addr, uint64_t len,
				       enum dbg_watch_kind kind)
{
	struct dbg_hw_watch pieces[DBG_MAX_HW_WATCHES];
	unsigned int slots = arch_debug_nr_hw_watches(), n;

	if (slots > DBG_MAX_HW_WATCHES)
		slots = DBG_MAX_HW_WATCHES;
	if (len == 0 || addr + len < addr)
		return TARGET_ERROR;
	if (watch_present(addr, len, kind))
		return TARGET_OK;
	if (dbg_host.nr_watches >= slots)
		return TARGET_ERROR;
	n = split_watch(addr, len, pieces, slots - dbg_host.nr_watches, kind);
	if (n == 0)
		return TARGET_ERROR;
	for (unsigned int i = 0; i < n; i++) {
		tgt.watch_origin[dbg_host.nr_watches] =
			(struct watch_origin){.addr = addr, .len = len};
		dbg_host.watches[dbg_host.nr_watches] = pieces[i];
		arch_memory_barrier(); /* as for breakpoints */
		dbg_host.nr_watches++;
	}
	host_state_changed();
	return TARGET_OK;
}

static void remove_watch(uint64_t addr, uint64_t len, enum dbg_watch_kind kind)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < dbg_host.nr_watches; i++) {
		if (is_piece_of(i, addr, len, kind))
			continue;
		dbg_host.watches[kept] = dbg_host.watches[i];
		tgt.watch_origin[kept] = tgt.watch_origin[i];
		kept++;
	}
	if (kept != dbg_host.nr_watches) {
		dbg_host.nr_watches = kept;
		host_state_changed();
	}
}

static enum dbg_watch_kind watch_kind(enum target_bp_type type)
{
	switch (type) {
	case BP_WATCH_READ: return DBG_WATCH_READ;
	case BP_WATCH_ACCESS: return DBG_WATCH_ACCESS;
	default: return DBG_WATCH_WRITE;
	}
}

static int find_hw_break(uint64_t addr)
{
	for (unsigned int i = 0; i < dbg_host.nr_breaks; i++) {
		if (dbg_host.breaks[i] == addr)
			return (int)i;
	}
	return -1;
}

enum target_result target_insert_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	if (!debugger_may_change())
		return TARGET_ERROR;
	switch (type) {
	case BP_SOFTWARE:
		return insert_sw_break(addr, kind);
	case BP_HARDWARE:
		if (kind != INSN_SIZE || !IS_ALIGNED(addr, INSN_SIZE))
			return TARGET_ERROR;
		if (find_hw_break(addr) >= 0)
			return TARGET_OK;
		if (dbg_host.nr_breaks >= arch_debug_nr_hw_breaks() ||
		    dbg_host.nr_breaks >= DBG_MAX_HW_BREAKS)
			return TARGET_ERROR;
		dbg_host.breaks[dbg_host.nr_breaks] = addr;
		/* The address before the count, for a vCPU loading now. */
		arch_memory_barrier();
		dbg_host.nr_breaks++;
		host_state_changed();
		return TARGET_OK;
	case BP_WATCH_WRITE:
	case BP_WATCH_READ:
	case BP_WATCH_ACCESS:
		return insert_watch(addr, kind, watch_kind(type));
	}
	return TARGET_UNSUPPORTED;
}

enum target_result target_remove_bp(enum target_bp_type type, uint64_t addr,
				    uint64_t kind)
{
	int i;

	if (!debugger_may_change())
		return TARGET_ERROR;
	switch (type) {
	case BP_SOFTWARE: {
		struct sw_break *b = find_sw_break(addr);
		if (b != NULL)
			remove_sw_break(b);
		return TARGET_OK;
	}
	case BP_HARDWARE:
		i = find_hw_break(addr);
		if (i >= 0) {
			dbg_host.breaks[i] = dbg_host.breaks[--dbg_host.nr_breaks];
			host_state_changed();
		}
		return TARGET_OK;
	case BP_WATCH_WRITE:
	case BP_WATCH_READ:
	case BP_WATCH_ACCESS:
		remove_watch(addr, kind, watch_kind(type));
		return TARGET_OK;
	}
	return TARGET_UNSUPPORTED;
}

static void remove_all_breakpoints(void)
{
	for (unsigned int i = 0; i < MAX_SW_BREAKS; i++) {
		if (tgt.sw[i].used)
			remove_sw_break(&tgt.sw[i]);
	}
	dbg_host.nr_breaks = 0;
	dbg_host.nr_watches = 0;
	host_state_changed();
}

/* ---- run control ------------------------------------------------------ */

/*
 * Frozen guest time (gdb.freeze_time, vigil/vtime.h): from the poll that
 * finds every vCPU stopped to the next release of any of them, a step
 * included. The thaw comes before the release and its barrier.
 */
static bool freeze_time(void)
{
	return the_vm.cfg == NULL || the_vm.cfg->gdb_freeze_time;
}

static void time_freeze(void)
{
	if (freeze_time())
		vtime_freeze(&the_vm.vtime, arch_timer_counter());
}

static void time_thaw(void)
{
	uint64_t held = vtime_thaw(&the_vm.vtime, arch_timer_counter());

	if (held != 0)
		log_debug("gdb: guest time held for %llu counter ticks",
			  (unsigned long long)held);
}

static void stop_everyone(void)
{
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++)
		vcpu_request_stop(&the_vm.vcpus[i]);
}

static bool everyone_stopped(void)
{
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++) {
		if (!vcpu_is_stopped(&the_vm.vcpus[i]))
			return false;
	}
	return true;
}

/* The first report wins; later ones are dropped (their cause repeats). */
static bool claim_stop(const struct target_stop *stop)
{
	if (!__atomic_compare_exchange_n(&tgt.stop_claimed, &(uint32_t){0}, 1,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return false;
	tgt.stop = *stop;
	return true;
}

static void begin_stop(const struct target_stop *stop)
{
	claim_stop(stop);
	if (tgt.state == RS_RUNNING)
		tgt.state = RS_STOPPING;
	arch_memory_barrier();
	stop_everyone();
}

static void release(struct vcpu *vcpu, enum dbg_run_mode mode, uint64_t start,
		    uint64_t end)
{
	vcpu->dbg.mode = mode;
	vcpu->dbg.range_start = start;
	vcpu->dbg.range_end = end;
	vcpu_request_run(vcpu);
}

static void run_everyone_free(void)
{
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++)
		release(&the_vm.vcpus[i], DBG_RUN_CONTINUE, 0, 0);
}

/* How a thread resumes, if it does. */
static bool run_mode(enum target_action act, enum dbg_run_mode *mode)
{
	switch (act) {
	case ACT_CONTINUE: *mode = DBG_RUN_CONTINUE; return true;
	case ACT_STEP: *mode = DBG_RUN_STEP; return true;
	case ACT_RANGE: *mode = DBG_RUN_RANGE; return true;
	default: return false;
	}
}

/* ---- non-stop run control ---------------------------------------------- */

/* Every vCPU is stopped for the debugger, each stop reported. */
static bool ns_all_stopped(void)
{
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++) {
		if (tgt.ns[i].running)
			return false;
	}
	return true;
}

/*
 * Claim vCPU i's stop and ask it to stop: from its own CPU on a debug
 * event (it stops at the end of the exit), or from the stub's (kicked).
 * A later claim loses; its cause repeats once the vCPU runs again.
 */
static void ns_claim(uint32_t i, const struct target_stop *stop)
{
	if (!__atomic_compare_exchange_n(&tgt.ns[i].claimed, &(uint32_t){0},
					 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	tgt.ns[i].stop = *stop;
	/* The stop is written before the vCPU can be seen stopped. */
	arch_memory_barrier();
	vcpu_request_stop(&the_vm.vcpus[i]);
}

static void ns_resume(const struct target_resume *r)
{
	bool thawed = false;

	for (uint32_t i = 0; i < the_vm.nr_vcpus && i < ARRAY_SIZE(r->action);
	     i++) {
		struct vcpu *vcpu = &the_vm.vcpus[i];
		enum dbg_run_mode mode;

		if (!run_mode(r->action[i], &mode))
			continue;
		/* Running already, or its stop is still to be reported. */
		if (tgt.ns[i].running)
			continue;
		if (!thawed) {
			/* Time runs again as soon as any vCPU does. */
			tgt.held_at_entry = false;
			time_thaw();
			thawed = true;
		}
		tgt.ns[i].claimed = 0;
		tgt.ns[i].running = true;
		arch_memory_barrier();
		/* A vCPU that is off cannot step: done at once (all-stop's rule). */
		if (mode != DBG_RUN_CONTINUE && vcpu->power != VCPU_ON) {
			ns_claim(i, &(struct target_stop){.reason = STOP_SIGTRAP,
							   .tid = i + 1});
			continue;
		}
		release(vcpu, mode, r->range_start, r->range_end);
	}
}

/* One reported stop per call: a vCPU whose claimed stop has happened. */
static bool ns_poll_stop(struct target_stop *stop)
{
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++) {
		struct ns_vcpu *n = &tgt.ns[i];

		if (!n->running || !n->claimed ||
		    !vcpu_is_stopped(&the_vm.vcpus[i]))
			continue;
		arch_memory_barrier();
		n->running = false;
		the_vm.vcpus[i].dbg.mode = DBG_RUN_CONTINUE;
		*stop = n->stop;
		/* Guest time stands still only while every vCPU does. */
		if (ns_all_stopped())
			time_freeze();
		return true;
	}
	return false;
}

bool target_set_non_stop(bool on)
{
	if (on) {
		if (tgt.state != RS_STOPPED)
			return false;
		memset(tgt.ns, 0, sizeof(tgt.ns));
		tgt.state = RS_NON_STOP;
		log_info("gdb: non-stop mode");
		return true;
	}
	if (tgt.state != RS_NON_STOP)
		return tgt.state == RS_STOPPED;
	/* All-stop again: everything stops, reported as one stop. */
	tgt.stop_claimed = 0;
	tgt.state = RS_RUNNING;
	arch_memory_barrier();
	begin_stop(&(struct target_stop){.reason = STOP_SIGTRAP, .tid = 1});
	log_info("gdb: all-stop mode");
	return true;
}

void target_stop_thread(unsigned int tid, enum target_stop_reason why)
{
	if (tgt.state != RS_NON_STOP || vcpu_of(tid) == NULL ||
	    !tgt.ns[tid - 1].running)
		return;
	ns_claim(tid - 1, &(struct target_stop){.reason = why, .tid = tid});
}

bool target_thread_stopped(unsigned int tid)
{
	if (vcpu_of(tid) == NULL)
		return false;
	if (tgt.state == RS_NON_STOP)
		return !tgt.ns[tid - 1].running;
	return tgt.state == RS_STOPPED;
}

/* ---- all-stop run control ---------------------------------------------- */

void target_resume(const struct target_resume *r)
{
	bool any = false;

	if (tgt.state == RS_NON_STOP) {
		ns_resume(r);
		return;
	}
	if (tgt.state != RS_STOPPED)
		return;
	tgt.held_at_entry = false;
	tgt.resumed_tid = vcpu_of(r->resumed_tid) ? r->resumed_tid : 1;
	tgt.stop_claimed = 0;
	tgt.state = RS_RUNNING;
	time_thaw();
	arch_memory_barrier();
	for (uint32_t i = 0; i < the_vm.nr_vcpus && i < ARRAY_SIZE(r->action);
	     i++) {
		struct vcpu *vcpu = &the_vm.vcpus[i];
		enum dbg_run_mode mode;

		if (!run_mode(r->action[i], &mode))
			continue;
		/*
		 * A vCPU that is off cannot step: report the step done
		 * at once rather than leave GDB waiting for ever.
		 */
		if (mode != DBG_RUN_CONTINUE && vcpu->power != VCPU_ON) {
			begin_stop(&(struct target_stop){
				.reason = STOP_SIGTRAP, .tid = i + 1});
			continue;
		}
		any = true;
		release(vcpu, mode, r->range_start, r->range_end);
	}
	if (!any)
		begin_stop(&(struct target_stop){.reason = STOP_SIGTRAP,
						  .tid = tgt.resumed_tid});
}

void target_interrupt(void)
{
	if (tgt.state != RS_RUNNING)
		return;
	begin_stop(&(struct target_stop){.reason = STOP_SIGINT,
					  .tid = tgt.resumed_tid});
}

bool target_poll_stop(struct target_stop *stop)
{
	if (tgt.exiting) {
		/* The vCPU powering off never stops: report at once. */
		if (tgt.exit_reported_ns != 0)
			return false;
		tgt.exit_reported_ns = arch_timer_now_ns();
		*stop = (struct target_stop){.reason = STOP_EXITED, .tid = 1};
		return true;
	}
	if (tgt.state == RS_NON_STOP)
		return ns_poll_stop(stop);
	if (tgt.state != RS_STOPPING || !everyone_stopped())
		return false;
	if (tgt.detach_pending) {
		tgt.detach_pending = false;
		tgt.halt_after_detach = false;
		remove_all_breakpoints();
	}
	for (uint32_t i = 0; i < the_vm.nr_vcpus; i++)
		the_vm.vcpus[i].dbg.mode = DBG_RUN_CONTINUE;
	time_freeze();
	tgt.state = RS_STOPPED;
	*stop = tgt.stop;
	return true;
}

bool debugger_event(struct vcpu *vcpu, const struct dbg_event *ev)
{
	struct target_stop stop = {.tid = vcpu->id + 1};
	enum run_state state = tgt.state;

	if (state == RS_DETACHED || state == RS_HALTED)
		return false;
	switch (ev->kind) {
	case DBG_EV_BRK:
		/*
		 * Ours only if GDB planted a BRK at this address; the guest's
		 * own BRKs (ptrace, KGDB, BUG()) go back to it. One GDB has
		 * just taken out (non-stop) runs again as what is there now.
		 */
		if (find_sw_break(ev->pc) == NULL)
			return state == RS_NON_STOP &&
			       took_gone_break(vcpu, ev->pc);
		stop.reason = STOP_SWBREAK;
		break;
	case DBG_EV_HW_BREAK:
		/* Non-stop: one GDB removed just now is stepped over. */
		if (state == RS_NON_STOP && find_hw_break(ev->pc) < 0)
			return false;
		stop.reason = STOP_HWBREAK;
		break;
	case DBG_EV_WATCH:
		if (ev->slot >= dbg_host.nr_watches)
			return false;
		switch (dbg_host.watches[ev->slot].kind) {
		case DBG_WATCH_READ: stop.reason = STOP_RWATCH; break;
		case DBG_WATCH_ACCESS: stop.reason = STOP_AWATCH; break;
		default: stop.reason = STOP_WATCH; break;
		}
		/* What GDB asked to watch, of which this is a piece. */
		stop.data_addr = tgt.watch_origin[ev->slot].addr;
		break;
	case DBG_EV_STEP:
		stop.reason = STOP_SIGTRAP;
		break;
	default:
		return false;
	}
	if (state == RS_NON_STOP)
		ns_claim(vcpu->id, &stop); /* this vCPU alone stops */
	else
		begin_stop(&stop);
	return true;
}

struct exit_wait {
	uint64_t deadline_ns;
};

static bool exit_reported(void *ctx)
{
	const struct exit_wait *w = ctx;
	uint64_t now = arch_timer_now_ns();

	if (now >= w->deadline_ns)
		return true;
	return tgt.exit_reported_ns != 0 &&
	       now >= tgt.exit_reported_ns + EXIT_FLUSH_NS;
}

void debugger_guest_exit(struct vcpu *vcpu)
{
	struct exit_wait w;

	(void)vcpu;
	if (tgt.state == RS_DETACHED || tgt.state == RS_HALTED)
		return;
	w.deadline_ns = arch_timer_now_ns() + EXIT_BOUND_NS;
	tgt.exit_reported_ns = 0;
	arch_memory_barrier();
	tgt.exiting = true;
	/* The others stop; this CPU keeps the network going meanwhile. */
	stop_everyone();
	hv_idle_wait_until(exit_reported, &w);
	log_info("gdb: the debugger was told the guest exited");
}

/*
 * The session starts: stop everything. A guest left halted by `k` is
 * already stopped; one still being stopped for a lost session carries on.
 */
void target_attach(void)
{
	dbg_host.attached = true;
	host_state_changed();
	tgt.session = true;
	tgt.stop_claimed = 0;
	tgt.phys = false;
	tgt.mem_tid = 1;
	tgt.state = RS_STOPPING;
	arch_memory_barrier();
	begin_stop(&(struct target_stop){.reason = STOP_SIGTRAP, .tid = 1});
	log_info("gdb: debugger attached, guest stopped");
}

/*
 * Nothing has run yet, so this is the core's own "powered on while a stop
 * is requested" (vcpu_request_stop): vCPU 0 is reset to its entry state
 * and stops before the first instruction, on this CPU, so no kick is
 * needed. The others are off and only the guest can start them. RS_HALTED
 * is the state `k` leaves: stopped, no session, and target_attach() then
 * reports the stop at once, as everything is already stopped.
 */
void target_hold_at_entry(void)
{
	tgt.held_at_entry = true;
	tgt.state = RS_HALTED;
	arch_memory_barrier();
	vcpu_request_stop(&the_vm.vcpus[0]);
}

bool target_held_at_entry(void)
{
	return tgt.held_at_entry;
}

static void finish_detach(bool run)
{
	remove_all_breakpoints();
	dbg_host.attached = false;
	dbg_host.step_irqs = false;
	host_state_changed();
	tgt.phys = false;
	if (run) {
		tgt.held_at_entry = false;
		tgt.state = RS_DETACHED;
		time_thaw();
		arch_memory_barrier();
		run_everyone_free();
	} else {
		tgt.state = RS_HALTED;
	}
}

/*
 * Called when the transport has no session too: a session that ended
 * while vCPUs were running finishes its clean-up here once they stopped,
 * and a reset asked for over the wire happens once its reply has left.
 */
void target_service(void)
{
	if (tgt.detach_pending && !tgt.session && tgt.state == RS_STOPPING &&
	    everyone_stopped()) {
		bool halt = tgt.halt_after_detach;

		tgt.detach_pending = false;
		tgt.halt_after_detach = false;
		if (halt)
			time_freeze();
		finish_detach(!halt);
		log_info(halt ? "gdb: killed: guest left stopped (gdb.on_kill = "
				"stop)"
			      : "gdb: debugger detached, guest resumed");
	}
	if (tgt.reset_at_ns != 0 && arch_timer_now_ns() >= tgt.reset_at_ns) {
		log_info("gdb: resetting the guest (and vigil with it)");
		vm_report_stats(&the_vm);
		arch_fw_system_reset();
	}
}

/* Non-stop ends: as all-stop, stopped or running, for detach and kill. */
static void leave_non_stop(void)
{
	if (tgt.state != RS_NON_STOP)
		return;
	tgt.stop_claimed = 0;
	tgt.state = ns_all_stopped() ? RS_STOPPED : RS_RUNNING;
}

void target_detach(void)
{
	tgt.session = false;
	leave_non_stop();
	switch (tgt.state) {
	case RS_STOPPED:
		finish_detach(true);
		log_info("gdb: debugger detached, guest resumed");
		break;
	case RS_RUNNING:
	case RS_STOPPING:
		/* Breakpoints out only once nothing can hit them. */
		tgt.detach_pending = true;
		begin_stop(&(struct target_stop){.reason = STOP_SIGINT,
						  .tid = tgt.resumed_tid});
		break;
	default:
		break;
	}
}

bool target_kill_resets(void)
{
	return the_vm.cfg != NULL && the_vm.cfg->gdb_on_kill == GDB_KILL_RESET;
}

void target_kill(void)
{
	if (target_kill_resets()) {
		target_reset();
		return;
	}
	bool non_stop = tgt.state == RS_NON_STOP;

	leave_non_stop();
	if (tgt.state == RS_STOPPED) {
		tgt.session = false;
		finish_detach(false);
		log_info("gdb: killed: guest left stopped (gdb.on_kill = stop)");
	} else {
		/* Non-stop, vCPUs running: stopped first, then left so. */
		tgt.halt_after_detach = non_stop;
		target_detach();
	}
}

void target_reset(void)
{
	/* Leave time for the reply; target_service() does the rest. */
	tgt.reset_at_ns = arch_timer_now_ns() + RESET_DELAY_NS;
}

void target_set_step_irqs(bool on)
{
	dbg_host.step_irqs = on;
	host_state_changed();
}

bool target_step_irqs(void)
{
	return dbg_host.step_irqs;
}

/* ---- monitor text ----------------------------------------------------- */

static const char *run_state_name(const struct vcpu *vcpu)
{
	if (vcpu->power == VCPU_OFF)
		return "off";
	if (vcpu->power == VCPU_ON_PENDING)
		return "starting";
	return vcpu_is_stopped(vcpu) ? "stopped" : "running";
}

void target_describe_vcpus(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < the_vm.nr_vcpus && used < len; i++) {
		const struct vcpu *vcpu = &the_vm.vcpus[i];
		int n;

		if (vcpu->power == VCPU_ON && vcpu_has_context(vcpu))
			n = snprintf(buf + used, len - used,
				     "vCPU%u thread %u: %s at EL%u, pc 0x%llx, "
				     "MPIDR 0x%llx\n",
				     i, i + 1, run_state_name(vcpu),
				     vcpu_el(vcpu),
				     (unsigned long long)vcpu->arch.regs->pc,
				     (unsigned long long)vcpu->mpidr);
		else
			n = snprintf(buf + used, len - used,
				     "vCPU%u thread %u: %s\n", i, i + 1,
				     run_state_name(vcpu));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void target_describe_stats(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < the_vm.nr_vcpus && used + 1 < len; i++) {
		int n = vcpu_format_stats(&the_vm.vcpus[i], buf + used,
					  len - used - 1);
		if (n < 0 || (size_t)n >= len - used - 1)
			break;
		used += (size_t)n;
		buf[used++] = '\n';
		buf[used] = '\0';
	}
}

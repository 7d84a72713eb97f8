# tests/system/gdb/linux.py - gdb-multiarch sessions against Debian's arm64
# Linux kernel (nokaslr, 2 vCPUs) running under vigil's GDB stub. Run by
# tests/system/run.sh (linux_gdb_case) as
#
#   gdb-multiarch -batch -nx -x tests/system/gdb/linux.py
#
# once the guest (tests/linux/init, vigil.gdb=wait) has printed its symbols
# and waits for the debugger. There is no vmlinux with debug info, so every
# address comes from the guest's own "linux: sym NAME ADDR" lines (ksym.c).
# The session writes 4242 to panic_timeout once its breakpoints are in:
# that is what the guest waits for.
#
# Sessions (LINUXGDB_SESSION):
#   break   kernel and user virtual memory; `break *__arm64_sys_getpid`,
#           reached by the guest's /bin/poke, twice, then `hbreak` once,
#           then stepi over the WFI of cpu_do_idle;
#           at each stop x0 is the calling task's struct pt_regs, through
#           which the user pc is found and the `svc #0` before it read
#           through TTBR0; then the breakpoints go and the guest runs to
#           its power-off, which gdb sees as the inferior exiting.
#   ptrace  `hbreak *__arm64_sys_getpid` and `watch` on panic_timeout while
#           the guest runs hwdebug-test (ptrace hardware breakpoints,
#           watchpoints and single-step of its own): every stop must be one
#           of ours, at the right pc or with the next value written; the
#           counts are printed for run.sh to compare with the guest's
#           ("hwdebug: marked getpid calls N", "linux: panic writes N").
#   freeze  frozen guest time (gdb.freeze_time): before the handshake, while
#           the guest polls for it (kallsyms test), let it run 3 s, stop it,
#           hold it stopped LINUXGDB_HOLD_S (30) seconds, let it run
#           LINUXGDB_RUN_S (10), stop it again, and measure how far its
#           uptime went over hold and run, by the kernel's jiffies at the
#           two stops (/ LINUXGDB_HZ). LINUXGDB_FREEZE=on: at most
#           RUN_S + 2 s, and no RCU stall, soft lockup or hung task report
#           on the console; off: at least HOLD_S (the same measurement
#           sees the stop, so it can fail). Then the handshake, and the
#           guest runs to its power-off.
#   wait-entry, wait-reset, wait-early: gdb.wait = on (linux_gdb_wait_case
#           in run.sh). wait-entry: the first stop is the Image's entry
#           point (its first bytes at pc, x0 the device tree), before any
#           kernel line; then detach, which starts the guest. wait-reset:
#           attach to the running guest and `monitor reset`. wait-early:
#           held again after the reset; `hbreak start_kernel` (address from
#           the first boot's /proc/kallsyms) is hit before the kernel has
#           printed anything, then `hbreak secondary_start_kernel` on the
#           vCPU the kernel starts with PSCI CPU_ON under all-stop, then
#           detach.
#
# Every assertion prints "CHECK ok: ..." or "CHECK FAIL: ..."; a failure
# ends the session (an exception ends a gdb -x script). The last line of a
# session that got to its end is "LINUXGDB DONE".
#
# Environment:
#   LINUXGDB_SESSION  break or ptrace
#   LINUXGDB_PORT     TCP port of the stub on 127.0.0.1
#   LINUXGDB_LOG      the guest's serial log (symbols, boot banner)
#   LINUXGDB_REMOTELOG  where gdb records the packets (set remotelogfile)
#   LINUXGDB_FREEZE   freeze: on (vigil's default) or off, as vigil.cfg says
#   LINUXGDB_HZ       freeze: the kernel's CONFIG_HZ (Debian's arm64: 250)
#   LINUXGDB_HOLD_S, LINUXGDB_RUN_S  freeze: seconds stopped, then running
#   LINUXGDB_IMAGE    wait-*: the kernel Image the guest boots
#   LINUXGDB_HOLD     ptrace: what the debugger holds, "hbreak,watch" (the
#                     default); fewer, "none", or "detach" (the debugger
#                     detaches after the handshake), to tell what upsets
#                     the guest when the session fails
import os
import re
import struct
import sys
import time

import gdb

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbcommon import check, check_eq, interrupt_after, run  # noqa: E402

SESSION = os.environ["LINUXGDB_SESSION"]
PORT = int(os.environ["LINUXGDB_PORT"])
LOG = os.environ["LINUXGDB_LOG"]

GDB_READY = 4242          # tests/linux/init: the debugger's handshake value
GETPID_MARK = 0x7669676967657470  # hwdebug-test --mark-getpid: user x0
NR_GETPID = 172           # arm64 (asm-generic) system call number
SVC_0 = 0xD4000001        # svc #0
# struct pt_regs (arch/arm64/include/asm/ptrace.h): x0..x30, sp, pc, pstate
PT_REGS_X = 0
PT_REGS_SP = 248
PT_REGS_PC = 256
PT_REGS_PSTATE = 264
THREAD_SIZE = 16384       # arm64 kernel stack (4K pages, KASAN off)
TTBR1_START = 0xFFFF000000000000  # kernel VAs: from here up (48-bit)
NR_VCPUS = 2


def read(addr, length):
    return bytes(gdb.selected_inferior().read_memory(addr, length))


def read_u64(addr):
    return struct.unpack("<Q", read(addr, 8))[0]


def read_u32(addr):
    return struct.unpack("<I", read(addr, 4))[0]


def read_s32(addr):
    return struct.unpack("<i", read(addr, 4))[0]


def read_cstr(addr, limit=512):
    data = read(addr, limit)
    return data.split(b"\0", 1)[0].decode("latin-1")


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


def serial_log():
    with open(LOG, "rb") as f:
        return f.read().decode("latin-1").replace("\r", "")


def guest_symbols():
    """NAME -> address from the guest's "linux: sym" lines, and extras."""
    text = serial_log()
    syms = {m.group(1): int(m.group(2), 16)
            for m in re.finditer(r"^linux: sym (\S+) ([0-9a-f]+)$", text, re.M)}
    m = re.search(r'^linux: symsrc init_task .*comm "swapper/0" at \+(0x[0-9a-f]+)$',
                  text, re.M)
    comm = int(m.group(1), 16) if m else None
    m = re.search(r"^\[ *[0-9.]+\] (Linux version .*)$", text, re.M)
    banner = m.group(1) if m else None
    return syms, comm, banner


class Stops:
    """What made gdb stop last: a gdb.StopEvent, or an exit."""

    def __init__(self):
        self.event = None
        self.exited = None
        gdb.events.stop.connect(self._stop)
        gdb.events.exited.connect(self._exit)

    def _stop(self, event):
        self.event = event

    def _exit(self, event):
        self.exited = getattr(event, "exit_code", 0)

    def cont(self):
        """continue; returns the stop event, or None once the guest exited."""
        self.event = None
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error as e:
            if "connection closed" not in str(e):
                raise
            check(False, "continue: the connection closed with no stop or exit"
                  " reply (W00 when the guest powers off)")
        if self.exited is not None:
            return None
        check(self.event is not None, "continue ended in a stop event")
        return self.event


def describe(event):
    if isinstance(event, gdb.BreakpointEvent):
        return "breakpoint %s" % ",".join(str(b.number) for b in event.breakpoints)
    if isinstance(event, gdb.SignalEvent):
        return "signal %s" % event.stop_signal
    return type(event).__name__


def stopped_by(event, bp):
    return isinstance(event, gdb.BreakpointEvent) and bp in event.breakpoints


def connect():
    gdb.execute("set pagination off")
    gdb.execute("set width 0")
    gdb.execute("set height 0")
    gdb.execute("set confirm off")
    # A stop costs the stub's round trips under TCG; the default 2 s is
    # tight on a loaded machine. Stops themselves are not bounded by it.
    gdb.execute("set remotetimeout 20")
    gdb.execute("set tcp connect-timeout 20")
    remotelog = os.environ.get("LINUXGDB_REMOTELOG")
    if remotelog:
        gdb.execute("set remotelogfile %s" % remotelog)
    run("target remote 127.0.0.1:%d" % PORT)
    check_eq("architecture", "aarch64",
             gdb.selected_frame().architecture().name())
    threads = gdb.selected_inferior().threads()
    check_eq("threads (vCPUs)", NR_VCPUS, len(threads))


def handshake(addr):
    """The guest's signal to go on: 4242 in panic_timeout."""
    gdb.selected_inferior().write_memory(addr, struct.pack("<i", GDB_READY))
    check_eq("panic_timeout read back after writing it", GDB_READY, read_s32(addr))


def user_side(what):
    """At __arm64_sys_getpid: x0 is the caller's struct pt_regs. Checks it
    and the user code behind it (TTBR0); returns (user x0, thread num)."""
    x0, sp = reg("x0"), reg("sp")
    check(x0 >= TTBR1_START and sp < x0 < sp + THREAD_SIZE,
          "%s: x0 %#x is a struct pt_regs on the kernel stack (sp %#x)" % (what, x0, sp))
    check_eq("%s: system call number (pt_regs x8)" % what, NR_GETPID,
             read_u64(x0 + PT_REGS_X + 8 * 8))
    pstate = read_u64(x0 + PT_REGS_PSTATE)
    check_eq("%s: caller's mode (pt_regs pstate[4:0], EL0t)" % what, 0, pstate & 0x1F)
    upc, usp = read_u64(x0 + PT_REGS_PC), read_u64(x0 + PT_REGS_SP)
    check(0 < upc < TTBR1_START and 0 < usp < TTBR1_START,
          "%s: user pc %#x and sp %#x are TTBR0 addresses" % (what, upc, usp))
    # The word before the user pc, read at its user virtual address: the
    # stub must walk the caller's TTBR0 tables.
    check_eq("%s: instruction at user pc - 4 (svc #0, read through TTBR0)" % what,
             SVC_0, read_u32(upc - 4))
    return read_u64(x0 + PT_REGS_X), gdb.selected_thread().num


def session_break():
    syms, comm_offset, boot_banner = guest_symbols()
    for name in ("__arm64_sys_getpid", "linux_banner", "jiffies", "init_task",
                 "panic_timeout", "cpu_do_idle"):
        check(name in syms, "the guest printed the address of %s" % name)
    getpid = syms["__arm64_sys_getpid"]
    connect()

    # Kernel virtual memory (TTBR1): the banner, init_task's comm, jiffies.
    banner = read_cstr(syms["linux_banner"])
    print("linux_banner: %r" % banner)
    check(banner.startswith("Linux version "), "x/s linux_banner starts with 'Linux version '")
    check_eq("linux_banner is the boot log's 'Linux version' line", boot_banner,
             banner.rstrip("\n"))
    out = run("x/s %#x" % syms["linux_banner"])
    check("Linux version " in out, "x/s linux_banner shows the banner")
    check(comm_offset is not None, "the guest printed where init_task's comm is")
    check_eq("init_task comm", "swapper/0", read_cstr(syms["init_task"] + comm_offset, 16))
    jiffies_at_attach = read_u64(syms["jiffies"])

    stops = Stops()
    bp = gdb.Breakpoint("*%#x" % getpid, type=gdb.BP_BREAKPOINT, internal=False)
    handshake(syms["panic_timeout"])
    threads_seen = set()
    for hit in (1, 2):
        event = stops.cont()
        check(event is not None, "break hit %d: the guest stopped (it did not exit)" % hit)
        check(stopped_by(event, bp), "break hit %d: stopped by the breakpoint (%s)"
              % (hit, describe(event)))
        check_eq("break hit %d: pc" % hit, getpid, reg("pc"))
        check_eq("break hit %d: breakpoint hit count" % hit, hit, bp.hit_count)
        _, thread = user_side("break hit %d" % hit)
        threads_seen.add(thread)
        if hit == 1:
            jiffies_now = read_u64(syms["jiffies"])
            check(jiffies_now > jiffies_at_attach,
                  "jiffies moved on while the guest ran (%d -> %d)"
                  % (jiffies_at_attach, jiffies_now))
    run("info threads")
    bp.delete()

    hbp = gdb.Breakpoint("*%#x" % getpid, type=gdb.BP_HARDWARE_BREAKPOINT)
    event = stops.cont()
    check(event is not None, "hbreak: the guest stopped (it did not exit)")
    check(stopped_by(event, hbp), "hbreak: stopped by the hardware breakpoint (%s)"
          % describe(event))
    check_eq("hbreak: pc", getpid, reg("pc"))
    user_side("hbreak hit")
    hbp.delete()

    # Stepping over the idle loop's WFI: with interrupts held back during a
    # step it could sleep for good; it completes as a step instead.
    idle = syms["cpu_do_idle"]
    ibp = gdb.Breakpoint("*%#x" % idle, type=gdb.BP_HARDWARE_BREAKPOINT)
    event = stops.cont()
    check(event is not None and stopped_by(event, ibp),
          "hbreak cpu_do_idle: stopped by it (%s)"
          % (describe(event) if event is not None else "exited"))
    ibp.delete()
    stepped_wfi = False
    for _ in range(16):
        insn = run("x/i $pc")
        before = reg("pc")
        run("stepi")
        if "wfi" in insn.split(":", 1)[-1]:
            check_eq("stepi over wfi: the next instruction", before + 4, reg("pc"))
            stepped_wfi = True
            break
    check(stepped_wfi, "stepped over the WFI in cpu_do_idle")

    # No breakpoints left: the guest finishes its rounds and powers off.
    event = stops.cont()
    check(event is None, "without breakpoints the guest runs to its power-off (%s)"
          % ("exited" if event is None else describe(event)))
    check_eq("exit code of the powered-off guest", 0, stops.exited)
    print("linuxgdb: break hits 2 hbreak hits 1 threads %s"
          % " ".join(str(t) for t in sorted(threads_seen)))


def session_ptrace():
    syms, _, _ = guest_symbols()
    for name in ("__arm64_sys_getpid", "panic_timeout"):
        check(name in syms, "the guest printed the address of %s" % name)
    getpid, panic = syms["__arm64_sys_getpid"], syms["panic_timeout"]
    connect()

    stops = Stops()
    hold = os.environ.get("LINUXGDB_HOLD", "hbreak,watch").split(",")
    # The handshake first: the watchpoint then starts from 4242.
    handshake(panic)
    if "detach" in hold:
        run("detach")
        return
    hbp = wp = None
    if "hbreak" in hold:
        hbp = gdb.Breakpoint("*%#x" % getpid, type=gdb.BP_HARDWARE_BREAKPOINT)
    if "watch" in hold:
        wp = gdb.Breakpoint("*(int *)%#x" % panic, type=gdb.BP_WATCHPOINT,
                            wp_class=gdb.WP_WRITE)
        check("hw watchpoint" in run("info watchpoints"),
              "the watchpoint is a hardware one")
    run("info breakpoints")

    marked = unmarked = watch_hits = 0
    marked_threads = set()
    last_value = GDB_READY
    while True:
        event = stops.cont()
        if event is None:
            break
        what = "stop %d" % (marked + unmarked + watch_hits + 1)
        if hbp and stopped_by(event, hbp):
            check_eq("%s: hbreak pc" % what, getpid, reg("pc"))
            user_x0, thread = user_side(what)
            if user_x0 == GETPID_MARK:
                marked += 1
                marked_threads.add(thread)
            else:
                unmarked += 1
        elif wp and stopped_by(event, wp):
            watch_hits += 1
            value = read_s32(panic)
            # gdb reports a write watchpoint once it has stepped over the
            # store: the new value is in memory. The guest writes 1, 2, ...
            check_eq("%s: watch hit %d: panic_timeout after the write (was %d)"
                     % (what, watch_hits, last_value), watch_hits, value)
            last_value = value
        else:
            check(False, "%s: stopped by something not ours: %s at pc %#x"
                  % (what, describe(event), reg("pc")))
    check_eq("exit code of the powered-off guest", 0, stops.exited)
    if hbp:
        check(marked > 0, "hbreak: %d hits from hwdebug-test's marked getpid calls"
              % marked)
        check_eq("vCPUs the marked getpid hits came from",
                 set(range(1, NR_VCPUS + 1)), marked_threads)
    if wp:
        check(watch_hits > 0, "watch: %d hits" % watch_hits)
    print("linuxgdb: marked getpid hits %d" % marked)
    print("linuxgdb: other getpid hits %d" % unmarked)
    print("linuxgdb: watch hits %d" % watch_hits)


# What a kernel prints when it takes a debugger's stop for lost time.
STALL_REPORT = re.compile(r"rcu.*(stall|detected)|soft lockup|hung task|"
                          r"blocked for more than", re.I)


def session_freeze():
    syms, _, _ = guest_symbols()
    for name in ("jiffies", "panic_timeout"):
        check(name in syms, "the guest printed the address of %s" % name)
    freeze = os.environ.get("LINUXGDB_FREEZE", "on")
    hz = int(os.environ.get("LINUXGDB_HZ") or "250")
    hold = int(os.environ.get("LINUXGDB_HOLD_S", "30"))
    run_s = int(os.environ.get("LINUXGDB_RUN_S", "10"))
    connect()
    stops = Stops()

    # The guest polls for the handshake (for 600 rounds of `sleep 0.2`):
    # timers, idle and wake-ups on both vCPUs, the work RCU and the
    # lockup detectors watch.
    interrupt_after(3)
    event = stops.cont()
    check(isinstance(event, gdb.SignalEvent), "stopped by the interrupt (%s)"
          % (describe(event) if event is not None else "exited"))
    before = read_u64(syms["jiffies"])
    start = time.time()
    time.sleep(hold)
    interrupt_after(run_s)
    event = stops.cont()
    wall = time.time() - start
    check(isinstance(event, gdb.SignalEvent), "stopped by the second interrupt (%s)"
          % (describe(event) if event is not None else "exited"))
    after = read_u64(syms["jiffies"])
    advance = (after - before) / hz
    print("linuxgdb: held %d s, ran %d s (%.1f s): guest uptime advanced %.2f s "
          "(jiffies %d -> %d, HZ %d)" % (hold, run_s, wall, advance, before, after, hz))
    text = serial_log()
    waiting = text.find("linux: waiting for the debugger")
    stalls = [l for l in text[waiting:].split("\n") if STALL_REPORT.search(l)]
    print("linuxgdb: stall reports %d%s" % (len(stalls), "".join(
        "\n  " + l for l in stalls[:4])))
    if freeze == "on":
        check(advance <= run_s + 2, "uptime advanced %.2f s across %d s stopped and %d s "
              "running: at most %d s" % (advance, hold, run_s, run_s + 2))
        check(not stalls, "no RCU stall, soft lockup or hung task report (%d)" % len(stalls))
    else:
        check(advance >= hold, "uptime advanced %.2f s across %d s stopped and %d s "
              "running: the stop is seen (gdb.freeze_time = off)" % (advance, hold, run_s))

    handshake(syms["panic_timeout"])
    event = stops.cont()
    check(event is None, "after the handshake the guest runs to its power-off (%s)"
          % ("exited" if event is None else describe(event)))
    check_eq("exit code of the powered-off guest", 0, stops.exited)


WAIT_LINE = "vigil: gdb: waiting for a debugger on 10.0.2.15:1234"
KERNEL_LINE = re.compile(r"^\[ *[0-9]+\.[0-9]+\] |Booting Linux|Linux version")


def this_boot():
    """The console lines since vigil last said it waits for a debugger:
    what the guest held there printed (nothing, it has not run)."""
    lines = serial_log().split("\n")
    waits = [i for i, l in enumerate(lines) if l == WAIT_LINE]
    check(len(waits) > 0, "vigil said it waits for a debugger")
    return lines[waits[-1] + 1:], len(waits)


def check_no_kernel_lines(what):
    lines, boot = this_boot()
    kernel = [l for l in lines if KERNEL_LINE.search(l)]
    check_eq("%s: kernel console lines of boot %d" % (what, boot), [], kernel)


def check_at_entry():
    """The first stop of the held guest: the Image's entry, as entered."""
    entries = re.findall(r"^vigil: guest RAM .* entry (0x[0-9a-f]+)$", serial_log(), re.M)
    check(len(entries) > 0, "vigil logged the guest's entry point")
    entry = int(entries[-1], 16)
    check_eq("pc at the first stop: the entry point vigil logged", entry, reg("pc"))
    check_eq("stopped thread", 1, gdb.selected_thread().num)
    # The MMU is off: pc is the physical address the Image was loaded at,
    # and an arm64 Image is entered at its first byte (code0).
    with open(os.environ["LINUXGDB_IMAGE"], "rb") as f:
        head = f.read(64)
    check_eq("the 64 bytes at pc are the Image's first 64", head.hex(), read(entry, 64).hex())
    dtb = reg("x0")
    check_eq("x0 %#x: a device tree (big-endian magic)" % dtb, "d00dfeed", read(dtb, 4).hex())
    for n in (1, 2, 3):
        check_eq("x%d (the boot protocol's zeroes)" % n, 0, reg("x%d" % n))
    check_eq("cpsr: EL1h, DAIF masked", 0x3C5, reg("cpsr"))
    names = [t.name for t in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num)]
    check_eq("threads", ["vCPU0 (EL1)", "vCPU1 (off)"], names)
    check_no_kernel_lines("at the entry")
    return entry


def session_wait_entry():
    connect()
    check_at_entry()
    run("detach")


def session_wait_reset():
    connect()
    out = run("monitor reset")
    print("monitor reset: %r" % out)


def session_wait_early():
    syms, _, _ = guest_symbols()
    for name in ("start_kernel", "secondary_start_kernel"):
        check(name in syms, "the first boot printed the address of %s" % name)
    connect()
    _, boot = this_boot()
    check_eq("boot held (the waiting line's count)", 2, boot)
    check_at_entry()
    stops = Stops()
    hbp = gdb.Breakpoint("*%#x" % syms["start_kernel"], type=gdb.BP_HARDWARE_BREAKPOINT)
    event = stops.cont()
    check(event is not None and stopped_by(event, hbp), "hbreak start_kernel: stopped by it (%s)"
          % (describe(event) if event is not None else "exited"))
    check_eq("hbreak start_kernel: pc", syms["start_kernel"], reg("pc"))
    check_eq("hbreak start_kernel: thread", 1, gdb.selected_thread().num)
    check_no_kernel_lines("at start_kernel")
    hbp.delete()
    # The kernel starts vCPU1 with PSCI CPU_ON while the debugger holds a
    # breakpoint: it stops there, and all-stop stops vCPU0 with it.
    sbp = gdb.Breakpoint("*%#x" % syms["secondary_start_kernel"],
                         type=gdb.BP_HARDWARE_BREAKPOINT)
    event = stops.cont()
    check(event is not None and stopped_by(event, sbp),
          "hbreak secondary_start_kernel: stopped by it (%s)"
          % (describe(event) if event is not None else "exited"))
    check_eq("hbreak secondary_start_kernel: pc", syms["secondary_start_kernel"], reg("pc"))
    check_eq("hbreak secondary_start_kernel: thread (vCPU1)", 2, gdb.selected_thread().num)
    vcpus = run("monitor vcpus")
    check(re.search(r"^vCPU0 thread 1: stopped at EL1", vcpus, re.M) is not None
          and re.search(r"^vCPU1 thread 2: stopped at EL1", vcpus, re.M) is not None,
          "monitor vcpus: both vCPUs stopped at EL1 (all-stop)")
    sbp.delete()
    run("detach")


try:
    {"break": session_break, "ptrace": session_ptrace,
     "freeze": session_freeze,
     "wait-entry": session_wait_entry, "wait-reset": session_wait_reset,
     "wait-early": session_wait_early}[SESSION]()
except gdb.error as e:  # a gdb command failed: the same as a failed check
    print("CHECK FAIL: gdb: %s" % e)
    raise
print("LINUXGDB DONE")

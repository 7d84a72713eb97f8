# tests/system/gdb/gdbtest.py - helpers for the gdb session scripts in this
# folder, loaded into gdb-multiarch (-x) before a script by
# tests/system/gdbtest.py (the driver). check, check_eq and run come from
# gdbcommon.py, which linux.py uses too.
#
# A script's python blocks call check(...) for every assertion: it prints
# "CHECK ok: ..." or "CHECK FAIL: ..." and, on failure, raises gdb.GdbError,
# which ends the script (gdb stops sourcing a file at its first error).
# Every script ends with `done`, which prints "GDBTEST DONE": the driver
# fails a session that does not get that far.
#
# Environment (set by the driver):
#   GDBTEST_TARGET  qemu (QEMU's own gdbstub) or vigil
#   GDBTEST_SOURCE  tests/guests/gdbtarget.c, where the MARK:<name> lines are
#   GDBTEST_BIN     gdbtarget.bin: the image as loaded at _image_start
#   GDBTEST_ELF     gdbtarget.elf, the kernel vigil (or QEMU) loads
#   GDBTEST_SERIAL  the machine's console log, as it is being written
#   GDBTEST_STATE   a file sessions of one case pass values through
import json
import os
import re
import sys

import gdb

# check, check_eq, fmt, run, interrupt_after: for the scripts, in gdb's
# __main__ like the rest.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbcommon import check, check_eq, fmt, interrupt_after, run  # noqa: E402,F401

TARGET = os.environ.get("GDBTEST_TARGET", "qemu")
SOURCE = os.environ["GDBTEST_SOURCE"]
STATE = os.environ.get("GDBTEST_STATE", "")

_marks = {}
with open(SOURCE) as f:
    for number, text in enumerate(f, 1):
        for m in re.finditer(r"MARK:([\w-]+)", text):
            _marks[m.group(1)] = number


def mark(name):
    """Line number of the source line that carries MARK:name."""
    if name not in _marks:
        raise gdb.GdbError("no MARK:%s in %s" % (name, SOURCE))
    return _marks[name]


def val(expr):
    """An expression's value as a Python int (unsigned 64-bit view)."""
    return int(gdb.parse_and_eval(expr)) & 0xFFFFFFFFFFFFFFFF


def reg(name):
    return val("$" + name)


def pc():
    return reg("pc")


def line():
    return gdb.selected_frame().find_sal().line


def function():
    f = gdb.selected_frame().function()
    return f.name if f else None


def check_at(name, func=None):
    """The selected frame is on the line of MARK:name (and in func)."""
    check_eq("line of MARK:%s" % name, mark(name), line())
    if func:
        check_eq("function at MARK:%s" % name, func, function())


def function_range(name):
    """[start, end) of a function with debug info."""
    block = gdb.block_for_pc(val("(unsigned long)&%s" % name))
    while block is not None and block.function is None:
        block = block.superblock
    if block is None:
        raise gdb.GdbError("no function %s" % name)
    return block.start, block.end


def address_of(name):
    return val("(unsigned long)&%s" % name)


def threads():
    return sorted(gdb.selected_inferior().threads(), key=lambda t: t.num)


def select_thread(num):
    gdb.execute("thread %d" % num, to_string=True)


def save_state(**values):
    old = load_state()
    old.update(values)
    with open(STATE, "w") as f:
        json.dump(old, f)


def load_state():
    if not STATE or not os.path.exists(STATE):
        return {}
    with open(STATE) as f:
        return json.load(f)


def mark_ready(path_env="GDBTEST_READY"):
    """Tell the driver (which waits for this file) that we are attached."""
    path = os.environ.get(path_env)
    if path:
        with open(path, "w") as f:
            f.write("attached\n")


_BRANCH = re.compile(r"^(b|bl|b\.\w+|cbz|cbnz|tbz|tbnz)$")


def successors(addr):
    """Where the instruction at addr can go next, from its disassembly."""
    insn = gdb.selected_frame().architecture().disassemble(addr)[0]
    words = insn["asm"].replace(",", " ").split()
    op = words[0]
    if op == "ret":
        return {reg(words[1] if len(words) > 1 else "x30")}, insn["asm"]
    if op in ("br", "blr"):
        return {reg(words[1])}, insn["asm"]
    if _BRANCH.match(op):
        target = next(int(w, 16) for w in words[1:] if w.startswith("0x"))
        unconditional = op in ("b", "bl")
        return ({target} if unconditional else {target, addr + 4}), insn["asm"]
    if op in ("eret", "hvc", "svc", "smc", "brk", "udf"):
        raise gdb.GdbError("stepi at %#x: unexpected %s" % (addr, insn["asm"]))
    return {addr + 4}, insn["asm"]


def stepi_checked(count, forbidden):
    """stepi count times; every new pc must be a successor of the last
    instruction, as its disassembly says, and outside every [start, end)
    of forbidden (name -> range). Returns the functions passed through."""
    path = []
    for i in range(count):
        before = pc()
        allowed, text = successors(before)
        gdb.execute("stepi", to_string=True)
        after = pc()
        if after not in allowed:
            check(False, "stepi %d: %#x (%s) went to %#x, expected one of %s"
                  % (i + 1, before, text, after, " ".join(hex(a) for a in sorted(allowed))))
        for name, (lo, hi) in forbidden.items():
            if lo <= after < hi:
                check(False, "stepi %d: pc %#x is in %s" % (i + 1, after, name))
        f = function()
        if not path or path[-1] != f:
            path.append(f)
    check(True, "%d stepi: each pc follows from the instruction before it" % count)
    return path


class BreakMark(gdb.Command):
    """break-mark NAME: a breakpoint on the line of MARK:NAME."""

    def __init__(self, name, kind):
        super().__init__(name, gdb.COMMAND_BREAKPOINTS)
        self.kind = kind

    def invoke(self, arg, from_tty):
        run("%s %s:%d" % (self.kind, os.path.basename(SOURCE), mark(arg.strip())))


class CheckAt(gdb.Command):
    """check-at NAME [FUNCTION]: the current line carries MARK:NAME."""

    def __init__(self):
        super().__init__("check-at", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        words = arg.split()
        check_at(words[0], words[1] if len(words) > 1 else None)


class Done(gdb.Command):
    """done: the script got to its end."""

    def __init__(self):
        super().__init__("done", gdb.COMMAND_SUPPORT)

    def invoke(self, arg, from_tty):
        print("GDBTEST DONE")


BreakMark("break-mark", "break")
BreakMark("hbreak-mark", "hbreak")
BreakMark("tbreak-mark", "tbreak")
CheckAt()
Done()
gdb.execute("set pagination off")
gdb.execute("set width 0")
gdb.execute("set height 0")
print("gdbtest: target %s" % TARGET)


def thread_of_cpu(cpu):
    """The gdb thread of the stub's thread id cpu + 1 (vCPU / QEMU CPU)."""
    for t in threads():
        if t.ptid[1] == cpu + 1:
            return t
    raise gdb.GdbError("no thread with stub id %d" % (cpu + 1))


def check_code_intact():
    """The guest's code in memory is byte for byte gdbtarget.bin's: no
    breakpoint instruction left behind, nothing overwritten."""
    start, end = address_of("_image_start"), address_of("_text_end")
    with open(os.environ["GDBTEST_BIN"], "rb") as f:
        image = f.read()[:end - start]
    memory = bytes(gdb.selected_inferior().read_memory(start, end - start))
    if memory != image:
        first = next(i for i in range(len(image)) if memory[i] != image[i])
        check(False, "guest code differs from gdbtarget.bin first at %#x: %s, not %s"
              % (start + first, memory[first:first + 4].hex(), image[first:first + 4].hex()))
    check(True, "guest code %#x-%#x is gdbtarget.bin's" % (start, end))


def elf_entry():
    """e_entry of gdbtarget.elf, from its ELF header (64-bit, little-endian)."""
    import struct
    with open(os.environ["GDBTEST_ELF"], "rb") as f:
        header = f.read(32)
    check(header[:4] == b"\x7fELF" and header[4] == 2 and header[5] == 1,
          "gdbtarget.elf is a 64-bit little-endian ELF")
    return struct.unpack_from("<Q", header, 24)[0]


def serial_lines():
    """The machine's console so far, one entry per line, without \\r."""
    with open(os.environ["GDBTEST_SERIAL"], "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [l.rstrip("\r") for l in text.split("\n")]


def serial_since(marker, nth):
    """The console lines after the nth (1-based) whole line equal to marker."""
    lines = serial_lines()
    seen = [i for i, l in enumerate(lines) if l == marker]
    check(len(seen) >= nth, "the console has '%s' %d times (%d)" % (marker, nth, len(seen)))
    return lines[seen[nth - 1] + 1:]


def logged_entry():
    """The entry point of the last guest vigil started ("vigil: guest RAM
    ..., entry 0x...")."""
    entries = [re.match(r"^vigil: guest RAM .* entry (0x[0-9a-f]+)$", l)
               for l in serial_lines()]
    entries = [int(m.group(1), 16) for m in entries if m]
    check(len(entries) > 0, "vigil logged the guest's entry point")
    return entries[-1]


def check_held_at_entry(boot=1):
    """The first stop of a guest held for the debugger (gdb.wait, -S): at
    the ELF's entry point, with the state a guest is entered with, before
    the guest printed anything (of this boot: after the boot-th waiting
    line)."""
    entry = elf_entry()
    check_eq("pc at the first stop: the ELF's entry point", entry, pc())
    check_eq("stopped thread", 1, gdb.selected_thread().num)
    if TARGET == "vigil":
        check_eq("the entry point vigil logged", logged_entry(), entry)
        dtb = reg("x0")
        magic = bytes(gdb.selected_inferior().read_memory(dtb, 4))
        check_eq("x0 %#x: a device tree (big-endian magic)" % dtb, "d00dfeed", magic.hex())
        check_eq("cpsr: EL1h, DAIF masked", 0x3c5, reg("cpsr"))
        names = [t.name for t in threads()]
        check_eq("threads: vCPU0 at its entry, vCPU1 off as PSCI leaves it",
                 ["vCPU0 (EL1)", "vCPU1 (off)"], names)
        lines = serial_since("vigil: gdb: waiting for a debugger on 10.0.2.15:1234", boot)
    else:
        lines = serial_lines()
    guest = [l for l in lines if l.startswith("guest:")]
    check_eq("guest console lines before the debugger let it go", [], guest)


def check_guest_runs(seconds=1.0):
    """continue, interrupt after a while: both vCPUs made progress."""
    iteration0, counter0 = val("iteration"), val("cpu1_counter")
    interrupt_after(seconds)
    gdb.execute("continue")
    check(val("iteration") > iteration0, "cpu 0 runs (iteration %d -> %d)"
          % (iteration0, val("iteration")))
    check(val("cpu1_counter") > counter0, "cpu 1 runs (cpu1_counter %d -> %d)"
          % (counter0, val("cpu1_counter")))


# Frozen time (gdb.freeze_time). gdbtarget's virtual timer ticks every
# TICK_S; the session stops the guest just after a tick (so the next is
# due TICK_S later in guest time), holds it stopped HOLD_S seconds, lets it
# run RUN_S, and reads what the guest saw: how far its virtual counter went
# (tick_cntvct at the tick before and at the last tick), and how late after
# its deadline the latest tick came (tick_late_max).
HOLD_S = 6
RUN_S = 1.0
TICK_S = 0.5


def measure_hold():
    """Returns (advance, late) in seconds of the guest's virtual time."""
    import time
    hz = val("timer_hz")
    gdb.execute("set var tick_period = %d" % int(hz * TICK_S))
    # The tick due now writes the new period; stop in the main loop after it.
    run("tbreak-mark tick")
    gdb.execute("continue")
    run("tbreak hw_target")
    gdb.execute("continue")
    check_eq("stopped in", "hw_target", function())
    before, ticks, spurious = val("tick_cntvct"), val("timer_ticks"), val("spurious_ticks")
    gdb.execute("set var tick_late_max = 0")
    start = time.time()
    time.sleep(HOLD_S)
    interrupt_after(RUN_S)
    gdb.execute("continue")
    wall = time.time() - start
    advance = (val("tick_cntvct") - before) / hz
    late = val("tick_late_max") / hz
    print("freeze-time: held %d s, ran %.1f s (%.2f s): guest time advanced %.2f s, "
          "latest tick %.3f s late" % (HOLD_S, RUN_S, wall, advance, late))
    check(val("timer_ticks") > ticks, "the guest's timer ticks after the stop (%d -> %d)"
          % (ticks, val("timer_ticks")))
    # Never an interrupt the guest finds not due (CNTV_CTL.ISTATUS clear).
    check_eq("spurious virtual timer interrupts", spurious, val("spurious_ticks"))
    return advance, late

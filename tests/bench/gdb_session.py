# tests/bench/gdb_session.py - the gdb-multiarch session of tools/bench-gdb.sh,
# loaded with `gdb-multiarch -batch -nx -x` against tests/guests/gdbbench
# behind a stub (vigil's or QEMU's own). Stock settings: the guest's ELF as
# the symbol file, nothing else changed.
#
# Environment:
#   BENCH_GDB_PORT     the stub's TCP port on 127.0.0.1
#   BENCH_GDB_ELF      gdbbench.elf
#   BENCH_GDB_PHASES   which of these to run, in this order (comma list):
#     stepi   a warm-up stepi, then BENCH_GDB_STEPI stepi over straight-line
#             code, each with `set debug remote 1`: the packets gdb sends
#     next    BENCH_GDB_NEXTS times: `next` over the line MARK:step-line
#             (1006 straight-line instructions) with `set debug remote 1`:
#             the packets, and the guest's step_el2_insns afterwards
#     time    BENCH_GDB_TIMED stepi, timed (debug output off): in all, and
#             the median of the single stepi
#     stops   the guest stops at bench_stop once per round; gdb sends K
#             `qC` packets there, K from BENCH_GDB_KS (comma list, the
#             first round a warm-up); the guest's count for each round
# Results go to stdout as "benchgdb: KEY VALUE..."; the packets of each
# counted command as "benchgdb-packets: COMMAND: PACKET ...". A packet is a
# "[remote] Sending packet:" line of gdb's debug output, which
# gdb.execute(..., to_string=True) captures with the command's output. Any
# failure raises, which ends the batch session before "benchgdb: done".
import os
import re
import time

import gdb

PORT = os.environ["BENCH_GDB_PORT"]
ELF = os.environ["BENCH_GDB_ELF"]
PHASES = os.environ.get("BENCH_GDB_PHASES", "stepi,next,time").split(",")
STEPI = int(os.environ.get("BENCH_GDB_STEPI", "20"))
NEXTS = int(os.environ.get("BENCH_GDB_NEXTS", "3"))
TIMED = int(os.environ.get("BENCH_GDB_TIMED", "200"))
KS = [int(k) for k in os.environ.get("BENCH_GDB_KS", "0").split(",")]
STOP_SLOTS = 64  # gdbbench.c


def counted(cmd):
    """Run cmd with `set debug remote 1`: (packets sent, resumes among them)."""
    run("set debug remote 1")
    try:
        out = run(cmd)
    finally:
        run("set debug remote 0")
    packets = [m.group(1) for m in re.finditer(r"\[remote\] Sending packet: \$([^#]*)#", out)]
    resumes = [p for p in packets if re.match(r"vCont;[sScCr]|[sScC]($|[0-9a-f])", p)]
    print("benchgdb-packets: %s: %s" % (cmd, " ".join(packets)))
    return len(packets), len(resumes)


def result(key, *values):
    print("benchgdb: %s %s" % (key, " ".join(str(v) for v in values)))


def run(cmd):
    return gdb.execute(cmd, to_string=True)


def value(expr):
    return int(gdb.parse_and_eval(expr))


def pc():
    return value("$pc") & (2**64 - 1)


def source_line():
    return gdb.selected_frame().find_sal().line


def mark_line(name):
    """The line of gdbbench.c that ends in the comment MARK:name."""
    path = gdb.lookup_global_symbol("guest_main").symtab.fullname()
    with open(path) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("/* MARK:%s */" % name):
                return number
    raise gdb.GdbError("no MARK:%s in %s" % (name, path))


def stop_at_step_line():
    """Run to the first instruction of step_line(), no breakpoint left."""
    run("break step_line")
    run("continue")
    run("delete")
    if gdb.selected_frame().name() != "step_line":
        raise gdb.GdbError("not in step_line but at 0x%x" % pc())


def phase_stepi():
    stop_at_step_line()
    start = pc()
    run("stepi")  # warm-up
    packets = resumes = 0
    for _ in range(STEPI):
        p, r = counted("stepi")
        packets, resumes = packets + p, resumes + r
    # Straight-line code: every stepi is one instruction further.
    if pc() != start + 4 * (STEPI + 1):
        raise gdb.GdbError("stepi: pc 0x%x after %d stepi from 0x%x" % (pc(), STEPI + 1, start))
    result("stepi", STEPI, "packets", packets, "resumes", resumes)


def phase_next():
    first, after = mark_line("step-line"), mark_line("step-after")
    for i in range(NEXTS):
        stop_at_step_line()
        if source_line() != first:
            raise gdb.GdbError("step_line starts at line %d, not %d" % (source_line(), first))
        line = gdb.find_pc_line(pc())
        insns = (line.last + 1 - line.pc) // 4
        packets, resumes = counted("next")
        if source_line() != after:
            raise gdb.GdbError("next ended at line %d, not %d" % (source_line(), after))
        result("next", i, "line_insns", insns, "packets", packets, "resumes", resumes,
               "step_el2_insns", value("step_el2_insns"))


def phase_time():
    stop_at_step_line()
    run("stepi")  # warm-up
    start = pc()
    each = []
    t0 = time.monotonic()
    for _ in range(TIMED):
        t = time.monotonic()
        run("stepi")
        each.append(time.monotonic() - t)
    seconds = time.monotonic() - t0
    if pc() != start + 4 * TIMED:
        raise gdb.GdbError("timed stepi: pc 0x%x, not 0x%x" % (pc(), start + 4 * TIMED))
    each.sort()
    result("time", TIMED, "stepi_us", int(seconds * 1e6),
           "median_us", int(each[len(each) // 2] * 1e6))


def phase_stops():
    stop_at_step_line()
    first = value("stops")
    if len(KS) + 1 > STOP_SLOTS:
        raise gdb.GdbError("too many rounds for the guest's %d slots" % STOP_SLOTS)
    run("break bench_stop")
    # Round r's window (guest side) opens before the stop and closes after
    # the next `continue`: all gdb does in between is the K packets.
    for k in KS:
        run("continue")
        if gdb.selected_frame().name() != "bench_stop":
            raise gdb.GdbError("not stopped in bench_stop but at 0x%x" % pc())
        for _ in range(k):
            reply = run("maint packet qC")
            if "received:" not in reply:
                raise gdb.GdbError("maint packet qC: %r" % reply)
    # One more stop, not measured, to read the counts at.
    run("continue")
    if value("stops") != first + len(KS):
        raise gdb.GdbError("stops = %d, expected %d" % (value("stops"), first + len(KS)))
    for r, k in enumerate(KS):
        result("stop", r, "packets", k, "el2_insns",
               value("stop_el2_insns[%d]" % ((first + r) % STOP_SLOTS)))
    run("delete")


run("set pagination off")
run("set confirm off")
run("file " + ELF)
run("target remote 127.0.0.1:" + PORT)
for phase in PHASES:
    {"stepi": phase_stepi, "next": phase_next, "time": phase_time,
     "stops": phase_stops}[phase]()
print("benchgdb: done")

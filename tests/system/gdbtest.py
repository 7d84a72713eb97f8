#!/usr/bin/env python3
"""tests/system/gdbtest.py - end-to-end debugger sessions against a stub.

    gdbtest.py [--target vigil|qemu] [--build DIR] [--guests DIR] [--out DIR]
               [--cpu MODEL] [--mmio legacy|modern] [--timeout SECS]
               [--cfg LINE]... [CASE...]

Boots tests/guests/gdbtarget on 2 CPUs, once per case, and debugs it:
  --target vigil  under vigil (tools/qemu.sh -g PORT), through vigil's stub
  --target qemu   under plain QEMU (EL1, no vigil), through QEMU's own
                  gdbstub: the reference the sessions were validated on
  --mmio          the virtio-mmio transport of vigil's NIC (tools/qemu.sh
                  -M): legacy (QEMU's default) or modern
A case is one or more gdb-multiarch -batch sessions (tests/system/gdb/
NAME.gdb, with tests/system/gdb/gdbtest.py loaded first) whose output must
contain the lines of NAME.expect in order; or the protocol fuzzer
(gdbfuzz.py) followed by a normal session; or an lldb session. Cases:
""" + "\n".join("  %-20s %s" % c for c in [
    ("break-bt", "break on a function, continue, bt"),
    ("hbreak", "hardware breakpoint"),
    ("watch", "write watchpoint: every write, in order"),
    ("rwatch", "read watchpoint: every read, in order"),
    ("awatch", "access watchpoint: reads and writes alternate"),
    ("stepi", "stepi x100, each pc checked against the disassembly"),
    ("next-step", "next/step/finish through C source, next over 1000 insns"),
    ("threads", "info threads: one thread per vCPU"),
    ("sched-lock", "scheduler-locking on: stepping one vCPU leaves the other"),
    ("interrupt", "Ctrl-C and `interrupt` while running"),
    ("set-var", "set var, set a register, read back; the guest sees it"),
    ("registers", "info registers, system registers"),
    ("detach-reattach", "detach, the guest runs on, a new session attaches"),
    ("disconnect-reattach", "connection dropped while running, re-attach"),
    ("second-client", "a second client is refused, the first unaffected"),
    ("monitor", "monitor help, vcpus, stats, step-irqs, phys, an unknown one"),
    ("kill-reattach", "kill (gdb.on_kill = stop): the guest stays where it was"),
    ("fuzz", "10,000 malformed packets, then a normal session"),
    ("lldb", "lldb gdb-remote: registers, breakpoint, step"),
    ("freeze-time", "held 6 s, run 1 s: guest time sees only the run"),
    ("freeze-time-off", "the same, gdb.freeze_time = off: it sees the hold"),
    ("wait", "gdb.wait (QEMU: -S): first stop at the entry, breakpoints set there"),
    ("wait-reset", "gdb.wait, static address: monitor reset, kill (on_kill = reset)"),
    ("non-stop", "set non-stop on: one vCPU stops, the other runs; interrupt (-a)"),
    ("allow-refused", "gdb.allow = 10.0.2.3/32: the client (10.0.2.2) is closed at once"),
    ("allow-ok", "gdb.allow = 10.0.2.0/24: a normal session"),
    ("readonly", "gdb.readonly = on: Z0, M, G, P refused with E.<text>; g, m, ? work"),
    ("idle-conns", "60 silent connections, then a debugger attaches within 2 s"),
]) + """

For every case, --out DIR (default BUILD/system/gdb-<target>-<case>) gets
serial.log (the machine's console), <session>.log (gdb's output; the full
packet exchange, `set debug remote 1`, is in <session>.remote.log).
Prints "ok gdb.<case>" or "FAIL gdb.<case>: <reason>" per case; exit
status 1 if any case failed. Every QEMU run and every session is bounded
by a timeout.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(HERE, "gdb")
SOURCE = os.path.join(ROOT, "tests", "guests", "gdbtarget.c")
GDB = os.environ.get("GDB", "gdb-multiarch")
LLDB = os.environ.get("LLDB", "lldb")
NM = os.environ.get("NM", "aarch64-linux-gnu-nm")
READY_LINE = "guest: gdbtarget: ready"
LISTEN_LINE = "vigil: gdb: listening on TCP port 1234"
WAIT_LINE = "vigil: gdb: waiting for a debugger on 10.0.2.15:1234"
SESSION_TIMEOUT = 240


def rsp_frame(payload):
    data = payload.encode("latin-1")
    return b"$" + data + b"#%02x" % (sum(data) & 0xff)


class RspClient:
    """The smallest RSP client: ack mode, one reply per packet."""

    def __init__(self, sock):
        self.s, self.buf = sock, b""
        self.s.sendall(b"+")

    def ask(self, payload):
        self.s.sendall(rsp_frame(payload))
        while True:
            m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return m.group(1).decode("latin-1")
            data = self.s.recv(65536)
            if not data:
                raise CaseFailed("the stub closed the connection after %r" % payload[:20])
            self.buf += data


class CaseFailed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def marks():
    found = {}
    with open(SOURCE) as f:
        for number, text in enumerate(f, 1):
            for m in re.finditer(r"MARK:([\w-]+)", text):
                found[m.group(1)] = number
    return found


# Cases whose machine differs: extra vigil.cfg lines; "held": the guest
# waits for the debugger at its first instruction (vigil's gdb.wait, QEMU's
# -S), so the case starts once the stub waits, not once the guest is ready;
# "reboot": a reset reboots (tools/qemu.sh -R) instead of ending QEMU.
MACHINE = {
    "allow-refused": {"cfg": ["gdb.allow = 10.0.2.3/32"]},
    "allow-ok": {"cfg": ["gdb.allow = 10.0.2.0/24"]},
    "readonly": {"cfg": ["gdb.readonly = on"]},
    "freeze-time-off": {"cfg": ["gdb.freeze_time = off"]},
    "wait": {"cfg": ["gdb.wait = on"], "held": True},
    "wait-reset": {"cfg": ["gdb.wait = on", "gdb.on_kill = reset", "net.ip = 10.0.2.15/24",
                           "net.gw = 10.0.2.2"], "held": True, "reboot": True},
}


class Machine:
    """One QEMU run of gdbtarget, with the stub reachable on self.port."""

    def __init__(self, args, out, held=False, reboot=False, cfg=()):
        self.args, self.out = args, out
        self.held, self.reboot, self.cfg = held, reboot, list(cfg)
        self.port = free_port()
        self.serial = os.path.join(out, "serial.log")
        self.proc = None

    def start(self):
        a = self.args
        if a.target == "vigil":
            esp = os.path.join(self.out, "esp")
            os.makedirs(os.path.join(esp, "EFI", "BOOT"), exist_ok=True)
            shutil.copy(os.path.join(a.build, "vigil.efi"),
                        os.path.join(esp, "EFI", "BOOT", "BOOTAA64.EFI"))
            shutil.copy(os.path.join(a.guests, "gdbtarget.elf"), esp)
            with open(os.path.join(esp, "vigil.cfg"), "w") as f:
                f.write("kernel = gdbtarget.elf\n")
                for line in a.cfg + self.cfg:
                    f.write(line + "\n")
            cmd = [os.path.join(ROOT, "tools", "qemu.sh"), "-c", a.cpu, "-s", "2",
                   "-t", str(a.timeout), "-M", a.mmio, "-g", str(self.port)]
            cmd += ["-R"] if self.reboot else []
            cmd += [esp]
            wanted = [WAIT_LINE, LISTEN_LINE] if self.held else [READY_LINE, LISTEN_LINE]
        else:
            cpu = "max,pauth-impdef=on" if a.cpu == "max" else a.cpu
            cmd = ["timeout", "-k", "5", str(a.timeout), "qemu-system-aarch64",
                   "-M", "virt,gic-version=3", "-cpu", cpu, "-smp", "2", "-m", "512M",
                   "-nographic", "-no-reboot",
                   "-kernel", os.path.join(a.guests, "gdbtarget.elf"),
                   "-gdb", "tcp:127.0.0.1:%d" % self.port]
            # -S: nothing runs, nothing is printed, until gdb continues.
            cmd += ["-S"] if self.held else []
            wanted = [] if self.held else [READY_LINE]
        with open(os.path.join(self.out, "qemu.cmd"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        self.log = open(self.serial, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + a.boot_timeout
        while True:
            lines = self.lines()
            if all(w in lines for w in wanted):
                return
            if self.proc.poll() is not None:
                raise CaseFailed("QEMU exited (status %d) before '%s'" % (
                    self.proc.returncode, "' and '".join(w for w in wanted if w not in lines)))
            if time.time() > deadline:
                raise CaseFailed("no '%s' on the console within %ds" % (
                    "' and '".join(w for w in wanted if w not in lines), a.boot_timeout))
            time.sleep(0.25)

    def lines(self):
        try:
            with open(self.serial, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return [l.rstrip("\r") for l in text.split("\n")]

    def wait_for_count(self, line, count, timeout=None):
        """Until the console has line count times (a whole line)."""
        deadline = time.time() + (timeout or self.args.boot_timeout)
        while self.lines().count(line) < count:
            if not self.alive():
                raise CaseFailed("QEMU exited before '%s' was on the console %d times"
                                 % (line, count))
            if time.time() > deadline:
                raise CaseFailed("'%s' not on the console %d times within %ds"
                                 % (line, count, timeout or self.args.boot_timeout))
            time.sleep(0.25)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc is not None:
            self.log.close()

    def check_console(self):
        bad = [l for l in self.lines()
               if re.match(r"^guest: (FAIL|.*unexpected exception)", l)
               or re.match(r"^vigil: (PANIC|BUG)", l)]
        if bad:
            raise CaseFailed("console: %s" % bad[0])


# How gdb names the thread in "Thread N hit ..." lines: vigil's threads have
# names (qXfer:threads), QEMU's have none. %s is the vCPU number.
THREAD = {"qemu": r"Thread \d+", "vigil": r'Thread \d+ "vCPU%s \(EL1\)"'}


def parse_expect(path, target):
    """NAME.expect: one Python regex per line (whole-line match), in the
    order the lines must appear; "qemu: " / "vigil: " limits a line to one
    target; a leading "!" means no line may match; {mark:NAME} is the line
    number of MARK:NAME in gdbtarget.c; {thread} is gdb's name of a thread,
    {thread0} of cpu 0's. '#' starts a comment line."""
    ordered, forbidden = [], []
    if not os.path.exists(path):
        return ordered, forbidden
    m = marks()
    with open(path) as f:
        for raw in f:
            text = raw.rstrip("\n")
            if not text.strip() or text.startswith("#"):
                continue
            pm = re.match(r"^(qemu|vigil): (.*)$", text)
            if pm:
                if pm.group(1) != target:
                    continue
                text = pm.group(2)
            text = re.sub(r"\{mark:([\w-]+)\}", lambda g: str(m[g.group(1)]), text)
            text = text.replace("{thread}", THREAD[target].replace("%s", r"\d"))
            text = text.replace("{thread0}", THREAD[target].replace("%s", "0"))
            if text.startswith("!"):
                forbidden.append(text[1:])
            else:
                ordered.append(text)
    return ordered, forbidden


def match_output(name, output, ordered, forbidden):
    lines = [l.rstrip() for l in output.split("\n")]
    at = 0
    for i, pattern in enumerate(ordered):
        rx = re.compile(pattern)
        for j in range(at, len(lines)):
            if rx.fullmatch(lines[j]):
                at = j + 1
                break
        else:
            raise CaseFailed("%s: no line matching /%s/ after output line %d%s" % (
                name, pattern, at, context(lines, at)))
    for pattern in forbidden:
        rx = re.compile(pattern)
        for line in lines:
            if rx.fullmatch(line):
                raise CaseFailed("%s: unexpected line: %s" % (name, line))


def context(lines, at):
    shown = lines[max(0, at - 3):at + 12]
    return "\n    | " + "\n    | ".join(shown) if shown else ""


class Runner:
    def __init__(self, args, out, machine):
        self.args, self.out, self.m = args, out, machine
        self.state = os.path.join(out, "state.json")

    def env(self, **extra):
        e = dict(os.environ)
        e.update(GDBTEST_TARGET=self.args.target, GDBTEST_SOURCE=SOURCE,
                 GDBTEST_BIN=os.path.join(self.args.guests, "gdbtarget.bin"),
                 GDBTEST_ELF=os.path.join(self.args.guests, "gdbtarget.elf"),
                 GDBTEST_SERIAL=self.m.serial,
                 GDBTEST_STATE=self.state)
        e.update(extra)
        return e

    def gdb_command(self, name, connect=True, pre=()):
        log = os.path.join(self.out, name + ".remote.log")
        cmd = [GDB, "-batch", "-nx",
               "-ex", "set confirm off",
               "-ex", "set logging file " + log,
               "-ex", "set logging overwrite on",
               "-ex", "set logging debugredirect on",
               "-ex", "set logging enabled on",
               "-ex", "set debug remote 1",
               # gdb's default 2 s is short for vigil's first reply under
               # TCG: gdb then resends qSupported, the stub answers every
               # copy and the replies are out of step from then on.
               "-ex", "set remotetimeout 10",
               "-x", os.path.join(SCRIPTS, "gdbtest.py"),
               "-ex", "file " + os.path.join(self.args.guests, "gdbtarget.elf")]
        for p in pre:
            cmd += ["-ex", p]
        if connect:
            cmd += ["-ex", "target remote 127.0.0.1:%d" % self.m.port]
        cmd += ["-x", os.path.join(SCRIPTS, name + ".gdb")]
        return cmd

    def start_session(self, name, pre=(), **env):
        out = open(os.path.join(self.out, name + ".log"), "wb")
        proc = subprocess.Popen(self.gdb_command(name, pre=pre), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT,
                                env=self.env(**env), start_new_session=True)
        return proc, out

    def finish_session(self, name, proc, out, timeout=SESSION_TIMEOUT, done=True):
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            out.close()
            raise CaseFailed("%s: gdb did not finish within %ds (see %s.log)%s" % (
                name, timeout, name, self.tail(name)))
        out.close()
        output = self.output(name)
        ordered, forbidden = parse_expect(os.path.join(SCRIPTS, name + ".expect"),
                                          self.args.target)
        for line in output.split("\n"):
            if line.startswith("CHECK FAIL"):
                raise CaseFailed("%s: %s" % (name, line))
        if done and "GDBTEST DONE" not in output.split("\n"):
            raise CaseFailed("%s: the script stopped early (no GDBTEST DONE)%s" % (
                name, self.tail(name)))
        match_output(name, output, ordered, forbidden)
        return output

    def session(self, name, pre=(), **env):
        proc, out = self.start_session(name, pre=pre, **env)
        return self.finish_session(name, proc, out)

    def output(self, name):
        with open(os.path.join(self.out, name + ".log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, name, n=15):
        lines = self.output(name).rstrip("\n").split("\n")[-n:]
        return "\n    | " + "\n    | ".join(lines)

    # ---- the cases made of more than one session ------------------------

    def detach_reattach(self, first):
        self.session(first)
        time.sleep(2)
        if not self.m.alive():
            raise CaseFailed("QEMU exited after %s" % first)
        self.session("reattach")

    def kill_reattach(self):
        self.session("kill")
        time.sleep(2)
        if not self.m.alive():
            raise CaseFailed("QEMU exited after kill")
        self.session("kill-after")

    def second_client(self):
        ready = os.path.join(self.out, "first.attached")
        release = os.path.join(self.out, "second.done")
        proc, out = self.start_session("second-first", GDBTEST_READY=ready,
                                       GDBTEST_RELEASE=release)
        deadline = time.time() + 60
        while not os.path.exists(ready):
            if proc.poll() is not None or time.time() > deadline:
                try:
                    self.finish_session("second-first", proc, out, timeout=5)
                except CaseFailed as e:
                    raise e
                raise CaseFailed("second-first: never attached")
            time.sleep(0.2)
        try:
            self.session("second-refused", pre=("set remotetimeout 3",))
        finally:
            with open(release, "w") as f:
                f.write("done\n")
        self.finish_session("second-first", proc, out)

    def non_stop(self):
        """A non-stop session that detaches with everything running, then
        an all-stop one that finds the guest running."""
        self.session("non-stop", pre=("set non-stop on",))
        time.sleep(1)
        if not self.m.alive():
            raise CaseFailed("QEMU exited after the non-stop session")
        self.session("non-stop-after")

    def wait_reset(self):
        """monitor reset, and kill with gdb.on_kill = reset, with gdb.wait:
        the rebooted guest is held again each time."""
        self.session("wait-reset")
        self.m.wait_for_count(WAIT_LINE, 2)
        self.session("wait-kill")
        self.m.wait_for_count(WAIT_LINE, 3)
        self.session("wait-again")
        # The detach let it go: it gets as far as a guest does unhindered.
        self.m.wait_for_count(READY_LINE, 1, timeout=60)

    def allow_refused(self):
        """QEMU's user network: every client comes from 10.0.2.2."""
        start = time.time()
        with socket.create_connection(("127.0.0.1", self.m.port), timeout=5) as s:
            s.sendall(b"+" + rsp_frame("?"))
            try:
                data = s.recv(4096)
            except (ConnectionResetError, socket.timeout) as e:
                data = e
        took = time.time() - start
        print("refused client closed after %.2f s (%r)" % (took, data))
        if data != b"" and not isinstance(data, ConnectionResetError):
            raise CaseFailed("refused client got %r, not a close" % (data,))
        if took > 3:
            raise CaseFailed("refused client closed only after %.1f s" % took)
        pattern = re.compile(r"^vigil: gdb: connection from 10\.0\.2\.2:\d+ refused: "
                             r"not in gdb\.allow$")
        deadline = time.time() + 5
        while not any(pattern.match(l) for l in self.m.lines()):
            if time.time() > deadline:
                raise CaseFailed("no 'connection from 10.0.2.2:N refused: not in "
                                 "gdb.allow' line")
            time.sleep(0.2)
        if any("gdb.allow is not set" in l for l in self.m.lines()):
            raise CaseFailed("the any-peer warning with gdb.allow set")

    def allow_ok(self):
        self.session("threads")
        if any("refused" in l for l in self.m.lines()):
            raise CaseFailed("a refusal with gdb.allow = 10.0.2.0/24")

    def readonly(self):
        ro = "E.vigil: read-only session (gdb.readonly): "
        scratch = self.symbol("scratch")
        with socket.create_connection(("127.0.0.1", self.m.port), timeout=10) as s:
            c = RspClient(s)
            stop = c.ask("?")
            if not re.match(r"^[ST][0-9a-f]{2}", stop):
                raise CaseFailed("? answered %r" % stop)
            regs = c.ask("g")
            if not re.match(r"^[0-9a-fx]{200,}$", regs):
                raise CaseFailed("g answered %r" % regs[:60])
            mem = c.ask("m%x,4" % scratch)
            if not re.match(r"^[0-9a-f]{8}$", mem):
                raise CaseFailed("m answered %r" % mem)
            for packet, want in [
                    ("Z0,%x,4" % scratch, ro + "no breakpoints or watchpoints"),
                    ("Z2,%x,4" % scratch, ro + "no breakpoints or watchpoints"),
                    ("M%x,4:01020304" % scratch, ro + "memory cannot be written"),
                    ("G" + regs[:32], ro + "registers cannot be written"),
                    ("P0=0000000000000000", ro + "registers cannot be written")]:
                got = c.ask(packet)
                print("%-30s -> %s" % (packet[:30], got))
                if got != want:
                    raise CaseFailed("%s answered %r, not %r" % (packet[:20], got, want))
            if c.ask("m%x,4" % scratch) != mem:
                raise CaseFailed("memory changed under a read-only session")
            if c.ask("D") != "OK":
                raise CaseFailed("D not answered OK")

    def idle_conns(self):
        """Silent connections must not lock the debugger out (issue #13)."""
        idle = []
        try:
            for _ in range(60):
                idle.append(socket.create_connection(("127.0.0.1", self.m.port), timeout=5))
                time.sleep(0.02)
            time.sleep(1)
            start = time.time()
            with socket.create_connection(("127.0.0.1", self.m.port), timeout=10) as s:
                c = RspClient(s)
                c.ask("qSupported:swbreak+")
                stop = c.ask("?")
                took = time.time() - start
                print("attach with 60 idle connections open: %.3f s (stop reply %s)"
                      % (took, stop[:3]))
                if not re.match(r"^[ST][0-9a-f]{2}", stop):
                    raise CaseFailed("? answered %r" % stop)
                if took > 2:
                    raise CaseFailed("attach took %.2f s (limit 2 s)" % took)
                if c.ask("D") != "OK":
                    raise CaseFailed("D not answered OK")
            time.sleep(1)
            # A real gdb too, the idle ones still open.
            self.session("threads")
        finally:
            for s in idle:
                s.close()

    def symbol(self, name):
        out = subprocess.check_output([NM, os.path.join(self.args.guests, "gdbtarget.elf")],
                                      text=True)
        for line in out.split("\n"):
            words = line.split()
            if len(words) == 3 and words[2] == name:
                return int(words[0], 16)
        raise CaseFailed("no symbol %s in gdbtarget.elf" % name)

    def fuzz(self):
        log = os.path.join(self.out, "fuzz.log")
        with open(log, "wb") as f:
            try:
                rc = subprocess.call([sys.executable, os.path.join(HERE, "gdbfuzz.py"),
                                      "--port", str(self.m.port), "--packets", "10000",
                                      "--seed", "6", "--scratch", hex(self.symbol("scratch"))]
                                     + (["--lenient"] if self.args.target == "qemu" else []),
                                     stdout=f, stderr=subprocess.STDOUT,
                                     timeout=SESSION_TIMEOUT * 2)
            except subprocess.TimeoutExpired:
                rc = "timeout"
        if rc != 0:
            with open(log, "rb") as f:
                last = f.read().decode("utf-8", "replace").strip().split("\n")[-1]
            raise CaseFailed("gdbfuzz.py (exit status %s): %s" % (rc, last))
        if not self.m.alive():
            raise CaseFailed("QEMU exited during the fuzzing")
        self.session("after-fuzz")

    def lldb(self):
        script = os.path.join(SCRIPTS, "lldb.py")
        log = os.path.join(self.out, "lldb.log")
        with open(log, "wb") as f:
            try:
                rc = subprocess.call([sys.executable, script, "--lldb", LLDB,
                                      "--port", str(self.m.port),
                                      "--elf", os.path.join(self.args.guests, "gdbtarget.elf"),
                                      "--target", self.args.target, "--out", self.out],
                                     stdout=f, stderr=subprocess.STDOUT,
                                     timeout=SESSION_TIMEOUT)
            except subprocess.TimeoutExpired:
                rc = "timeout"
        if rc != 0:
            with open(log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").strip().split("\n")
            fails = [l for l in lines if l.startswith("FAIL")]
            raise CaseFailed("lldb: %s" % (fails[0] if fails else "exit status %s" % rc))


CASES = {
    "break-bt": lambda r: r.session("break-bt"),
    "hbreak": lambda r: r.session("hbreak"),
    "watch": lambda r: r.session("watch"),
    "rwatch": lambda r: r.session("rwatch"),
    "awatch": lambda r: r.session("awatch"),
    "stepi": lambda r: r.session("stepi"),
    "next-step": lambda r: r.session("next-step"),
    "threads": lambda r: r.session("threads"),
    "sched-lock": lambda r: r.session("sched-lock"),
    "interrupt": lambda r: r.session("interrupt"),
    "set-var": lambda r: r.session("set-var"),
    "registers": lambda r: r.session("registers"),
    "detach-reattach": lambda r: r.detach_reattach("detach"),
    "disconnect-reattach": lambda r: r.detach_reattach("disconnect"),
    "second-client": lambda r: r.second_client(),
    "monitor": lambda r: r.session("monitor"),
    "kill-reattach": lambda r: r.kill_reattach(),
    "fuzz": lambda r: r.fuzz(),
    "lldb": lambda r: r.lldb(),
    "freeze-time": lambda r: r.session("freeze-time"),
    "freeze-time-off": lambda r: r.session("freeze-time-off"),
    "wait": lambda r: r.session("wait"),
    "wait-reset": lambda r: r.wait_reset(),
    "non-stop": lambda r: r.non_stop(),
    "allow-refused": lambda r: r.allow_refused(),
    "allow-ok": lambda r: r.allow_ok(),
    "readonly": lambda r: r.readonly(),
    "idle-conns": lambda r: r.idle_conns(),
}


# Cases that test what only vigil promises, with the reason.
VIGIL_ONLY = {
    "monitor": "vigil's own monitor commands",
    "kill-reattach": "QEMU's stub quits QEMU on kill",
    "disconnect-reattach": "QEMU 7.2 leaves the machine paused when the client goes",
    "fuzz": "QEMU 7.2 exits within the first few hundred packets (seed 6)",
    "freeze-time-off": "a vigil.cfg key (QEMU's TCG clock always stops with the guest)",
    "wait-reset": "QEMU's stub has no monitor reset",
    "non-stop": "QEMU 7.2's stub has no non-stop mode (no QNonStop)",
    "allow-refused": "a vigil.cfg key",
    "allow-ok": "a vigil.cfg key",
    "readonly": "a vigil.cfg key",
    "idle-conns": "QEMU's stub serves one connection at a time",
}


def run_case(args, name):
    if args.target != "vigil" and name in VIGIL_ONLY:
        print("skip gdb.%s: %s" % (name, VIGIL_ONLY[name]))
        return None
    out = args.out or os.path.join(args.build, "system", "gdb-%s-%s" % (args.target, name))
    if args.out and len(args.cases) > 1:
        out = os.path.join(args.out, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    machine = Machine(args, out, **MACHINE.get(name, {}))
    try:
        machine.start()
        CASES[name](Runner(args, out, machine))
        if not machine.alive():
            raise CaseFailed("QEMU exited during the case")
        machine.check_console()
    except (CaseFailed, Exception) as e:
        print("FAIL gdb.%s: %s%s" % (name, "" if isinstance(e, CaseFailed)
                                      else "gdbtest.py: %s: " % type(e).__name__, e))
        print("  (logs in %s)" % out)
        return False
    finally:
        machine.stop()
    print("ok gdb.%s" % name)
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", choices=("vigil", "qemu"), default="vigil")
    p.add_argument("--build", default=os.environ.get("BUILD", os.path.join(ROOT, "build")))
    p.add_argument("--guests", help="where gdbtarget.{elf,bin} are (BUILD/guests)")
    p.add_argument("--out", help="output folder (one case) or parent folder (several)")
    p.add_argument("--cpu", default="cortex-a72")
    p.add_argument("--mmio", choices=("legacy", "modern"), default="legacy")
    p.add_argument("--timeout", type=int, default=600, help="QEMU's life, seconds")
    p.add_argument("--boot-timeout", type=int, default=120)
    p.add_argument("--cfg", action="append", default=[], help="extra vigil.cfg line")
    p.add_argument("cases", nargs="*")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    args.guests = os.path.abspath(args.guests or os.path.join(args.build, "guests"))
    args.cases = args.cases or list(CASES)
    # Killed (run.sh's timeout, Ctrl-C): still stop QEMU and the sessions.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("gdbtest.py: terminated"))
    for c in args.cases:
        if c not in CASES:
            p.error("unknown case %s (cases: %s)" % (c, " ".join(CASES)))
    results = {c: run_case(args, c) for c in args.cases}
    failed = [c for c, r in results.items() if r is False]
    skipped = [c for c, r in results.items() if r is None]
    print("gdb: %d passed, %d failed, %d skipped" % (
        len(results) - len(failed) - len(skipped), len(failed), len(skipped)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

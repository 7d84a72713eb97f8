#!/usr/bin/env python3
"""tests/system/gdbfuzz.py - feed a GDB stub malformed and hostile packets.

    gdbfuzz.py --port PORT --scratch ADDR [--packets N] [--seed S] [--host H]
               [--lenient]

Connects to the stub, checks a fixed list of malformed packets for their
protocol answers, then sends N (default 10,000) random ones from a seeded,
hence repeatable, generator: bad checksums, over-long packets, unknown
commands, malformed hex, random binary, truncated packets, stray acks,
Ctrl-C bytes, and well-formed but hostile m/M/Z/z/p/H/qXfer with absurd
addresses, lengths and thread ids, plus the occasional continue and Ctrl-C.
Nothing that ends or resets the session or the guest is ever sent (no k,
D, R, r, vKill, vRun, !, monitor reset), and the only writes to guest state
are M/X to the 32 bytes at --scratch (gdbtarget's `scratch`, which the
guest never reads). Every 25 packets a probe (M of a fresh cookie to the
scratch address, then m of it) must be answered with the cookie within
--probe-timeout seconds. Prints "ok ..." lines, or "FAIL ..." and exits 1.
The connection is closed without D at the end (a disconnect).
"""
import argparse
import collections
import random
import socket
import sys
import time

SAFE_MONITOR = [b"help", b"vcpus", b"stats", b"step-irqs off", b"phys off", b"nosuch", b""]
# Letters that start no packet the stub could act on destructively.
UNKNOWN_LETTERS = b"aefhjlnouwxyEFJKLNOUWY"
# Addresses no guest RAM is at (gdbtarget runs with the MMU off: VA = PA).
ABSURD = [0x0, 0x8, 0xfff, 0x1000, 0x08000000, 0x09000000, 0x3ffffff8,
          0xffffffffffffffff, 0xfffffffffffffff8, 0xffff000000000000,
          0x0000800000000000, 0x8000000000000000, 0xdeadbeefdeadbeef,
          0x100000000, 0x7ffffffffffff000, 0xfffffffffffff000]


def checksum(payload):
    return sum(payload) & 0xFF


def frame(payload):
    return b"$" + payload + b"#%02x" % checksum(payload)


def escape(data):
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


class Fail(Exception):
    pass


class Link:
    """The TCP connection: a byte stream parsed into acks and packets."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.packets = []   # replies, in order
        self.acks = []      # b"+" / b"-" from the stub
        self.bad = []       # replies with a wrong checksum
        self.trace = collections.deque(maxlen=40)  # the last things sent

    def send(self, data):
        self.trace.append(data[:120])
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Fail("send: %s (the stub closed the connection?)" % e)

    def pump(self, timeout):
        """Read what arrives within timeout seconds (0: only what is there)."""
        self.sock.settimeout(timeout if timeout > 0 else 0.0001)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            return False
        except OSError as e:
            raise Fail("receive: %s" % e)
        if not data:
            raise Fail("the stub closed the connection")
        self.buf += data
        self.parse()
        return True

    def parse(self):
        while self.buf:
            c = self.buf[0]
            if c in b"+-":
                self.acks.append(bytes([c]))
                del self.buf[0]
            elif c == ord("$") or c == ord("%"):
                end = self.buf.find(b"#")
                if end < 0 or len(self.buf) < end + 3:
                    return
                payload = bytes(self.buf[1:end])
                cs = bytes(self.buf[end + 1:end + 3])
                del self.buf[:end + 3]
                try:
                    good = int(cs, 16) == checksum(payload)
                except ValueError:
                    good = False
                if not good:
                    self.bad.append(payload[:60])
                    continue
                self.send(b"+")
                self.packets.append(payload)
            else:
                del self.buf[0]  # noise between packets (not expected)

    def drain(self):
        while self.pump(0):
            pass

    def wait_packet(self, timeout, predicate=lambda p: True):
        """The first new reply (or the first one predicate likes)."""
        deadline = time.time() + timeout
        while True:
            while self.packets:
                p = self.packets.pop(0)
                if predicate(p):
                    return p
            left = deadline - time.time()
            if left <= 0:
                return None
            self.pump(left)


def unrle(payload):
    out = bytearray()
    i = 0
    while i < len(payload):
        if payload[i] == ord("*") and out and i + 1 < len(payload):
            out += out[-1:] * (payload[i + 1] - 29)
            i += 2
        else:
            out.append(payload[i])
            i += 1
    return bytes(out)


class Fuzzer:
    def __init__(self, link, scratch, seed, probe_timeout, lenient):
        self.link, self.scratch, self.lenient = link, scratch, lenient
        self.rng = random.Random(seed)
        self.probe_timeout = probe_timeout
        self.cookie = None
        self.sent = 0
        self.kinds = {}

    # ---- the checked exchanges --------------------------------------------

    def request(self, payload, what, timeout=None, stop_reply=False):
        """A well-formed packet and its reply (acks and older replies skipped;
        stop replies too, unless one is the answer)."""
        self.link.drain()
        self.link.packets.clear()
        self.link.send(frame(payload))
        reply = self.link.wait_packet(timeout or self.probe_timeout,
                                      lambda p: stop_reply or p[:1] not in (b"T", b"S"))
        if reply is None:
            raise Fail("no reply to %s within %ss" % (what, timeout or self.probe_timeout))
        return reply

    def probe(self):
        """Write a fresh cookie to scratch and read it back: the stub serves
        and memory access is right. Stray replies before it are skipped."""
        self.cookie = bytes(self.rng.getrandbits(8) for _ in range(8))
        self.link.drain()
        self.link.packets.clear()
        self.link.send(frame(b"M%x,8:%s" % (self.scratch, self.cookie.hex().encode())))
        self.link.send(frame(b"m%x,8" % self.scratch))
        want = self.cookie.hex().encode()
        if self.link.wait_packet(self.probe_timeout, lambda p: unrle(p) == want) is None:
            raise Fail("probe after %d packets: no reply '%s' to m%x,8 within %ss"
                       % (self.sent, want.decode(), self.scratch, self.probe_timeout))

    def expect(self, payload, what, accept):
        reply = self.request(payload, what)
        if not accept(reply):
            if self.lenient:
                print("note %s: reply %r (not what vigil must answer)" % (what, reply[:80]))
                return
            raise Fail("%s: reply %r" % (what, reply[:80]))
        print("ok %s: %r" % (what, reply[:40]))

    def known_answers(self):
        """Malformed packets with a protocol answer, checked one by one:
        E.. or empty (unsupported) for what cannot be parsed, E.. for what
        parses but cannot be done; never OK or data."""
        error = lambda r: r.startswith(b"E")
        empty = lambda r: r == b""
        error_or_empty = lambda r: r == b"" or r.startswith(b"E")
        self.expect(b"vVigilNoSuchPacket", "unknown v packet gets an empty reply", empty)
        self.expect(b"jfoo", "unknown letter gets an empty reply", empty)
        self.expect(b"mZZ,4", "m with bad hex", error_or_empty)
        self.expect(b"m%x" % self.scratch, "m without a length", error_or_empty)
        self.expect(b"mffffffffffff0000,8", "m of an unmapped address", error)
        self.expect(b"M%x,8:0011" % self.scratch, "M with too few bytes", error_or_empty)
        self.expect(b"M%x,2:zzzz" % self.scratch, "M with bad hex", error_or_empty)
        self.expect(b"p99999", "p of no register", error)
        self.expect(b"pzz", "p with bad hex", error_or_empty)
        self.expect(b"P99999=00", "P of no register", error)
        self.expect(b"Z0,ffffffffffff0000,4", "Z0 at an unmapped address", error)
        self.expect(b"Z9,%x,4" % self.scratch, "Z of an unknown type", error_or_empty)
        self.expect(b"Z2,%x,0" % self.scratch, "Z2 of length 0", error_or_empty)
        self.request(b"z2,%x,0" % self.scratch, "z2 of length 0")
        self.expect(b"Z2,%x,ffffffffffffffff" % self.scratch, "Z2 of length 2^64-1",
                    error_or_empty)
        self.request(b"z2,%x,ffffffffffffffff" % self.scratch, "z2 of length 2^64-1")
        self.expect(b"Hg99", "Hg of no thread", error)
        self.expect(b"Tzz", "T with bad hex", error_or_empty)
        self.expect(b"qXfer:features:read:nosuch.xml:0,100", "qXfer of no annex", error)
        self.expect(b"qXfer:features:read:target.xml:zz,100", "qXfer with bad hex", error_or_empty)
        # A bad checksum is answered with '-' and nothing else.
        self.link.drain()
        self.link.packets.clear()
        self.link.acks.clear()
        self.link.send(b"$m%x,8#00" % self.scratch)
        self.link.pump(1.0)
        self.link.drain()
        if self.link.acks[:1] != [b"-"] or self.link.packets:
            raise Fail("bad checksum: acks %r, replies %r" % (self.link.acks, self.link.packets))
        print("ok bad checksum gets '-' and no reply")
        # Longer than any PacketSize: the stub keeps serving.
        self.link.send(frame(b"m" + b"0" * 70000))
        self.probe()
        print("ok a 70000-byte packet, and the stub serves on")

    # ---- the random stream ---------------------------------------------------

    def hexnum(self):
        r = self.rng.random()
        if r < 0.5:
            return b"%x" % self.rng.choice(ABSURD)
        if r < 0.8:
            return b"%x" % self.rng.getrandbits(self.rng.choice((8, 16, 32, 64)))
        return self.rng.choice([b"", b"-1", b"zz", b"0x10", b"1" * 40, b"ffffffffffffffffff",
                                b" ", b",", b"-", b"\xff"])

    def random_packet(self):
        g, rng = self.rng, self.rng
        kind = rng.choice(["m", "m", "Z", "p", "H", "T", "qxfer", "q", "unknown", "vcont?",
                           "scratch-M", "scratch-X", "P-bad", "monitor", "query", "g", "?"])
        if kind == "m":
            return kind, b"m%s,%s" % (self.hexnum(), self.hexnum())
        if kind == "Z":
            t = rng.randrange(0, 6)
            addr = b"%x" % rng.choice(ABSURD) if rng.random() < 0.8 else self.hexnum()
            k = rng.choice([b"1", b"2", b"4", b"8", b"3", b"0", b"10", b"ffffffffffffffff"])
            # always taken out again at once: nothing stays behind
            return kind, [b"Z%d,%s,%s" % (t, addr, k), b"z%d,%s,%s" % (t, addr, k)]
        if kind == "p":
            return kind, b"p%s" % rng.choice([b"%x" % rng.randrange(0, 200), self.hexnum()])
        if kind == "H":
            return kind, b"H%s%s" % (rng.choice([b"g", b"c", b"x", b""]),
                                     rng.choice([b"0", b"-1", b"1", b"2", b"3", b"ff",
                                                 b"p1.1", b"p1.-1", self.hexnum()]))
        if kind == "T":
            return kind, b"T%s" % rng.choice([b"1", b"2", b"0", b"-1", b"3", self.hexnum()])
        if kind == "qxfer":
            obj = rng.choice([b"features", b"threads", b"memory-map", b"libraries", b"auxv"])
            annex = rng.choice([b"target.xml", b"", b"aarch64-core.xml", b"../x", b"a" * 300])
            return kind, b"qXfer:%s:read:%s:%s,%s" % (obj, annex, self.hexnum(), self.hexnum())
        if kind == "q":
            return kind, rng.choice([b"qC", b"qfThreadInfo", b"qsThreadInfo", b"qAttached",
                                     b"qOffsets", b"qTStatus", b"qSymbol::", b"qThreadExtraInfo,1",
                                     b"qThreadExtraInfo,%s" % self.hexnum(), b"qCRC:%s,%s"
                                     % (self.hexnum(), self.hexnum()), b"qSearch:memory:0,10:00",
                                     b"qSupported:" + bytes(rng.getrandbits(7) | 0x20
                                                            for _ in range(rng.randrange(0, 200)))])
        if kind == "unknown":
            body = bytes(rng.choice(UNKNOWN_LETTERS) for _ in range(1)) + \
                bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
            return kind, escape(body)
        if kind == "vcont?":
            return kind, rng.choice([b"vCont?", b"vMustReplyEmpty", b"vFlashDone", b"vCtrlC" * 0 + b"vNoSuch",
                                     b"vCont", b"vCont;", b"vCont;x", b"vCont;t:zz", b"vFile:nosuch"])
        if kind == "scratch-M":
            n = rng.randrange(0, 33)
            off = rng.randrange(0, 33 - n) if n < 33 else 0
            data = bytes(rng.getrandbits(8) for _ in range(n))
            return kind, b"M%x,%x:%s" % (self.scratch + off, n, data.hex().encode())
        if kind == "scratch-X":
            n = rng.randrange(0, 33)
            off = rng.randrange(0, 33 - n) if n < 33 else 0
            data = bytes(rng.getrandbits(8) for _ in range(n))
            return kind, b"X%x,%x:" % (self.scratch + off, n) + escape(data)
        if kind == "P-bad":
            return kind, b"P%x=%s" % (rng.randrange(1000, 1 << 32), b"00" * rng.randrange(0, 20))
        if kind == "monitor":
            return kind, b"qRcmd,%s" % rng.choice(SAFE_MONITOR).hex().encode()
        if kind == "query":
            return kind, b"qRcmd,%s" % rng.choice([b"zz", b"1", b"", b"6865"])
        if kind == "g":
            return kind, b"g"
        return kind, b"?"

    def mangle(self, payload):
        """One packet's bytes on the wire, possibly broken on purpose."""
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            return "valid", frame(payload)
        if r < 0.65:
            return "bad-checksum", b"$" + payload + b"#%02x" % ((checksum(payload) + 1) & 0xFF)
        if r < 0.70:
            return "bad-checksum-hex", b"$" + payload + b"#" + rng.choice([b"zz", b"g0", b"-1"])
        if r < 0.76:
            return "truncated", (b"$" + payload)[:rng.randrange(1, len(payload) + 2)]
        if r < 0.80:
            return "over-long", frame(payload + b"0" * rng.randrange(4000, 20000))
        if r < 0.86:
            # behind a letter no command starts with: never a k, D, R, ...
            return "random-binary", frame(bytes([rng.choice(UNKNOWN_LETTERS)]) + escape(
                bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))))
        if r < 0.90:
            # between packets; no '$', so it cannot open one
            return "raw-binary", bytes(rng.choice([b for b in range(256) if b != 0x24])
                                       for _ in range(rng.randrange(1, 64)))
        if r < 0.94:
            return "stray-acks", bytes(rng.choice(b"+-") for _ in range(rng.randrange(1, 6))) \
                + frame(payload)
        if r < 0.97:
            return "ctrl-c", b"\x03" + (frame(payload) if rng.random() < 0.5 else b"")
        return "rle-junk", b"$" + payload + b"*" + bytes([rng.randrange(0, 256)]) + b"#00"

    def run_and_interrupt(self):
        """Resume the guest for a moment, then Ctrl-C: a stop reply comes."""
        self.link.drain()
        self.link.packets.clear()
        self.link.send(frame(b"c"))
        self.link.pump(0.05)
        self.link.send(b"\x03")
        stop = self.link.wait_packet(self.probe_timeout,
                                     lambda p: p[:1] in (b"T", b"S"))
        if stop is None:
            raise Fail("continue + Ctrl-C after %d packets: no stop reply within %ss"
                       % (self.sent, self.probe_timeout))
        self.kinds["continue+ctrl-c"] = self.kinds.get("continue+ctrl-c", 0) + 1

    def fuzz(self, count):
        while self.sent < count:
            kind, payload = self.random_packet()
            payloads = payload if isinstance(payload, list) else [payload]
            for p in payloads:
                how, wire = self.mangle(p) if len(payloads) == 1 else ("valid", frame(p))
                self.link.send(wire)
                self.sent += 1
                key = "%s/%s" % (kind, how)
                self.kinds[key] = self.kinds.get(key, 0) + 1
            self.link.drain()
            if self.sent % 25 < len(payloads):
                # a truncated packet may still be open: end it, let the stub resync
                self.link.send(b"#00")
                self.probe()
            if self.rng.random() < 0.003:
                self.run_and_interrupt()
        self.link.send(b"#00")
        self.probe()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--scratch", type=lambda s: int(s, 0), required=True)
    p.add_argument("--packets", type=int, default=10000)
    p.add_argument("--seed", type=int, default=6)
    p.add_argument("--probe-timeout", type=float, default=10.0)
    p.add_argument("--lenient", action="store_true",
                   help="only note wrong answers to the fixed malformed packets "
                   "(for QEMU's own stub, the reference, which accepts some)")
    args = p.parse_args()
    link = Link(args.host, args.port)
    try:
        f = Fuzzer(link, args.scratch, args.seed, args.probe_timeout, args.lenient)
        # The session's first exchange, as gdb's.
        reply = f.request(b"qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+",
                          "qSupported")
        print("ok qSupported: %s" % reply.decode("latin-1")[:200])
        stop = f.request(b"?", "?", stop_reply=True)
        if stop[:1] not in (b"T", b"S"):
            raise Fail("? answered %r" % stop[:60])
        print("ok ?: %s" % stop.decode("latin-1")[:80])
        f.probe()
        f.known_answers()
        start = time.time()
        f.fuzz(args.packets)
        if link.bad:
            raise Fail("%d replies with a bad checksum, first %r" % (len(link.bad), link.bad[0]))
        print("ok %d packets (seed %d) in %.1fs, the stub answered every probe"
              % (f.sent, args.seed, time.time() - start))
        for k in sorted(f.kinds):
            print("  %-28s %d" % (k, f.kinds[k]))
        link.sock.close()
    except Fail as e:
        print("the last things sent, oldest first:")
        for data in link.trace:
            print("  %r" % data)
        print("FAIL %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Latency of a GDB remote-protocol request: the yardstick for vigil's own
network path in `make bench` (tools/bench-net.sh).

    rsp_latency.py PORT N

Connects to the gdbstub on 127.0.0.1:PORT (retrying for up to 60 s while
QEMU starts), asks for no-ack mode (QEMU 7.2 does not have it: then every
reply is acknowledged, with the next request), and sends the qSupported
packet gdb sends first, N times, each time waiting for the whole reply.
Prints "rsp_latency: median_us=M p90_us=P n=N ack_mode=yes|no"; exit status
1 on any protocol error.
"""
import socket
import statistics
import sys
import time

# What gdb-multiarch 13 sends first.
QSUPPORTED = (b"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;"
              b"fork-events+;vfork-events+;exec-events+;vContSupported+;"
              b"QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=i386")


def packet(body):
    return b"$" + body + b"#" + b"%02x" % (sum(body) & 0xff)


class Stub:
    def __init__(self, port):
        deadline = time.monotonic() + 60
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def drain(self, seconds):
        """Whatever the stub says unasked (QEMU: a stop reply on connect)."""
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(65536):
                pass
        except socket.timeout:
            pass
        self.sock.settimeout(10)
        self.buf = b""

    def reply(self):
        """The body of the next $...#xx packet (acks and noise skipped)."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start) if start >= 0 else -1
            if end >= 0 and len(self.buf) >= end + 3:
                body = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                return body
            data = self.sock.recv(65536)
            if not data:
                raise OSError("the stub closed the connection")
            self.buf += data


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    stub = Stub(port)
    stub.drain(0.5)
    stub.sock.sendall(b"+" + packet(b"QStartNoAckMode"))
    ack_mode = stub.reply() != b"OK"
    ack = b"+"  # for the reply just read; none once no-ack mode is on
    times = []
    for _ in range(n):
        t = time.perf_counter()
        stub.sock.sendall(ack + packet(QSUPPORTED))
        body = stub.reply()
        times.append(time.perf_counter() - t)
        ack = b"+" if ack_mode else b""
        if b"PacketSize=" not in body:
            print(f"rsp_latency: unexpected reply {body[:60]!r}")
            return 1
    times.sort()
    print(f"rsp_latency: median_us={statistics.median(times) * 1e6:.0f} "
          f"p90_us={times[int(n * 0.9)] * 1e6:.0f} n={n} "
          f"ack_mode={'yes' if ack_mode else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

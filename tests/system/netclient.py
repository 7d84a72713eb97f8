#!/usr/bin/env python3
"""Client of vigil's TCP echo service (vigil.cfg "net.echo"), for the
system tests: QEMU user networking forwards a port of 127.0.0.1 to it.

    netclient.py [--host H] --port P [--wait S] CHECK...

Checks, run in order on fresh connections:
  echo        a short message and a 64 KiB one come back byte for byte
  bulk        1 MiB of random data comes back byte for byte
  churn       200 connections opened, used and closed one after the other,
              then a 201st: each sends its own message and checks its echo
  rtt[=N]     N (default 200) one-byte round trips on one connection; prints
              the median and 90th percentile latency (measurement only)

Until vigil's network is up (DHCP takes a moment), QEMU still accepts the
connection and then drops it: the first connection is retried, with a fresh
socket each time, until an echo comes back or --wait seconds have passed.
After that every connection must work at once.

One line per check: "netclient: ok <check> ..." or "netclient: FAIL <check>:
<reason>"; the exit status is 1 after the first failure.
"""
import argparse
import os
import socket
import statistics
import sys
import threading
import time

IO_TIMEOUT = 20.0


class Failure(Exception):
    pass


def connect(host, port):
    s = socket.create_connection((host, port), timeout=IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exactly(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(65536, n - len(buf)))
        if not chunk:
            raise Failure(f"connection closed after {len(buf)} of {n} bytes")
        buf.extend(chunk)
    return bytes(buf)


def expect_echo(s, data):
    s.sendall(data)
    got = recv_exactly(s, len(data))
    if got != data:
        first = next(i for i in range(len(data)) if got[i] != data[i])
        raise Failure(f"echo differs at byte {first} of {len(data)}")


def expect_eof(s):
    """After our shutdown, vigil closes its side too: recv() returns b''."""
    s.shutdown(socket.SHUT_WR)
    extra = s.recv(1)
    if extra:
        raise Failure(f"unexpected data after the echo: {extra!r}")


def wait_until_up(host, port, wait_s):
    """The first working connection: an echo of a short probe."""
    deadline = time.monotonic() + wait_s
    attempts, last = 0, "no attempt"
    while time.monotonic() < deadline:
        attempts += 1
        try:
            s = connect(host, port)
            s.settimeout(2.0)
            expect_echo(s, b"vigil?\n")
            s.settimeout(IO_TIMEOUT)
            return s, attempts
        except (OSError, Failure) as e:
            last = str(e) or type(e).__name__
            try:
                s.close()
            except (NameError, OSError):
                pass
            time.sleep(0.5)
    raise Failure(f"no echo from {host}:{port} within {wait_s:.0f} s "
                  f"({attempts} attempts; last: {last})")


def check_echo(host, port):
    s = connect(host, port)
    expect_echo(s, b"hello, vigil\n")
    expect_echo(s, os.urandom(64 * 1024))
    expect_eof(s)
    s.close()
    return "short message and 65536 bytes"


def check_bulk(host, port):
    data = os.urandom(1 << 20)
    s = connect(host, port)
    got = bytearray()
    error = []

    # Read while writing: an echo peer that is not read stops reading too.
    def reader():
        try:
            while len(got) < len(data):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got.extend(chunk)
        except OSError as e:
            error.append(e)

    t = threading.Thread(target=reader)
    start = time.monotonic()
    t.start()
    s.sendall(data)
    t.join(IO_TIMEOUT * 6)
    elapsed = time.monotonic() - start
    if t.is_alive():
        s.close()
        raise Failure(f"only {len(got)} of {len(data)} bytes back after "
                      f"{elapsed:.1f} s")
    if error:
        raise Failure(f"after {len(got)} bytes: {error[0]}")
    if bytes(got) != data:
        if len(got) != len(data):
            raise Failure(f"{len(got)} bytes back, expected {len(data)}")
        first = next(i for i in range(len(data)) if got[i] != data[i])
        raise Failure(f"echo differs at byte {first}")
    expect_eof(s)
    s.close()
    return f"{len(data)} bytes in {elapsed:.2f} s"


def check_churn(host, port, count=200):
    for i in range(count + 1):
        try:
            s = connect(host, port)
            expect_echo(s, f"connection {i} of {count + 1}\n".encode())
            expect_eof(s)
            s.close()
        except (OSError, Failure) as e:
            raise Failure(f"connection {i}: {e}")
    return f"{count} connections, then the {count + 1}st"


def check_rtt(host, port, n):
    s = connect(host, port)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        s.sendall(b"x")
        if recv_exactly(s, 1) != b"x":
            raise Failure("wrong byte back")
        times.append(time.perf_counter() - t)
    expect_eof(s)
    s.close()
    times.sort()
    return (f"{n} round trips: median {statistics.median(times) * 1e6:.0f} us, "
            f"p90 {times[int(n * 0.9)] * 1e6:.0f} us")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--wait", type=float, default=60.0,
                    help="seconds to wait for the first echo (default 60)")
    ap.add_argument("checks", nargs="+")
    args = ap.parse_args()

    try:
        s, attempts = wait_until_up(args.host, args.port, args.wait)
        expect_eof(s)
        s.close()
        print(f"netclient: ok up after {attempts} attempt(s)", flush=True)
    except (OSError, Failure) as e:
        print(f"netclient: FAIL up: {e}", flush=True)
        return 1
    for check in args.checks:
        name, _, arg = check.partition("=")
        try:
            if name == "echo":
                what = check_echo(args.host, args.port)
            elif name == "bulk":
                what = check_bulk(args.host, args.port)
            elif name == "churn":
                what = check_churn(args.host, args.port)
            elif name == "rtt":
                what = check_rtt(args.host, args.port, int(arg or 200))
            else:
                print(f"netclient: unknown check '{check}'", file=sys.stderr)
                return 2
        except (OSError, Failure) as e:
            print(f"netclient: FAIL {name}: {e}", flush=True)
            return 1
        print(f"netclient: ok {name}: {what}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

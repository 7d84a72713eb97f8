# tests/system/gdb/gdbcommon.py - what the gdb-side scripts in this folder
# share (gdbtest.py for the gdbtarget sessions, linux.py for the Linux
# ones): assertions, running a gdb command with its output shown, and
# interrupting a `continue` after a while.
# gdb-multiarch runs those scripts with -x, which does not put their folder
# on sys.path: they add it before `from gdbcommon import ...`.
import os
import signal
import threading
import time

import gdb


def check(cond, what):
    """Print "CHECK ok: WHAT" or "CHECK FAIL: WHAT"; a failure raises
    gdb.GdbError, which ends the script."""
    if cond:
        print("CHECK ok: %s" % what)
    else:
        print("CHECK FAIL: %s" % what)
        raise gdb.GdbError("check failed: %s" % what)


def check_eq(what, expected, got):
    check(expected == got, "%s: expected %s, got %s" % (what, fmt(expected), fmt(got)))


def fmt(v):
    return hex(v) if isinstance(v, int) else repr(v)


def run(command):
    """Run a gdb command and also show its output (gdb.execute hides it)."""
    out = gdb.execute(command, to_string=True)
    # `set debug remote 1` lands in the string too: keep gdb's own output.
    out = "".join(l for l in out.splitlines(True) if not l.lstrip().startswith("[remote] "))
    print(out, end="" if out.endswith("\n") or not out else "\n")
    return out


def interrupt_after(seconds, how="sigint"):
    """While the next `continue` runs: after a while, Ctrl-C (SIGINT to gdb,
    as from a terminal) or the `interrupt` command."""

    def later():
        time.sleep(seconds)
        if how == "sigint":
            os.kill(os.getpid(), signal.SIGINT)
        else:
            gdb.post_event(lambda: gdb.execute("interrupt"))

    threading.Thread(target=later, daemon=True).start()

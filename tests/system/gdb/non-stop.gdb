# Non-stop mode (`set non-stop on` before `target remote`, which the driver
# gives): connecting leaves cpu 0 stopped and cpu 1 running; cpu 0 stops at
# a breakpoint while cpu 1 keeps counting; a hardware breakpoint set while
# cpu 1 runs stops cpu 1 (its debug registers are reloaded under it);
# `continue` runs the selected thread only; `interrupt` stops one thread;
# `thread apply all bt` on the stopped ones; `continue -a` runs both and
# `interrupt -a` stops both; detach with everything stopped (non-stop-after
# then finds the guest running, its code intact).
#
# gdb in -batch mode handles stop notifications only while a foreground
# command waits, and such a command ends at the first stop of any thread:
# each wait below is a foreground `continue` whose only possible stop is
# the one waited for. Whether vCPUs run is also read from guest memory.
python
import threading
import time

check(gdb.parameter("non-stop"), "gdb is in non-stop mode")
t1, t2 = thread_of_cpu(0), thread_of_cpu(1)
check(t1.is_stopped() and t2.is_running(), "connected: thread 1 stopped, thread 2 running")

def advances(expr, thread, seconds=1.0):
    """expr (read through a stopped thread) before and after a while."""
    thread.switch()
    before = val(expr)
    time.sleep(seconds)
    thread.switch()
    return before, val(expr)

# 1. A breakpoint on cpu 0 while cpu 1 runs.
run("break target_fn")
t1.switch()
gdb.execute("continue")
check_eq("thread 1 stopped in", "target_fn", function())
check(t1.is_stopped() and t2.is_running(), "thread 1 stopped, thread 2 still running")
pc1, it1, x0 = pc(), val("iteration"), reg("x0")
c0, c1 = advances("cpu1_counter", t1)
check(c1 > c0, "cpu 1 counts while cpu 0 is stopped (cpu1_counter %d -> %d)" % (c0, c1))
check_eq("thread 1's pc while thread 2 ran", pc1, pc())
check_eq("thread 1's x0 while thread 2 ran", x0, reg("x0"))
check_eq("iteration while thread 1 was stopped", it1, val("iteration"))

# 2. A hardware breakpoint inserted while cpu 1 runs: cpu 1 takes it (the
# wait: thread 1's `continue`, which nothing else stops).
gdb.execute("delete")
run("hbreak-mark cpu1-loop")
t1.switch()
gdb.execute("continue")
check(t2.is_stopped() and t1.is_running(), "thread 2 stopped, thread 1 runs")
t2.switch()
check_eq("thread 2 stopped at the hbreak set while it ran, line", mark("cpu1-loop"), line())
check_eq("thread 2 stopped in", "cpu1_loop", function())
gdb.execute("delete")
# `continue` ran thread 1 alone.
i0, i1 = advances("iteration", t2)
c0, c1 = advances("cpu1_counter", t2)
check(i1 > i0, "thread 1 runs alone (iteration %d -> %d)" % (i0, i1))
check_eq("cpu1_counter while only thread 1 runs", c0, c1)

# 3. `interrupt` stops one thread: thread 2's `continue` (thread 1 runs
# on), and a second later, from another thread, `interrupt` of thread 1.
def later(action, seconds=1.0):
    """action() in gdb's main thread after a while (while a foreground
    command waits)."""
    def wait_then_post():
        time.sleep(seconds)
        gdb.post_event(action)
    threading.Thread(target=wait_then_post, daemon=True).start()

later(lambda: (t1.switch(), gdb.execute("interrupt")))
t2.switch()
gdb.execute("continue")
check(t1.is_stopped() and t2.is_running(), "`interrupt` stopped thread 1 only")
i0, i1 = advances("iteration", t1)
c0, c1 = advances("cpu1_counter", t1)
check_eq("iteration after `interrupt`", i0, i1)
check(c1 > c0, "thread 2 runs on (cpu1_counter %d -> %d)" % (c0, c1))
end
# On the stopped threads (-s: the running one is skipped).
thread apply all -s bt
python
# 4. `continue -a`: every thread runs, until `interrupt -a` (posted from
# another thread a second later) stops them all. (`continue -a &` is the
# same resume, but gdb -batch sends a background resume only once its
# event loop runs, which a script cannot make it do.)
i0, c0 = val("iteration"), val("cpu1_counter")
later(lambda: gdb.execute("interrupt -a"))
gdb.execute("continue -a")
time.sleep(1.0)
i1, c1 = val("iteration"), val("cpu1_counter")
check(i1 > i0 and c1 > c0, "both ran (iteration %d -> %d, cpu1_counter %d -> %d)"
      % (i0, i1, c0, c1))
time.sleep(1.0)
check(val("iteration") == i1 and val("cpu1_counter") == c1,
      "nothing runs after `interrupt -a` (iteration %d, cpu1_counter %d)" % (i1, c1))
if TARGET == "vigil":
    out = run("monitor vcpus")
    check(out.count(": stopped at") == 2, "the stub has both vCPUs stopped")
end
# gdb has taken one of the two stops `interrupt -a` caused, and gdb 13.1
# crashes in `detach` with a stop notification not yet taken (a
# foreground command to take it would resume a thread, whose stop would
# then be the one left): leave with `disconnect`, which vigil's stub takes
# as a detach too (breakpoints out, every vCPU runs).
disconnect
done

# The session attached while second-refused.gdb tries to connect: it is
# unaffected (the guest stays stopped meanwhile, then runs on command).
python
iteration0 = val("iteration")
mark_ready()
import time
release = os.environ["GDBTEST_RELEASE"]
deadline = time.time() + 120
while not os.path.exists(release) and time.time() < deadline:
    time.sleep(0.2)
check(os.path.exists(release), "the second client is done")
check_eq("iteration while the second client tried", iteration0, val("iteration"))
check_guest_runs()
end
bt 1
done

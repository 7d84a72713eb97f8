# First session of disconnect-reattach: breakpoints and watchpoints of every
# kind inserted, the guest resumed (it stops at one of them at once), and
# the connection dropped without a word (no D): the stub must take them all
# out and let the guest run. reattach.gdb checks.
break target_fn
hbreak hw_target
watch watch_write
awatch watch_access
python
save_state(iteration=val("iteration"), cpu1_counter=val("cpu1_counter"))
end
continue &
python
import time
time.sleep(1.0)
print("GDBTEST DONE")
gdb.flush()
os._exit(0)
end

# gdb.freeze_time = on (the default): the guest's virtual counter does not
# run while the debugger holds the guest (gdbtest.py, measure_hold). Held
# 6 s, run 1 s: the guest sees about the running second (under half the
# hold, room for the latency of a stop under TCG); the tick that fell due
# during the hold comes when it is due in the guest's time, a tick's
# latency late (under half a tick period), and never early.
python
advance, late = measure_hold()
check(advance < HOLD_S / 2, "guest time advanced %.2f s across a %d s hold: the stop is not seen"
      % (advance, HOLD_S))
check(late < TICK_S / 2, "the tick due during the hold came on time in guest time (%.3f s late)"
      % late)
end
done

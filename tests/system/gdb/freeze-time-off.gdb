# gdb.freeze_time = off: the guest's virtual counter runs on while the
# debugger holds the guest, so the measurement of freeze-time.gdb sees the
# whole hold, and the tick due 0.5 s into it comes 5.5 s late (which
# proves that freeze-time's checks can fail).
python
advance, late = measure_hold()
check(advance >= HOLD_S, "guest time advanced %.2f s across a %d s hold: the stop is seen"
      % (advance, HOLD_S))
check(late >= HOLD_S - TICK_S - 0.5, "the tick due during the hold came %.3f s late" % late)
end
done

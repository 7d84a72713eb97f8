# Second session of wait-reset: after `monitor reset` the guest is held at
# its entry again (the second waiting line); `kill`, with gdb.on_kill =
# reset, resets it once more. wait-again.gdb attaches to the third boot.
python
check_held_at_entry(2)
end
kill
done

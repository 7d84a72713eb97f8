# Last session of wait-reset: after `kill` (gdb.on_kill = reset) vigil
# booted again and holds the guest at its entry once more (the third
# waiting line); the detach at the end lets it run (the driver then waits
# for "ready").
python
check_held_at_entry(3)
check_eq("'guest: gdbtarget start' lines (the first boot's only)", 1,
         serial_lines().count("guest: gdbtarget start"))
end
done
detach

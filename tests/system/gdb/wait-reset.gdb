# First session of wait-reset (gdb.wait = on, a static address, QEMU
# reboots on a reset): held at the entry; run to guest_main, then
# `monitor reset`. wait-again.gdb attaches to the rebooted guest.
python
check_held_at_entry(1)
end
tbreak guest_main
continue
python
check("guest: gdbtarget start" in serial_lines(), "the guest ran up to guest_main")
end
monitor reset
done

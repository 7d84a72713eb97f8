# gdb.wait = on (QEMU: -S): the guest is held at its first instruction.
# The first stop is its entry point, before it printed anything; a software
# and a hardware breakpoint set there are hit, a stepi works as the first
# resume, and the guest then runs normally (both vCPUs).
python
check_held_at_entry()
entry = pc()
# A system register written while the guest is held reaches it (the guest
# never touches this one): a write before the first instruction counts.
# (QEMU 7.2's stub does not write system registers.)
if TARGET == "vigil":
    gdb.execute("set var $tpidrro_el0 = 0x5a5a")
end
break boot_main
hbreak guest_main
stepi
python
check_eq("pc after a stepi from the entry", entry + 4, pc())
if TARGET == "vigil":
    check_eq("tpidrro_el0 written at the entry, after a stepi", 0x5A5A,
             reg("tpidrro_el0"))
    gdb.execute("set var $tpidrro_el0 = 0")
guest = [l for l in serial_lines() if l.startswith("guest:")]
check_eq("guest console lines after one instruction", [], guest)
end
continue
python
check_eq("function at the software breakpoint", "boot_main", function())
guest = [l for l in serial_lines() if l.startswith("guest:")]
check_eq("guest console lines at boot_main (its first line prints)", [], guest)
end
continue
python
check_eq("function at the hardware breakpoint", "guest_main", function())
check("guest: gdbtarget start" in serial_lines(),
      "the guest printed its first line on the way to guest_main")
end
delete
python
check_guest_runs(3)
check("guest: gdbtarget: ready" in serial_lines(), "the guest got to 'ready'")
end
info threads
done

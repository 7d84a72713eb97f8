# info registers, and the system registers of both vCPUs, read by the names
# QEMU's gdbstub gives them (vigil uses the same, so scripts written against
# QEMU work unchanged): values the guest set itself (start.S: SCTLR,
# VBAR, TPIDR_EL1 = its cpu index, EL1; gdbtarget.c: SP_EL0, TPIDR_EL0,
# CONTEXTIDR_EL1, MAIR_EL1).
info registers
python
vectors = address_of("exception_vectors")
for cpu in (0, 1):
    thread_of_cpu(cpu).switch()
    check_eq("cpu %d SCTLR" % cpu, 0x30d0081a, reg("SCTLR"))
    check_eq("cpu %d VBAR" % cpu, vectors, reg("VBAR"))
    check_eq("cpu %d TPIDR_EL1" % cpu, cpu, reg("TPIDR_EL1"))
    check_eq("cpu %d SP_EL0" % cpu, 0xffff000012345000 + cpu, reg("SP_EL0"))
    check_eq("cpu %d TPIDR_EL0" % cpu, 0x0000aaaabbbb0000 + cpu, reg("TPIDR_EL0"))
    check_eq("cpu %d CONTEXTIDR_EL1" % cpu, 0x4c0 + cpu, reg("CONTEXTIDR_EL1"))
    check_eq("cpu %d MAIR_EL1" % cpu, 0x000000040044ff00, reg("MAIR_EL1"))
    check_eq("cpu %d cpsr.EL" % cpu, 1, (reg("cpsr") >> 2) & 3)
thread_of_cpu(0).switch()
# What the kernel's scripts/gdb do with $SP_EL0 (linux/cpus.py,
# get_current_task): shift it to tell a kernel address, then cast it.
sp_el0 = gdb.parse_and_eval("$SP_EL0")
check(int(sp_el0 >> 63) != 0,
      "($SP_EL0 >> 63) != 0, as scripts/gdb/linux/cpus.py computes")
check_eq("$SP_EL0 cast to a pointer", 0xffff000012345000,
         int(sp_el0.cast(gdb.lookup_type("unsigned long").pointer())))
run("info registers SCTLR VBAR SP_EL0")
run("info registers fpsr fpcr")
run("print $v0.d.u[0] == $v0.d.u[0]")
for name in ("TCR_EL1", "TTBR0_EL1", "TTBR1_EL1", "ESR_EL1", "FAR_EL1",
             "ELR_EL1", "SPSR_EL1", "SP_EL1", "TPIDRRO_EL0"):
    value = gdb.parse_and_eval("$" + name)  # void if no such register
    check(value.type.code != gdb.TYPE_CODE_VOID, "$%s exists" % name)
end
python
if TARGET == "vigil":
    run("info registers system")
    check_eq("el", 1, reg("el"))
    gdb.execute("set var $TPIDRRO_EL0 = 0x1234567")
    gdb.execute("maint flush register-cache")
    check_eq("TPIDRRO_EL0 written and read back", 0x1234567, reg("TPIDRRO_EL0"))
    gdb.execute("set var $TPIDRRO_EL0 = 0")
    try:
        gdb.execute("set var $el = 2")
        refused = False
    except gdb.error as e:
        print("set $el: %s" % e)
        refused = True
    gdb.execute("maint flush register-cache")
    check(refused and reg("el") == 1, "el is read-only")
end
done

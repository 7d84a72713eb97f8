# info registers, and the system registers of both vCPUs: values the guest
# set itself (SCTLR_EL1, VBAR_EL1, TPIDR_EL1 = its cpu index, EL1).
info registers
python
vectors = address_of("exception_vectors")
for cpu in (0, 1):
    thread_of_cpu(cpu).switch()
    check_eq("cpu %d %s" % (cpu, SYSREG["sctlr"]), 0x30d0081a, reg(SYSREG["sctlr"]))
    check_eq("cpu %d %s" % (cpu, SYSREG["vbar"]), vectors, reg(SYSREG["vbar"]))
    check_eq("cpu %d %s" % (cpu, SYSREG["tpidr_el1"]), cpu, reg(SYSREG["tpidr_el1"]))
    check_eq("cpu %d cpsr.EL" % cpu, 1, (reg("cpsr") >> 2) & 3)
thread_of_cpu(0).switch()
run("info registers %s %s" % (SYSREG["sctlr"], SYSREG["vbar"]))
run("info registers fpsr fpcr")
run("print $v0.d.u[0] == $v0.d.u[0]")
end
python
if TARGET == "vigil":
    run("info registers system")
    check_eq("el", 1, reg("el"))
    gdb.execute("set var $tpidrro_el0 = 0x1234567")
    gdb.execute("maint flush register-cache")
    check_eq("tpidrro_el0 written and read back", 0x1234567, reg("tpidrro_el0"))
    gdb.execute("set var $tpidrro_el0 = 0")
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

# vigil's monitor commands (qRcmd): help, vcpus, stats, phys, step-irqs, and
# an unknown one, which must fail.
monitor help
monitor vcpus
monitor stats
monitor step-irqs
monitor step-irqs on
monitor step-irqs off
python
# The guest runs with its MMU off, so a variable's physical address is its
# virtual one: the same bytes either way, and outside guest RAM neither.
where = address_of("iteration")
value = val("iteration")
gdb.execute("monitor phys on")
check_eq("iteration read at its physical address", value,
         int(gdb.parse_and_eval("*(unsigned long *)%d" % where)))
try:
    gdb.execute("x/wx 0x1000")
    refused = False
except gdb.error as e:
    print("physical 0x1000: %s" % e)
    refused = True
check(refused, "a physical address outside guest RAM is refused")
gdb.execute("monitor phys off")
try:
    gdb.execute("monitor frobnicate")
    failed = False
except gdb.error as e:
    failed = True
check(failed, "an unknown monitor command fails")
end
monitor phys
done

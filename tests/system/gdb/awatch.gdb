# An access watchpoint on watch_access (read once, then written +1, per
# iteration): the hits alternate read, write, read, write, ..., as the
# values show: a read leaves the value, a write adds 1.
break watch_accesses
continue
delete
awatch watch_access
python
v = val("watch_access")
got = []
for i in range(6):
    gdb.execute("continue")
    got.append(val("watch_access"))
    check_eq("hit %d in" % (i + 1), "watch_accesses", function())
check_eq("watch_access at the 6 hits", [v, v + 1, v + 1, v + 2, v + 2, v + 3], got)
end
info watchpoints
delete
# A watch that straddles a doubleword (bytes 6-9 of watch_write's 16-byte
# slot): no single hardware watchpoint covers it, the stub splits it in two.
# watch_writes() stores to watch_write twice per iteration.
awatch *(unsigned int *)((char *)&watch_write + 6)
python
for i in range(2):
    gdb.execute("continue")
    check_eq("straddling watch hit %d in" % (i + 1), "watch_writes", function())
end
info watchpoints
done

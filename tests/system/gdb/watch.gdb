# A write watchpoint sees every write of watch_write, in order: from the
# start of watch_writes(n), the values 2n-1, 2n, 2n+1, ... and nothing else.
break watch_writes
continue
delete
watch watch_write
python
n = val("n")
seen = []
for i in range(6):
    gdb.execute("continue")
    seen.append(val("watch_write"))
    check_eq("hit %d in" % (i + 1), "watch_writes", function())
check_eq("watch_write after each of 6 hits", [2 * n - 1 + i for i in range(6)], seen)
end
info watchpoints
done

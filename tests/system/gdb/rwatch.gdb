# A read watchpoint sees the 3 reads of watch_read per iteration, on their
# 3 source lines in order, twice round; watch_read itself never changes.
break watch_reads
continue
delete
rwatch watch_read
python
lines = []
for i in range(6):
    gdb.execute("continue")
    lines.append(line())
    check_eq("watch_read at hit %d" % (i + 1), 0x5eed, val("watch_read"))
r = [mark("watch-read-1"), mark("watch-read-2"), mark("watch-read-3")]
check_eq("lines of the 6 read hits", r + r, lines)
end
info watchpoints
done

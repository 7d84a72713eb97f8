# One thread per vCPU, cpu 1's in its loop.
info threads
python
ts = threads()
check_eq("number of threads", 2, len(ts))
check_eq("stub thread ids", [1, 2], sorted(t.ptid[1] for t in ts))
for t in ts:
    if t.ptid[1] == 2:
        t.switch()
        check_eq("function of cpu 1's thread", "cpu1_loop", function())
end
done

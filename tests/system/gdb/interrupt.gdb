# Stop a running guest: Ctrl-C (SIGINT to gdb), then the `interrupt`
# command; both vCPUs ran in between.
python
iteration0, counter0 = val("iteration"), val("cpu1_counter")
interrupt_after(1.0, "sigint")
end
continue
python
check(val("iteration") > iteration0, "cpu 0 ran until Ctrl-C")
check(val("cpu1_counter") > counter0, "cpu 1 ran until Ctrl-C")
iteration0, counter0 = val("iteration"), val("cpu1_counter")
interrupt_after(1.0, "interrupt")
end
continue
python
check(val("iteration") > iteration0, "cpu 0 ran until interrupt")
check(val("cpu1_counter") > counter0, "cpu 1 ran until interrupt")
check_eq("threads after the interrupts", 2, len(threads()))
end
# Ctrl-C reports the stop on the thread gdb resumed, not on whichever vCPU
# happened to stop first.
thread 2
python
interrupt_after(1.0, "sigint")
end
continue
python
if TARGET == "vigil":
    check_eq("Ctrl-C stops on the resumed thread", 2, gdb.selected_thread().num)
end
done

# With scheduler-locking on, stepping one vCPU's thread leaves the other
# where it is: cpu 1 steps 20 times, cpu 0's pc and counter do not move;
# then the other way round.
set scheduler-locking on
python
cpu0, cpu1 = thread_of_cpu(0), thread_of_cpu(1)
cpu0.switch()
pc0, iteration0, x0_0 = pc(), val("iteration"), reg("x0")
cpu1.switch()
pc1, counter1 = pc(), val("cpu1_counter")
for i in range(20):
    gdb.execute("stepi", to_string=True)
    check_eq("cpu 1 after stepi %d is in" % (i + 1), "cpu1_loop", function())
check(val("cpu1_counter") > counter1, "cpu 1 counted while stepping (%d -> %d)"
      % (counter1, val("cpu1_counter")))
cpu0.switch()
check_eq("cpu 0's pc after cpu 1 stepped", pc0, pc())
check_eq("cpu 0's x0 after cpu 1 stepped", x0_0, reg("x0"))
check_eq("iteration after cpu 1 stepped", iteration0, val("iteration"))
cpu1.switch()
pc1, counter1 = pc(), val("cpu1_counter")
cpu0.switch()
for i in range(20):
    gdb.execute("stepi", to_string=True)
check(pc() != pc0, "cpu 0 moved when stepped")
cpu1.switch()
check_eq("cpu 1's pc after cpu 0 stepped", pc1, pc())
check_eq("cpu1_counter after cpu 0 stepped", counter1, val("cpu1_counter"))
end
done

# Second session of kill-reattach: the guest did not move after `kill`, and
# runs normally once continued.
python
old = load_state()
check_eq("cpu 0 stayed stopped (iteration)", old["iteration"], val("iteration"))
check_eq("cpu 1 stayed stopped (cpu1_counter)", old["cpu1_counter"], val("cpu1_counter"))
check_eq("cpu 0 pc unchanged", old["pc"], pc())
check_code_intact()
check_guest_runs()
end
done

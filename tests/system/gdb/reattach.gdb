# Second session of detach-reattach and disconnect-reattach: the guest ran
# on after the first session, with none of its breakpoints left.
python
old = load_state()
check(val("iteration") > old["iteration"],
      "cpu 0 ran after the first session (iteration %d -> %d)" % (old["iteration"], val("iteration")))
check(val("cpu1_counter") > old["cpu1_counter"],
      "cpu 1 ran after the first session (cpu1_counter %d -> %d)"
      % (old["cpu1_counter"], val("cpu1_counter")))
check_code_intact()
check_guest_runs()
end
info breakpoints
bt 1
done

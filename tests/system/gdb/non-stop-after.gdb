# After the non-stop session detached with everything running: an
# all-stop session finds both vCPUs running and no breakpoint left.
python
check(not gdb.parameter("non-stop"), "all-stop again")
check_guest_runs()
check_code_intact()
end
done

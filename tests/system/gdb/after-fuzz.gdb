# After gdbfuzz.py: a normal session works and the guest is alive and well.
python
check_code_intact()
check_guest_runs()
end
break target_fn
continue
bt 4
info registers pc
# Without the breakpoint, or vCPU 0 stops again within one loop iteration,
# before vCPU 1 has had a chance to run.
delete
python
check_guest_runs()
end
done

# After gdbfuzz.py: a normal session works and the guest is alive and well.
python
check_code_intact()
check_guest_runs()
end
break target_fn
continue
bt 4
info registers pc
python
check_guest_runs()
end
done

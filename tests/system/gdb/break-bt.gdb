# break on a function, continue, bt: the frames of the call chain in order;
# a second continue stops there again one iteration later.
break target_fn
continue
bt 5
python
first = val("v")
check_eq("stopped on the thread of cpu 0 (stub thread id)", 1, gdb.selected_thread().ptid[1])
end
continue
python
check_eq("target_fn's argument one iteration later", first + 1, val("v"))
check_at("target-1", "target_fn")
end
info breakpoints
done

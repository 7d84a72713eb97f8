# First session of detach-reattach: breakpoints and watchpoints of every
# kind, hits, then detach. reattach.gdb checks what the guest did meanwhile.
break target_fn
hbreak hw_target
watch watch_write
rwatch watch_read
continue
continue
continue
info breakpoints
python
save_state(iteration=val("iteration"), cpu1_counter=val("cpu1_counter"))
end
done
detach

# First session of kill-reattach: a breakpoint, a hit, then `kill`. With
# gdb.on_kill = stop (the default) the guest stays stopped where it was,
# with no breakpoint left; kill-after.gdb checks that.
break target_fn
continue
delete
python
save_state(iteration=val("iteration"), cpu1_counter=val("cpu1_counter"),
           pc=pc())
end
kill
done

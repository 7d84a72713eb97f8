# Source stepping: next, step into a call, next, finish, next; then next
# over one line of 1000 instructions (a single range step where the stub
# supports it), which must run exactly those 1000 adds.
break source_walk
continue
delete
check-at walk-1 source_walk
next
check-at walk-2 source_walk
next
check-at walk-3 source_walk
python
b = val("b")
end
step
check-at helper-1 walk_helper
next
check-at helper-2 walk_helper
next
check-at helper-3 walk_helper
finish
python
check_eq("walk_helper's value", 3 * b + 1, val("$"))
check_at("walk-3", "source_walk")
end
next
check-at walk-4 source_walk
tbreak-mark range-line
continue
check-at range-line range_step_line
python
x9 = reg("x9")
end
next
check-at range-after range_step_line
python
check_eq("x9 after next over the 1000-instruction line", (x9 + 1000) & (2**64 - 1), reg("x9"))
end
done

# A hardware breakpoint: hit twice, once per iteration.
hbreak hw_target
continue
python
first = val("hw_target_calls")
end
continue
python
check_eq("hw_target_calls between two hits", first + 1, val("hw_target_calls"))
check_at("hw-target", "hw_target")
end
info breakpoints
done

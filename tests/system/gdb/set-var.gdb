# Writes that the guest then uses: a global it copies, a local it computes
# with, and a register (x9 before the 1000 adds).
set var set_var_target = 0x5a5a5a5a12345678
print/x set_var_target
tbreak-mark loop-end
continue
print/x set_var_seen
tbreak-mark walk-3
continue
python
a = val("a")
end
set var b = 100
next
next
python
check_eq("walk_result computed from b = 100", a + 301, val("walk_result"))
end
tbreak-mark range-line
continue
set var $x9 = 7
maint flush register-cache
print $x9
next
print $x9
done

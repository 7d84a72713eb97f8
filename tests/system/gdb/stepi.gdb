# stepi x100 from level1 through calls and returns: every pc is where the
# instruction before it leads (its disassembly says), never in the vector
# table or the interrupt handler although the timer ticks all along, and no
# tick is taken while stepping.
break level1
continue
delete
python
vectors = address_of("exception_vectors")
forbidden = {"the vector table": (vectors, vectors + 0x800),
             "tick_hook": function_range("tick_hook"),
             "handle_exception": function_range("handle_exception")}
ticks = val("timer_ticks")
path = stepi_checked(100, forbidden)
print("stepi path: " + " ".join(path))
check_eq("timer ticks taken while stepping", ticks, val("timer_ticks"))
end
done

# A second client while another session is attached: `target remote`
# (run by the driver) must fail, with the stub's reason where it has one.
info threads
done

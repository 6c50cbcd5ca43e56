"""What the tests check in the guest, one module per kind of check.

posix, mountcheck, lifecycle, faults, vector, datacheck and powercut each return problem
strings (or raise) so one run reports everything a filesystem gets wrong. guest/ holds
the scripts copied into the guest and run there; they import nothing of ours.
"""

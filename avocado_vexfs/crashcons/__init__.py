"""Crash-consistency explorer: bounded workloads checked at every persistence point.

workload  the text format (one operation a line) and the generator from cfg bounds
model     what each persistence call made durable: the facts a crash state must keep
check     the crash states the guest observed against the facts; failures by signature
explorer  runs workloads in a guest (checks/guest/crashcons.py) and reports
The approach follows CrashMonkey/Ace (OSDI 2018): small workloads on a fresh filesystem,
every crash state after an fsync-family call replayed from a dm-log-writes log.
"""

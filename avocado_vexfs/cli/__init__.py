"""The `avocado-vexfs` command: set-up, housekeeping, report, repro and bisect.

main builds the parser and holds the housekeeping commands; report and triage hold the
subcommands of those two subsystems, which stay importable without argparse.
"""

"""The per-job HTML report, the run-to-run diff and the debug bundle.

Everything here reads a finished (or interrupted) Avocado job directory and never a
guest: results.json plus the artifacts our tests leave in each test's logdir. The same
code serves the Avocado result plugin (plugin.py, at the end of every job) and
`avocado-vexfs report` (to rebuild a report for any job dir later).
"""

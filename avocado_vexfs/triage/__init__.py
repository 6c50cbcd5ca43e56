"""After the job: re-running a failed variant and bisecting it.

jobdir reads a finished job, failure decides whether two failures are the same,
run_variant runs one variant through `avocado run`, repro and bisect build on them, and
plugin writes repro.json at the end of every job with a failed test.
"""

"""From a test's problems to its verdict: per-check results and the known failures.

checks records each check's problems with a stable signature; known matches those
signatures against cfg/expected/<fs_type>.txt and decides pass, cancel-as-known or fail.
"""

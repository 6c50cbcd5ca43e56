"""Avocado plugin: the job owns the guest pool its tests share (vm/pool.py).

Before the first test it creates the job's pool directory and names it in POOL_ENV, which
the test processes inherit (Avocado's process spawner passes the job's environment on).
After the last test, in the job's ``finally`` (so also after Ctrl-C), it destroys every
guest left in the pool. Registered in setup.py as ``avocado.plugins.result_events``.
"""
import logging
import os

from avocado.core.plugin_interfaces import ResultEvents

from avocado_vexfs.vm import pool as pool_mod

LOG = logging.getLogger(__name__)


class GuestPool(ResultEvents):
    """Create the job's guest pool before its tests; tear it down after them."""

    name = "vexfs_guest_pool"
    description = "avocado-vexfs: guests shared by a job's tests, destroyed at its end"

    def __init__(self, config=None):  # pylint: disable=W0231
        self.pool = None

    def pre_tests(self, job):
        self.pool = pool_mod.Pool.for_job(os.getpid())
        os.environ[pool_mod.POOL_ENV] = self.pool.env_value()

    def post_tests(self, job):
        if self.pool is None:
            return
        names = self.pool.teardown()
        if names:
            LOG.info("guest pool: destroyed %d shared guest(s) at job end", len(names))
        os.environ.pop(pool_mod.POOL_ENV, None)
        self.pool = None

    def start_test(self, result, state):
        """Nothing per test: a test takes a slot itself."""

    def test_progress(self, progress=False):
        """Nothing to show."""

    def end_test(self, result, state):
        """Nothing per test: the test hands its guest back itself."""

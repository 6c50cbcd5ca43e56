"""Glue between Avocado-VT's run(test, params, env) and the library.

Tests stay a list of steps; booting, cleanup and the console verdict live here, so every
test gets them the same way.
"""
import contextlib
import os

from avocado.core import exceptions

from avocado_vexfs import console_verdict
from avocado_vexfs.guest import Guest, GuestConfig


def vexfs_source(params):
    """VEXFS_SRC from cfg (vexfs_src) or the environment; "" when unset."""
    return params.get("vexfs_src") or os.environ.get("VEXFS_SRC", "")


def require_fs_source(test, params):
    """Cancel a vexfs variant when no VexFS tree was given; ext4 needs nothing."""
    if params.get("fs_type") == "vexfs" and not vexfs_source(params):
        test.cancel("fs_type vexfs needs VEXFS_SRC (a VexFS tree path, or git URL[@ref]); "
                    "it is not set")


@contextlib.contextmanager
def booted_guest(test, params):
    """Boot a guest for this test; fail the test on a console crash; always clean up.

    A crash found on the console wins over whatever error the test body raised: the
    oops is the cause, a failed command is only its symptom.
    """
    config = GuestConfig.from_params(params, name_hint=params.get("shortname", "test"))
    guest = Guest(config, logdir=test.logdir)
    try:
        guest.start()
        test.log.info("guest %s booted in %.1fs (kernel %s)", guest.name,
                      guest.boot_seconds, guest.kernel["release"])
        try:
            yield guest
        except Exception as err:
            crash = console_verdict.first_crash(guest.console_text(), params)
            if crash:
                raise exceptions.TestFail(console_verdict.describe(crash)) from err
            raise
        crash = console_verdict.first_crash(guest.console_text(), params)
        if crash:
            raise exceptions.TestFail(console_verdict.describe(crash))
    finally:
        guest.cleanup()

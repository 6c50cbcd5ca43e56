"""Nothing a guest creates outlives it: normal exit, SIGTERM (Ctrl-C in Avocado), SIGKILL."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from avocado_vexfs.vm import domain, host
from avocado_vexfs.vm.guest import Guest, GuestConfig, sweep_stale

BOOT_AND_WAIT = textwrap.dedent("""
    import sys, time
    from avocado_vexfs.vm.guest import Guest, GuestConfig
    guest = Guest(GuestConfig(name_hint="e2e-kill", vcpus=1)).start()
    print(guest.name, guest.workdir, flush=True)
    time.sleep(600)
""")


def test_base_image_untouched_and_run_dir_removed(no_leftovers):
    with Guest(GuestConfig(name_hint="e2e-base", vcpus=1)) as booted:
        base = booted.image.base
        before = os.stat(base)
        booted.cmd("dd if=/dev/urandom of=/root/junk bs=1M count=8 && sync")
        workdir = booted.workdir
    after = os.stat(base)
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert after.st_mode & 0o222 == 0, "base image must stay read-only"
    assert not os.path.exists(workdir)


def _boot_in_child():
    child = subprocess.Popen([sys.executable, "-c", BOOT_AND_WAIT], stdout=subprocess.PIPE,
                             text=True)
    line = child.stdout.readline().split()
    assert len(line) == 2, "child did not boot a guest"
    return child, line[0], line[1]


def _wait_gone(name, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name not in domain.leftover_domains(host.DEFAULT_URI):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_killed_owner_leaves_nothing(sig, no_leftovers):
    child, name, workdir = _boot_in_child()
    assert name in domain.leftover_domains(host.DEFAULT_URI)
    os.kill(child.pid, sig)
    child.wait(timeout=30)
    assert _wait_gone(name), f"domain {name} outlived its owner after {sig.name}"
    if sig == signal.SIGKILL:
        assert os.path.isdir(workdir), "SIGKILL cannot run cleanup; the sweep must"
        assert os.path.basename(workdir) in sweep_stale(host.run_dir())
    assert not os.path.exists(workdir)

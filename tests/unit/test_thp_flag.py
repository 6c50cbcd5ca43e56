"""A libvirtd started by avocado-vexfs, and every qemu it starts, gets no transparent
huge pages (host._without_thp): checked on real processes, a grandchild included."""
import os
import subprocess

import pytest

from avocado_vexfs.vm import host

pytestmark = pytest.mark.skipif(host.thp_enabled(os.getpid()) is None,
                                reason="this kernel's /proc/<pid>/status has no THP_enabled")


def test_flag_reaches_the_child_and_its_children():
    shell = "grep THP_enabled /proc/self/status; sh -c 'grep THP_enabled /proc/self/status'"
    out = subprocess.run(["sh", "-c", shell], preexec_fn=host._without_thp,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert [line.split() for line in out if line] == [["THP_enabled:", "0"]] * 2


def test_the_parent_keeps_its_setting():
    before = host.thp_enabled(os.getpid())
    proc = subprocess.Popen(["sleep", "5"], preexec_fn=host._without_thp)
    try:
        assert host.thp_enabled(proc.pid) is False
        assert host.thp_enabled(os.getpid()) is before
    finally:
        proc.kill()
        proc.wait()


def test_a_missing_process_says_nothing():
    assert host.thp_enabled(2 ** 22 + 1) is None

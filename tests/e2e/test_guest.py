"""A real guest: boots on the variant's kernel, never writes the base image, cleans up."""
import hashlib
import os

import pytest

from avocado_vexfs.errors import GuestCommandError
from avocado_vexfs.vm.guest import Guest, GuestConfig


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("guest-logs")
    with Guest(GuestConfig(name_hint="e2e-guest", scratch_disks_mb=(64, 32), vcpus=1),
               logdir=str(logdir)) as booted:
        yield booted
    assert os.path.exists(logdir / "console.log")


def test_runs_requested_kernel(guest):
    assert guest.cmd("uname -r").strip() == guest.kernel["release"]
    print(f"boot to shell: {guest.boot_seconds:.1f}s")


def test_bookworm_61_kernel_boots_with_disks_and_control_console(tmp_path):
    """6.1 builds virtio_pci and virtio_console as modules (6.12 has them built in)."""
    with Guest(GuestConfig(name_hint="e2e-6.1", kernel="6.1", vcpus=1,
                           scratch_disks_mb=(16,)), logdir=str(tmp_path)) as booted:
        running = booted.cmd("uname -r").strip()
        assert running.startswith("6.1.") and running == booted.kernel["release"]
        assert booted.cmd("blockdev --getsize64 /dev/vdb").strip() == str(16 << 20)


def test_long_output_arrives_whole(guest):
    """qemu drops virtio-console output a slow reader misses; the control port must not."""
    lines = guest.cmd("seq 1 60000", timeout=300).split()
    assert len(lines) == 60000 and lines[-1] == "60000"


def test_scratch_disks_sizes(guest):
    sizes = [int(guest.cmd(f"blockdev --getsize64 {dev}")) for dev in guest.scratch]
    assert sizes == [64 << 20, 32 << 20]


def test_command_failure_raises_with_status(guest):
    with pytest.raises(GuestCommandError) as err:
        guest.cmd("(echo nope; exit 3)")
    assert err.value.status == 3
    assert "nope" in str(err.value)


def test_step_marker_reaches_console(guest):
    guest.mark_step("e2e-marker")
    guest.wait_for_console("avocado-vexfs: step e2e-marker", timeout=10)


def test_put_file_roundtrip(guest, tmp_path):
    local = tmp_path / "blob.bin"
    local.write_bytes(os.urandom(50000))
    guest.put_file(str(local), "/tmp/blob.bin")
    remote_sum = guest.cmd("sha256sum /tmp/blob.bin").split()[0]
    assert remote_sum == hashlib.sha256(local.read_bytes()).hexdigest()

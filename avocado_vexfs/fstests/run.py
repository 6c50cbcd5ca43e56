"""fstests inside a guest: set a guest up for it once, run one fstests test, fetch its files.

The built tree arrives as a disk (fstests/build.py: an ext4 image behind a qcow2 overlay,
so the guest may write its results there), mounted at GUEST_TREE. local.config comes from
the cfg; TEST_DEV and SCRATCH_DEV are the guest's first two scratch disks. Every test runs
with its own RESULT_BASE, so its verdict is read from the files check writes there
(fstests/results.py), not scraped from check's terminal output.
"""
import base64
import logging
import os
import shlex
import time

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fstests import results as results_mod

GUEST_TREE = "/fstests"
DISK_NAME = "fstests"
RESULTS_ROOT = "/var/tmp/fstests-results"
TEST_DIR = "/mnt/fstests-test"
SCRATCH_MNT = "/mnt/fstests-scratch"
ARTIFACT_SUFFIXES = (".out.bad", ".diff", ".full", ".dmesg", ".notrun")
STDOUT_FILE = "check.out"  # what check printed (check.log is fstests' own summary)
LOG = logging.getLogger(__name__)


def local_config(fstype, test_dev, scratch_dev, mkfs_options="", mount_options="",
                 test_dir=None, scratch_mnt=None):
    """fstests' local.config for one filesystem type and two devices."""
    lines = {"FSTYP": fstype, "TEST_DEV": test_dev, "TEST_DIR": test_dir or TEST_DIR,
             "SCRATCH_DEV": scratch_dev, "SCRATCH_MNT": scratch_mnt or SCRATCH_MNT,
             "MKFS_OPTIONS": mkfs_options, "MOUNT_OPTIONS": mount_options,
             "TEST_FS_MOUNT_OPTS": mount_options}
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in lines.items())


def devices(guest):
    """(TEST_DEV, SCRATCH_DEV): the guest's first two scratch disks."""
    if len(guest.scratch) < 2:
        raise ConfigError(f"fstests needs two scratch disks (TEST_DEV and SCRATCH_DEV): "
                          f"scratch_disks_mb gave {len(guest.scratch)}, expected 2")
    return guest.scratch[0], guest.scratch[1]


def prepare(guest, filesystem, fstype):
    """Mount the tree, write local.config and make TEST_DEV (fstests expects it made)."""
    test_dev, scratch_dev = devices(guest)
    disk = guest.extra[DISK_NAME]
    guest.cmd(f"mkdir -p {GUEST_TREE} && mount {disk} {GUEST_TREE}")
    config = local_config(fstype, test_dev, scratch_dev,
                          mkfs_options=filesystem.mkfs_options,
                          mount_options=filesystem.mount_options)
    guest.cmd(f"cat > {GUEST_TREE}/local.config <<'AVX_EOF'\n{config}AVX_EOF")
    guest.cmd(f"mkdir -p {TEST_DIR} {SCRATCH_MNT}")
    # the users fstests' _require_user and _require_group look for
    guest.cmd("for u in fsgqa fsgqa2; do id $u >/dev/null 2>&1 || useradd -m $u; done",
              timeout=60)
    guest.mark_step("mkfs TEST_DEV")
    filesystem.mkfs(guest, test_dev)
    LOG.info("fstests ready in guest %s: FSTYP=%s TEST_DEV=%s SCRATCH_DEV=%s", guest.name,
             fstype, test_dev, scratch_dev)


def remake_test_dev(guest, filesystem):
    """A fresh filesystem on TEST_DEV before a test.

    fstests keeps TEST_DEV from test to test (it ages); with tests spread over pooled
    guests in whatever order the slots free up, what an earlier test left there would
    make a verdict depend on its neighbours (on VexFS a full root directory turns later
    tests into ENOSPC failures). fstests_fresh_test_dev = no keeps fstests' way.
    """
    test_dev, _ = devices(guest)
    guest.cmd(f"umount {TEST_DIR} 2>/dev/null; true")
    guest.mark_step("mkfs TEST_DEV")
    filesystem.mkfs(guest, test_dev)


def run_one(guest, name, timeout):
    """Run fstests test ``name`` (e.g. generic/001); returns its results.TestResult.

    A test that does not return within ``timeout`` raises the session's GuestError,
    which booted_guest treats as a hang (SysRq dumps, fresh guest for the next test).
    """
    base = result_base(name)
    guest.mark_step(f"fstests {name}")
    guest.cmd(f"rm -rf {base} && mkdir -p {base}")
    started = time.monotonic()
    guest.status_output(f"cd {GUEST_TREE} && RESULT_BASE={base} ./check "
                        f"{shlex.quote(name)} > {base}/{STDOUT_FILE} 2>&1", timeout=timeout)
    wall = time.monotonic() - started
    guest.cmd(f"[ -f {base}/{name}.out.bad ] && diff -u {GUEST_TREE}/tests/{name}.out "
              f"{base}/{name}.out.bad > {base}/{name}.diff; true")

    def text(rel, limit=65536):
        return guest.cmd(f"tail -c {limit} {base}/{rel} 2>/dev/null; true")
    result = results_mod.result(
        name, text("check.log"), check_time=text("check.time"),
        notrun=text(f"{name}.notrun"), diff=text(f"{name}.diff"),
        dmesg=text(f"{name}.dmesg"), full=text(f"{name}.full", 200000),
        stdout=text(STDOUT_FILE))
    result.wall_seconds = round(wall, 1)
    return result


def result_base(name):
    """The test's own RESULT_BASE in the guest."""
    return f"{RESULTS_ROOT}/{name.replace('/', '-')}"


def fetch_artifacts(guest, name, logdir, limit=1 << 20):
    """Copy the test's .out.bad, .diff, .full, .dmesg, .notrun, check's output and its
    summary (check.log) into ``logdir``/fstests.

    Each file's last ``limit`` bytes at most: a .full can grow to megabytes.
    """
    base = result_base(name)
    target = os.path.join(logdir, "fstests")
    os.makedirs(target, exist_ok=True)
    fetched = []
    names = [f"{name}{suffix}" for suffix in ARTIFACT_SUFFIXES] + [
        STDOUT_FILE, "check.log", "check.time"]
    for rel in names:
        remote = f"{base}/{rel}"
        # base64 in lines: the shell session reads line by line
        encoded = guest.cmd(f"[ -f {remote} ] && tail -c {limit} {remote} | base64; true",
                            timeout=120).strip()
        if not encoded:
            continue
        local = os.path.join(target, os.path.basename(rel))
        with open(local, "wb") as out:
            out.write(base64.b64decode(encoded))
        fetched.append(local)
    return fetched

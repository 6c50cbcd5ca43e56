"""Known failures by signature on a real guest: ext4's mkfs_mount with a planted entry.

The planted cfg/expected file (expected_failures_dir in a tmp dir) lists one problem:
statfs reporting an f_type other than the one the cfg expects. Each run makes ext4
produce real problems through cfg values: statfs_magic = 0x1234 (f_type mismatch) and
mkfs_too_small_kb = 65536 (mkfs on a device big enough succeeds, where the check
expects a refusal).
"""
import json

import pytest

from avocado_vexfs.verdict import checks
from test_level1 import REPO, _avocado

PLANTED = ("mkfs_mount.statfs: f_type ADDR: expected ADDR | planted: the cfg expects "
           "another magic | tests/e2e/test_known_failures.py\n")


def _run(tmp_path, *extra):
    """(status, fail reason, checks.json) of ext4 mkfs_mount with the planted entry."""
    expected_dir = tmp_path / "expected"
    expected_dir.mkdir()
    (expected_dir / "ext4.txt").write_text(PLANTED)
    params = ["mkfs_mount_checks=too_small statfs", f"expected_failures_dir={expected_dir}",
              *extra]
    args = []
    for param in params:
        args += ["--vt-extra-params", param]
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "ext4 mkfs_mount", *args)
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        tests = json.load(data)["tests"]
    assert len(tests) == 1, run.stdout[-2000:]
    return tests[0]["status"], tests[0]["fail_reason"], checks.read(tests[0]["logdir"])


@pytest.mark.usefixtures("no_leftovers")
def test_listed_problem_cancels(tmp_path):
    status, reason, data = _run(tmp_path, "statfs_magic=0x1234")
    assert status == "CANCEL", reason
    assert reason.startswith("known failures only: mkfs_mount.statfs: f_type ADDR"), reason
    assert data["new"] == [] and len(data["known"]) == 1


@pytest.mark.usefixtures("no_leftovers")
def test_new_problem_in_the_same_test_fails_named_first(tmp_path):
    status, reason, data = _run(tmp_path, "statfs_magic=0x1234", "mkfs_too_small_kb=65536")
    assert status == "FAIL", reason
    assert reason.startswith("1 new problem: mkfs_mount.too_small: "), reason
    assert reason.index("too_small") < reason.index("known: mkfs_mount.statfs"), reason
    assert data["new"] == ["mkfs_mount.too_small: mkfs on a N KiB device succeeded: "
                           "expected a refusal"]


@pytest.mark.usefixtures("no_leftovers")
def test_listed_problem_that_did_not_occur_is_reported_not_seen(tmp_path):
    status, reason, data = _run(tmp_path)
    assert status == "WARN", reason
    assert "known failure not seen: fixed? mkfs_mount.statfs: f_type ADDR" in reason, reason
    assert [e["pattern"] for e in data["not_seen"]] == [PLANTED.split(" | ")[0]]

"""fstests' verdict from the files check leaves, one case per directory of real files.

tests/data/fstests-results/<case>/ holds what a real check run left in RESULT_BASE
(check.log, check.time, and <test>.notrun / .diff / .dmesg / .full when it wrote them),
check's output (check.out) and expected.json: the TestResult fields we must read from
them. Adding a case is adding a directory.
"""
import json
import os

import pytest

from avocado_vexfs.fstests import results

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "fstests-results")
CASES = sorted(os.listdir(DATA))
FILES = {"notrun": ".notrun", "diff": ".diff", "dmesg": ".dmesg", "full": ".full"}


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as src:
        return src.read()


@pytest.mark.parametrize("case", CASES)
def test_result_from_real_files(case):
    folder = os.path.join(DATA, case)
    with open(os.path.join(folder, "expected.json"), encoding="utf-8") as src:
        want = json.load(src)
    name = want["name"]
    base = os.path.join(folder, name.split("/")[1])
    got = results.result(name, _read(os.path.join(folder, "check.log")),
                         check_time=_read(os.path.join(folder, "check.time")),
                         stdout=_read(os.path.join(folder, "check.out")),
                         **{key: _read(base + suffix) for key, suffix in FILES.items()})
    assert {"name": got.name, "status": got.status, "seconds": got.seconds,
            "reason": got.reason, "problems": list(got.problems)} == want


def test_every_status_has_a_case():
    statuses = set()
    for case in CASES:
        with open(os.path.join(DATA, case, "expected.json"), encoding="utf-8") as src:
            statuses.add(json.load(src)["status"])
    assert statuses == {"pass", "fail", "notrun"}


def test_a_test_check_did_not_run_is_an_error_naming_the_output():
    with pytest.raises(results.ReportError, match="did not run generic/001: .*common/rc"):
        results.result("generic/001", "", stdout="common/rc: line 1: boom\n")


@pytest.mark.parametrize("kwargs, problems", [
    ({"diff": "--- a\n+++ b\n@@ -1 +1 @@\n-ok\n+rm: cannot remove 'x': Directory not empty\n"},
     ["output mismatch: rm: cannot remove 'x': Directory not empty"]),
    ({"dmesg": "[   12.5] run fstests generic/001\n[   13.0] WARNING: CPU: 0 PID: 9 at x\n"},
     ["kernel log: WARNING: CPU: 0 PID: 9 at x"]),
    ({"full": "_check_generic_filesystem: filesystem on /dev/vdb is inconsistent\n"},
     ["fsck: filesystem inconsistent after the test"]),
    ({"stdout": "generic/001       [failed, exit status 1]- output mismatch\n"},
     ["check: failed, exit status 1"]),
    ({}, ["failed, no reason left in its files"]),
])
def test_each_failure_reason_is_one_problem(kwargs, problems):
    assert list(results.failure_problems(**kwargs)) == problems

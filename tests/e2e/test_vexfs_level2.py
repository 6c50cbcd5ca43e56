"""Level 2 on real upstream VexFS: each known bug under its own signature, nothing else.

The pinned tree (../shared/sut/vexfs with its 6.12 patch) runs the functional, mkfs_mount
and persistence suites. The verdict must be exactly what cfg/expected/vexfs.txt says:
no problem outside it (a new signature fails CI), and every entry of those suites seen
(an entry that no longer occurs is a fixed bug whose line must go).
"""
import json
import os

from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vm import domain, host
from leftovers import leaked

from test_level1 import REPO, VEXFS_PATCHES, VEXFS_SRC, _avocado

SUITES = ("functional", "mkfs_mount", "persistence")


def test_vexfs_level2_known_bugs_by_signature(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "vexfs", "--vt-no-filter",
                   "fs_smoke lifecycle vector_ioctl bench crash_consistency fault_injection fstests",
                   "--vt-extra-params", f"vexfs_src={VEXFS_SRC}",
                   "--vt-extra-params", f"vexfs_patches={VEXFS_PATCHES}",
                   # one vCPU per guest, two guests on two cores; TCG with two vCPUs
                   # each has shown stale-code "Oops: int3" at patched static keys
                   "--vt-extra-params", "vcpus=1",
                   "--max-parallel-tasks", "2", cfg="level2.cfg")
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        tests = json.load(data)["tests"]
    names = " ".join(t["name"] for t in tests)
    for suite in SUITES:
        assert f".{suite}" in names, (suite, names, run.stdout[-2000:])
    assert {(t["name"], t["status"], t["fail_reason"]) for t in tests
            if t["status"] not in ("PASS", "CANCEL")} == set()
    seen, new = set(), []
    for test in tests:
        data = checks.read(test["logdir"])
        assert data is not None and data["checks"], test["name"]
        new += data["new"]
        seen |= {p["known"]["pattern"] for c in data["checks"] for p in c["problems"]
                 if p.get("known")}
    assert new == []
    entries = known.load(known.path_for({"fs_type": "vexfs"}))
    mine = [e.pattern for e in entries if e.scope.split(".")[0] in SUITES]
    assert mine, "cfg/expected/vexfs.txt lists no bug of these suites"
    assert [p for p in mine if p not in seen] == [], "known failures not seen: fixed?"
    assert run.returncode == 0
    assert leaked(before) == set()

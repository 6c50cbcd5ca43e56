"""fstests in real guests: each fstests test its own Avocado result, guests shared per slot.

One job through level 2's fstests smoke on ext4 (the reference, must pass) and on the
shared upstream VexFS tree (a notrun is SKIP with fstests' reason, a known failure is
judged by its signature), two slots, FSTESTS_SRC the pinned tarball. Then Ctrl-C in the
middle of a job: the pooled guests outlive the test processes that booted them, so the
job itself must destroy them.
"""
import json
import os
import signal
import subprocess
import time

from avocado_vexfs.verdict import checks
from avocado_vexfs.vm import domain, host
from leftovers import leaked

from test_level1 import BIN, REPO, VEXFS_PATCHES, VEXFS_SRC, _avocado

FSTESTS_SRC = os.path.realpath(os.path.join(REPO, "..", "shared", "sut",
                                            "fstests-63a2972.tar.xz"))
# the filter selects these cases on both filesystems; ext4 must pass them all
VEXFS = {"generic_002": "SKIP", "generic_005": "SKIP", "generic_006": "CANCEL"}
EXT4 = tuple(VEXFS)
SOURCES = ("--vt-extra-params", f"fstests_src={FSTESTS_SRC}",
           "--vt-extra-params", f"vexfs_src={VEXFS_SRC}",
           "--vt-extra-params", f"vexfs_patches={VEXFS_PATCHES}")


def test_each_fstests_test_is_a_result_on_shared_guests(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    names = ",".join(VEXFS)
    run = _avocado(REPO, tmp_path, "--vt-only-filter", f"fstests {names}", *SOURCES,
                   "--max-parallel-tasks", "2", cfg="level2.cfg")
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        tests = {t["name"].split(".", 1)[0] + "." + t["name"].rsplit(".", 1)[-1]: t
                 for t in json.load(data)["tests"]}
    want = {**{f"ext4.{n}": "PASS" for n in EXT4}, **{f"vexfs.{n}": s
                                                       for n, s in VEXFS.items()}}
    got = {name: (t["status"], t["fail_reason"]) for name, t in tests.items()}
    assert {name: status for name, (status, _) in got.items()} == want, \
        (got, run.stdout[-3000:])
    assert "fstests: not run: No hardlink support" in got["vexfs.generic_002"][1]
    assert got["vexfs.generic_006"][1].startswith("known failures only")
    known = checks.read(tests["vexfs.generic_006"]["logdir"])
    assert [p["signature"] for c in known["checks"] for p in c["problems"]] == [
        "fstests.generic/006/output_mismatch: creat: No space left on device"]
    reused = {}
    for name, test in tests.items():
        with open(os.path.join(test["logdir"], "facts.json"), encoding="utf-8") as src:
            facts = json.load(src)
        assert facts["fstests_test"] == "generic/" + name.rsplit("_", 1)[-1]
        reused[name] = facts.get("pool_tests_before", 0)
        if test["status"] in ("PASS", "CANCEL"):
            for artifact in ("check.out", "check.log"):
                assert os.path.exists(os.path.join(test["logdir"], "fstests", artifact))
    # each filesystem's tests shared a guest: some test ran in a guest booted before it
    assert max(v for n, v in reused.items() if n.startswith("ext4")) >= 1, reused
    assert max(v for n, v in reused.items() if n.startswith("vexfs")) >= 1, reused
    assert run.returncode == 0, run.stdout[-2000:]
    assert leaked(before) == set()


def test_ctrl_c_destroys_the_pooled_guests(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN))
    job = subprocess.Popen(  # pylint: disable=consider-using-with
        [os.path.join(BIN, "avocado"), "run", "--vt-config",
         os.path.join(REPO, "cfg", "level2.cfg"), "--job-results-dir", str(tmp_path),
         "--vt-only-filter", "ext4 fstests generic_005,generic_006", *SOURCES,
         "--vt-extra-params", "vcpus=1"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        pooled = set()
        deadline = time.monotonic() + 300
        while not pooled and time.monotonic() < deadline and job.poll() is None:
            time.sleep(1)
            pooled = {n for n in set(domain.leftover_domains(host.DEFAULT_URI)) - before
                      if n.startswith(f"{domain.NAME_PREFIX}{job.pid}-pool")}
        assert pooled, "no pooled guest of the job appeared"
        time.sleep(5)
        job.send_signal(signal.SIGINT)
        job.wait(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    assert set(domain.leftover_domains(host.DEFAULT_URI)) & pooled == set()
    assert not os.path.exists(os.path.join(host.run_dir(), f"{domain.NAME_PREFIX}"
                                           f"{job.pid}-pool"))
    assert leaked(before) == set()

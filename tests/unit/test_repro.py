"""Repro plans from a job directory laid out as Avocado writes one (no guest needed).

The job directory is built from the real cfg (the params a test logs are the cartesian
parser's), a real golden console log and Avocado's file names; the guest run itself is
proven in tests/e2e/test_repro.py.
"""
import json
import os

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.triage import failure, jobdir, repro, run_variant
from avocado_vexfs.vt import cartesian, facts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOB_ID = "5a7c0de1" + "0" * 32
NAME = "ext4.linux_6_12.lifecycle.fixture"
TITLE = "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"
LOG_LINE = "[stdlog] 2026-11-25 07:00:00,000 avocado.test utils L0164 DEBUG| "


def _debug_log(params):
    lines = [LOG_LINE + "Test parameters:"]
    lines += [f"{LOG_LINE}    {key} = {value}" for key, value in sorted(params.items())
              if isinstance(value, str)]
    lines += [LOG_LINE.replace("DEBUG", "WARNI") + "",
              f"{LOG_LINE}module built for 6.12.117+deb12-cloud-amd64: /var/cache/"
              f"avocado-vexfs/module-builds/fixture-0123456789abcdef/avocado_vexfs_crash.ko",
              f"{LOG_LINE}guest avocado-vexfs-1-x booted in 4.8s (kernel "
              f"6.12.117+deb12-cloud-amd64)",
              f"{LOG_LINE}guest image: /var/cache/avocado-vexfs/images/debian-12-abc"]
    return "\n".join(lines) + "\n"


def _write_facts(logdir):
    """facts.json as vt.steps records it for the run _debug_log describes."""
    facts.record(logdir, **facts.build(
        "module", "/var/cache/avocado-vexfs/module-builds/fixture-0123456789abcdef"))
    facts.record(logdir, kernel="6.12.117+deb12-cloud-amd64", boot_seconds=4.8,
                 image="debian-12-abc",
                 image_dir="/var/cache/avocado-vexfs/images/debian-12-abc")


@pytest.fixture
def job(tmp_path):
    """A finished job: one FAIL (with a NULL deref on its console) and one PASS."""
    path = tmp_path / f"job-2026-11-25T07.00-{JOB_ID[:7]}"
    params = cartesian.variants(os.path.join(REPO, "cfg", "level2.cfg"), [NAME],
                                  ["vcpus=1"])[0]
    params["lifecycle_cycles"] = "2"  # the cfg said 10 when the job ran
    tests = []
    for number, (name, status, reason) in enumerate([
            (NAME, "FAIL", f"{TITLE} (during step insmod cycle 1/2)"),
            ("ext4.linux_6_12.boot", "PASS", None)], start=1):
        logdir = path / "test-results" / f"{number}-{name}"
        logdir.mkdir(parents=True)
        (logdir / "debug.log").write_text(_debug_log(params), encoding="utf-8")
        _write_facts(str(logdir))
        tests.append({"name": name, "id": f"{number}-{name}", "status": status,
                      "fail_reason": reason, "logdir": str(logdir),
                      "logfile": str(logdir / "debug.log")})
    golden = os.path.join(REPO, "tests", "data", "console", "real-6.12-null.log")
    with open(golden, encoding="utf-8") as src:
        (path / "test-results" / f"1-{NAME}" / "console.log").write_text(
            src.read().split("\n\n", 1)[1], encoding="utf-8")
    (path / "results.json").write_text(json.dumps({"job_id": JOB_ID, "tests": tests}))
    (path / "id").write_text(JOB_ID + "\n")
    (path / "jobdata").mkdir()
    (path / "jobdata" / "pwd").write_text(REPO + "\n")
    (path / "jobdata" / "args.json").write_text(json.dumps(
        {"vt.config": "cfg/level2.cfg", "vt.extra_params": ["vcpus=1"]}))
    return str(path)


def test_find_by_path_and_by_id(job, monkeypatch):
    assert jobdir.find(job) == job
    monkeypatch.setattr(jobdir, "roots", lambda: [os.path.dirname(job)])
    assert jobdir.find(JOB_ID[:6]) == job
    assert jobdir.find(JOB_ID) == job


@pytest.mark.parametrize("value, message", [
    ("deadbeef", r"^JOB=deadbeef: no job with that id under .*: expected the id Avocado "
                 r"printed"),
    ("not-a-job", r"^JOB='not-a-job' is not a job: expected a job id"),
])
def test_find_bad_job(job, monkeypatch, value, message):
    monkeypatch.setattr(jobdir, "roots", lambda: [os.path.dirname(job)])
    with pytest.raises(ConfigError, match=message):
        jobdir.find(value)


def test_job_without_that_test_is_one_line(job):
    with pytest.raises(ConfigError, match=rf"^TEST=fs_smoke: job {JOB_ID[:7]} has no such "
                                          rf"test: expected one of {NAME}, "
                                          r"ext4\.linux_6_12\.boot$"):
        jobdir.Job(job).test("fs_smoke")
    with pytest.raises(ConfigError, match=r"^TEST=ext4 matches 2 tests"):
        jobdir.Job(job).test("ext4")
    assert jobdir.Job(job).test("lifecycle")["name"] == NAME


def test_recorded_params_and_facts(job):
    test = jobdir.Job(job).test(NAME)
    params = jobdir.recorded_params(test)
    assert params["shortname"] == NAME
    assert params["lifecycle_cycles"] == "2"
    assert params["vcpus"] == "1"
    assert params["mount_options"] == ""
    assert jobdir.facts(test) == {"kernel": "6.12.117+deb12-cloud-amd64",
                                  "image": "debian-12-abc",
                                  "module_build": "fixture-0123456789abcdef"}


def test_plan_pins_what_changed_and_knows_the_crash(job):
    j = jobdir.Job(job)
    entry = repro.plan(j, j.test(NAME))
    assert entry["command"] == f"make repro JOB={JOB_ID[:7]} TEST={NAME}"
    argv = entry["argv"]
    assert argv[argv.index("--vt-only-filter") + 1] == NAME
    assert argv[argv.index("--vt-config") + 1] == os.path.join(REPO, "cfg", "level2.cfg")
    extras = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--vt-extra-params"]
    assert extras == ["vcpus=1", "lifecycle_cycles=2"]
    assert entry["pinned"] == ["lifecycle_cycles=2"]
    assert entry["avocado"].startswith(f"cd {REPO} && ")
    assert entry["original"]["signature"] == f"crash: {TITLE}"
    assert entry["original"]["kernel"] == "6.12.117+deb12-cloud-amd64"
    assert entry["original"]["module_build"] == "fixture-0123456789abcdef"
    assert entry["warnings"] == []


def test_repro_json_lists_failed_tests_only(job):
    data = repro.write_for_job(job)
    assert sorted(data["tests"]) == [NAME]
    with open(os.path.join(job, "repro.json"), encoding="utf-8") as written:
        on_disk = json.load(written)
    assert on_disk["tests"][NAME]["command"] == f"make repro JOB={JOB_ID[:7]} TEST={NAME}"
    assert on_disk["tests"][NAME]["runs"] == []


def test_compare_says_what_changed():
    original = {"signature": "FAIL: cycle N/N rmmod: rmmod failed", "kernel": "6.12.117",
                "vexfs_build": "aaa-6.12"}
    run = run_variant.Outcome("/nowhere", {"status": "FAIL",
                                           "fail_reason": "cycle 2/3 rmmod: rmmod failed"})
    same, changed = repro.compare(original, run, {"kernel": "6.12.117",
                                                  "vexfs_build": "bbb-6.12"})
    assert same
    assert changed == ["vexfs_build was aaa-6.12, now bbb-6.12"]
    passed = run_variant.Outcome("/nowhere", {"status": "PASS"})
    assert repro.compare(original, passed, {})[0] is False


def _write_checks(logdir, new, known=()):
    with open(os.path.join(logdir, "checks.json"), "w", encoding="utf-8") as out:
        json.dump({"suite": "functional", "checks": [], "new": list(new),
                   "known": list(known), "not_seen": []}, out)


def test_crash_title_still_wins_over_checks_json(job):
    j = jobdir.Job(job)
    test = j.test(NAME)
    _write_checks(test["logdir"], ["functional.dirs/rmdir_nonempty: ENOENT"])
    assert repro.plan(j, test)["original"]["signature"] == f"crash: {TITLE}"


def test_same_failing_check_matches_whatever_the_fail_reason_says(tmp_path):
    """A re-run that fails the same checks matches, however the fail reason words it
    (the summary in it is cut at a few problems); another new problem does not."""
    first, again = tmp_path / "first", tmp_path / "again"
    first.mkdir()
    again.mkdir()
    _write_checks(str(first), ["b/y: EIO", "a/x: ENOENT"])
    _write_checks(str(again), ["a/x: ENOENT", "b/y: EIO"], known=["k/z: EFBIG"])
    original = run_variant.Outcome("/job", {"status": "FAIL", "logdir": str(first),
                                            "fail_reason": "2 new problems: a: x; b: y"})
    run = run_variant.Outcome("/job", {"status": "FAIL", "logdir": str(again),
                                       "fail_reason": "2 new problems: b: y; a: x; known: k"})
    signature = failure.of_outcome(original)
    assert signature == "FAIL: new: a/x: ENOENT; b/y: EIO"
    assert repro.compare({"signature": signature}, run, {})[0] is True
    _write_checks(str(again), ["a/x: ENOENT", "c/w: EPERM"])
    assert repro.compare({"signature": signature}, run, {})[0] is False


def test_facts_merge_key_by_key_and_replace_the_file_whole(tmp_path):
    logdir = str(tmp_path)
    assert facts.read(logdir) == {}
    facts.record(logdir, kernel="6.12.117", boot_seconds=4.8)
    merged = facts.record(logdir, crash_step="mkfs", kernel="6.12.118")
    assert merged == {"kernel": "6.12.118", "boot_seconds": 4.8, "crash_step": "mkfs"}
    assert facts.read(logdir) == merged
    assert os.listdir(logdir) == [facts.FILE]
    assert jobdir.facts({"logdir": logdir}) == {"kernel": "6.12.118"}

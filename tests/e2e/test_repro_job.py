"""A real failed job of the fixture module is reproduced by its repro command.

The job runs lifecycle.fixture on a copy of our fixture module that oopses in its init
(its own NULL dereference as the load-time trigger); the job's repro.json (written by
the result plugin) holds the command, and running it boots a fresh guest and reports
the same crash title.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
NAME = "ext4.linux_6_12.lifecycle.fixture"
TITLE = "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"


def _run(*argv):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN))
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def failed_job(tmp_path_factory):
    module = tmp_path_factory.mktemp("crashing-fixture")
    for name in ("Makefile", "avocado_vexfs_crash.c"):
        shutil.copy(os.path.join(REPO, "tests", "fixtures", "crashmod", name), module)
    source = module / "avocado_vexfs_crash.c"
    source.write_text(source.read_text(encoding="utf-8").replace(
        'static char *trigger = "";', 'static char *trigger = "null";'), encoding="utf-8")
    results = tmp_path_factory.mktemp("repro-results")
    run = _run(os.path.join(BIN, "avocado"), "run", "--vt-config",
               os.path.join(REPO, "cfg", "level2.cfg"), "--vt-only-filter", NAME,
               "--vt-extra-params", "vcpus=1", "--vt-extra-params", "lifecycle_cycles=1",
               "--vt-extra-params", f"module_src={module}", "--job-results-dir",
               str(results))
    return run, os.path.realpath(os.path.join(str(results), "latest")), results


def test_job_fails_and_has_its_repro_command(failed_job, no_leftovers):
    run, job, _ = failed_job
    assert "FAIL" in run.stdout, run.stdout[-2000:]
    with open(os.path.join(job, "repro.json"), encoding="utf-8") as data:
        entry = json.load(data)["tests"][NAME]
    job_id = os.path.basename(job).rsplit("-", 1)[-1]
    assert entry["command"] == f"make repro JOB={job_id} TEST={NAME}"
    assert entry["original"]["crash_title"] == TITLE
    assert f"REPRO {NAME}: make repro JOB={job_id}" in run.stdout


def test_repro_reproduces_the_crash(failed_job, tmp_path, no_leftovers):
    _, job, _ = failed_job
    run = _run(os.path.join(BIN, "avocado-vexfs"), "repro", "--job", job, "--test",
               "lifecycle.fixture", "--results-dir", str(tmp_path))
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"repro of {NAME} (job {os.path.basename(job)[-7:]}): FAIL: {TITLE}"
    assert "matches the original: yes" in lines
    with open(os.path.join(job, "repro.json"), encoding="utf-8") as data:
        runs = json.load(data)["tests"][NAME]["runs"]
    assert [r["matches"] for r in runs] == [True]
    assert runs[0]["job"].startswith(str(tmp_path))
    assert runs[0]["changed"] == []
    assert runs[0]["module_build"].startswith("fixture-")


def test_job_without_that_test_is_one_line(failed_job):
    _, job, _ = failed_job
    run = _run(os.path.join(BIN, "avocado-vexfs"), "repro", "--job", job, "--test",
               "fs_smoke")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"avocado-vexfs: error: TEST=fs_smoke: job {os.path.basename(job)[-7:]} has no "
        f"such test: expected one of {NAME}"]

"""The HTML report of real jobs, as a user sees it in headless Chromium; retries and a
debug-kept guest on real libvirt guests."""
import json
import logging
import os
import shutil
import subprocess
import sys
import types

import pytest

from avocado_vexfs.errors import GuestCommandError
from avocado_vexfs.vm import infra
from avocado_vexfs.vt import steps
from leftovers import leaked
from avocado_vexfs.vm import domain, host

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = shutil.which("chromium")


def avocado(results, *args, env_extra=None):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN))
    env.pop("VEXFS_SRC", None)
    env.update(env_extra or {})
    run = subprocess.run([os.path.join(BIN, "avocado"), "run", "--vt-config",
                          os.path.join(REPO, "cfg", "level1.cfg"), "--vt-only-filter",
                          "ext4..boot", "--vt-extra-params", "vcpus=1",
                          "--job-results-dir", str(results), *args],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=600,
                         check=False)
    return run, os.path.realpath(os.path.join(str(results), "latest"))


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """A passing job, then one whose boots fail (boot_timeout 0.5 s) and are retried."""
    results = tmp_path_factory.mktemp("report-results")
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    passed = avocado(results)
    retried = avocado(results, "--vt-extra-params", "boot_timeout=0.5",
                      env_extra={"VEXFS_INFRA_RETRIES": "1", "VEXFS_RETRY_BACKOFF": "1"})
    return passed, retried, leaked(before)


def test_result_plugin_writes_a_report_for_each_job(jobs):
    for run, job_dir in jobs[:2]:
        assert "VEXFS REPORT:" in run.stdout, run.stdout + run.stderr
        assert os.path.isfile(os.path.join(job_dir, "report.html"))
    assert jobs[2] == set()


def test_retry_is_logged_and_the_test_errors(jobs):
    run, job_dir = jobs[1]
    assert run.returncode != 0
    with open(os.path.join(job_dir, "results.json"), encoding="utf-8") as src:
        test = json.load(src)["tests"][0]
    assert test["status"] == "ERROR"
    assert "(after 1 infrastructure retries)" in test["fail_reason"]
    with open(os.path.join(test["logdir"], infra.RETRIES_FILE), encoding="utf-8") as src:
        assert [r["attempt"] for r in json.load(src)] == [1]


def dump_dom(page):
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--dump-dom", f"file://{page}"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make host installs it)")
@pytest.mark.parametrize("which, verdict, words", [
    (0, "PASS", ["ext4.linux_6_12.boot", "console log", "dmesg"]),
    (1, "FAIL", ["ext4.linux_6_12.boot", "retry 1", "1 infrastructure retries",
                 "did not reach boot"]),
])
def test_page_renders_its_key_parts_in_chromium(jobs, tmp_path, which, verdict, words):
    _run, job_dir = jobs[which]
    page = os.path.join(job_dir, "report.html")
    dom = dump_dom(page)
    assert f'<span class="verdict {verdict}">{verdict}</span>' in dom
    assert dom.count('<tr class="test"') == 1
    assert '<table id="tests">' in dom and 'aria-label="status history"' in dom
    for word in words:
        assert word in dom
    for href in ("console.log", "debug.log"):
        link = [part.split('"')[0] for part in dom.split('href="')[1:] if href in part]
        assert link and os.path.isfile(os.path.join(job_dir, link[0])), href
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1280,800", f"--screenshot={shot}",
                    f"file://{page}"], capture_output=True, timeout=120, check=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20000, "the screenshot is (nearly) blank"


def test_diff_of_the_two_jobs_names_the_new_failure(jobs):
    done = subprocess.run([os.path.join(BIN, "avocado-vexfs"), "diff", jobs[0][1],
                           jobs[1][1]], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "new failures: 1" in done.stdout and "ext4.linux_6_12.boot: PASS -> ERROR" \
        in done.stdout


def test_debug_mode_keeps_a_failed_guest_until_sweep_destroys_it(tmp_path, monkeypatch,
                                                                  no_leftovers):
    monkeypatch.setenv("VEXFS_TEST_DEBUG", "1")
    params = {"vcpus": "1", "mem": "1024", "shortname": "debugkeep"}
    test = types.SimpleNamespace(logdir=str(tmp_path), name="debugkeep",
                                 log=logging.getLogger("debugkeep"))
    with pytest.raises(GuestCommandError):
        with steps.booted_guest(test, params) as guest:
            name, workdir = guest.name, guest.workdir
            guest.cmd("false")
    try:
        with open(os.path.join(workdir, infra.KEPT_FILE), encoding="utf-8") as src:
            kept = json.load(src)
        assert name in domain.leftover_domains(host.DEFAULT_URI)
        shell = kept["commands"]["shell"].replace("-,raw,echo=0", "-")
        attach = subprocess.run(f"(sleep 2; echo 'echo attach-$((40+2))'; sleep 3) | "
                                f"timeout 10 {shell}", shell=True, capture_output=True,
                                text=True, check=False)
        assert "attach-42" in attach.stdout, attach.stdout + attach.stderr
        sweep = subprocess.run([os.path.join(BIN, "avocado-vexfs"), "sweep"],
                               capture_output=True, text=True, check=False)
        assert f"kept debug guest {name}" in sweep.stdout
    finally:
        destroy = subprocess.run([os.path.join(BIN, "avocado-vexfs"), "sweep", "--destroy",
                                  name], capture_output=True, text=True, check=False)
    assert f"destroyed kept debug guest {name}" in destroy.stdout, destroy.stderr
    assert name not in domain.leftover_domains(host.DEFAULT_URI)
    assert not os.path.exists(workdir)
    assert os.path.isfile(os.path.join(str(tmp_path), "console.log"))

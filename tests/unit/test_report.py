"""The HTML report, the job diff and their bad-input lines, on job dirs built from
tests/data/report/jobs.json (real console logs from tests/data/console)."""
import json
import os
import re
import subprocess
import sys

import pytest

from avocado_vexfs.report import diff, html, jobdir, metrics
from fakejob import make_job

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
with open(os.path.join(DATA, "report", "jobs.json"), encoding="utf-8") as _src:
    JOBS = json.load(_src)


@pytest.fixture
def jobs(tmp_path):
    repro = {"tests": {"vexfs.linux_6_12.functional.basic_io":
                       {"command": "make repro JOB=new TEST=basic_io"}}}
    return (make_job(str(tmp_path), "old", JOBS["old"]),
            make_job(str(tmp_path), "new", JOBS["new"], repro=repro))


def test_report_shows_verdict_crash_step_links_retries_and_ratios(jobs):
    page_path = html.build(jobs[1])
    with open(page_path, encoding="utf-8") as src:
        page = src.read()
    assert 'class="verdict FAIL"' in page
    assert "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref" in page
    assert re.search(r"<td>trigger-null</td>", page), "the crash's step is not shown"
    assert 'href="test-results/03-vexfs.linux_6_12.functional.basic_io/console.log"' in page
    assert 'href="test-results/03-vexfs.linux_6_12.functional.basic_io/dmesg.txt"' in page
    assert "retry 2" in page and "2 infrastructure retries" in page
    assert "flaky: vexfs.linux_6_12.fs_smoke" in page
    assert "make repro JOB=new TEST=basic_io" in page
    ratio = re.search(r'<td class="ratio">([\d.]+)</td>', page)
    assert ratio and float(ratio.group(1)) == pytest.approx(80 / 200, abs=1e-3)
    assert "<td>vexfs: regression</td>" in page
    assert page.count("<polyline") >= 2, "no trend over the two jobs"
    assert 'aria-label="status history"' in page


def test_dmesg_keeps_only_kernel_lines(jobs):
    jobdir.load_job(jobs[1])
    path = os.path.join(jobs[1], "test-results", "03-vexfs.linux_6_12.functional.basic_io",
                        "dmesg.txt")
    with open(path, encoding="utf-8") as src:
        lines = src.read().splitlines()
    assert lines and all(re.match(r"^\s*\[\s*\d+\.\d+\]", line) for line in lines)


def test_diff_names_new_failures_fixes_crash_changes_and_metrics(jobs):
    result = diff.compare(*jobs)
    assert [r[0] for r in result["new_failures"]] == ["ext4.linux_6_12.boot"]
    assert [r[0] for r in result["fixed"]] == ["vexfs.linux_6_12.persistence"]
    assert result["changed_crash"] == [(
        "vexfs.linux_6_12.functional.basic_io", "kernel BUG in crashmod_bug",
        "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref")]
    moved = [(m["fs"], round(m["change"], 2)) for m in result["metrics"]]
    assert moved == [("vexfs", -0.2)], "only vexfs bw moved by more than 10%"
    text = diff.render_text(result)
    assert "new failures: 1" in text and "-20.0%" in text


def test_ratio_rows_pair_fs_types_by_workload_and_params(jobs):
    rows = metrics.ratio_rows(jobdir.load_job(jobs[0]))
    assert len(rows) == 1
    assert rows[0]["vexfs"] == 100 and rows[0]["ext4"] == 200 and rows[0]["ratio"] == 0.5


def run_cli(*args):
    done = subprocess.run([sys.executable, "-m", "avocado_vexfs.cli", *args],
                          capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def one_line_error(stderr, *words):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.mark.parametrize("content, words", [
    ('{"tests": [', ["results.json is corrupt", "expected Avocado's JSON results"]),
    ('{"job_id": "x"}', ["has no 'tests' list"]),
    ("", ["results.json is corrupt"]),
])
def test_bad_results_json_is_one_line_and_keeps_logs(tmp_path, content, words):
    job_dir = tmp_path / "job-x"
    (job_dir / "test-results" / "01-a").mkdir(parents=True)
    (job_dir / "test-results" / "01-a" / "debug.log").write_text("kept\n")
    (job_dir / "results.json").write_text(content)
    status, _out, err = run_cli("report", str(job_dir))
    assert status == 2
    one_line_error(err, *words)
    assert (job_dir / "test-results" / "01-a" / "debug.log").read_text() == "kept\n"
    assert not (job_dir / "report.html").exists()


def test_missing_job_dir_is_one_line(tmp_path):
    status, _out, err = run_cli("report", str(tmp_path / "nope"))
    assert status == 2
    one_line_error(err, "nope")
    status, _out, err = run_cli("diff", str(tmp_path), str(tmp_path / "nope"))
    assert status == 2
    one_line_error(err, "results.json does not exist")


def test_cli_report_and_diff_on_job_dirs(jobs):
    status, out, err = run_cli("report", jobs[0])
    assert status == 0, err
    assert out.strip() == os.path.join(jobs[0], "report.html")
    status, out, _err = run_cli("diff", *jobs)
    assert status == 1, "a new failure makes diff exit 1"
    assert "new failures: 1" in out


def test_debug_bundle_holds_facts_settings_job_cfg_and_recipe(jobs, tmp_path):
    import tarfile  # pylint: disable=import-outside-toplevel
    from avocado_vexfs.report import bundle  # pylint: disable=import-outside-toplevel
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = bundle.create(jobs[1], repo, str(tmp_path))
    with tarfile.open(path) as tar:
        names = tar.getnames()
        facts = tar.extractfile([n for n in names if n.endswith("host-facts.txt")][0]).read()
    top = os.path.basename(path)[:-len(".tar.gz")]
    for part in ("host-facts.txt", "settings.txt", "job/results.json", "cfg/level1.cfg",
                 "guest-os"):
        assert any(n.startswith(f"{top}/{part}") for n in names), part
    assert b"$ uname -a" in facts and b"$ virsh" in facts

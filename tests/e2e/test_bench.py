"""Benchmarks end to end on ext4 in a real guest: record a baseline, check against it.

Trimmed for CI: one small-file fio workload, 5 repeats of 1 s, level 2's bench variant.
"""
import json
import os

from test_level1 import _avocado

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(tmp_path, name, baseline_file, mode):
    results = tmp_path / name
    run = _avocado(REPO, results, "--vt-only-filter", "ext4 bench",
                   "--vt-extra-params", "vcpus=1",
                   "--vt-extra-params", "bench_workloads=small_write",
                   "--vt-extra-params", "bench_runtime=1",
                   "--vt-extra-params", "bench_repeats=5",
                   "--vt-extra-params", f"bench_baseline_file={baseline_file}",
                   "--vt-extra-params", f"bench_regression={mode}", cfg="level2.cfg")
    with open(results / "latest" / "results.json", encoding="utf-8") as data:
        test = json.load(data)["tests"][0]
    return run, test


def test_record_then_check(tmp_path, no_leftovers):
    baseline_file = tmp_path / "baseline.json"
    run, test = _run(tmp_path, "record", baseline_file, "record")
    assert test["status"] == "PASS", test["fail_reason"]
    with open(os.path.join(test["logdir"], "metrics.json"), encoding="utf-8") as data:
        metrics = {m["metric"]: m for m in json.load(data)}
    assert set(metrics) >= {"write_bw", "write_iops", "write_clat_p99"}
    assert len(metrics["write_bw"]["values"]) == 5
    assert all(v > 0 for v in metrics["write_bw"]["values"])
    assert metrics["write_bw"]["workload"] == "small_write"
    assert "filesize=40k" in metrics["write_bw"]["params"]
    with open(baseline_file, encoding="utf-8") as data:
        entries = json.load(data)["entries"]
    assert {e["fs_type"] for e in entries} == {"ext4"} and entries[0]["vcpus"] == 1

    run, test = _run(tmp_path, "check", baseline_file, "check")
    # 5 repeats of 1 s on a shared 2-core TCG host: "too noisy to tell" is an honest
    # answer of the check, shown as WARN; anything else (a regression) is not
    if test["status"] == "WARN":
        notes = test["fail_reason"].split("; ")
        assert all(": too noisy: " in note for note in notes), test["fail_reason"]
    else:
        assert test["status"] == "PASS", test["fail_reason"]
    with open(os.path.join(test["logdir"], "debug.log"), encoding="utf-8") as log:
        text = log.read()
    assert "small_write write_bw: " in text and "of baseline (95% interval" in text
    assert run.returncode == 0


def test_corrupt_baseline_errors_before_boot(tmp_path, no_leftovers):
    baseline_file = tmp_path / "baseline.json"
    baseline_file.write_text("{broken")
    _run_result, test = _run(tmp_path, "corrupt", baseline_file, "check")
    assert test["status"] == "ERROR"
    assert test["fail_reason"].startswith(f"baseline file {baseline_file} is corrupt")
    assert not os.path.exists(os.path.join(test["logdir"], "console.log"))

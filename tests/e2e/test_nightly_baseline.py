"""The nightly job end to end: a clean night changes the baseline store.

Trimmed for CI: the nightly filtered to level 2's ext4 bench.short (level 3 has no such
variant), quick, one small-file fio workload, 5 repeats of 1 s, and a store in a tmp dir.
The store starts with one entry for another kernel, so the night's metric has no
baseline: the bench test ends WARN with the reason, the night is still clean, and the
nightly records the run next to the old entry.
"""
import json
import os
import subprocess
import time

from test_level1 import BIN

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUDGET = 300  # seconds under TCG on 2 cores
OLD = {"kernel": "5.10.0-0-old", "vcpus": 1, "memory_mb": 2048, "fs_type": "ext4",
       "workload": "small_write", "params": "x", "metric": "write_bw", "unit": "KiB/s",
       "higher_is_better": True, "values": [1.0] * 5, "run": "old", "recorded": "then"}
QUICK = ("quick=yes", "vcpus=1", "bench_workloads=small_write",
         "bench_workloads_quick=small_write", "bench_runtime=1", "bench_runtime_quick=1",
         "bench_repeats=5", "bench_repeats_quick=5")


def _nightly(results, store):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN))
    env.pop("VEXFS_SRC", None)
    extra = [arg for param in QUICK + (f"bench_baseline_file={store}",)
             for arg in ("--extra-params", param)]
    return subprocess.run([os.path.join(BIN, "python"), os.path.join(REPO, "jobs",
                                                                     "nightly.py"),
                           "--only", "ext4 bench.short", "--parallel", "1",
                           "--results-dir", str(results), *extra],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=900,
                          check=False)


def test_a_clean_night_records_the_baseline(tmp_path, no_leftovers):
    store = tmp_path / "baselines" / "bench.json"
    store.parent.mkdir()
    store.write_text(json.dumps({"format": "avocado-vexfs-baseline", "version": 1,
                                 "entries": [OLD]}))
    started = time.monotonic()
    run = _nightly(tmp_path / "results", store)
    elapsed = time.monotonic() - started
    output = run.stdout[-3000:] + run.stderr[-3000:]
    assert run.returncode == 0, output
    jobs = [d for d in os.listdir(tmp_path / "results") if d.startswith("job-")]
    assert len(jobs) == 1, jobs
    with open(tmp_path / "results" / jobs[0] / "results.json", encoding="utf-8") as data:
        tests = json.load(data)["tests"]
    assert [t["status"] for t in tests] == ["WARN"], output
    assert "has small_write only for kernel 5.10.0-0-old" in tests[0]["fail_reason"]
    with open(os.path.join(tests[0]["logdir"], "checks.json"), encoding="utf-8") as data:
        notes = {c["check"]: c.get("notes") for c in json.load(data)["checks"]}
    assert notes["bench.small_write"], notes

    entries = json.loads(store.read_text())["entries"]
    assert entries[0] == OLD
    new = entries[1:]
    assert {e["workload"] for e in new} == {"small_write"}
    assert {e["fs_type"] for e in new} == {"ext4"} and {e["vcpus"] for e in new} == {1}
    assert len({e["kernel"] for e in new}) == 1 and new[0]["kernel"] != OLD["kernel"]
    bandwidth = [e for e in new if e["metric"] == "write_bw"]
    assert len(bandwidth) == 1 and len(bandwidth[0]["values"]) == 5
    assert bandwidth[0]["run"].startswith(jobs[0] + "/")
    assert "metrics of" in run.stderr and "recorded" in run.stderr, output
    print(f"nightly e2e: {elapsed:.0f}s")
    assert elapsed < BUDGET, f"nightly took {elapsed:.0f}s, budget {BUDGET}s"

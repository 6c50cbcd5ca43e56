"""Baseline store (avocado_vexfs/bench/baseline.py) and the benchmark cfg (bench/spec.py)."""
import json
import os

import pytest

from avocado_vexfs.bench import baseline
from avocado_vexfs.bench import runner, spec
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.verdict import checks

KEY = baseline.key("6.12.117+deb12-cloud-amd64", 2, 2048, "ext4")
METRICS = [{"workload": "small_write", "params": "bs=4k rw=write", "metric": "write_bw",
            "unit": "KiB/s", "higher_is_better": True, "values": [100, 101, 99, 100, 102]}]


def test_record_then_lookup_pools_the_last_runs(tmp_path):
    store = baseline.Store(str(tmp_path / "b" / "bench.json"))
    for run in range(4):
        store.record(KEY, [dict(METRICS[0], values=[run] * 5)], run_id=f"run{run}")
    assert store.lookup(KEY, "small_write", "bs=4k rw=write", "write_bw", runs=2) == \
        [2.0] * 5 + [3.0] * 5
    assert not [p for p in os.listdir(tmp_path / "b") if ".tmp" in p]


def test_other_kernel_is_explained(tmp_path):
    store = baseline.Store(str(tmp_path / "bench.json"))
    store.record(KEY, METRICS, run_id="r")
    other = dict(KEY, kernel="6.1.0-56-cloud-amd64")
    assert store.lookup(other, "small_write", "bs=4k rw=write", "write_bw") == []
    assert store.explain_missing(other, "small_write") == (
        f"baseline {store.path} has small_write only for kernel "
        f"6.12.117+deb12-cloud-amd64, not 6.1.0-56-cloud-amd64: record one for this guest "
        f"with 'make baseline' (a clean 'make nightly' records one too)")
    assert "no baseline for seq_read" in store.explain_missing(KEY, "seq_read")


@pytest.mark.parametrize("content, message", [
    ("{not json", r"is corrupt \(Expecting property name"),
    ("[]", r"is not an avocado-vexfs baseline"),
    (json.dumps({"format": baseline.FORMAT, "version": 9, "entries": []}), r"has version 9"),
    (json.dumps({"format": baseline.FORMAT, "version": 1, "entries": [{"kernel": "x"}]}),
     r"entry 0 lacks \['vcpus'"),
])
def test_corrupt_files_are_one_line(tmp_path, content, message):
    path = tmp_path / "bench.json"
    path.write_text(content)
    with pytest.raises(baseline.BaselineError, match=message) as err:
        baseline.Store(str(path)).load()
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_record_never_touches_a_corrupt_file(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text("{half")
    with pytest.raises(baseline.BaselineError):
        baseline.Store(str(path)).record(KEY, METRICS, run_id="r")
    assert path.read_text() == "{half"


def test_judge_flags_a_regression_and_explains_missing(tmp_path):
    store = baseline.Store(str(tmp_path / "bench.json"))
    store.record(KEY, METRICS, run_id="r")
    slow = [dict(METRICS[0], values=[80, 81, 79, 82, 80]),
            dict(METRICS[0], workload="metadata", metric="create_rate")]
    verdicts, missing = runner.judge(store, KEY, slow, ["*_bw", "*_rate"])
    assert [v.verdict for _e, v in verdicts] == ["regression"]
    assert missing == {"metadata": (f"no baseline for metadata in {store.path}: record "
                                    f"one with 'make baseline' (a clean 'make nightly' "
                                    f"records one too)")}


def _checks(tmp_path, new_metrics):
    store = baseline.Store(str(tmp_path / "bench.json"))
    store.record(KEY, METRICS, run_id="r")
    results = checks.Checks("bench")
    runner.add_checks(results, *runner.judge(store, KEY, new_metrics, ["*_bw", "*_rate"]))
    return results


def test_a_regression_is_a_problem_with_a_signature_free_of_numbers(tmp_path):
    results = _checks(tmp_path, [dict(METRICS[0], values=[80, 81, 79, 82, 80])])
    assert [p.signature for p in results.problems] == ["bench.small_write/write_bw: regression"]
    assert results.problems[0].text.startswith("write_bw: regression: performance 0.8")
    assert results.notes == {}


def test_no_change_passes_and_a_missing_baseline_is_a_visible_note(tmp_path):
    results = _checks(tmp_path, [METRICS[0], dict(METRICS[0], workload="metadata",
                                                  metric="create_rate")])
    assert results.problems == []
    assert results.ran == ["bench.small_write", "bench.metadata"]
    assert list(results.notes) == ["bench.metadata"]
    assert results.notes["bench.metadata"][0].startswith("no baseline for metadata in ")


def test_a_metric_too_noisy_to_judge_is_a_note_not_a_pass(tmp_path):
    results = _checks(tmp_path, [dict(METRICS[0], values=[20, 300, 90, 200, 40])])
    assert results.problems == []
    assert "too noisy" in results.notes["bench.small_write"][0]


def test_run_file_round_trip_and_corrupt_file(tmp_path):
    baseline.write_run(str(tmp_path), KEY, "rel/bench.json", "check")
    run = baseline.read_run(str(tmp_path))
    assert run["key"] == KEY and run["mode"] == "check" and os.path.isabs(run["store"])
    assert baseline.read_run(str(tmp_path / "none")) is None
    (tmp_path / baseline.RUN_FILE).write_text("{half")
    with pytest.raises(baseline.BaselineError, match=r"baseline-run.json is corrupt"):
        baseline.read_run(str(tmp_path))


PARAMS = {"bench_workloads": "small_write meta", "bench_runtime": "2",
          "bench_small_write_fio": "rw=write bs=4k nrfiles=16 filesize=40k",
          "bench_meta_metadata": "files=64 file_bytes=4096",
          "bench_big_fio": "rw=read bs=64k size=16m"}


def test_specs_from_cfg():
    specs = spec.from_params(PARAMS)
    assert [(s.name, s.kind) for s in specs] == [("small_write", "fio"), ("meta", "metadata")]
    assert specs[0].options["runtime"] == "2" and "time_based" in specs[0].options
    assert specs[0].skip_reason(48) is None
    big = spec.from_params(dict(PARAMS, bench_workloads="big"))[0]
    assert big.skip_reason(48) == ("big: files of 16384 KiB exceed the filesystem's limit "
                                   "of 48 KiB (fs_max_file_kb)")
    assert big.skip_reason(0) is None


def test_quick_keys_win_only_when_quick():
    params = dict(PARAMS, bench_workloads_quick="meta")
    assert len(spec.from_params(params)) == 2
    assert [s.name for s in spec.from_params(dict(params, quick="yes"))] == ["meta"]


@pytest.mark.parametrize("change, message", [
    ({"bench_repeats": "0"}, r"bench_repeats = '0': expected a whole number >= 5"),
    ({"bench_repeats": "3"}, r"bench_repeats = '3': expected a whole number >= 5"),
    ({"bench_workloads": ""}, r"bench_workloads is empty"),
    ({"bench_workloads": "nosuch"}, (r"workload 'nosuch' in bench_workloads has neither "
                                     r"bench_nosuch_fio nor bench_nosuch_metadata")),
    ({"bench_small_write_fio": "bs=4k"}, r"bench_small_write_fio: 'bs=4k' has no rw="),
    ({"bench_meta_metadata": "files=0"}, r"expected files=N with N > 0"),
    ({"bench_runtime": "fast"}, r"bench_runtime = 'fast': expected a whole number >= 1"),
])
def test_bad_cfg_is_one_line(change, message):
    params = dict(PARAMS, **change)
    with pytest.raises(ConfigError, match=message):
        spec.from_params(params)
        spec.repeats(params)

"""The nightly job's suites (on the repo's real cfg files) and its baseline step."""
import importlib.util
import json
import logging
import os

import pytest

from avocado_vexfs.bench import baseline

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_nightly():
    spec = importlib.util.spec_from_file_location(
        "nightly", os.path.join(REPO, "jobs", "nightly.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nightly_runs_level2_whole_and_level3_quick_on_the_default_guest():
    nightly = load_nightly()
    suites = dict(nightly.suite_configs("linux_6_12", [], ""))
    assert suites["level2"]["vt.config"].endswith("cfg/level2.cfg")
    assert suites["level2"]["vt.only_filter"] == "linux_6_12"
    if os.path.isfile(os.path.join(REPO, "cfg", "level3.cfg")):
        assert "quick=yes" in suites["level3"]["vt.extra_params"]
    assert suites["level2-debug"]["vt.config"].endswith("cfg/level2.cfg")
    assert "guest_kernel_flavour=debug" in suites["level2-debug"]["vt.extra_params"]
    assert suites["level2-debug"]["vt.no_filter"] == "bench"
    assert suites["fuzz-debug"]["vt.only_filter"] == "linux_6_12 fuzz"
    assert "level2-debug" not in dict(nightly.suite_configs("linux_6_12", [], "",
                                                            debug_kernel=False))


def _job(tmp_path, tests):
    """A finished job dir: results.json and, per test, the files a bench test leaves."""
    job = tmp_path / "job-1"
    for name, status, run in tests:
        logdir = job / "test-results" / name
        logdir.mkdir(parents=True)
        if run is not None:
            (logdir / "metrics.json").write_text(json.dumps(
                METRICS + [{"workload": "seq_read", "skipped": "over the limit"}]))
            baseline.write_run(str(logdir), KEY, run[0], run[1])
    (job / "results.json").write_text(json.dumps({"tests": [
        {"name": name, "status": status, "logdir": str(job / "test-results" / name)}
        for name, status, _run in tests]}))
    return str(job)


KEY = baseline.key("6.12.117+deb12-cloud-amd64", 1, 2048, "ext4")
METRICS = [{"workload": "small_write", "params": "bs=4k rw=write", "metric": "write_bw",
            "unit": "KiB/s", "higher_is_better": True, "values": [100, 101, 99, 100, 102]}]


def test_a_clean_night_records_each_check_mode_bench_test_in_its_store(tmp_path, caplog):
    nightly = load_nightly()
    store = str(tmp_path / "store" / "bench.json")
    other = str(tmp_path / "other.json")
    job = _job(tmp_path, [
        ("1-bench.short", "WARN", (store, "check")),     # no baseline yet: a note
        ("2-bench.short", "PASS", (other, "check")),
        ("3-bench.short", "PASS", (store, "record")),    # recorded itself already
        ("4-boot", "PASS", None),
    ])
    caplog.set_level(logging.INFO)
    assert nightly.update_baseline(job) == 2
    entries = baseline.Store(store).load()
    assert [(e["workload"], e["metric"], e["values"], e["run"]) for e in entries] == [
        ("small_write", "write_bw", [100, 101, 99, 100, 102], "job-1/1-bench.short")]
    assert baseline.Store(store).lookup(KEY, "small_write", "bs=4k rw=write",
                                        "write_bw") == [100.0, 101.0, 99.0, 100.0, 102.0]
    assert len(baseline.Store(other).load()) == 1
    assert "3-bench.short not recorded: bench_regression = record" in caplog.text


def test_a_night_without_bench_tests_says_the_baseline_is_unchanged(tmp_path, caplog):
    nightly = load_nightly()
    caplog.set_level(logging.INFO)
    assert nightly.update_baseline(_job(tmp_path, [("1-boot", "PASS", None)])) == 0
    assert "baseline unchanged: no bench test measured" in caplog.text


def test_a_corrupt_run_file_is_one_line_and_records_nothing(tmp_path):
    nightly = load_nightly()
    store = tmp_path / "bench.json"
    job = _job(tmp_path, [("1-bench.short", "PASS", (str(store), "check"))])
    run_file = os.path.join(job, "test-results", "1-bench.short", baseline.RUN_FILE)
    with open(run_file, "w", encoding="utf-8") as handle:
        handle.write('{"key": {}}')
    with pytest.raises(baseline.BaselineError, match=r"baseline-run.json lacks"):
        nightly.update_baseline(job)
    assert not store.exists()


def _loaded(*statuses, flaky=()):
    return {"tests": [{"status": s} for s in statuses], "flaky": list(flaky)}


@pytest.mark.parametrize("job_status, loaded, clean", [
    (0, _loaded("PASS", "WARN", "CANCEL", "SKIP"), True),
    (1, _loaded("PASS", "FAIL"), False),
    (1, _loaded("PASS", "ERROR"), False),
    (8, _loaded("PASS", "INTERRUPTED"), False),
    (0, _loaded("PASS", flaky=["boot"]), False),
    (0, _loaded(), False),
])
def test_only_a_clean_night_may_teach_the_baseline(job_status, loaded, clean):
    assert load_nightly().is_clean(job_status, loaded) is clean


def test_a_job_dir_without_results_is_one_line(tmp_path):
    with pytest.raises(baseline.BaselineError, match=r"results.json is unreadable"):
        load_nightly().update_baseline(str(tmp_path))


def test_fstests_suites_run_the_group_on_both_filesystems():
    nightly = load_nightly()
    src = os.path.normpath(os.path.join(REPO, "..", "shared", "sut",
                                        "fstests-63a2972.tar.xz"))
    suites = dict(nightly.suite_configs("linux_6_12", [], "", fstests_src=src,
                                        fstests_group="quick"))
    assert list(suites) == ["level2", "level3", "level2-debug", "fuzz-debug",
                           "fstests-ext4-quick", "fstests-vexfs-quick", "instrumented",
                           "instrumented-matrix"]
    for name in ("fstests-ext4-quick", "fstests-vexfs-quick"):
        with open(suites[name]["vt.config"], encoding="utf-8") as cfg:
            text = cfg.read()
        assert text.count("fstests_test = generic/") >= 633 and "only fstests" in text
        assert f"fstests_src={src}" in suites[name]["vt.extra_params"]
    assert f"fstests_src={src}" in suites["level2"]["vt.extra_params"]


def test_instrumented_tests_run_on_both_filesystems_then_the_matrix():
    nightly = load_nightly()
    suites = dict(nightly.suite_configs("linux_6_12", ["vcpus=1"], ""))
    folder = os.path.join(REPO, "tests-instrumented")
    assert suites["instrumented"]["resolver.references"] == [folder]
    assert suites["instrumented"]["yaml_to_mux.files"] == [
        os.path.join(folder, "filesystems.yml")]
    assert suites["instrumented-matrix"]["yaml_to_mux.files"] == [
        os.path.join(folder, "mount_matrix.py.data", "variants.yml")]
    for name in ("instrumented", "instrumented-matrix"):
        assert suites[name]["yaml_to_mux.inject"] == [
            "/run:guest_kernel_variant:linux_6_12", "/run:vcpus:1"]
        assert all(os.path.exists(path) for path in suites[name]["resolver.references"]
                   + suites[name]["yaml_to_mux.files"])
    trial = dict(nightly.suite_configs("linux_6_12", [], "ext4..boot"))
    assert "instrumented" not in trial and "instrumented-matrix" not in trial

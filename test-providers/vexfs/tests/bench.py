"""Benchmarks of the filesystem under test, judged against its baseline as distributions."""
import json
import os

from virttest import error_context

from avocado_vexfs.bench import baseline, runner, spec
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, format_and_mount


def _store(params):
    path = params.get("bench_baseline_file") or "results/baselines/bench.json"
    return baseline.Store(path if os.path.isabs(path) else os.path.join(known.REPO, path))


def _judge(test, params, store, guest_key, metrics, results):
    """Compare the checked metrics with the baseline; regressions and gaps into results."""
    error_context.context("compare with the baseline", test.log.info)
    patterns = str(params.get("bench_check_metrics", "*_bw *_rate")).split()
    verdicts, missing = runner.judge(store, guest_key, metrics, patterns,
                                     threshold=float(params.get("bench_threshold", 0.10)),
                                     runs=int(params.get("bench_baseline_runs", 3)))
    for entry, verdict in verdicts:
        test.log.info("%s %s", entry["workload"], verdict.describe())
    runner.add_checks(results, verdicts, missing)


@error_context.context_aware
def run(test, params, env):
    """
    0) read the workloads, repeats and baseline mode from cfg (bad cfg or a corrupt
       baseline file end the test before any guest boots)
    1) for vexfs: build and load the module; mkfs and mount the scratch disk
    2) run every workload bench_repeats times, dropping caches before each run; a
       workload whose files exceed fs_max_file_kb is skipped with the limit as reason
       (a note: the test ends WARN, not PASS)
    3) write metrics.json (every repetition) and baseline-run.json (guest key, store,
       mode: what the nightly needs to record this run later) into the test's logdir
    4) bench_regression = record: add the run to the baseline store;
       check: compare each checked metric to the baseline (ratio of medians, bootstrap
       interval, Mann-Whitney): a regression is a problem ``bench.<workload>/<metric>:
       regression``; a metric with no baseline or too noisy to judge is a note (WARN);
       off: a note that nothing was compared
    """
    mode = params.get("bench_regression", "check")
    if mode not in ("check", "record", "off"):
        test.error(f"bench_regression = {mode!r}: expected check, record or off")
    specs = spec.from_params(params)
    repeats = spec.repeats(params, regression_check=mode != "off")
    store = _store(params)
    if mode == "check":
        store.load()
    max_file_kb = spec.int_param(params, "fs_max_file_kb", 0)
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    runtime = int(spec.param(params, "bench_runtime", 2))
    test.log.info("%d workloads x %d repeats, ~%ds each", len(specs), repeats, runtime)
    results = checks.Checks("bench")
    with booted_guest(test, params) as guest:
        format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("run the workloads", test.log.info)
        collector = runner.measure(guest, specs, mountpoint, repeats, max_file_kb,
                                   timeout=int(params.get("bench_timeout", 600)))
        filesystem.umount(guest, mountpoint)
        guest_key = baseline.key(guest.kernel["release"], guest.config.vcpus,
                                 guest.config.memory_mb, filesystem.name)
    path = collector.write(test.logdir)
    baseline.write_run(test.logdir, guest_key, store.path, mode)
    metrics = collector.as_list()
    test.whiteboard = json.dumps({"metrics": os.path.basename(path), "key": guest_key})
    for workload, reason in collector.skipped.items():
        results.note(workload, f"not run: {reason}")
    if mode == "record":
        count = store.record(guest_key, metrics, run_id=os.path.basename(test.logdir))
        test.log.info("recorded %d metrics in baseline %s", count, store.path)
        results.add("record", [])
    elif mode == "off":
        results.note("regression", "not compared with a baseline (bench_regression = off)")
    else:
        _judge(test, params, store, guest_key, metrics, results)
    known.report(test, params, results, release=guest_key["kernel"])

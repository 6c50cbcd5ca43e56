"""Benchmarks of the filesystem under test, judged against its baseline as distributions."""
import json
import os

from virttest import error_context

from avocado_vexfs import baseline, expected
from avocado_vexfs.vt import booted_guest, build_filesystem, format_and_mount
from avocado_vexfs.workloads import bench, spec


def _store(params):
    path = params.get("bench_baseline_file") or "results/baselines/bench.json"
    return baseline.Store(path if os.path.isabs(path) else os.path.join(expected.REPO, path))


@error_context.context_aware
def run(test, params, env):
    """
    0) read the workloads, repeats and baseline mode from cfg (bad cfg or a corrupt
       baseline file end the test before any guest boots)
    1) for vexfs: build and load the module; mkfs and mount the scratch disk
    2) run every workload bench_repeats times, dropping caches before each run; a
       workload whose files exceed fs_max_file_kb is skipped with the limit as reason
    3) write metrics.json (every repetition) into the test's logdir
    4) bench_regression = record: add the run to the baseline store;
       check: compare each checked metric to the baseline (ratio of medians, bootstrap
       interval, Mann-Whitney); a regression fails the test naming metric and numbers
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
    with booted_guest(test, params) as guest:
        format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("run the workloads", test.log.info)
        collector = bench.measure(guest, specs, mountpoint, repeats, max_file_kb,
                                  log=test.log, timeout=int(params.get("bench_timeout", 600)))
        filesystem.umount(guest, mountpoint)
        guest_key = baseline.key(guest.kernel["release"], guest.config.vcpus,
                                 guest.config.memory_mb, filesystem.name)
    path = collector.write(test.logdir)
    metrics = collector.as_list()
    test.whiteboard = json.dumps({"metrics": os.path.basename(path), "key": guest_key})
    for reason in collector.skipped.values():
        test.log.warning("workload not run: %s", reason)
    if mode == "record":
        count = store.record(guest_key, metrics, run_id=os.path.basename(test.logdir))
        test.log.info("recorded %d metrics in baseline %s", count, store.path)
        return
    if mode == "off":
        return
    error_context.context("compare with the baseline", test.log.info)
    patterns = str(params.get("bench_check_metrics", "*_bw *_rate")).split()
    verdicts, notes = bench.judge(store, guest_key, metrics, patterns,
                                  threshold=float(params.get("bench_threshold", 0.10)),
                                  runs=int(params.get("bench_baseline_runs", 3)))
    for note in notes:
        test.log.warning("%s", note)
    for _entry, verdict in verdicts:
        test.log.info("%s", verdict.describe())
    regressions = [v.describe() for _e, v in verdicts if v.verdict == "regression"]
    if regressions:
        test.fail(f"{len(regressions)} performance regressions: {'; '.join(regressions)}")

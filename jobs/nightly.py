#!/usr/bin/env python3
"""Nightly job (Avocado Job API): level 2, quick level 3, fstests and the instrumented tests.

fstests: with FSTESTS_SRC set (environment or --fstests-src), the fstests group
--fstests-group (default quick, in full) runs on ext4 and on VexFS, one suite each; without
it that part is left out with a warning line.

Instrumented tests: tests-instrumented/ on ext4 and VexFS (filesystems.yml), then its
mount-option and block-size matrix, each a suite of plain Avocado instrumented tests;
VexFS runs where VEXFS_SRC is set in the environment (make nightly passes it).

One Avocado job with one test suite per level, so one results directory, one
results.json and one HTML report hold the whole night. The performance baselines are
updated only when the night is clean (no test FAIL, ERROR or INTERRUPTED, nothing
flaky; WARN, CANCEL and SKIP are clean): a baseline learnt from a broken or flaky run
would hide the next regression. A bench metric with no baseline yet ends its test WARN,
so the first clean night on a new machine records one.

Run it with `make nightly` (or `.venv/bin/python jobs/nightly.py`); cron, as root:
    30 1 * * *  cd /path/to/avocado-vexfs && make nightly >> results/nightly.log 2>&1
Exit status: 0 clean, 1 test failures, 2 the job could not run.
"""
import argparse
import logging
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # runs from a checkout, installed or not

# pylint: disable=wrong-import-position
from avocado.core.job import Job  # noqa: E402
from avocado.core.suite import TestSuite, TestSuiteError  # noqa: E402

from avocado_vexfs.bench import baseline  # noqa: E402
from avocado_vexfs.errors import VexfsError  # noqa: E402
from avocado_vexfs.fstests import selection  # noqa: E402
from avocado_vexfs.fstests import source as fstests_source  # noqa: E402
from avocado_vexfs.report import html, jobdir  # noqa: E402

LOG = logging.getLogger("avocado_vexfs.nightly")
DEFAULT_GUEST = "linux_6_12"
CLEAN = ("PASS", "WARN", "CANCEL", "SKIP")


INSTRUMENTED = os.path.join(REPO, "tests-instrumented")
# (suite, scenarios, variants file): every scenario on both filesystems, then the matrix
INSTRUMENTED_SUITES = [
    ("instrumented", [INSTRUMENTED], os.path.join(INSTRUMENTED, "filesystems.yml")),
    ("instrumented-matrix", [os.path.join(INSTRUMENTED, "mount_matrix.py")],
     os.path.join(INSTRUMENTED, "mount_matrix.py.data", "variants.yml")),
]


def instrumented_configs(guest, extra_params):
    """(name, config) of the instrumented tests' suites (tests-instrumented/): Avocado's
    own resolver and variants files; the guest and --extra-params reach every test as
    parameters (yaml_to_mux's inject, the form -p cannot take beside a variants file)."""
    params = [f"guest_kernel_variant={guest}", *extra_params]
    inject = [f"/run:{key}:{value}" for key, _, value in (p.partition("=") for p in params)]
    return [(name, {"resolver.references": references, "yaml_to_mux.files": [variants],
                    "yaml_to_mux.inject": inject})
            for name, references, variants in INSTRUMENTED_SUITES]


def suite_configs(guest, extra_params, only, fstests_src="", fstests_group="quick",
                  debug_kernel=True):
    """(name, config) of each suite: level 2 whole, level 3 with quick = yes, level 2
    again on the debug kernel (KASAN, lockdep, kmemleak, UBSAN: the bugs a stock kernel
    does not show) and the fuzzer on it, the fstests group on each filesystem (when
    FSTESTS_SRC is given), then the instrumented tests (left out when --only narrows the
    night to a trial)."""
    suites = []
    # (suite, cfg, extra params, no filter, only filter)
    runs = [("level2", "level2", [], "", ""), ("level3", "level3", ["quick=yes"], "", "")]
    if debug_kernel:
        # no benchmarks: they would time the sanitizers, not VexFS
        runs.append(("level2-debug", "level2", ["guest_kernel_flavour=debug"], "bench", ""))
        runs.append(("fuzz-debug", "level3", ["guest_kernel_flavour=debug"], "", "fuzz"))
    levels = [(name, os.path.join(REPO, "cfg", f"{level}.cfg"), params, no, only_run)
              for name, level, params, no, only_run in runs]
    if fstests_src:
        extra_params = [*extra_params, f"fstests_src={fstests_src}"]
        for fs_name in ("ext4", "vexfs"):
            tests = selection.select(fstests_src, fs_name, fstests_group)
            levels.append((f"fstests-{fs_name}-{fstests_group}",
                           selection.write(tests, fs_name, fstests_group), [], "", ""))
    else:
        LOG.warning("nightly: fstests left out: FSTESTS_SRC is not set")
    for level, cfg, params, no, only_run in levels:
        if not os.path.isfile(cfg):
            LOG.warning("nightly: %s does not exist yet: suite %s skipped", cfg, level)
            continue
        suites.append((level, {
            "resolver.references": [],
            "vt.config": cfg,
            "vt.only_filter": " ".join(filter(None, [guest, only, only_run])),
            "vt.extra_params": params + list(extra_params),
            **({"vt.no_filter": no} if no else {}),
        }))
    if only:
        LOG.warning("nightly: instrumented tests left out: --only narrows the VT suites")
    else:
        suites += instrumented_configs(guest, extra_params)
    return suites


def is_clean(job_status, loaded):
    """Whether a night may teach the baseline: the job ran, no test failed, none flaky.

    :param job_status: Job.run()'s exit status
    :param loaded: the job as report.jobdir.load_job reads it
    """
    return job_status == 0 and bool(loaded["tests"]) and \
        all(t["status"] in CLEAN for t in loaded["tests"]) and not loaded["flaky"]


def update_baseline(job_dir):
    """Record this clean night's bench metrics in their stores; the number recorded.

    :raises avocado_vexfs.bench.baseline.BaselineError: a corrupt run file, metrics or store
    """
    recorded = baseline.record_job(job_dir)
    for name, store, count in recorded:
        LOG.info("nightly: baseline %s: %d metrics of %s recorded", store, count, name)
    if not recorded:
        LOG.info("nightly: baseline unchanged: no bench test measured in %s", job_dir)
    return sum(count for _name, _store, count in recorded)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guest", default=DEFAULT_GUEST, help="guest variant to run on")
    parser.add_argument("--only", default="", help="an extra cartesian filter (for a "
                                                   "short trial run, e.g. 'ext4..boot')")
    parser.add_argument("--extra-params", action="append", default=[], metavar="K=V",
                        help="passed to every suite as --vt-extra-params")
    parser.add_argument("--no-baseline", action="store_true", help="never touch baselines")
    parser.add_argument("--parallel", type=int, default=2,
                        help="tests (guests) at once; 2 measured 1.3-1.9x faster on 2 cores")
    parser.add_argument("--fstests-src", default=os.environ.get("FSTESTS_SRC", ""),
                        help="FSTESTS_SRC for the fstests suites (default: environment)")
    parser.add_argument("--fstests-group", default="quick",
                        help="fstests group run on ext4 and VexFS (default quick)")
    parser.add_argument("--no-debug-kernel", action="store_true",
                        help="leave out level 2 on the debug kernel (its first build "
                             "takes about 40 minutes)")
    parser.add_argument("--results-dir", default=None,
                        help="where the job directory goes (default: Avocado's setting)")
    args = parser.parse_args(argv)
    if not LOG.handlers:  # our lines only: Avocado's own UI already prints the job's
        LOG.addHandler(logging.StreamHandler())
        LOG.setLevel(logging.INFO)
        LOG.propagate = False

    suites = []
    try:
        configs = suite_configs(args.guest, args.extra_params, args.only,
                                fstests_src=fstests_source.source_from(
                                    {"fstests_src": args.fstests_src}),
                                fstests_group=args.fstests_group,
                                debug_kernel=not args.no_debug_kernel)
    except VexfsError as err:
        print(f"nightly: error: {err}", file=sys.stderr)
        return 2
    for name, config in configs:
        try:
            suite = TestSuite.from_config(config, name=name)
        except TestSuiteError as err:
            LOG.warning("nightly: suite %s skipped: no test matches (%s)", name,
                        str(err).splitlines()[0])
            continue
        if suite.size:
            suites.append(suite)
    if not suites:
        print(f"nightly: error: no test matches guest {args.guest!r} and filter "
              f"{args.only!r}: expected names from 'avocado list --vt-config "
              f"cfg/level2.cfg'", file=sys.stderr)
        return 2
    job_config = {"job.run.result.json.enabled": True,
                  "run.max_parallel_tasks": args.parallel}
    if args.results_dir:
        job_config["run.results_dir"] = os.path.abspath(args.results_dir)
    with Job(job_config, suites) as job:
        status = job.run()
        job_dir = job.logdir
    try:
        report = html.build(job_dir)
        loaded = jobdir.load_job(job_dir, light=True)
    except VexfsError as err:
        print(f"nightly: error: {err}", file=sys.stderr)
        return 2
    clean = is_clean(status, loaded)
    print(f"nightly: {loaded['verdict']} {loaded['counts']} report {report}")
    if not clean:
        LOG.info("nightly: baseline not updated: the run is not clean")
        return 1
    if args.no_baseline:
        LOG.info("nightly: baseline not updated: --no-baseline")
        return 0
    try:
        update_baseline(job_dir)
    except VexfsError as err:
        print(f"nightly: error: baseline not updated: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Crash consistency: bounded workloads, every persistence point replayed and checked."""
import os

from virttest import error_context

from avocado_vexfs.crashcons import check, explorer
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, load_filesystem

RERUN = ("avocado run --vt-config cfg/crashcons.cfg --vt-only-filter "
         "\"{fs} crash_consistency.quick\" --vt-extra-params crashcons_workload={{path}}")


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) generate the workloads from the crashcons_* bounds (or take crashcons_workload)
    2) cancel with the reason when the guest kernel lacks dm-log-writes, dm-snapshot or
       loop (or dm-flakey for the drop_writes control)
    3) per workload, in the guest: mkfs, dm-log-writes, run it with a mark after every
       persistence call, replay each mark onto a fresh copy, mount a snapshot, observe
    4) check every crash state against the model; group failures by signature, each
       with a rerun command; the report is crashcons-report.txt in the test's logdir
    5) verdict: one signature per failing crash-state group, judged against
       cfg/expected/<fs>.txt (no crash state checked is a failure); with
       crashcons_expect_failures = yes (a positive control) no failure fails it
    """
    filesystem = build_filesystem(test, params)
    workloads = explorer.workloads_for(params)
    test.log.info("%d workloads (seed %s, seq_len %s)", len(workloads),
                  params.get("crashcons_seed", 1), params.get("crashcons_seq_len", 1))
    rerun = filesystem.rerun_env() + RERUN.format(fs=filesystem.name)
    with booted_guest(test, params) as guest:
        load_filesystem(test, guest, filesystem)
        options, unsupported = explorer.ready(guest, filesystem, params)
        if unsupported:
            test.cancel(unsupported)
        guest.mark_step("crash consistency")
        summary = explorer.explore(guest, workloads, options, test.logdir, rerun)
    numbers = summary.numbers()
    test.log.info("numbers: %s", numbers)
    for line in check.report(summary.failures):
        test.log.info("%s", line)
    test.log.info("report: %s", os.path.join(test.logdir, "crashcons-report.txt"))
    groups = check.group(summary.failures)
    if params.get("crashcons_expect_failures") == "yes":
        if not summary.failures:
            test.fail(f"positive control ({options.control}) not flagged: "
                      f"{numbers['marks_checked']} crash states all passed")
        test.log.info("positive control flagged: %d failures in %d groups",
                      len(summary.failures), len(groups))
        return
    results = checks.Checks("crash_consistency")
    check.add_to(results, summary)
    known.report(test, params, results, release=guest.kernel["release"])

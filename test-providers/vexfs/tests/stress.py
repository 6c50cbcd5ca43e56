"""A stressor on the filesystem under test: no crash, no hang, data intact, no leak."""
import json

from virttest import error_context

from avocado_vexfs.bench import spec, stress
from avocado_vexfs.bench.base import WorkloadError
from avocado_vexfs.bench.metrics import Collector
from avocado_vexfs.checks import datacheck
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, format_and_mount


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build and load the module; mkfs and mount the scratch disk
    1) write a checksummed file tree (stress_tree_kb), note the used space
    2) run the variant's stressor (stress-ng args, dbench, or N writers on one
       directory) for stress_duration seconds; the crash detector watches the console
       and a stressor that stops answering is a hang (SysRq dumps, then a verdict)
    3) remove what the stressor left, compare used space with step 1
       (stress_leak_tolerance_kb) and the tree's checksums
    4) umount, mount, compare the checksums and the used space again
    5) each of those is a check judged by signature (cfg/expected/<fs>.txt);
       metrics.json keeps the stressor's rates
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    seconds = spec.int_param(params, "stress_duration", 60, minimum=1)
    tolerance = spec.int_param(params, "stress_leak_tolerance_kb", 512)
    sizes = params.get("stress_tree_kb", "4 16 40").split()
    file_kb = spec.int_param(params, "stress_file_kb", 0)
    max_file_kb = spec.int_param(params, "fs_max_file_kb", 0)
    if max_file_kb and file_kb > max_file_kb:
        test.cancel(f"stressor files of {file_kb} KiB exceed the filesystem's limit of "
                    f"{max_file_kb} KiB (fs_max_file_kb)")
    workdir = f"{mountpoint}/stress"
    stressor = params.get("shortname", "stress").split(".")[-1]
    results = checks.Checks(f"stress.{stressor}")
    results.plan("stressor", "space_after_cleanup", "tree_after_cleanup",
                 "space_after_remount", "tree_after_remount")
    collector = Collector()
    with booted_guest(test, params) as guest:
        device = format_and_mount(test, guest, filesystem, mountpoint)
        guest.mark_step("tree")
        want = datacheck.write_tree(guest, mountpoint, sizes)
        used_before = stress.space_used_kb(guest, mountpoint)
        guest.cmd(f"mkdir -p {workdir}")
        error_context.context(f"stress for {seconds}s", test.log.info)
        guest.mark_step("stress")
        try:
            measurements = stress.run(guest, params, workdir, seconds,
                                      timeout=seconds * 3 + 180)
            collector.add(spec.Spec(stressor, "stress", {"duration": str(seconds)}),
                          measurements)
            test.log.info("stressor: %s", ", ".join(f"{m.metric}={m.value:.1f} {m.unit}"
                                                     for m in measurements))
            results.add("stressor")
        except WorkloadError as err:
            results.add("stressor", [str(err)])
        guest.mark_step("cleanup")
        guest.cmd(f"rm -rf {workdir}; sync; echo 3 > /proc/sys/vm/drop_caches",
                  timeout=600)
        for when in ("after_cleanup", "after_remount"):
            if when == "after_remount":
                filesystem.umount(guest, mountpoint)
                filesystem.mount(guest, device, mountpoint)
            used = stress.space_used_kb(guest, mountpoint)
            results.add(f"space_{when}", [
                f"{used - used_before} KiB still used (before {used_before}, now {used}; "
                f"tolerance {tolerance})"] if used - used_before > tolerance else [])
            results.add(f"tree_{when}",
                        datacheck.compare(want, datacheck.read_tree(guest, mountpoint)))
        filesystem.umount(guest, mountpoint)
    collector.write(test.logdir)
    test.whiteboard = json.dumps({"stress_seconds": seconds,
                                  "problems": len(results.problems)})
    known.report(test, params, results, release=guest.kernel["release"])

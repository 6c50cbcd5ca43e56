"""Power cuts at cfg cut points: fsynced data survives and the filesystem mounts."""
from virttest import error_context

from avocado_vexfs.bench import spec
from avocado_vexfs.checks import datacheck
from avocado_vexfs.checks import powercut
from avocado_vexfs.errors import GuestCommandError
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import (booted_guest, build_filesystem, format_and_mount,
                                    load_filesystem)


@error_context.context_aware
def run(test, params, env):
    """
    For each cut point k of powercut_points (a fresh mkfs each time):
    1) mkfs and mount (vexfs: its module built and loaded first)
    2) write the first k files of powercut_file_kb, each fsynced with its directory
    3) start unsynced writes in the background, cut the power (destroy the domain)
    4) boot again on the same disks, load the module, mount: a failed mount is a problem
    5) every fsynced file must be there with its checksum
    6) umount; with powercut_fsck (ext4: e2fsck -fn) the fs must check clean
    Each cut point is a check (cut_after_<k>); problems are judged by signature.
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    sizes = params.get("powercut_file_kb", "4 16 40").split()
    points = [int(p) for p in str(spec.param(params, "powercut_points", "1")).split()]
    bad = [p for p in points if not 0 <= p <= len(sizes)]
    if not points or bad:
        test.error(f"powercut_points = {points}: expected numbers of files between 0 and "
                   f"{len(sizes)} (the length of powercut_file_kb)")
    fsck = params.get("powercut_fsck", "")
    results = checks.Checks("powercut")
    results.plan(*(f"cut_after_{point}" for point in points))
    with booted_guest(test, params) as guest:
        for index, point in enumerate(points):
            where = f"cut after {point} fsynced files"
            check, problems = f"cut_after_{point}", []
            error_context.context(where, test.log.info)
            if index == 0:
                device = format_and_mount(test, guest, filesystem, mountpoint)
            else:
                guest.mark_step("mkfs")
                filesystem.mkfs(guest, device)
                filesystem.mount(guest, device, mountpoint)
            guest.mark_step(f"write, {where}")
            want = powercut.write_synced(guest, mountpoint, sizes[:point])
            powercut.start_inflight(guest, mountpoint, params.get("powercut_inflight_kb", 40))
            test.log.info("power cut (%s); boot again took %.1fs", where, guest.power_cut())
            load_filesystem(test, guest, filesystem)
            guest.mark_step(f"mount, {where}")
            try:
                filesystem.mount(guest, device, mountpoint)
            except GuestCommandError as err:
                results.add(check, [f"mount failed: {err.output.strip() or err}"])
                continue
            try:
                found = datacheck.read_tree(guest, mountpoint)
                problems += powercut.check(want, found)
            except GuestCommandError as err:
                problems.append(f"cannot read the tree: {err.output.strip() or err}")
            filesystem.umount(guest, mountpoint)
            if fsck:
                status, output = guest.status_output(f"{fsck} {device}", timeout=300)
                if status != 0:
                    problems.append(f"{fsck} exited {status}: "
                                    f"{output.strip().splitlines()[-1] if output.strip() else ''}")
            results.add(check, problems)
            test.log.info("%s: %d fsynced files checked", where, len(want))
    known.report(test, params, results, release=guest.kernel["release"])

"""Level-1 smoke of the filesystem under test on the guest's scratch disk."""
from virttest import error_context

from avocado_vexfs.checks import datacheck
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, format_and_mount


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) mkfs on the scratch disk
    2) mount it and write files of the sizes in smoke_file_kb in its root directory
       (subdirectories are the functional suite's business)
    3) umount, mount again and compare every checksum
    4) umount; the console verdict is checked on the way out, then the remount check's
       problems are judged by signature (cfg/expected/<fs>.txt)
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    sizes = params.get("smoke_file_kb", "4 40").split()
    with booted_guest(test, params) as guest:
        device = format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("write files", test.log.info)
        guest.mark_step("write")
        want = datacheck.write_tree(guest, mountpoint, sizes)
        filesystem.umount(guest, mountpoint)
        error_context.context("mount again and compare checksums", test.log.info)
        guest.mark_step("verify")
        filesystem.mount(guest, device, mountpoint)
        found = datacheck.read_tree(guest, mountpoint)
        filesystem.umount(guest, mountpoint)
        results = checks.Checks("fs_smoke")
        results.add("remount", datacheck.compare(want, found))
        test.log.info("%d files verified after remount", len(found))
    known.report(test, params, results, release=guest.kernel["release"])

"""A file tree with a subdirectory survives umount/mount, module reload and reboot."""
from virttest import error_context

from avocado_vexfs.checks import datacheck
from avocado_vexfs.errors import GuestCommandError
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import (booted_guest, build_filesystem, format_and_mount,
                                    load_filesystem)


def _verify(guest, mountpoint, subdir, want):
    """Problems of the root (``.``) and the subdirectory against ``want``."""
    problems = []
    for where in ("", subdir):
        try:
            found = datacheck.read_tree(guest, f"{mountpoint}/{where}".rstrip("/"))
        except GuestCommandError as err:
            problems.append(f"cannot read {where or '.'}: {err.output.strip() or err}")
            continue
        problems += [f"{where or '.'}/{problem}"
                     for problem in datacheck.compare(want[where], found)]
    return problems


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) mkfs, mount, write files of persistence_file_kb in the root and in a subdirectory
    2) umount, mount, compare every checksum (root and subdirectory)
    3) for a filesystem that is a module (vexfs): umount, rmmod, insmod, mount, compare
       again (nothing may live only in the module's memory)
    4) with persistence_reboot = yes: umount, reboot the guest, load the module again,
       mount, compare again (what survives only a clean remount is not on the disk)
    5) umount; each step is a check (remount, module_reload, reboot) whose problems are
       judged by signature (cfg/expected/<fs>.txt)
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    sizes = params.get("persistence_file_kb", "4 16 40").split()
    subdir = params.get("persistence_subdir", "sub")
    results = checks.Checks("persistence")
    results.plan("remount", *(["module_reload"] if filesystem.has_module else []),
                 *(["reboot"] if params.get("persistence_reboot", "yes") == "yes" else []))
    with booted_guest(test, params) as guest:
        device = format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("write a tree", test.log.info)
        guest.mark_step("write")
        want = {"": datacheck.write_tree(guest, mountpoint, sizes),
                subdir: datacheck.write_tree(guest, f"{mountpoint}/{subdir}", sizes)}
        filesystem.umount(guest, mountpoint)

        error_context.context("umount/mount", test.log.info)
        guest.mark_step("remount")
        filesystem.mount(guest, device, mountpoint)
        results.add("remount", _verify(guest, mountpoint, subdir, want))
        filesystem.umount(guest, mountpoint)

        if filesystem.has_module:
            error_context.context("module reload", test.log.info)
            guest.mark_step("rmmod/insmod")
            filesystem.unload(guest)
            load_filesystem(test, guest, filesystem)
            filesystem.mount(guest, device, mountpoint)
            results.add("module_reload", _verify(guest, mountpoint, subdir, want))
            filesystem.umount(guest, mountpoint)

        if params.get("persistence_reboot", "yes") == "yes":
            error_context.context("reboot", test.log.info)
            guest.mark_step("reboot")
            seconds = guest.reboot()
            test.log.info("guest rebooted in %.1fs", seconds)
            load_filesystem(test, guest, filesystem)
            guest.mark_step("mount after reboot")
            filesystem.mount(guest, device, mountpoint)
            results.add("reboot", _verify(guest, mountpoint, subdir, want))
            filesystem.umount(guest, mountpoint)
    known.report(test, params, results, release=guest.kernel["release"])

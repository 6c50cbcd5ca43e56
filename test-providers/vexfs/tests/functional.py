"""Functional POSIX suite: the checks named in functional_checks on a fresh filesystem."""
from virttest import error_context

from avocado_vexfs import expected, posix
from avocado_vexfs.vt import booted_guest, build_filesystem, format_and_mount


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) mkfs on the scratch disk and mount it
    2) run each check of functional_checks in its own subdirectory-free root, collecting
       problems (one guest command per check; a step marker names it for crash reports)
    3) umount, so a corrupting check also shows up as an umount error or oops
    4) verdict: pass, fail, or cancel when cfg/expected/<fs>.txt lists the test
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    checks = params.get("functional_checks", "").split()
    if not checks:
        test.error("functional_checks is empty: nothing to run")
    problems = []
    with booted_guest(test, params) as guest:
        posix.install(guest)
        format_and_mount(test, guest, filesystem, mountpoint)
        for check in checks:
            error_context.context(f"check {check}", test.log.info)
            guest.mark_step(f"check {check}")
            found = posix.run_named(guest, check, mountpoint, params)
            test.log.info("check %s: %s", check, "; ".join(found) or "ok")
            problems += [f"{check}: {problem}" for problem in found]
        error_context.context("umount", test.log.info)
        guest.mark_step("umount")
        filesystem.umount(guest, mountpoint)
    expected.report(test, params, problems, what="functional checks")

"""Functional POSIX suite: the checks named in functional_checks on a fresh filesystem."""
from virttest import error_context

from avocado_vexfs.checks import posix
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, format_and_mount


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) mkfs on the scratch disk and mount it
    2) run each check of functional_checks in its own subdirectory-free root, collecting
       problems (one guest command per check; a step marker names it for crash reports)
    3) umount, so a corrupting check also shows up as an umount error or oops
    4) verdict per check: pass, fail on any new problem, cancel when every problem
       matches a known signature in cfg/expected/<fs>.txt
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    checks_ = params.get("functional_checks", "").split()
    if not checks_:
        test.error("functional_checks is empty: nothing to run")
    results = checks.Checks("functional")
    results.plan(*checks_)
    with booted_guest(test, params) as guest:
        posix.install(guest)
        format_and_mount(test, guest, filesystem, mountpoint)
        for check in checks_:
            error_context.context(f"check {check}", test.log.info)
            guest.mark_step(f"check {check}")
            found = posix.run_named(guest, check, mountpoint, params)
            test.log.info("check %s: %s", check, "; ".join(found) or "ok")
            results.add(check, found)
        error_context.context("umount", test.log.info)
        guest.mark_step("umount")
        filesystem.umount(guest, mountpoint)
    known.report(test, params, results, release=guest.kernel["release"])

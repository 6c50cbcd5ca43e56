"""mkfs options, mount/umount cycles, remount ro/rw, statfs, and mounts that must fail."""
from virttest import error_context

from avocado_vexfs.checks import mountcheck
from avocado_vexfs.errors import GuestCommandError
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, load_filesystem


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) each check of mkfs_mount_checks on the first scratch disk, in order: label,
       force, too_small (a loop device of mkfs_too_small_kb), cycles (mount_cycles),
       remount (ro refuses writes, rw writes), statfs (f_type = statfs_magic, sizes and
       counts, a write uses space), negative (zeroed, garbage, truncated and wrong-type
       devices: mount must refuse each, without an oops)
    2) each check's problems are judged by signature (cfg/expected/<fs>.txt); a crash
       fails the test with the check it happened in
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    checks_ = mountcheck.checks_for(params)
    results = checks.Checks("mkfs_mount")
    results.plan(*(name for name, _check in checks_))
    with booted_guest(test, params) as guest:
        load_filesystem(test, guest, filesystem)
        device = guest.scratch[0]
        for name, check in checks_:
            error_context.context(f"mkfs/mount check {name}", test.log.info)
            guest.mark_step(f"mkfs_mount {name}")
            try:
                found = check(guest, filesystem, device, mountpoint, params)
            except GuestCommandError as err:
                found = [f"{name}: {err}"]
                guest.status_output(f"umount {mountpoint}")
            for problem in found:
                test.log.warning("%s", problem)
            results.add(name, found)
    known.report(test, params, results, release=guest.kernel["release"])

"""I/O fault injection: the filesystem must return errors, never oops, hang or lie."""
from virttest import error_context

from avocado_vexfs.checks import faults
from avocado_vexfs.crashcons.explorer import missing_modules
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, load_filesystem


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel, copy it in, insmod it
    1) cancel with the reason when the guest kernel lacks dm-flakey (or scsi_debug)
    2) per fault in fault_kinds: mkfs on a dm-flakey map (a scsi_debug disk for
       medium_error), mount, write and sync an old file
    3) switch the fault on for fault_seconds while new files are written and fsynced
       and the old file is read with the page cache dropped
    4) switch it off: umount, fsck (fault_fsck), mount, read what is there, write again
    5) problems: no error while every write failed, success claimed for a file that is
       lost, a short read without an error, unusable after the fault; a console crash
       or hang fails the test through booted_guest
    """
    filesystem = build_filesystem(test, params)
    kinds = params.get("fault_kinds", "error_writes").split()
    results = checks.Checks("fault_injection")
    results.plan(*kinds)
    with booted_guest(test, params) as guest:
        load_filesystem(test, guest, filesystem)
        needed = [("scsi_debug" if kind == "medium_error" else "dm-flakey")
                  for kind in kinds]
        missing = missing_modules(guest, sorted(set(needed)))
        if missing:
            test.cancel(f"guest kernel {guest.kernel['release']} lacks "
                        f"{', '.join(missing)}: fault injection needs it")
        if "medium_error" in kinds and faults.built_in(guest, "scsi_debug"):
            test.cancel(f"guest kernel {guest.kernel['release']} has scsi_debug built in: "
                        f"its disk size and medium errors are set when it loads")
        for kind in kinds:
            error_context.context(f"fault {kind}", test.log.info)
            run_ = faults.run_fault(guest, filesystem, kind, params)
            test.log.info("%s", run_.summary())
            results.add(kind, run_.problems)
    known.report(test, params, results, release=guest.kernel["release"])

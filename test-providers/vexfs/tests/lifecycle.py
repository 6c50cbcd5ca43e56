"""insmod/rmmod cycles of the module under test: use counts, taint, busy rmmod, console."""
from virttest import error_context

from avocado_vexfs.checks import lifecycle
from avocado_vexfs.checks.lifecycle import LifecycleError
from avocado_vexfs.module.vexfs import ModuleLoadError
from avocado_vexfs.params import quick_int
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, build_fixture


def _module_in_guest(guest, filesystem, built):
    """Copy the module in (the fixture, else the filesystem's); return its guest path."""
    if built:
        path = f"/root/{built.rsplit('/', 1)[-1]}"
        guest.put_file(built, path)
        return path
    return filesystem.install(guest)


def _hold_and_release(params, guest, filesystem, built):
    """(command that pins the module, command that lets it go): the fixture's debugfs
    file held open, or the filesystem mkfs'd and mounted (once its fs type is known)."""
    if built:
        return params["lifecycle_hold"], params["lifecycle_release"]
    device, mountpoint = guest.scratch[0], params.get("mountpoint", "/mnt/test")
    return filesystem.hold_command(device, mountpoint), f"umount {mountpoint}"


@error_context.context_aware
def run(test, params, env):
    """
    0) build the module: vexfs from VEXFS_SRC, or our fixture module (module_src)
    1) lifecycle_cycles times: insmod, check /sys/module and use count 0, rmmod, check
       it is gone; after every step the console must be clean and the taint word may
       gain only O/E (out-of-tree, unsigned)
    2) insmod, take a reference (vexfs: mkfs + mount; fixture: hold its debugfs file
       open), rmmod must be refused with the module still loaded, release, use count 0
    3) rmmod; the console verdict is checked on the way out
    """
    fixture = params.get("lifecycle_module") == "fixture"
    filesystem = build_filesystem(test, params)
    built = build_fixture(test, params) if fixture else None
    count = quick_int(params, "lifecycle_cycles", 10)
    args = params.get("module_args", "")
    results = checks.Checks("lifecycle")
    results.plan("cycles", "busy_rmmod", "rmmod_after_busy")
    with booted_guest(test, params) as guest:
        cycler = lifecycle.Cycler(guest, _module_in_guest(guest, filesystem, built), params)
        step = "cycles"
        try:
            error_context.context(f"{count} insmod/rmmod cycles of {cycler.name}",
                                  test.log.info)
            cycler.cycles(count, args)
            results.add(step)
            step = "busy_rmmod"
            error_context.context("rmmod while in use", test.log.info)
            with filesystem.registering(guest, cycler.name):
                cycler.insmod("busy", args)
            hold, release = _hold_and_release(params, guest, filesystem, built)
            refused = cycler.refuse_busy_rmmod(hold, release)
            test.log.info("rmmod while in use refused: %s", refused)
            results.add(step)
            step = "rmmod_after_busy"
            cycler.rmmod("after busy")
            results.add(step)
        except (LifecycleError, ModuleLoadError) as err:
            results.add(step, [str(err)])
        for step, seconds in cycler.timings.items():
            if not seconds:
                continue
            test.log.info("%s: %d times, median %.3fs", step, len(seconds),
                          sorted(seconds)[len(seconds) // 2])
    known.report(test, params, results, release=guest.kernel["release"])

"""Glue between Avocado-VT's run(test, params, env) and the library.

Tests stay a list of steps; booting, cleanup and the console verdict live here, so every
test gets them the same way.
"""
import contextlib
import json
import os
import shutil

from avocado.core import exceptions

from avocado_vexfs import cfgkeys
from avocado_vexfs.console import verdict as console_verdict
from avocado_vexfs.errors import GuestError
from avocado_vexfs.kernel import flavours
from avocado_vexfs.module import fixture
from avocado_vexfs.module import fs, kbuild, vexfs
from avocado_vexfs.verdict import known
from avocado_vexfs.vm import images, infra
from avocado_vexfs.vm.guest import Guest, GuestConfig
from avocado_vexfs.vt import facts


def validate(params):
    """Every cfg key and the known-failures file, checked before anything is built or
    booted: a typo is a one-line error, not a verdict after minutes of guest time."""
    cfgkeys.validate(params)
    known.load(known.path_for(params))


@contextlib.contextmanager
def booted_guest(test, params, pool=None, pool_key="", setup=None, extra_disks=()):
    """Boot a guest for this test; fail the test on a console crash; always clean up.

    A crash found on the console wins over whatever error the test body raised: the
    oops is the cause, a failed command is only its symptom.

    :param pool: a vm.pool.Pool: take the slot's guest when it was set up for
        ``pool_key`` (and this config), and hand it back afterwards if it stayed healthy
    :param setup: ``setup(guest)`` after a fresh boot (a pooled guest had it already);
        judged like the body, so a crash in it is this test's verdict
    :param extra_disks: [(name, read-only base image)] attached through overlays
    """
    validate(params)
    opts = infra.options()
    infra.set_log_level(test, opts)
    config = infra.apply_settings(
        GuestConfig.from_params(params, name_hint=params.get("shortname", "test")), opts)
    config.extra_disks = list(extra_disks)
    with contextlib.ExitStack() as stack:
        slot = None
        if pool is not None and not opts["debug"]:
            slot = stack.enter_context(pool.slot(f"{_config_key(config)} {pool_key}"))
            slot.discard_other()
        guest = _pooled(test, config, slot) if slot else None

        def make_guest():
            if slot:
                config.name_hint = f"pool{slot.index}"
            made = Guest(config, logdir=test.logdir,
                         owner_pid=pool.owner_pid if slot else None)
            made.autodestroy = not opts["debug"] and not slot
            return made

        fresh = guest is None
        if fresh:
            guest = infra.start_with_retries(test, make_guest, opts)
        yield from _judged(test, params, guest, opts, slot, setup if fresh else None)


def started_guest(test, params, name_hint, logdir):
    """A started guest of the variant's config, not judged: for loops such as the fuzzer
    that judge each case themselves and retire guests as they go. The caller cleans up."""
    opts = infra.options()
    config = infra.apply_settings(GuestConfig.from_params(params, name_hint=name_hint),
                                  opts)

    def make_guest():
        made = Guest(config, logdir=logdir)
        made.autodestroy = True
        return made
    return infra.start_with_retries(test, make_guest, opts)


def _config_key(config):
    """What makes two guests interchangeable for a pool: the whole guest config."""
    return json.dumps({k: v for k, v in sorted(vars(config).items()) if k != "name_hint"},
                      sort_keys=True, default=str)


def _pooled(test, config, slot):
    """The slot's guest taken over, or None (no guest for this key, or it died)."""
    state = slot.reusable
    if not state:
        return None
    guest = Guest.attach(config, state, logdir=test.logdir)
    if guest is None:
        test.log.info("guest pool: slot %d's guest %s is gone; booting a fresh one",
                      slot.index, state["name"])
        slot.forget()
        return None
    guest.taint_baseline = slot.saved.get("baseline")
    test.log.info("guest pool: slot %d reuses guest %s (test %d in it)", slot.index,
                  guest.name, slot.tests_served + 1)
    return guest


def _judged(test, params, guest, opts, slot, setup):
    """The body of booted_guest from a guest in hand: the crash verdict and the cleanup."""
    handed_back = False
    try:
        test.log.info("guest %s booted in %.1fs (kernel %s)", guest.name,
                      guest.boot_seconds, guest.kernel["release"])
        test.log.info("guest image: %s", guest.image.directory)
        facts.record(test.logdir, kernel=guest.kernel["release"],
                     boot_seconds=round(guest.boot_seconds, 1),
                     boot_phases=guest.boot_phases,
                     image=os.path.basename(guest.image.directory),
                     image_dir=guest.image.directory,
                     **({"pool_slot": slot.index, "pool_tests_before": slot.tests_served}
                        if slot else {}))
        try:
            if setup:
                setup(guest)
                guest.taint_baseline = _taint(guest)
            yield guest
        except GuestError as err:
            if not guest.session_lost(err):
                _crash_wins(guest, params, err)
                raise
            text = guest.recover_hang()
            crash = console_verdict.first_crash(text, params, lost_connection=True,
                                                expected_reboots=guest.reboots)
            # the console watch names a panic or reboot it saw; otherwise it is a hang
            seen = guest.watch.reason if guest.watch else None
            raise exceptions.TestFail(_describe(guest, crash) if crash else
                                      str(err) if seen else f"guest hang: {err}") from err
        except Exception as err:
            _crash_wins(guest, params, err)
            raise
        # a debug kernel's last word on the test: what leaked (titled on the console)
        scanned = guest.kmemleak_scan("kmemleak scan at the end of the test")
        crash = console_verdict.first_crash(guest.settled_console_text() if slot or scanned else
                                            guest.console_text(), params,
                                            expected_reboots=guest.reboots)
        if crash:
            raise exceptions.TestFail(_describe(guest, crash))
        if slot:
            handed_back = _hand_back(test, guest, slot)
    except exceptions.TestCancel:
        raise
    except Exception as err:
        if opts["debug"]:
            infra.keep_for_debug(test, guest, str(err).splitlines()[0] if str(err) else
                                 type(err).__name__)
        raise
    finally:
        if not handed_back:
            guest.cleanup()
            if slot:
                slot.forget()


def _taint(guest):
    return guest.cmd("cat /proc/sys/kernel/tainted").strip()


def _hand_back(test, guest, slot):
    """Give a healthy guest back to its slot: same taint as after its setup."""
    taint = _taint(guest)
    if taint != getattr(guest, "taint_baseline", None):
        test.log.info("guest pool: %s not reused: kernel taint %s, was %s after setup",
                      guest.name, taint, getattr(guest, "taint_baseline", None))
        return False
    slot.keep(guest.state(), taint, slot.tests_served + 1)
    guest.detach()
    return True


def _describe(guest, crash):
    """The fail reason of a console crash; the step it happened in goes to facts.json."""
    if crash.step:
        facts.record(guest.logdir, crash_step=crash.step)
    return console_verdict.describe(crash)


def _symptom(err):
    text = str(err).strip()
    return text.splitlines()[0][:300] if text else type(err).__name__


def _crash_wins(guest, params, err):
    """Raise the console's crash as the verdict, the body's error after it as symptom.

    Whatever the test body raised (a failed command, a failed check, a cancel), an
    oops, WARNING or lockup on the console is the cause. The console is read once it
    has settled, because the kernel may still be printing the oops when the command
    that triggered it has already returned.
    """
    text = guest.settled_console_text()
    crash = console_verdict.first_crash(text, params, expected_reboots=guest.reboots)
    if crash:
        raise exceptions.TestFail(f"{_describe(guest, crash)}; then: "
                                  f"{_symptom(err)}") from err


def guest_release(config):
    """The kernel release a guest of ``config`` will run (builds happen before boot)."""
    return flavours.for_guest(images.ensure(config.recipe, cache=config.cache),
                              config.kernel, config.flavour, cache=config.cache)["release"]


def guest_image(params):
    """The guest image the variant boots (built when missing), before any guest boots."""
    config = GuestConfig.from_params(params)
    return images.ensure(config.recipe, cache=config.cache)


def build_fixture(test, params):
    """Our fixture module (or module_src) built for the guest kernel, before boot.

    A build failure is a test ERROR with the first compiler error, as for VexFS, so a
    bisect step can tell a broken build from a crash.
    """
    validate(params)
    config = GuestConfig.from_params(params)
    release = guest_release(config)
    try:
        module = fixture.build_fixture(params, release, cache=config.cache)
    except kbuild.BuildError as err:
        shutil.copy(err.log_path, os.path.join(test.logdir, "module-build.log"))
        test.error(str(err))
    test.log.info("module built for %s: %s", release, module)
    facts.record(test.logdir, **facts.build("module", os.path.dirname(module)))
    return module


def build_filesystem(test, params):
    """The Filesystem of the variant, its module (if it has one) built for the guest kernel.

    Runs before the guest boots: a build failure is a test ERROR naming the kernel and
    the first compiler error, with the whole build log kept in the test's logdir. A
    module without its source (VEXFS_SRC unset) cancels the test.
    """
    validate(params)
    filesystem = fs.for_params(params)
    if not filesystem.has_module:
        return filesystem
    missing = filesystem.missing_source()
    if missing:
        test.cancel(missing)
    config = GuestConfig.from_params(params)
    release = guest_release(config)
    log_name = f"{filesystem.name}-build.log"
    try:
        built = filesystem.build_for(release, cache=config.cache)
    except kbuild.BuildError as err:
        shutil.copy(err.log_path, os.path.join(test.logdir, log_name))
        test.error(str(err))
    shutil.copy(built.log, os.path.join(test.logdir, log_name))
    test.log.info("%s built for %s: %s", filesystem.name, release, built.directory)
    facts.record(test.logdir, **facts.build(filesystem.name, built.directory))
    return filesystem


def load_filesystem(test, guest, filesystem):
    """Put the fs's module (if any) into the guest and load it; learn its fs type name."""
    try:
        module = filesystem.load(guest)
    except vexfs.ModuleLoadError as err:
        test.fail(str(err))
    if module:
        test.log.info("%s module %s registered fs type %s", filesystem.name, module,
                      filesystem.fstype)


def format_and_mount(test, guest, filesystem, mountpoint):
    """Load the fs's module, mkfs the first scratch disk and mount it; return the device.

    The opening every suite shares, so each test's steps start where it differs.
    """
    load_filesystem(test, guest, filesystem)
    device = guest.scratch[0]
    test.log.info("mkfs %s on %s and mount on %s", filesystem.name, device, mountpoint)
    guest.mark_step("mkfs")
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    return device

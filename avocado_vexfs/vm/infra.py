"""Infrastructure faults and debugging around a test's guest: boot retries, kept guests.

Only the boot is retried: a guest that did not boot, a control session that never came
up, or a libvirtd that did not answer say nothing about the filesystem under test (no
module is loaded yet). Whatever happens after the guest is up is the test's verdict and
is never retried. Each retry is logged and written to ``infra-retries.json`` in the
test's logdir, where the HTML report finds it (a test that passed after a retry is
flaky).

In debug mode a failed test's guest is kept running (the domain is started without
autodestroy) and the exact commands to attach to it and to destroy it are logged and
written to ``kept-guest.json`` beside its run files, where `avocado-vexfs sweep` finds it.
"""
import json
import logging
import os
import shlex
import shutil
import time

import libvirt

from avocado_vexfs import settings as settings_mod
from avocado_vexfs.errors import ConfigError, GuestError, HostError
from avocado_vexfs.vm import domain
from avocado_vexfs.vm.guest import KEPT_FILE

RETRIES_FILE = "infra-retries.json"
INFRA_ERRORS = (GuestError, HostError)


def options(environ=None):
    """The settings the glue needs (retries, debug, timeouts, paths)."""
    return settings_mod.load(environ=environ)


def apply_settings(config, opts):
    """Let [vexfs] settings fill what the cfg left open; boot_timeout wins when set.

    cache_dir and run_dir need nothing here: vm/host resolves them for every user of
    the cache when the cfg gives no image_cache_dir."""
    if opts.get("boot_timeout"):
        config.boot_timeout = float(opts["boot_timeout"])
    return config


def set_log_level(test, opts):
    """VEXFS_LOG_LEVEL / debug: how much of our own logging reaches debug.log.

    The level is set on the avocado_vexfs logger only; every module logger below it
    (``logging.getLogger(__name__)``) sets none and inherits it. Avocado's runner puts the
    handler that writes debug.log on the root logger (start_logging in
    avocado/core/utils/messages.py), which their records propagate to.
    """
    level = getattr(logging, opts["log_level"])
    logging.getLogger("avocado_vexfs").setLevel(level)
    test.log.setLevel(min(test.log.getEffectiveLevel(), level))


def start_with_retries(test, make_guest, opts, sleep=time.sleep):
    """Start a guest from ``make_guest()``; retry infrastructure faults with backoff.

    :param make_guest: callable returning a fresh, unstarted Guest (each attempt gets a
        new name, overlay and scratch disks)
    :returns: the started guest
    """
    retries = opts["infra_retries"]
    delay = opts["retry_backoff"]
    record = []
    for attempt in range(retries + 1):
        guest = make_guest()
        try:
            guest.start()
        except INFRA_ERRORS as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            if attempt == retries:
                if record:
                    _write_retries(test.logdir, record)
                    cls = HostError if isinstance(err, HostError) else GuestError
                    raise cls(f"{first} (after {retries} infrastructure retries)") from err
                raise
            wait = delay * (2 ** attempt)
            record.append({"attempt": attempt + 1, "error": first, "wait_s": wait,
                           "time": time.time()})
            _write_retries(test.logdir, record)
            test.log.warning("infrastructure fault, retry %d of %d in %.0fs: %s",
                             attempt + 1, retries, wait, first)
            sleep(wait)
            continue
        if record:
            test.log.warning("guest booted after %d infrastructure retries: a pass of "
                             "this test is marked flaky", len(record))
        return guest
    raise AssertionError("unreachable: the loop returns or raises")


def _write_retries(logdir, record):
    if not logdir:
        return
    os.makedirs(logdir, exist_ok=True)
    with open(os.path.join(logdir, RETRIES_FILE), "w", encoding="utf-8") as out:
        json.dump(record, out, indent=1)


def attach_commands(guest):
    """The commands a user types to look at a kept guest and to get rid of it."""
    uri = guest.config.uri
    return {
        "shell": f"socat -,raw,echo=0 UNIX-CONNECT:{shlex.quote(guest.control_socket)}",
        "console_log": f"tail -f {shlex.quote(guest.console_log)}",
        "sysrq": f"virsh -c {uri} send-key {guest.name} KEY_LEFTALT KEY_SYSRQ KEY_W",
        "destroy": f"avocado-vexfs sweep --destroy {guest.name}",
        "destroy_by_hand": (f"virsh -c {uri} destroy {guest.name}; "
                            f"rm -rf {shlex.quote(guest.workdir)}"),
    }


def keep_for_debug(test, guest, reason):
    """Leave a failed test's guest running; log and record how to attach and destroy.

    :returns: True when the guest was kept (it must then not be cleaned up)
    """
    if not guest.domain or not guest.domain.is_active() or guest.autodestroy:
        test.log.warning("debug: guest %s not kept (%s)", guest.name,
                         "started with autodestroy" if guest.domain and guest.autodestroy
                         else "not running anymore")
        return False
    commands = attach_commands(guest)
    guest.keep()
    with open(os.path.join(guest.workdir, KEPT_FILE), "w", encoding="utf-8") as out:
        json.dump({"name": guest.name, "uri": guest.config.uri, "test": test.name
                   if isinstance(getattr(test, "name", None), str) else str(test.name),
                   "logdir": test.logdir, "reason": reason, "kept_at": time.time(),
                   "commands": commands}, out, indent=1)
    test.log.warning("debug: guest %s kept alive after the failure (%s)", guest.name,
                     reason)
    test.log.warning("debug: attach to its shell:   %s", commands["shell"])
    test.log.warning("debug: follow its console:    %s", commands["console_log"])
    test.log.warning("debug: destroy it when done:  %s", commands["destroy"])
    test.log.warning("debug: or by hand:            %s", commands["destroy_by_hand"])
    return True


def kept_guests(run_root):
    """The guests kept for debugging under ``run_root``: list of kept-guest.json dicts."""
    kept = []
    if not os.path.isdir(run_root):
        return kept
    for entry in sorted(os.listdir(run_root)):
        path = os.path.join(run_root, entry, KEPT_FILE)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as src:
                try:
                    info = json.load(src)
                except json.JSONDecodeError:
                    info = {"name": entry, "reason": f"unreadable {KEPT_FILE}"}
            info["workdir"] = os.path.join(run_root, entry)
            kept.append(info)
    return kept


def destroy_kept(run_root, name):
    """Destroy a kept guest (or every one, name "all") and remove its run files.

    :returns: the names destroyed
    :raises ConfigError: when no kept guest has that name
    """
    kept = kept_guests(run_root)
    chosen = [k for k in kept if name in ("all", k.get("name"))]
    if not chosen:
        raise ConfigError(f"no kept guest named {name!r}: expected one of "
                          f"{', '.join(k.get('name', '?') for k in kept) or 'none (nothing kept)'}"
                          f" or 'all'")
    for info in chosen:
        try:
            domain.connect(info.get("uri") or "qemu:///system").lookupByName(
                info["name"]).destroy()
        except libvirt.libvirtError as err:
            if err.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                raise GuestError(f"could not destroy kept guest {info['name']}: "
                                 f"{err.get_error_message()}") from err
        shutil.rmtree(info["workdir"], ignore_errors=True)
    return [info["name"] for info in chosen]


def warn_kept(log, run_root):
    """One warning line per guest still kept from an earlier debug run."""
    for info in kept_guests(run_root):
        log.warning("debug guest %s is still running (kept after %s failed): destroy it "
                    "with 'avocado-vexfs sweep --destroy %s'", info.get("name"),
                    info.get("test", "a test"), info.get("name"))

"""A test guest: overlay + scratch disks + libvirt domain + shell session, cleaned up always.

Everything a guest creates lives in one run directory named after the domain, which
holds the owner's pid: a later run removes directories whose owner is dead, so even a
SIGKILLed job leaves nothing behind for long (its domain is already gone, see domain.py).
"""
import logging
import os
import re
import shutil
import signal
import sys
import threading
import time
import uuid

from avocado_vexfs.console.formats import STEP_PREFIX
from avocado_vexfs.errors import ConfigError, GuestCommandError, GuestError
from avocado_vexfs.kernel import flavours
from avocado_vexfs.vm import domain as domain_mod
from avocado_vexfs.vm import accel, boottime, console_watch, host, images
from avocado_vexfs.vm.session import Session

READY_MARKER = "avocado-vexfs: guest ready"
PR_SET_PDEATHSIG = 1
LOG = logging.getLogger(__name__)
_LIVE = set()
KEPT_FILE = "kept-guest.json"  # a guest kept for debugging (vm/infra.py): sweep leaves it


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(run_root, uri=host.DEFAULT_URI):
    """Remove run directories (and domains) whose owning process has died.

    A test's own guest dies with its libvirt connection (autodestroy); a pooled guest
    (vm/pool.py) outlives the test that booted it, so its domain is destroyed here.
    """
    removed = []
    for entry in os.listdir(run_root):
        match = re.match(re.escape(domain_mod.NAME_PREFIX) + r"(\d+)-", entry)
        kept = os.path.exists(os.path.join(run_root, entry, KEPT_FILE))
        if match and not kept and not _pid_alive(int(match.group(1))):
            if os.path.exists(os.path.join(run_root, entry, "root.qcow2")):
                domain_mod.destroy_by_name(uri, entry)
            shutil.rmtree(os.path.join(run_root, entry), ignore_errors=True)
            removed.append(entry)
    return removed


def _install_signal_cleanup():
    """SIGTERM (what Avocado sends a test it interrupts) runs our cleanups via SystemExit.

    Also when our parent dies: Avocado stops an interrupted task (Ctrl-C) with SIGTERM
    to its runner, and the avocado-vt runner runs the test in a child process that it
    does not stop; that child, ours, went on with its guest for as long as its test ran.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers; autodestroy still covers us
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def _on_term(signum, _frame):
            for guest in list(_LIVE):
                guest.cleanup()
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, _on_term)
    _term_with_parent()


def _term_with_parent():
    """Ask the kernel for SIGTERM when the parent process exits (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        host.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except OSError as err:
        LOG.debug("no SIGTERM when the parent dies: %s", err)
        return
    if os.getppid() != parent:  # the parent died before the call: nobody will tell us
        os.kill(os.getpid(), signal.SIGTERM)


def chain_signal_cleanup(signals=(signal.SIGTERM, signal.SIGINT)):
    """On each of ``signals``, clean up every live guest, then do what the process did
    before (its own handler, or the default).

    For a process whose runner already handles SIGTERM (Avocado's instrumented runner
    turns it into TestInterrupt) and whose test body runs in a worker thread, where
    _install_signal_cleanup cannot be called. Without this the domain still dies with
    its libvirt connection, but its run directory waits for the next sweep. Call it from
    the main thread; a second call adds nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in signals:
        previous = signal.getsignal(signum)
        if getattr(previous, "cleans_guests", False):
            continue

        def _on_signal(number, frame, previous=previous):
            for guest in list(_LIVE):
                guest.cleanup()
            if callable(previous):
                previous(number, frame)
            elif previous != signal.SIG_IGN:
                raise SystemExit(128 + number)
        _on_signal.cleans_guests = True
        signal.signal(signum, _on_signal)


# q35, not pc: on pc, ACPI's PCI interrupt routing (_PRT, a 128-step AML loop per link)
# costs about a second of every boot under TCG, and on the sanitizer kernel it hits its
# 30 s loop timeout once per link (118 s to a shell); pci=noacpi avoids it but leaves the
# guest a single CPU. q35's routing tables are static: measured 2.7 s to a shell with
# Debian's kernel, 13 s with the sanitizer kernel, both with 2 CPUs.
MACHINE = "q35"


class GuestConfig:
    """What a guest looks like; built from cfg params so numbers come from cfg, not code."""

    def __init__(self, recipe="debian-12", kernel="6.12", vcpus=2, memory_mb=2048,
                 scratch_disks_mb=(512,), cmdline_extra="", uri=host.DEFAULT_URI,
                 accel="auto", boot_timeout=120, machine=MACHINE, tcg_cpu_model="qemu64",
                 cache=None, run_root=None, name_hint="test", extra_disks=(),
                 flavour="stock", kernel_entry="pvh"):
        self.recipe = recipe
        self.kernel = str(kernel)
        self.flavour = flavour or "stock"
        self.vcpus = int(vcpus)
        self.memory_mb = int(memory_mb)
        self.scratch_disks_mb = [int(s) for s in scratch_disks_mb]
        self.cmdline_extra = cmdline_extra
        self.uri = uri
        self.accel = accel
        self.boot_timeout = float(boot_timeout)
        self.machine = machine
        self.tcg_cpu_model = tcg_cpu_model
        self.cache = cache
        self.run_root = run_root
        self.name_hint = re.sub(r"[^A-Za-z0-9_.-]+", "-", name_hint)[:40]
        # read-only base images (e.g. the fstests tree) attached after the scratch disks,
        # each through its own qcow2 overlay: [(name, base path)]
        self.extra_disks = list(extra_disks)
        for key in ("vcpus", "memory_mb", "boot_timeout"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"guest {key} = {getattr(self, key)}: expected a "
                                  f"positive number")
        if accel not in ("auto", "kvm", "qemu"):
            raise ConfigError(f"accel = {accel!r}: expected auto, kvm or qemu")
        self.kernel_entry = kernel_entry
        if kernel_entry not in ("pvh", "bzimage"):
            raise ConfigError(f"kernel_entry = {kernel_entry!r}: expected pvh or bzimage")

    @classmethod
    def from_params(cls, params, name_hint="test"):
        """Read the guest_* keys of an Avocado-VT params dict."""
        def get(key, default):
            value = params.get(key)
            return default if value in (None, "") else value
        scratch = str(get("scratch_disks_mb", "512")).split()
        return cls(recipe=get("guest_os", "debian-12"), kernel=get("guest_kernel", "6.12"),
                   flavour=get("guest_kernel_flavour", "stock"),
                   vcpus=get("vcpus", 2), memory_mb=get("mem", 2048),
                   scratch_disks_mb=scratch, cmdline_extra=get("kernel_cmdline_extra", ""),
                   uri=get("connect_uri", host.DEFAULT_URI), accel=get("accel", "auto"),
                   boot_timeout=get("boot_timeout", 120),
                   tcg_cpu_model=get("tcg_cpu_model", "qemu64"),
                   cache=get("image_cache_dir", None), name_hint=name_hint,
                   kernel_entry=get("kernel_entry", "pvh"))


# cryptomgr.notests: no self-test of each crypto algorithm at boot. Not pci=noacpi: it
# saves a second under TCG but leaves the guest one CPU (no I/O APIC from ACPI's MADT).
BASE_CMDLINE = ("console=ttyS0,115200 panic=-1 sysrq_always_enabled printk.time=1 "
                "loglevel=7 net.ifnames=0 8250.nr_uarts=1 cryptomgr.notests")


class Guest:
    """A booted guest. Use as a context manager; cleanup() is idempotent."""

    def __init__(self, config, logdir=None, owner_pid=None):
        """:param owner_pid: the process whose death frees the guest (default: ours);
        a pooled guest belongs to the Avocado job, not to the test that booted it"""
        self.config = config
        self.logdir = logdir
        self.image = images.ensure(config.recipe, cache=config.cache)
        self.kernel = flavours.for_guest(self.image, config.kernel, config.flavour,
                                         cache=config.cache)
        self.name = (f"{domain_mod.NAME_PREFIX}{owner_pid or os.getpid()}-"
                     f"{config.name_hint}-{uuid.uuid4().hex[:6]}")
        self.workdir = None
        self.domain = None
        self.session = None
        self.console_log = None
        self.scratch = []
        self.scratch_files = []  # their backing files on the host (the fuzzer writes one)
        self.extra = {}  # extra disk name -> guest device
        self.console_start = 0  # bytes of console.log before this test (a pooled guest)
        self.taint_baseline = None  # /proc/sys/kernel/tainted after a pooled guest's setup
        # an oops ends the shell at once (set by tests whose commands would otherwise
        # wait their whole timeout on a lock the oopsed task held, as fstests does)
        self.end_on_oops = False
        self.boot_seconds = None
        self.boot_phases = {}  # phase -> seconds of the first boot (vm/boottime.py)
        self.control_socket = None
        self.reboots = 0  # reboots asked for: the console verdict expects their banners
        self.watch = None  # console_watch.ConsoleWatch of the current boot
        self.autodestroy = True  # False in debug mode, so a failed guest can be kept
        self.kept = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def start(self):
        begin = time.monotonic()
        host.ensure_libvirtd(self.config.uri)
        run_root = host.run_dir(self.config.run_root)
        sweep_stale(run_root)
        _install_signal_cleanup()
        _LIVE.add(self)
        try:
            self.workdir = os.path.join(run_root, self.name)
            os.makedirs(self.workdir, mode=0o755)
            overlay = images.create_overlay(self.image.base,
                                            os.path.join(self.workdir, "root.qcow2"))
            disks = [{"path": overlay, "format": "qcow2", "target": "vda"}]
            for index, size in enumerate(self.config.scratch_disks_mb):
                path = images.create_scratch(
                    os.path.join(self.workdir, f"scratch{index}.raw"), size)
                target = "vd" + chr(ord("b") + index)
                disks.append({"path": path, "format": "raw", "target": target})
                self.scratch.append(f"/dev/{target}")
                self.scratch_files.append(path)
            for index, (extra_name, base) in enumerate(self.config.extra_disks):
                target = "vd" + chr(ord("b") + len(self.scratch) + index)
                path = images.create_overlay(base, os.path.join(self.workdir,
                                                                f"{extra_name}.qcow2"))
                disks.append({"path": path, "format": "qcow2", "target": target})
                self.extra[extra_name] = f"/dev/{target}"
            domain_type = accel.choose(self.config, self.image)
            self.console_log = os.path.join(self.workdir, "console.log")
            control = os.path.join(self.workdir, "control.sock")
            self.control_socket = control
            xml = domain_mod.render_xml(
                domain_type=domain_type, name=self.name, memory_mb=self.config.memory_mb,
                vcpus=self.config.vcpus, machine=self.config.machine,
                tcg_cpu_model=self.config.tcg_cpu_model,
                kernel=self.boot_kernel(), initrd=self.kernel["initramfs"],
                cmdline=" ".join(filter(None, (BASE_CMDLINE, self.kernel.get("cmdline"),
                                               self.config.cmdline_extra))),
                emulator=domain_mod.emulator_path(self.config.uri), disks=disks,
                console_log=self.console_log, control_socket=control)
            marks = {"begin": begin, "qemu_start": time.monotonic()}
            self.domain = domain_mod.Domain(self.config.uri, xml, autodestroy=self.autodestroy)
            marks["qemu_started"] = time.monotonic()
            # the client starts while the guest boots; it types once the guest is ready
            self._connect()
            self.wait_for_console(READY_MARKER, self.boot_timeout, what="boot")
            marks["ready_seen"] = time.monotonic()
            self._open_session()
            marks["shell"] = time.monotonic()
            self.boot_seconds = marks["shell"] - begin
            self.boot_phases = boottime.phases(marks, self.console_text(), READY_MARKER)
        except BaseException:
            self.cleanup()
            raise
        return self

    def boot_kernel(self):
        """The kernel file the domain boots: the ELF through PVH when the cfg asks for it
        and the kernel has one (vm/pvh.py), else the bzImage."""
        if self.config.kernel_entry == "pvh" and self.kernel.get("vmlinux"):
            return self.kernel["vmlinux"]
        return self.kernel["vmlinuz"]

    def _connect(self):
        """Start the control client (socat and aexpect's helper); it types nothing yet."""
        self.session = Session(self.control_socket, log_file=self._log_path("session.log"),
                               setup=False)

    def _open_session(self, settle=0.0):
        """A shell on the control console, watched: a panic or an unasked reboot ends it.

        Uses the client ``_connect`` started during the boot, else starts one now.
        """
        if self.session is None:
            self._connect()
        self.session.setup(settle=settle)
        self._start_watch()

    def _start_watch(self):
        session = self.session
        self.watch = console_watch.ConsoleWatch(
            self.console_log, READY_MARKER, 1 + self.reboots,
            lambda reason: console_watch.kill_session(session),
            oops_from=self.console_start if self.end_on_oops else None).start()

    def watch_for_oops(self):
        """From now on an oops on the console ends the shell at once (end_on_oops)."""
        self.end_on_oops = True
        if self.watch:
            self.watch.stop()
        self._start_watch()

    def _close_session(self):
        if self.watch:
            self.watch.stop()
            self.watch = None
        if self.session:
            self.session.close()
            self.session = None

    def _log_path(self, name):
        return os.path.join(self.logdir or self.workdir, name)

    def console_text(self):
        """Everything the guest printed on ttyS0 so far (since this test took it over)."""
        if not self.console_log or not os.path.exists(self.console_log):
            return ""
        with open(self.console_log, "rb") as log:
            log.seek(self.console_start)
            return log.read().decode("utf-8", errors="replace")

    def state(self):
        """What another process needs to take this running guest over (vm/pool.py)."""
        return {"name": self.name, "workdir": self.workdir, "console_log": self.console_log,
                "control_socket": self.control_socket, "scratch": self.scratch,
                "extra": self.extra, "reboots": self.reboots,
                "boot_seconds": self.boot_seconds, "boot_phases": self.boot_phases}

    def detach(self):
        """Close our session and leave the domain running for the next taker."""
        self._close_session()
        self._copy_console()
        _LIVE.discard(self)
        self.domain = None
        self.workdir = None

    @classmethod
    def attach(cls, config, state, logdir=None):
        """Take over a running guest that another process detached; None if it is gone.

        The console is read from its current end on: what this test is judged on.
        """
        guest = cls(config, logdir=logdir)
        try:
            guest.domain = domain_mod.Domain.lookup(config.uri, state["name"])
        except GuestError:
            return None
        if not guest.domain.is_active():
            return None
        for key in ("name", "workdir", "console_log", "control_socket", "scratch", "extra",
                    "reboots", "boot_seconds", "boot_phases"):
            setattr(guest, key, state.get(key))
        guest.autodestroy = False
        guest.console_start = os.path.getsize(guest.console_log)
        _LIVE.add(guest)
        try:
            guest._open_session(settle=0.5)
        except BaseException:
            guest.cleanup()
            raise
        return guest

    def settled_console_text(self, quiet=0.5, limit=3.0):
        """The console once it stopped growing for ``quiet`` s (at most ``limit`` s).

        A command that triggered an oops can return before the kernel has finished
        printing it on the slow serial port; a verdict read too early misses the crash.
        """
        deadline = time.monotonic() + limit
        text = self.console_text()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            newer = self.console_text()
            if newer == text:
                break
            text = newer
        return text

    def wait_for_console(self, marker, timeout, what="marker", start_offset=0):
        """Wait until ``marker`` appears on the console after ``start_offset``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.console_text()[start_offset:]:
                return
            if not self.domain.is_active():
                raise GuestError(f"guest {self.name} stopped during {what} "
                                 f"(state {self.domain.state()}); console tail: "
                                 f"{self._console_tail()}")
            time.sleep(0.05)
        raise GuestError(f"guest {self.name} did not reach {what} within {timeout:.0f}s "
                         f"(state {self.domain.state()}); console tail: "
                         f"{self._console_tail()}")

    def _console_tail(self):
        lines = [l for l in self.console_text().splitlines() if l.strip()]
        return " | ".join(lines[-3:]) or "no output"

    # Session's cmd, run over this class's status_output (which names a panic seen
    # meanwhile): one definition of the status check for both
    cmd = Session.cmd

    def status_output(self, command, timeout=60):
        """(status, output) of ``command``; a GuestError names a panic seen meanwhile."""
        try:
            return self.session.status_output(command, timeout=timeout)
        except GuestError as err:
            if self.watch and self.watch.reason:
                raise GuestError(f"{self.watch.reason} during {command!r}") from err
            raise

    def last_kernel_message(self):
        """The kernel's last log line: why an insmod or mount just failed, usually."""
        lines = self.cmd("dmesg | tail -n 3", ok_status=(0, 1)).strip().splitlines()
        return lines[-1] if lines else "nothing"

    def send(self, command):
        self.session.send(command)

    def put_file(self, local, remote, mode=None):
        self.session.put_file(local, remote, mode=mode)

    def reboot(self, timeout=None):
        """Restart the guest in place; the root overlay and scratch disks are kept.

        The kernel is told to restart after a sync (sysrq 'b': what the caller has not
        unmounted is not cleanly unmounted); the domain's on_reboot=restart boots it
        again from the same disks, and a new shell session replaces the old one. The
        console log keeps both boots, so the crash verdict still sees everything.
        """
        offset = len(self.console_text())
        self.reboots += 1
        self.session.shell.sendline("sync; echo b > /proc/sysrq-trigger")
        self._close_session()
        started = time.monotonic()
        self.wait_for_console(READY_MARKER, timeout or self.boot_timeout,
                              what="reboot", start_offset=offset)
        self._open_session()
        return time.monotonic() - started

    def power_cut(self, timeout=None):
        """Pull the plug and boot again on the same overlay and scratch disks.

        The domain is destroyed with no sync and no shutdown: what the guest kernel had
        not yet written to its virtual disks is lost, as in a power failure (what qemu
        had written reaches the disk files). The new domain is the old one's definition
        with its serial log appended to, so the crash verdict sees both boots. Returns
        the seconds from the cut to a new shell.
        """
        xml = self.domain.dom.XMLDesc(domain_mod.libvirt.VIR_DOMAIN_XML_INACTIVE)
        offset = len(self.console_text())
        self.reboots += 1
        self._close_session()
        started = time.monotonic()
        self.domain.destroy()
        self.domain = domain_mod.Domain(self.config.uri,
                                        xml.replace("append='off'", "append='on'"))
        self.wait_for_console(READY_MARKER, timeout or self.boot_timeout,
                              what="boot after power cut", start_offset=offset)
        self._open_session()
        return time.monotonic() - started

    def mark_step(self, step):
        """Write a step marker into the kernel log, so crash reports can name the step."""
        self.cmd(f"echo '{STEP_PREFIX}{step}' > /dev/kmsg")

    @property
    def boot_timeout(self):
        """The cfg's boot_timeout, stretched for a kernel that boots slower by design (a
        sanitizer kernel under TCG: see kernel.flavours.BOOT_FACTOR)."""
        return self.config.boot_timeout * self.kernel.get("boot_factor", 1)

    def kmemleak_scan(self, step="kmemleak scan"):
        """Ask kmemleak to scan now, on a kernel that has it; False when it has not.

        The debug flavour boots with kmemleak.verbose=1, so every new leak is printed
        on the console and titled there ("memory leak in f") like any crash. Two scans:
        kmemleak reports an object only when its checksum held still since the scan
        before, and a new object's first scan always changes it. Objects younger than
        5 s are not reported, by kmemleak's design: the next scan finds those.
        """
        if "kmemleak" not in self.kernel.get("features", ()):
            return False
        self.mark_step(step)
        self.cmd("echo scan > /sys/kernel/debug/kmemleak; "
                 "echo scan > /sys/kernel/debug/kmemleak", timeout=600)
        return True

    @staticmethod
    def session_lost(err):
        """True when a GuestError means the shell stopped answering (not a bad status)."""
        return not isinstance(err, GuestCommandError)

    def recover_hang(self, keys="wlt", settle=3.0):
        """A silent guest: press SysRq w, l, t so the console keeps who is stuck where.

        Returns the console text after the dumps; the caller destroys the guest (cleanup)
        and the next test boots a fresh one.
        """
        for key in keys:
            if not self.domain or not self.domain.is_active():
                break
            self.domain.sysrq(key)
            time.sleep(settle)
        return self.console_text()

    def keep(self):
        """Leave the domain and its run files to a user who debugs it (cleanup spares it).

        The control session is closed: the console socket takes one client, the user's.
        """
        self._close_session()
        self.kept = True
        _LIVE.discard(self)

    def cleanup(self):
        """Stop the guest and remove every file it made; keep the console log in logdir."""
        if self.kept:
            if self.logdir and self.console_log and os.path.exists(self.console_log):
                self._copy_console()
            return
        self._close_session()
        if self.domain:
            self.domain.destroy()
            self.domain = None
        if self.workdir and os.path.isdir(self.workdir):
            self._copy_console()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None
        _LIVE.discard(self)

    def _copy_console(self):
        """This test's part of the console into its logdir."""
        if self.logdir and self.console_log and os.path.exists(self.console_log):
            os.makedirs(self.logdir, exist_ok=True)
            with open(os.path.join(self.logdir, "console.log"), "wb") as out, \
                    open(self.console_log, "rb") as log:
                log.seek(self.console_start)
                shutil.copyfileobj(log, out)

"""What the host must provide: daemons, tools, and directories qemu can reach.

There is no systemd on our machines, so the libvirt daemons are started by hand when
they are not running. qemu runs as libvirt-qemu, so every file it opens must sit under
world-traversable directories: /root is 0700 on Debian, hence /var for root's caches.
"""
import ctypes
import functools
import glob
import logging
import os
import shutil
import subprocess
import time

from avocado_vexfs import settings
from avocado_vexfs.errors import ConfigError, HostError

DEFAULT_URI = "qemu:///system"
PR_SET_THP_DISABLE = 41
LOG = logging.getLogger(__name__)


def cache_dir(override=None):
    """Where built images and probe results live, shared by every job of this user.

    ``override`` (a cfg's image_cache_dir) wins; then the cache_dir setting (environment
    variable AVOCADO_VEXFS_CACHE, else ``[vexfs] cache_dir``); then the default.
    """
    path, origin = override, "cache directory"
    if not path:
        path, origin = settings.directory("cache_dir")
    if not path:
        path = ("/var/cache/avocado-vexfs" if os.geteuid() == 0 else
                os.path.join(os.path.expanduser("~/.cache"), "avocado-vexfs"))
        origin = "default cache directory"
    return _make_dir(path, origin)


def run_dir(override=None):
    """Where per-guest overlays, scratch disks and sockets live while a test runs.

    ``override`` wins; then the run_dir setting (AVOCADO_VEXFS_RUN_DIR, else
    ``[vexfs] run_dir``); then the default.
    """
    path, origin = override, "run directory"
    if not path:
        path, origin = settings.directory("run_dir")
    if not path:
        path = ("/var/lib/avocado-vexfs/run" if os.geteuid() == 0 else
                os.path.join(cache_dir(), "run"))
        origin = "default run directory"
    return _make_dir(path, origin)


def _make_dir(path, origin):
    """Create ``path``; a path that cannot be a directory is one line naming its origin."""
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{origin}={path!r}: {err.strerror or err}: expected a writable "
                          f"directory path") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{origin}={path!r}: not writable: expected a writable "
                          f"directory path")
    return path


def require_tools(*tools):
    """Fail with one line naming every missing tool and how to get them."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise HostError(f"missing host tools: {', '.join(missing)} "
                        f"(expected on PATH; run 'make host' to install them)")


def _pids(name):
    """Pids of the processes named exactly ``name``."""
    return subprocess.run(["pgrep", "-x", name], capture_output=True, text=True,
                          check=False).stdout.split()


def prctl(option, value):
    """prctl(2) with one argument, for this process; OSError when the kernel refuses."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{os.strerror(errno)}: prctl({option}, {value})")


def _without_thp():
    """Run in the child before exec: no transparent huge pages for it and its children.

    qemu asks for THP on its TCG translation cache, and a fresh huge page is zeroed
    whole at first touch. Where the host hands its free memory back to a hypervisor
    (free page reporting, as on the VMs CI runs on) every such page is faulted in from
    outside first: a third of qemu's CPU time in a boot went to it, 3.8-3.9 s to a shell
    against 2.6-2.8 s without. The flag is inherited by every qemu libvirtd starts.
    Only for a libvirtd this code starts (hosts without a service manager); a KVM guest
    of that daemon backs its RAM with 4 KiB pages, which costs it little.
    """
    prctl(PR_SET_THP_DISABLE, 1)


def thp_enabled(pid):
    """Whether process ``pid`` may get transparent huge pages (its THP_enabled), or
    None when the kernel does not say."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            for line in status:
                if line.startswith("THP_enabled:"):
                    return line.split()[1] == "1"
    except OSError:
        return None
    return None


@functools.lru_cache(maxsize=None)
def _warn_if_thp(pids):
    """Say once per process that a libvirtd started elsewhere keeps THP on."""
    if any(thp_enabled(pid) for pid in pids):
        LOG.info("libvirtd (pid %s) runs with transparent huge pages: TCG guests may boot "
                 "up to a second slower on hosts with free page reporting; a libvirtd "
                 "started by avocado-vexfs has them off", " ".join(pids))


def ensure_libvirtd(uri=DEFAULT_URI, timeout=20):
    """Start virtlogd and libvirtd when they are not running; wait until libvirt answers.

    Only for a local URI: a remote host's daemons are its own business. A libvirtd
    started here runs without transparent huge pages (``_without_thp``).
    """
    if not uri.startswith("qemu:///"):
        return
    require_tools("virtlogd", "libvirtd", "virsh")
    for daemon in ("virtlogd", "libvirtd"):
        pids = _pids(daemon)
        if not pids:
            result = subprocess.run([daemon, "-d"], capture_output=True, text=True,
                                    check=False,
                                    preexec_fn=_without_thp if daemon == "libvirtd" else None)
            if result.returncode != 0:
                raise HostError(f"{daemon} did not start: {result.stderr.strip()}")
        elif daemon == "libvirtd":
            _warn_if_thp(tuple(pids))
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        result = subprocess.run(["virsh", "-c", uri, "version"], capture_output=True,
                                text=True, check=False)
        if result.returncode == 0:
            return
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        time.sleep(0.5)
    raise HostError(f"libvirtd at {uri} does not answer after {timeout}s: {last}")


def debian_sources(suite):
    """The host's own Debian apt sources for ``suite``, as deb822 text for mmdebstrap.

    Guests are built from the same mirror the host already uses, so no mirror host name
    is written into the project.
    """
    entries = []
    for path in glob.glob("/etc/apt/sources.list.d/*.sources"):
        with open(path, encoding="utf-8") as source:
            for stanza in source.read().split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.startswith(("#", " ")):
                        key, _, value = line.partition(":")
                        fields[key.strip()] = value.strip()
                suites = fields.get("Suites", "").split()
                if fields.get("Types", "deb").split()[0] == "deb" and any(
                        s.split("-")[0] == suite for s in suites):
                    entries.append((fields["URIs"], suites, fields.get("Components", "main")))
    for path in ["/etc/apt/sources.list"] + glob.glob("/etc/apt/sources.list.d/*.list"):
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as source:
            for line in source:
                words = line.split()
                if len(words) >= 4 and words[0] == "deb" and not words[1].startswith("["):
                    if words[2].split("-")[0] == suite:
                        entries.append((words[1], [words[2]], " ".join(words[3:])))
    debian = [e for e in entries if "debian" in e[0]]
    if not debian:
        raise HostError(f"no Debian apt source for suite {suite!r} in /etc/apt: expected "
                        f"a 'deb' entry for {suite} and {suite}-security")
    return "\n".join(f"Types: deb\nURIs: {uri}\nSuites: {' '.join(suites)}\n"
                     f"Components: {components}\n" for uri, suites, components in debian)

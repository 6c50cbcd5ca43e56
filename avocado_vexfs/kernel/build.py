"""Guest kernels built on the host from Debian's linux-source package, cached.

Debian's cloud kernels have KASAN, lockdep, kmemleak and UBSAN off. A flavour (a config
fragment in guest-os/kernels/<flavour>.config) is built from ``linux-source-<series>``,
the same sources as the cloud kernel, so VexFS's patches for that series apply. The
build happens once per (source package version, base config, fragment), in place under
``<cache>/kernels/<release>/``: the out-of-tree modules (VexFS, our fixture) are built
against that tree later, and a kernel build tree cannot be moved once built.
"""
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import time

from avocado_vexfs.errors import ConfigError, HostError
from avocado_vexfs.kernel import config as kconfig
from avocado_vexfs.module import kbuild
from avocado_vexfs.paths import REPO
from avocado_vexfs.vm import host

LOG = logging.getLogger(__name__)
FRAGMENTS_DIR = os.path.join(REPO, "guest-os", "kernels")
BUILDER_VERSION = "2"
MANIFEST = "manifest.json"


def fragment_path(flavour):
    path = os.path.join(FRAGMENTS_DIR, f"{flavour}.config")
    if not os.path.isfile(path):
        known = sorted(n[:-len(".config")] for n in os.listdir(FRAGMENTS_DIR)
                       if n.endswith(".config"))
        raise ConfigError(f"guest kernel flavour {flavour!r}: no {path}; expected one of "
                          f"{', '.join(known)}")
    return path


def source_tarball(series):
    """/usr/src/linux-source-<series>.tar.xz and its package version; installs it."""
    package = f"linux-source-{series}"
    tarball = f"/usr/src/{package}.tar.xz"
    if not os.path.isfile(tarball):
        if os.geteuid() != 0:
            raise HostError(f"no kernel source for {series}: expected {tarball} "
                            f"(apt-get install {package})")
        LOG.info("installing %s (about 150 MB)", package)
        result = subprocess.run(["apt-get", "install", "-y", "-q",
                                 "--no-install-recommends", package],
                                capture_output=True, text=True, check=False,
                                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if result.returncode != 0 or not os.path.isfile(tarball):
            raise HostError(f"cannot install {package}: "
                            f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                             capture_output=True, text=True, check=False).stdout.strip()
    return tarball, version or "unknown"


def release_suffix(flavour, source_version, base_text, fragment_text):
    """LOCALVERSION naming the flavour and the hash of everything the build reads, so a
    changed fragment or a new linux-source is a new release, never a stale cache hit.

    The initramfs is not part of it: it is packed per boot init
    (``vm.initramfs.packed``), so a change to the init costs seconds, not a build."""
    sha = hashlib.sha256(BUILDER_VERSION.encode())
    for part in (source_version, base_text, fragment_text):
        sha.update(part.encode() + b"\0")
    return f"-avocado-{flavour}-{sha.hexdigest()[:8]}"


def ensure(series, flavour, base_config, cache=None):
    """The built kernel for (series, flavour) as an image kernel entry, building it once.

    :param base_config: Debian's config for the series (from the guest image)
    :returns: dict with release, vmlinuz, vmlinux (the ELF, for a PVH boot), modules
        (what the initramfs carries), config and build (the tree
        out-of-tree modules are built against)
    """
    with open(fragment_path(flavour), encoding="utf-8") as fragment:
        fragment_text = fragment.read()
    with open(base_config, encoding="utf-8") as base:
        base_text = base.read()
    tarball, source_version = source_tarball(series)
    suffix = release_suffix(flavour, source_version, base_text, fragment_text)
    parent = os.path.join(host.cache_dir(cache), "kernels")
    os.makedirs(parent, exist_ok=True)
    # the directory is named before the release is known (it needs an unpacked tree);
    # the suffix alone is unique
    directory = os.path.join(parent, f"{series}{suffix}")
    with open(directory + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(os.path.join(directory, MANIFEST)):
            _build(directory, tarball, source_version, base_text, fragment_text, suffix,
                   flavour)
        return load(directory)


def load(directory):
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as manifest:
        entry = json.load(manifest)
    for key in ("vmlinuz", "vmlinux", "modules", "config", "build"):
        entry[key] = os.path.join(directory, entry[key])
    return entry


def _progress(log_path, started, what):
    def report(elapsed):
        lines = 0
        with open(log_path, "rb") as log:
            lines = sum(1 for _ in log)
        LOG.info("%s: %.0f min so far, %d lines of build log (%s)", what, elapsed / 60,
                 lines, log_path)
    return report


def _build(directory, tarball, source_version, base_text, fragment_text, suffix, flavour):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    log_path = os.path.join(directory, "build.log")
    started = time.monotonic()
    what = f"{flavour} kernel build"
    LOG.info("building the %s guest kernel from %s %s (once; about 25 min on 2 cores; "
             "log: %s)", flavour, os.path.basename(tarball), source_version, log_path)
    src = os.path.join(directory, "src")
    out = os.path.join(directory, "build")
    os.makedirs(src)
    os.makedirs(out)
    kbuild.run_logged(["tar", "xJf", tarball, "-C", src, "--strip-components=1"], log_path,
                      f"{what}: unpacking {tarball} failed")
    compile_tree(directory, source_version, base_text, fragment_text, suffix, flavour,
                 started)


def compile_tree(directory, source_version, base_text, fragment_text, suffix, flavour,
                 started):
    """Configure, build and package the unpacked tree in ``directory``.

    Apart from the unpacking so that a tree already built for a neighbouring fragment
    can be rebuilt incrementally (make recompiles what the config change touches).
    """
    log_path = os.path.join(directory, "build.log")
    what = f"{flavour} kernel build"
    src = os.path.join(directory, "src")
    out = os.path.join(directory, "build")
    jobs = str(os.cpu_count() or 2)
    with open(os.path.join(out, ".config"), "w", encoding="utf-8") as dot_config:
        dot_config.write(kconfig.derive(base_text, fragment_text, suffix))
    make = ["make", "-C", src, f"O={out}"]
    kbuild.run_logged(make + ["olddefconfig"], log_path, f"{what}: olddefconfig failed")
    with open(os.path.join(out, ".config"), encoding="utf-8") as dot_config:
        final = dot_config.read()
    missing = kconfig.unmet(final, fragment_text)
    if missing:
        raise ConfigError(f"{what}: {fragment_path(flavour)} asks for options the kernel "
                          f"config cannot hold: {', '.join(missing)}")
    kbuild.run_logged(make + [f"-j{jobs}", "bzImage", "modules"], log_path,
                      f"{what} failed", progress=_progress(log_path, started, what),
                      every=60)
    release = subprocess.run(make + ["-s", "kernelrelease"], capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
    staging = os.path.join(directory, "modules")
    kbuild.run_logged(make + [f"INSTALL_MOD_PATH={staging}", "modules_install"], log_path,
                      f"{what}: modules_install failed")
    modules_dir = os.path.join(staging, "lib", "modules", release)
    for link in ("build", "source"):
        if os.path.islink(os.path.join(modules_dir, link)):
            os.unlink(os.path.join(modules_dir, link))
    shutil.copy(os.path.join(out, "arch", "x86", "boot", "bzImage"),
                os.path.join(directory, f"vmlinuz-{release}"))
    shutil.copy(os.path.join(out, ".config"), os.path.join(directory, f"config-{release}"))
    # the uncompressed ELF (in the tree) boots through PVH: no decompression under TCG
    manifest = {"release": release, "flavour": flavour, "source": source_version,
                "vmlinuz": f"vmlinuz-{release}", "vmlinux": os.path.join("build", "vmlinux"),
                "modules": os.path.join("modules", "lib", "modules"),
                "config": f"config-{release}", "build": "build",
                "build_seconds": round(time.monotonic() - started),
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(directory, MANIFEST + ".tmp"), "w", encoding="utf-8") as out_file:
        json.dump(manifest, out_file, indent=2)
    os.replace(os.path.join(directory, MANIFEST + ".tmp"),
               os.path.join(directory, MANIFEST))
    # modules are built against a release (kbuild.ensure_headers looks it up here)
    link = os.path.join(os.path.dirname(directory), release)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.basename(directory), link)
    LOG.info("%s guest kernel %s built in %.0f min", flavour, release,
             (time.monotonic() - started) / 60)


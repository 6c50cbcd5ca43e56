"""fstests built once on the host into a read-only ext4 disk image for the guests.

The guest is Debian 12 like the host, with the same library versions, so a build made
here runs there; gcc in a TCG guest is about ten times slower. The built tree is written
with ``mkfs.ext4 -d`` into a regular file (no host block device is formatted or
mounted) with the tree at the image's root: the guest attaches it through a qcow2
overlay and mounts it at /fstests, so ``check`` is /fstests/check. The cache key is the
source digest and the guest image digest, so a new guest image rebuilds against it.
"""
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time

from avocado_vexfs.errors import HostError
from avocado_vexfs.fstests import groups, source
from avocado_vexfs.module import kbuild
from avocado_vexfs.vm import host

# Debian packages that configure and make need (fstests' README, Debian section).
HOST_PACKAGES = ("autoconf", "automake", "libtool", "libtool-bin", "gcc", "make",
                 "xfslibs-dev", "uuid-dev", "libattr1-dev", "libacl1-dev", "libaio-dev",
                 "liburing-dev", "libgdbm-dev", "libgdbm-compat-dev", "libcap-dev", "gawk",
                 "pkg-config")
IMAGE_FILE = "fstests.raw"
IMAGE_LABEL = "fstests"
MANIFEST = "manifest.json"
PROGRESS_SECONDS = 15
# ext4 room for the tree: twice its size (inodes, journal, directories) plus a margin.
IMAGE_MARGIN_MB = 64
LOG = logging.getLogger(__name__)


class Built:
    """A cached fstests build: the disk image, the build log and the manifest."""

    def __init__(self, directory):
        self.directory = directory
        self.image = os.path.join(directory, IMAGE_FILE)
        self.log = os.path.join(directory, "build.log")
        with open(os.path.join(directory, MANIFEST), encoding="utf-8") as manifest:
            self.manifest = json.load(manifest)


def missing_packages(packages=HOST_PACKAGES):
    """The packages of ``packages`` that dpkg does not list as installed."""
    host.require_tools("dpkg-query")
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n",
                             *packages], capture_output=True, text=True, check=False)
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if line.endswith(" installed") and " ok " in line}
    return [package for package in packages if package not in installed]


def require_packages(packages=HOST_PACKAGES):
    missing = missing_packages(packages)
    if missing:
        raise HostError(f"missing host packages to build fstests: {' '.join(missing)} "
                        f"(expected installed; run 'make host' to install them)")


def build_dir(src_digest, image_digest, cache=None):
    return os.path.join(host.cache_dir(cache), "fstests", f"{src_digest}-{image_digest}")


def ensure(spec, image_digest, cache=None, jobs=None):
    """The cached build of FSTESTS_SRC ``spec`` for the guest image ``image_digest``.

    Jobs started together build once: the first holds the lock, the others wait and
    find its manifest.

    :raises kbuild.BuildError: "fstests build failed: <first error>", log kept
    :raises HostError: when build packages are missing
    """
    src_digest = source.digest(spec)
    out = build_dir(src_digest, image_digest, cache)
    if os.path.exists(os.path.join(out, MANIFEST)):
        LOG.debug("fstests %s: cached in %s", spec, out)
        return Built(out)
    with kbuild.build_lock(out):
        if os.path.exists(os.path.join(out, MANIFEST)):
            return Built(out)
        require_packages()
        host.require_tools("mkfs.ext4")
        _build(spec, src_digest, image_digest, out, jobs or os.cpu_count() or 1)
        return Built(out)


def _build(spec, src_digest, image_digest, out, jobs):
    staging = kbuild.fresh_dir(out + ".tmp")
    log_path = os.path.join(staging, "build.log")
    work = tempfile.mkdtemp(prefix=".fstests-src-", dir=os.path.dirname(out))
    started = time.monotonic()
    try:
        tree = source.prepare(spec, work)
        LOG.info("building fstests from %s with make -j%d (about a minute; log: %s)",
                 spec, jobs, log_path)
        kbuild.run_logged(["make", f"-j{jobs}"], log_path, "fstests build failed",
                          cwd=tree, progress=lambda elapsed: _progress(log_path, elapsed),
                          every=PROGRESS_SECONDS)
        build_seconds = round(time.monotonic() - started, 1)
        size = image_size(tree)
        LOG.info("fstests built in %.0fs; writing %s (%s, ext4 from the tree)",
                 build_seconds, IMAGE_FILE, size)
        image = os.path.join(staging, IMAGE_FILE)
        kbuild.run_logged(["mkfs.ext4", "-q", "-L", IMAGE_LABEL, "-d", tree, "-F", image,
                           size], log_path, "fstests image failed")
        os.chmod(image, 0o444)
        manifest = {"source": spec, "digest": src_digest, "image_digest": image_digest,
                    "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "build_seconds": build_seconds, "image_size": size,
                    "tests": len(groups.index(tree))}
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as out_file:
            json.dump(manifest, out_file, indent=2)
        kbuild.replace_dir(staging, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    LOG.info("fstests ready in %.0fs: %s", time.monotonic() - started, out)


def _progress(log_path, elapsed):
    """One line a user can see: where make is (its last "Building <dir>") and for how
    long."""
    last = "configure"
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if line.startswith("Building "):
                last = line.strip()
    LOG.info("fstests build: %s, %.0fs", last, elapsed)


def image_size(tree):
    """mkfs size for ``tree``: twice its space in 4 KiB blocks plus a margin, in MiB."""
    blocks = 0
    for root, dirs, files in os.walk(tree):
        blocks += len(dirs)
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                blocks += -(-os.path.getsize(full) // 4096) or 1
    return f"{-(-blocks * 2 * 4096 // (1 << 20)) + IMAGE_MARGIN_MB}M"

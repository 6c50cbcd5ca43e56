"""Guest images built offline from a recipe in guest-os/, cached by the recipe's hash.

The base image is built once (mmdebstrap, then ``mkfs.ext4 -d`` into a regular file: no
host block device is formatted or mounted), made read-only, and never written again:
each guest boots from a qcow2 overlay and gets fresh scratch disks.
"""
import hashlib
import fcntl
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time

from avocado_vexfs.errors import ConfigError, ImageError
from avocado_vexfs.paths import REPO
from avocado_vexfs.vm import host, initramfs, pvh

RECIPES_DIR = os.path.join(REPO, "guest-os")
BUILDER_VERSION = "2"
LOG = logging.getLogger(__name__)


class Recipe:
    """A guest-os/<name>/ directory: recipe.json plus the files it names."""

    def __init__(self, name, recipes_dir=RECIPES_DIR):
        self.name = name
        self.path = os.path.join(recipes_dir, name)
        recipe_file = os.path.join(self.path, "recipe.json")
        if not os.path.isfile(recipe_file):
            known = sorted(d for d in os.listdir(recipes_dir)
                           if os.path.isfile(os.path.join(recipes_dir, d, "recipe.json")))
            raise ConfigError(f"unknown guest OS recipe {name!r}: expected one of "
                              f"{', '.join(known)}")
        with open(recipe_file, encoding="utf-8") as recipe:
            try:
                self.data = json.load(recipe)
            except json.JSONDecodeError as err:
                raise ConfigError(f"{recipe_file}: not valid JSON: {err}") from err

    @property
    def kernels(self):
        return self.data["kernels"]

    @property
    def init(self):
        """The guest init (PID 1 after the initramfs): a boot file, read at boot."""
        return os.path.join(self.path, self.data["init"])

    def digest(self):
        """Hash of every file in the recipe directory but the guest init, and
        BUILDER_VERSION.

        The init and the initramfs are boot files, packed per boot init
        (vm/initramfs.packed): a change to them rebuilds no image. Bump BUILDER_VERSION
        when a change to the builder changes what it produces.
        """
        sha = hashlib.sha256(BUILDER_VERSION.encode())
        for root, _, files in sorted(os.walk(self.path)):
            for file_name in sorted(files):
                full = os.path.join(root, file_name)
                if full == self.init:
                    continue
                sha.update(os.path.relpath(full, self.path).encode())
                with open(full, "rb") as content:
                    sha.update(content.read())
        return sha.hexdigest()[:16]


class Image:
    """A built image: read-only base disk plus a kernel and initramfs per kernel variant."""

    def __init__(self, directory):
        self.directory = directory
        with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as manifest:
            self.manifest = json.load(manifest)

    @property
    def base(self):
        return os.path.join(self.directory, self.manifest["base"])

    @property
    def recipe(self):
        return Recipe(self.manifest["recipe"])

    @property
    def busybox(self):
        return os.path.join(self.directory, "busybox")

    def kernel(self, variant):
        """Kernel (bzImage and, where it boots through PVH, its ELF), staged initramfs
        modules, config and release for ``variant`` ("6.12", "6.1")."""
        kernels = self.manifest["kernels"]
        if variant not in kernels:
            raise ConfigError(f"guest kernel variant {variant!r} is not in image "
                              f"{self.manifest['recipe']}: expected one of "
                              f"{', '.join(sorted(kernels))}")
        entry = dict(kernels[variant])
        for key in ("vmlinuz", "vmlinux", "modules"):
            if entry.get(key):
                entry[key] = os.path.join(self.directory, entry[key])
        return entry


def image_dir(recipe, cache=None):
    return os.path.join(host.cache_dir(cache), "images", f"{recipe.name}-{recipe.digest()}")


def ensure(recipe_name, cache=None, build=True):
    """Return the cached Image for ``recipe_name``, building it when missing.

    :param build: when False, a missing image is an error instead of a build
    """
    recipe = Recipe(recipe_name)
    directory = image_dir(recipe, cache)
    if os.path.exists(os.path.join(directory, "manifest.json")):
        LOG.debug("guest image %s: cached in %s", recipe_name, directory)
        return Image(directory)
    if not build:
        raise ImageError(f"guest image {recipe_name} is not built in {directory}: "
                         f"run 'make image'")
    # Jobs started together (parallel tasks, two users) build once: the first holds
    # the lock, the others wait and find its manifest.
    os.makedirs(os.path.dirname(directory), mode=0o755, exist_ok=True)
    with open(f"{directory}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(directory, "manifest.json")):
            return Image(directory)
        return Image(_build(recipe, directory))


def _run(cmd, log, **kwargs):
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False,
                            **kwargs)
    if result.returncode != 0:
        raise ImageError(f"image build step failed ({cmd[0]} exited {result.returncode}); "
                         f"see {log.name}")


def _build(recipe, directory):
    host.require_tools("mmdebstrap", "mkfs.ext4")
    data = recipe.data
    parent = os.path.dirname(directory)
    os.makedirs(parent, mode=0o755, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".build-{recipe.name}-", dir=parent)
    os.chmod(work, 0o755)
    rootfs = os.path.join(work, "rootfs")
    log_path = os.path.join(work, "build.log")
    started = time.monotonic()
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            sources = os.path.join(work, "sources")
            with open(sources, "w", encoding="utf-8") as out:
                out.write(host.debian_sources(data["suite"]))
            packages = list(data["packages"])
            for kernel in data["kernels"].values():
                packages += [kernel["image"], kernel["headers"]]
            LOG.info("building guest image %s (%d packages, takes a few minutes; log: %s)",
                     recipe.name, len(packages), log_path)
            _run(["mmdebstrap", "--variant=apt", "--mode=root",
                  "--aptopt=APT::Install-Recommends \"false\"",
                  "--dpkgopt=force-confold", "--dpkgopt=force-confdef",
                  "--essential-hook=mkdir -p \"$1/etc/initramfs-tools\" && "
                  "echo update_initramfs=no > \"$1/etc/initramfs-tools/update-initramfs.conf\"",
                  "--customize-hook=rm -f \"$1\"/boot/initrd.img-*",
                  "--customize-hook=echo avocado-vexfs > \"$1/etc/hostname\"",
                  f"--include={','.join(packages)}",
                  data["suite"], rootfs, sources], log)
            LOG.info("rootfs ready after %.0fs; extracting kernels",
                     time.monotonic() - started)
            manifest = {"recipe": recipe.name, "digest": recipe.digest(), "kernels": {},
                        "base": "base.raw", "built": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                   time.gmtime())}
            for variant, kernel in data["kernels"].items():
                release = _kernel_release(rootfs, kernel["image"])
                vmlinuz = f"vmlinuz-{release}"
                shutil.copy(os.path.join(rootfs, "boot", vmlinuz), work)
                shutil.copy(os.path.join(rootfs, "boot", f"config-{release}"), work)
                modules = f"initramfs-modules-{release}"
                initramfs.stage_modules(os.path.join(rootfs, "lib", "modules", release),
                                        data.get("initramfs_modules", []),
                                        os.path.join(work, modules))
                elf = pvh.extract(os.path.join(work, vmlinuz),
                                  os.path.join(work, f"vmlinux-{release}"))
                manifest["kernels"][variant] = {
                    "release": release, "vmlinuz": vmlinuz, "modules": modules,
                    "vmlinux": os.path.basename(elf) if elf else None,
                    "config": f"config-{release}"}
            shutil.copy(os.path.join(rootfs, "bin", "busybox"), work)
            LOG.info("writing base image (%s, ext4 from a directory)", data["image_size"])
            base = os.path.join(work, "base.raw")
            _run(["mkfs.ext4", "-q", "-L", "avocado-vexfs", "-d", rootfs, "-F", base,
                  data["image_size"]], log)
            os.chmod(base, 0o444)
            shutil.rmtree(rootfs)
            with open(os.path.join(work, "manifest.json"), "w", encoding="utf-8") as out:
                json.dump(manifest, out, indent=2)
        os.rename(work, directory)
    except BaseException:
        if os.path.isdir(rootfs):
            shutil.rmtree(rootfs, ignore_errors=True)
        if os.path.exists(log_path):
            kept = os.path.join(parent, f"failed-build-{recipe.name}.log")
            shutil.copy(log_path, kept)
            LOG.error("image build failed; log kept at %s", kept)
        shutil.rmtree(work, ignore_errors=True)
        raise
    LOG.info("guest image %s built in %.0fs: %s", recipe.name, time.monotonic() - started,
             directory)
    return directory


def _kernel_release(rootfs, meta_package):
    """The release (uname -r) a kernel meta package resolves to inside the rootfs."""
    for entry in sorted(os.listdir(os.path.join(rootfs, "boot"))):
        if not entry.startswith("vmlinuz-"):
            continue
        release = entry[len("vmlinuz-"):]
        result = subprocess.run(
            ["chroot", rootfs, "dpkg-query", "-W", "-f", "${Depends}", meta_package],
            capture_output=True, text=True, check=False)
        if f"linux-image-{release}" in result.stdout:
            return release
    raise ImageError(f"kernel package {meta_package} installed no kernel in the image")


def create_overlay(base, path):
    """A qcow2 overlay on the read-only base: the guest writes here, never to the base."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base,
                    path], check=True, capture_output=True)
    return path


def create_scratch(path, size_mb):
    """A sparse raw disk for the filesystem under test; the guest formats it."""
    with open(path, "wb") as disk:
        disk.truncate(int(size_mb) * 1024 * 1024)
    return path

"""VexFS from a user's tree: copy, patch, build against the guest kernel, load in a guest.

The user's tree is never written: it is copied (or cloned, for a git URL) into a private
directory, VEXFS_PATCHES are applied there, and the build is cached by the hash of the
patched sources and the kernel release. The module is built on the host against the
headers from the same Debian package as the guest kernel (gcc on the host is an order of
magnitude faster than gcc in a TCG guest), then copied into the guest to be loaded.
"""
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile

from avocado_vexfs.errors import ConfigError, GuestCommandError, VexfsError
from avocado_vexfs.module import kbuild
from avocado_vexfs.module.gitsource import clone, is_clone_source, split_ref
from avocado_vexfs.paths import from_repo
from avocado_vexfs.vm import host

MODULE_DIR = "kernel_module"
MKFS_SOURCE = "tools/mkfs.vexfs.c"
GUEST_DIR = "/opt/vexfs"
# fsck.<fstype> for fstests: VexFS has no fsck; this checks what mkfs.vexfs verifies,
# the superblock's magic 0x56455846 and its 4096-byte block size (little-endian).
FSCK_SCRIPT = r"""#!/bin/sh
for dev; do :; done
magic=$(od -A n -t x4 -N 4 "$dev" | tr -d ' ')
bsize=$(od -A n -t u4 -j 4 -N 4 "$dev" | tr -d ' ')
if [ "$magic" != 56455846 ] || [ "$bsize" != 4096 ]; then
    echo "fsck.vexfs: $dev: bad superblock (magic $magic, block size $bsize)"
    exit 4
fi
echo "fsck.vexfs: $dev: superblock ok (the only check: VexFS has no fsck)"
"""


class ModuleLoadError(VexfsError):
    """insmod refused the module; the message carries the kernel's reason."""


def source_from(params, environ=None):
    """(VEXFS_SRC, VEXFS_PATCHES), resolved once: cfg vexfs_src / vexfs_patches first,
    then the environment variables; "" for what is unset."""
    environ = os.environ if environ is None else environ
    return (from_repo(params.get("vexfs_src") or environ.get("VEXFS_SRC", "")),
            from_repo(params.get("vexfs_patches") or environ.get("VEXFS_PATCHES", "")))


def check_tree(path, what):
    """Fail with one line unless ``path`` looks like a VexFS tree."""
    if not os.path.isdir(path):
        raise ConfigError(f"VEXFS_SRC={what} does not exist: expected a VexFS tree "
                          f"(a directory with {MODULE_DIR}/ and {MKFS_SOURCE}) or a git URL")
    for need in (os.path.join(MODULE_DIR, "Kbuild"), MKFS_SOURCE):
        if not os.path.exists(os.path.join(path, need)):
            raise ConfigError(f"VEXFS_SRC={what} is not a VexFS tree: {need} is missing")


def prepare_tree(spec, patches_dir, workdir):
    """Private copy of the VexFS tree with patches applied; returns its path."""
    tree = os.path.join(workdir, "vexfs")
    url, ref = split_ref(spec)
    if is_clone_source(url, ref):
        clone(url, ref, tree, "VEXFS_SRC", spec)
    else:
        check_tree(url, spec)
        shutil.copytree(url, tree, symlinks=True,
                        ignore=shutil.ignore_patterns(".git", "*.o", "*.ko", "*.mod*",
                                                      ".*.cmd", "target", "node_modules"))
    check_tree(tree, spec)
    for patch in list_patches(patches_dir):
        result = subprocess.run(["patch", "-p1", "--forward", "--batch", "-s", "-i", patch],
                                cwd=tree, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            first = (result.stdout + result.stderr).strip().splitlines()
            raise ConfigError(f"patch {os.path.basename(patch)} does not apply to "
                              f"VEXFS_SRC={spec}: {first[0] if first else 'patch failed'}")
    return tree


def list_patches(patches_dir):
    """Patch files of VEXFS_PATCHES in name order (empty when unset)."""
    if not patches_dir:
        return []
    if not os.path.isdir(patches_dir):
        raise ConfigError(f"VEXFS_PATCHES={patches_dir} is not a directory: expected a "
                          f"directory of *.patch or *.diff files")
    return [os.path.join(patches_dir, name) for name in sorted(os.listdir(patches_dir))
            if name.endswith((".patch", ".diff"))]


def source_hash(tree):
    """Hash of what the build reads: the module sources and mkfs.vexfs.c."""
    sha = hashlib.sha256()
    module_dir = os.path.join(tree, MODULE_DIR)
    for root, dirs, files in os.walk(module_dir):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".c", ".h")) or name in ("Kbuild", "Makefile"):
                full = os.path.join(root, name)
                sha.update(os.path.relpath(full, tree).encode())
                with open(full, "rb") as source:
                    sha.update(source.read())
    with open(os.path.join(tree, MKFS_SOURCE), "rb") as source:
        sha.update(source.read())
    return sha.hexdigest()[:16]


class Build:
    """A cached build: the module, mkfs.vexfs and the log that made them."""

    def __init__(self, directory):
        self.directory = directory
        self.log = os.path.join(directory, "build.log")
        modules = sorted(n for n in os.listdir(directory) if n.endswith(".ko"))
        self.module = os.path.join(directory, modules[0]) if modules else None
        self.mkfs = os.path.join(directory, "mkfs.vexfs")

    @property
    def module_name(self):
        return os.path.basename(self.module)[:-3].replace("-", "_")


def build(spec, patches_dir, release, cache=None, jobs=2):
    """Build VexFS for kernel ``release``; return a cached Build.

    :raises kbuild.BuildError: with "vexfs build failed against <release>: <first error>"
    """
    work = tempfile.mkdtemp(prefix="vexfs-src-")
    try:
        tree = prepare_tree(spec, patches_dir, work)
        key = f"{source_hash(tree)}-{release}"
        out = os.path.join(host.cache_dir(cache), "vexfs-builds", key)
        with kbuild.build_lock(out):
            if os.path.exists(os.path.join(out, "mkfs.vexfs")):
                return Build(out)
            staging = kbuild.fresh_dir(out + ".tmp")
            log_path = os.path.join(staging, "build.log")
            kbuild.build_module(os.path.join(tree, MODULE_DIR), release, staging, log_path,
                                what="vexfs", jobs=jobs, cache=cache)
            kbuild.run_logged(["gcc", "-O2", "-Wall", "-o",
                               os.path.join(staging, "mkfs.vexfs"),
                               os.path.join(tree, MKFS_SOURCE)], log_path,
                              failure=f"vexfs build failed against {release}")
            kbuild.replace_dir(staging, out)
            return Build(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def install(guest, built):
    """Copy the module and mkfs.vexfs into the guest."""
    guest.put_file(built.module, f"{GUEST_DIR}/{os.path.basename(built.module)}")
    guest.put_file(built.mkfs, f"{GUEST_DIR}/mkfs.vexfs", mode=0o755)
    guest.cmd(f"ln -sf {GUEST_DIR}/mkfs.vexfs /usr/local/sbin/mkfs.vexfs")
    return f"{GUEST_DIR}/{os.path.basename(built.module)}"


def filesystems(guest):
    """The set of fs type names in the guest's /proc/filesystems."""
    return {line.split()[-1] for line in guest.cmd("cat /proc/filesystems").splitlines()
            if line.strip()}


def load(guest, module_path, params=""):
    """insmod the module; return the fs type names it registered.

    The name is learnt from /proc/filesystems, not assumed: upstream registers
    'vexfs_fixed', and a developer's branch may call it anything.
    """
    before = filesystems(guest)
    try:
        guest.cmd(f"insmod {shlex.quote(module_path)} {params}".strip())
    except GuestCommandError as err:
        raise ModuleLoadError(f"insmod {os.path.basename(module_path)} failed: "
                              f"{err.output.strip() or 'no output'}; kernel says: "
                              f"{guest.last_kernel_message()}") from err
    return sorted(filesystems(guest) - before)


def only_one(registered, what):
    """The one fs type name that an insmod of ``what`` registered.

    :raises ModuleLoadError: when it registered none or several
    """
    if len(registered) != 1:
        raise ModuleLoadError(f"insmod {what} registered fs types "
                              f"{registered or 'none'}: expected exactly one")
    return registered[0]


def unload(guest, module_name):
    guest.cmd(f"rmmod {shlex.quote(module_name)}")


def refcount(guest, module_name):
    """The module's use count from /sys/module, or None when not loaded."""
    status, output = guest.status_output(f"cat /sys/module/{module_name}/refcnt")
    return int(output.strip()) if status == 0 else None

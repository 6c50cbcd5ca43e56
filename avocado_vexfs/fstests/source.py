"""FSTESTS_SRC: the fstests tree a run uses, as a directory, a tarball or a git URL[@ref].

The user's tree is never written: it is copied, unpacked or cloned into a private
directory, and the build works there. ``digest`` names the content without building, so
a cached build is found before anything is copied.
"""
import fnmatch
import hashlib
import logging
import os
import shutil
import tarfile

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module.gitsource import clone, is_clone_source, resolve, split_ref
from avocado_vexfs.paths import from_repo

TARBALL_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz")
REQUIRED = ("check", "common/rc", "tests/generic/")
EXPECTED = ("expected an fstests tree (a directory or tarball with check, common/rc, "
            "tests/) or a git URL")
# What configure, make and a run add to a tree (fstests' own .gitignore), and compiled
# programs: neither copied nor hashed, so a tree that was built or run in still names the
# same sources and builds afresh from them.
BUILD_OUTPUTS = ("*.o", "*.lo", "*.la", "*.a", "*.so", ".libs", ".dep", ".ltdep",
                 "group.list", "autom4te.cache", "config.log", "config.status", "libtool",
                 "results", "local.config")
SKIPPED = (".git",) + BUILD_OUTPUTS
GENERATED = ("aclocal.m4", "configure", "config.guess", "config.sub", "install-sh",
             "ltmain.sh", "include/builddefs", "include/config.h", "include/config.h.in",
             "m4/libtool.m4", "m4/ltoptions.m4", "m4/ltsugar.m4", "m4/ltversion.m4",
             "m4/lt~obsolete.m4")
ELF_MAGIC = b"\x7fELF"
LOG = logging.getLogger(__name__)


def source_from(params, environ=None):
    """FSTESTS_SRC, resolved once: cfg fstests_src first, then the environment; "" when
    unset."""
    environ = os.environ if environ is None else environ
    return from_repo(params.get("fstests_src") or environ.get("FSTESTS_SRC", ""))


def is_tarball(spec):
    return spec.endswith(TARBALL_SUFFIXES)


def check_tree(path, spec):
    """Fail with one line unless ``path`` holds check, common/rc and tests/generic/."""
    for need in REQUIRED:
        full = os.path.join(path, need)
        if not (os.path.isdir(full) if need.endswith("/") else os.path.isfile(full)):
            raise ConfigError(f"FSTESTS_SRC={spec} is not an fstests tree: {need} is "
                              f"missing")


def kind(spec):
    """"git", "directory" or "tarball"; ConfigError with one line for anything else."""
    if not spec:
        raise ConfigError(f"FSTESTS_SRC is not set: {EXPECTED}")
    if is_clone_source(*split_ref(spec)):
        return "git"
    if os.path.isdir(spec):
        check_tree(spec, spec)
        return "directory"
    if os.path.isfile(spec) and is_tarball(spec):
        return "tarball"
    if os.path.exists(spec):
        raise ConfigError(f"FSTESTS_SRC={spec} is neither a directory nor a tarball "
                          f"({', '.join(TARBALL_SUFFIXES)}): {EXPECTED}")
    raise ConfigError(f"FSTESTS_SRC={spec} does not exist: {EXPECTED}")


def prepare(spec, workdir):
    """Private copy of the fstests tree of ``spec`` under ``workdir``; returns its path."""
    tree = os.path.join(workdir, "fstests")
    source_kind = kind(spec)
    if source_kind == "git":
        clone(*split_ref(spec), tree, "FSTESTS_SRC", spec)
    elif source_kind == "directory":
        _copy(spec, tree)
    else:
        _unpack(spec, tree, workdir)
    check_tree(tree, spec)
    LOG.debug("fstests tree of FSTESTS_SRC=%s (%s) prepared in %s", spec, source_kind, tree)
    return tree


def source_files(tree):
    """Relative paths of the tree's sources, sorted: no .git, no build outputs."""
    found = []
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, tree)
            if not (_skipped(name) or rel in GENERATED or _is_elf(full)):
                found.append(rel)
    return found


def _skipped(name):
    return any(fnmatch.fnmatch(name, pattern) for pattern in SKIPPED)


def _is_elf(path):
    if os.path.islink(path):
        return False
    with open(path, "rb") as head:
        return head.read(4) == ELF_MAGIC


def _copy(src, tree):
    for rel in source_files(src):
        dest = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), dest, follow_symlinks=False)


def _unpack(spec, tree, workdir):
    """Unpack a tarball whose one top directory is the tree (fstests/, fstests-<ver>/).

    The stdlib's "data" filter refuses absolute paths, .. and links leaving the tree.
    """
    staging = os.path.join(workdir, ".unpack")
    try:
        with tarfile.open(spec) as archive:
            names = {os.path.normpath(member.name) for member in archive.getmembers()}
            tops = {name.split("/", 1)[0] for name in names} - {"."}
            if len(tops) != 1 or not any(name.startswith(f"{next(iter(tops))}/")
                                         for name in names):
                raise ConfigError(f"FSTESTS_SRC={spec} is not an fstests tree: expected one "
                                  f"top directory in the tarball, found "
                                  f"{', '.join(sorted(tops)[:3]) or 'nothing'}"
                                  f"{' ...' if len(tops) > 3 else ''}")
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, OSError, EOFError) as err:
        lines = str(err).splitlines()
        reason = lines[0] if len(lines) == 1 else "not a tar archive (plain, gz, bz2 or xz)"
        raise ConfigError(f"FSTESTS_SRC={spec} cannot be unpacked ({reason}): expected a "
                          f"readable tarball") from None
    os.rename(os.path.join(staging, tops.pop()), tree)
    os.rmdir(staging)


def digest(spec):
    """A short content hash of ``spec``, stable across machines and checkouts.

    A tarball: its bytes. A directory: relative paths and contents of its sources. A git
    URL[@ref]: the commit the ref names now (a moved branch gives a new digest).
    """
    source_kind = kind(spec)
    if source_kind == "git":
        return resolve(*split_ref(spec), "FSTESTS_SRC", spec)[:16]
    sha = hashlib.sha256()
    if source_kind == "tarball":
        with open(spec, "rb") as tarball:
            for block in iter(lambda: tarball.read(1 << 20), b""):
                sha.update(block)
        return sha.hexdigest()[:16]
    for rel in source_files(spec):
        full = os.path.join(spec, rel)
        sha.update(rel.encode() + b"\0")
        if os.path.islink(full):
            sha.update(b"->" + os.readlink(full).encode())
        else:
            with open(full, "rb") as source:
                sha.update(source.read())
        sha.update(b"\0")
    return sha.hexdigest()[:16]

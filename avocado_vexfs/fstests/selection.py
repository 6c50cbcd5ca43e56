"""A cartesian cfg with one variant per selected fstests test, longest first.

Each fstests test is its own Avocado test, so the selection becomes variants: a
``fstests_case`` block defined before the provider's tests (so its variants vary fastest
and a filesystem's tests run together, sharing their pooled guests), then the usual
includes restricted to the fstests test and one filesystem. cfg/fstests-smoke.cfg is the
hand-kept level 2 selection of the same shape.
"""
import hashlib
import os
import re
import tempfile

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fstests import groups, runtimes
from avocado_vexfs.fstests import source as fstests_source
from avocado_vexfs.module import fs
from avocado_vexfs.paths import REPO

CFG_DIR = os.path.join(REPO, "cfg")
OUT_DIR = os.path.join(REPO, "results", "fstests")


def select(spec, fs_name, group="", tests="", exclude=""):
    """The selected tests of FSTESTS_SRC ``spec`` for ``fs_name``, longest first."""
    if fs_name not in fs.FILESYSTEMS:
        raise ConfigError(f"FS={fs_name!r}: expected one of "
                          f"{', '.join(sorted(fs.FILESYSTEMS))}")
    if not group and not tests:
        raise ConfigError("no fstests selection: expected GROUP=<group> (such as quick) "
                          "and/or TESTS='generic/001 ...'")
    fstests_source.kind(spec)  # one line for an unset or bad FSTESTS_SRC
    with tempfile.TemporaryDirectory(prefix="avx-fstests-index-") as work:
        index = groups.index(fstests_source.prepare(spec, work))
    chosen = groups.select(index, fs.FILESYSTEMS[fs_name].fstests_dirs,
                           groups=group.split(), tests=tests.split(),
                           exclude=exclude.split(), src=spec)
    if not chosen:
        raise ConfigError(f"GROUP={group!r} TESTS={tests!r} select no fstests test for "
                          f"{fs_name}: expected at least one")
    return groups.order(chosen, runtimes.load(fs_name))


def write(tests, fs_name, group="", names="", exclude="", output=None):
    """Write the cfg of ``tests``; its default path depends on the selection only, so a
    job's cfg stays where `make repro` finds it. Returns the path."""
    title = f"FS={fs_name} GROUP={group} TESTS={names} EXCLUDE={exclude}"
    out = output or os.path.join(
        OUT_DIR, f"{fs_name}-{hashlib.sha256(title.encode()).hexdigest()[:10]}.cfg")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as cfg:
        cfg.write(render(tests, fs_name, title))
    return out


def variant_name(test):
    """generic/001 -> generic_001 (cartesian names take no '/')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", test)


def cases_block(tests):
    """The ``variants fstests_case:`` block for ``tests``, in their order."""
    lines = ["variants fstests_case:",
             "    - @not_fstests:",
             "        no fstests"]
    for test in tests:
        lines += [f"    - {variant_name(test)}:",
                  "        only fstests",
                  f"        fstests_test = {test}"]
    return "\n".join(lines) + "\n"


def render(tests, fs_name, title, kernel="linux_6_12"):
    """The whole cfg: the cases, the includes, one filesystem, fstests only."""
    includes = "\n".join(f"include {os.path.join(CFG_DIR, name)}" for name in
                         ("base.cfg", "../test-providers/vexfs/tests/cfg/subtests.cfg",
                          "guest-os.cfg", "fs.cfg"))
    return (f"# {title}: {len(tests)} fstests tests on {fs_name}, longest first "
            f"(written by avocado-vexfs fstests-cfg)\n{cases_block(tests)}{includes}\n\n"
            f"only {kernel}\nonly fstests\nonly {fs_name}\n")

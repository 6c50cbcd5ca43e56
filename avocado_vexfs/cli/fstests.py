"""avocado-vexfs fstests-cfg: turn FS/GROUP/TESTS into a cfg of one variant per test.

`make fstests` calls it, then runs the cfg with Avocado; the nightly does the same for
generic/quick. The cfg is written under results/fstests/ with a name that depends on the
selection, so `make repro` of a job finds the cfg it ran.
"""
import hashlib
import os
import tempfile

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fstests import groups, runtimes, selection
from avocado_vexfs.fstests import source as fstests_source
from avocado_vexfs.module import fs
from avocado_vexfs.paths import REPO


def select(spec, fs_name, group="", tests="", exclude=""):
    """The selected tests of FSTESTS_SRC ``spec`` for ``fs_name``, longest first."""
    if fs_name not in fs.FILESYSTEMS:
        raise ConfigError(f"FS={fs_name!r}: expected one of "
                          f"{', '.join(sorted(fs.FILESYSTEMS))}")
    if not spec:
        raise ConfigError("FSTESTS_SRC is not set: expected an fstests directory, "
                          "tarball or git URL[@ref]")
    if not group and not tests:
        raise ConfigError("no fstests selection: expected GROUP=<group> (such as quick) "
                          "and/or TESTS='generic/001 ...'")
    with tempfile.TemporaryDirectory(prefix="avx-fstests-index-") as work:
        index = groups.index(fstests_source.prepare(spec, work))
    chosen = groups.select(index, fs.FILESYSTEMS[fs_name].fstests_dirs,
                           groups=group.split(), tests=tests.split(),
                           exclude=exclude.split(), src=spec)
    if not chosen:
        raise ConfigError(f"GROUP={group!r} TESTS={tests!r} select no fstests test for "
                          f"{fs_name}: expected at least one")
    return groups.order(chosen, runtimes.load(fs_name))


def _cmd_fstests_cfg(args):
    spec = fstests_source.source_from({"fstests_src": args.src})
    tests = select(spec, args.fs, args.group, args.tests, args.exclude)
    title = f"FS={args.fs} GROUP={args.group} TESTS={args.tests} EXCLUDE={args.exclude}"
    out = args.output or os.path.join(
        REPO, "results", "fstests",
        f"{args.fs}-{hashlib.sha256(title.encode()).hexdigest()[:10]}.cfg")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as cfg:
        cfg.write(selection.render(tests, args.fs, title))
    print(out)


def add_parsers(sub):
    cfg = sub.add_parser("fstests-cfg", help="write a cfg with one variant per selected "
                         "fstests test (longest first); prints its path")
    cfg.add_argument("--fs", required=True, help="filesystem: ext4 or vexfs")
    cfg.add_argument("--src", default="",
                     help="FSTESTS_SRC: an fstests directory, tarball or git URL[@ref]")
    cfg.add_argument("--group", default="", help="fstests groups, such as quick")
    cfg.add_argument("--tests", default="", help="tests, such as 'generic/001 generic/002'")
    cfg.add_argument("--exclude", default="", help="tests left out")
    cfg.add_argument("-o", "--output", help="cfg path (default: results/fstests/<fs>-<hash>.cfg)")
    cfg.set_defaults(func=_cmd_fstests_cfg)

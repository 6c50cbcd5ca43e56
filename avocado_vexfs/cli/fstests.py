"""avocado-vexfs fstests-cfg: turn FS/GROUP/TESTS into a cfg of one variant per test.

`make fstests` calls it, then runs the cfg with Avocado; the nightly does the same for
generic/quick. The cfg is written under results/fstests/ with a name that depends on the
selection, so `make repro` of a job finds the cfg it ran.
"""
from avocado_vexfs.fstests import selection
from avocado_vexfs.fstests import source as fstests_source


def _cmd_fstests_cfg(args):
    spec = fstests_source.source_from({"fstests_src": args.src})
    tests = selection.select(spec, args.fs, args.group, args.tests, args.exclude)
    print(selection.write(tests, args.fs, args.group, args.tests, args.exclude, args.output))


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

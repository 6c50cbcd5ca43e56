"""The `avocado-vexfs repro` and `avocado-vexfs bisect` subcommands (wired into cli/main.py).

Both print one line and exit non-zero on bad input (cli.main turns VexfsError into that).
"""
import argparse
import os

from avocado_vexfs.errors import ConfigError, VexfsError
from avocado_vexfs.module import vexfs
from avocado_vexfs.triage import bisect, jobdir, repro


def _cmd_repro(args):
    job = jobdir.Job(jobdir.find(args.job))
    if not args.test:
        entries = repro.write_for_job(job.path)["tests"]
        for name, entry in sorted(entries.items()):
            print(f"{name}: {entry['command']}")
        print(f"{len(entries)} failed tests; commands in "
              f"{os.path.join(job.path, repro.REPRO_FILE)}")
        return 0
    test = job.test(args.test)
    if repro.is_config_error(test):
        reason = str(test.get("fail_reason") or "").strip().splitlines()[0]
        raise ConfigError(f"TEST={test['name']} ended on a config error ({reason}): "
                          f"expected a failed test; fix the input and run it again")
    if args.print_only:
        entry = repro.record(job, [test])["tests"][test["name"]]
        print(entry["command"])
        print(entry["avocado"])
        return 0
    entry, run = repro.reproduce(job, test, results_dir=args.results_dir)
    print("\n".join(repro.summary_lines(entry, run)))
    return 0 if run["matches"] else 1


def _cmd_bisect(args):
    if not args.src:
        raise VexfsError("VEXFS_SRC is not set: expected --src (or VEXFS_SRC) to be a git "
                         "repository path or URL")
    result = bisect.bisect(args.src, args.good, args.bad, args.test, cfg=args.cfg,
                           extra_params=args.extra, results_root=args.results_dir,
                           src_param=args.src_param, subdir=args.subdir,
                           repeats=args.repeats)
    print("\n".join(bisect.summary_lines(result)))
    return 0 if result.get("first_bad") else 1


def positive_int(text):
    """argparse type: a count of 1 or more (0 would silently mean 'the cfg's value')."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= 1")
    return int(text)


def add_parsers(sub):
    """Add repro and bisect to the avocado-vexfs subcommands."""
    rep = sub.add_parser("repro", help="re-run a failed test of a job exactly; compare")
    rep.add_argument("--job", required=True, help="job id (prefix), results dir or latest")
    rep.add_argument("--test", help="test name; without it, write repro.json for all failed")
    rep.add_argument("--print-only", action="store_true",
                     help="print the command, run nothing")
    rep.add_argument("--results-dir", help="where the new job goes (default: results/)")
    rep.set_defaults(func=_cmd_repro)
    bis = sub.add_parser("bisect", help="git bisect a module tree by one test's verdict")
    bis.add_argument("--src", default=vexfs.source_from({})[0],
                     help="git repository path or URL (default: VEXFS_SRC)")
    bis.add_argument("--good", required=True)
    bis.add_argument("--bad", required=True)
    bis.add_argument("--test", required=True, help="one test variant name")
    bis.add_argument("--cfg", help="cfg defining the test (default: search cfg/level*.cfg)")
    bis.add_argument("--extra", action="append", default=[], metavar="KEY=VALUE",
                     help="--vt-extra-params for every step (repeatable)")
    bis.add_argument("--src-param", help="cfg key the clone goes into "
                     "(default: module_src if the variant has it, else vexfs_src)")
    bis.add_argument("--subdir", default="", help="module directory inside the tree")
    bis.add_argument("--repeats", type=positive_int,
                     help="runs per step (default: bisect_repeats)")
    bis.add_argument("--results-dir", help="where bisect-<date>-<id>/ goes "
                     "(default: results/)")
    bis.set_defaults(func=_cmd_bisect)

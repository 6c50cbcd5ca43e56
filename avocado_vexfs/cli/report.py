"""The `avocado-vexfs` subcommands for reports: report, diff, debug-bundle, settings."""
import os

from avocado_vexfs import settings as settings_mod
from avocado_vexfs.report import bundle, diff, html, jobdir


def _cmd_report(args):
    print(html.build(jobdir.resolve(args.job)))


def _cmd_diff(args):
    result = diff.compare(jobdir.resolve(args.old), jobdir.resolve(args.new),
                          threshold=args.threshold / 100.0)
    print(diff.render_text(result))
    return 1 if result["new_failures"] or diff.unknown_new_signatures(result) else 0


def _cmd_bundle(args):
    job_dir = jobdir.resolve(args.job)
    out_dir = os.path.dirname(job_dir)
    print(bundle.create(job_dir, os.path.abspath(args.repo), out_dir))


def _cmd_settings(_args):
    print(settings_mod.describe())


def add_parsers(sub):
    """Add our subcommands to the `avocado-vexfs` argument parser."""
    report = sub.add_parser("report", help="(re)build report.html for a job")
    report.add_argument("job", nargs="?", default="",
                        help="job dir or id or 'latest' (default)")
    diff_cmd = sub.add_parser("diff", help="new failures, fixes, crash, check signature "
                                           "and metric changes between two jobs (exit 1 on "
                                           "a new failure or a new unknown check problem)")
    diff_cmd.add_argument("old", help="job dir or id (before)")
    diff_cmd.add_argument("new", help="job dir or id (after)")
    diff_cmd.add_argument("--threshold", type=float, default=10.0,
                          help="metric change in percent worth listing (default 10)")
    bundle_cmd = sub.add_parser("debug-bundle", help="tarball of host facts, a job's logs, "
                                                     "cfg and image recipe")
    bundle_cmd.add_argument("job", nargs="?", default="",
                            help="job dir or id or 'latest' (default)")
    bundle_cmd.add_argument("--repo", default=os.getcwd())
    report.set_defaults(func=_cmd_report)
    diff_cmd.set_defaults(func=_cmd_diff)
    bundle_cmd.set_defaults(func=_cmd_bundle)
    sub.add_parser("settings", help="the [vexfs] settings in effect, with help").set_defaults(
        func=_cmd_settings)

"""avocado-vexfs: set-up and housekeeping commands the Makefile calls.

Every failure prints one line (no traceback) and exits non-zero.
"""
import argparse
import contextlib
import logging
import os
import sys

from avocado_vexfs import makevars, settings
from avocado_vexfs.cli import fstests as fstests_commands
from avocado_vexfs.cli import fuzz as fuzz_commands
from avocado_vexfs.cli import report as report_commands
from avocado_vexfs.cli import triage
from avocado_vexfs.errors import VexfsError
from avocado_vexfs.vm import accel, domain, guest, host, images, infra
from avocado_vexfs.vm.guest import GuestConfig
from avocado_vexfs.vt import avocado_setup


def _cmd_host(args):
    host.require_tools("qemu-img", "virsh", "socat", "mmdebstrap", "mkfs.ext4")
    host.ensure_libvirtd(args.uri)
    print(f"libvirt at {args.uri} is up")


def _cmd_image(args):
    image = images.ensure(args.recipe, build=not args.no_build)
    print(image.directory)


def _cmd_accel(args):
    host.ensure_libvirtd(args.uri)
    config = GuestConfig(recipe=args.recipe, uri=args.uri)
    print(accel.choose(config, images.ensure(args.recipe)))


def _cmd_setup_avocado(args):
    for path in avocado_setup.configure(args.repo, args.venv):
        print(path)


def _cmd_check_cfg(args):
    only, no, extra = list(args.only), list(args.no), list(args.extra)
    if args.run_args:
        run = _avocado_run_parser().parse_known_args(args.run_args)[0]
        only += [run.only] if run.only else []
        no += [run.no] if run.no else []
        extra += run.extra
    count = avocado_setup.check_cfg(args.cfg, only, extra, no)
    print(f"{args.cfg}: {count} test variants")


def _avocado_run_parser():
    """The options of `avocado run` that change a cfg's variants, read as Avocado-VT does
    (one --vt-only-filter and --vt-no-filter string, repeated --vt-extra-params)."""
    run = argparse.ArgumentParser(add_help=False)
    run.add_argument("--vt-only-filter", dest="only", default="")
    run.add_argument("--vt-no-filter", dest="no", default="")
    run.add_argument("--vt-extra-params", dest="extra", action="append", default=[])
    return run


def _cmd_check_make_vars(args):
    makevars.check(args.assignments)
    settings.check_environment()


def _cmd_sweep(args):
    if args.destroy:
        for name in infra.destroy_kept(host.run_dir(), args.destroy):
            print(f"destroyed kept debug guest {name}")
    for info in infra.kept_guests(host.run_dir()):
        print(f"kept debug guest {info.get('name')} (after {info.get('test', '?')} "
              f"failed): attach '{info.get('commands', {}).get('shell', '?')}'; destroy "
              f"'avocado-vexfs sweep --destroy {info.get('name')}'")
    removed = guest.sweep_stale(host.run_dir())
    left = domain.leftover_domains(args.uri)
    print(f"removed {len(removed)} stale run directories; "
          f"avocado-vexfs domains in libvirt: {', '.join(left) or 'none'}")
    return 1 if left else 0


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser():
    parser = OneLineParser(prog="avocado-vexfs", description=__doc__)
    parser.add_argument("--uri", default=host.DEFAULT_URI, help="libvirt connection URI")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("host", help="check host tools, start libvirtd/virtlogd").set_defaults(
        func=_cmd_host)
    image = sub.add_parser("image", help="build (or find) the cached guest image")
    image.add_argument("--recipe", default="debian-12")
    image.add_argument("--no-build", action="store_true", help="fail if not built")
    image.set_defaults(func=_cmd_image)
    acc = sub.add_parser("accel", help="print kvm or qemu (TCG), probing once")
    acc.add_argument("--recipe", default="debian-12")
    acc.set_defaults(func=_cmd_accel)
    setup = sub.add_parser("setup-avocado", help="offline Avocado-VT data dir + provider")
    setup.add_argument("--repo", default=os.getcwd())
    setup.add_argument("--venv", default=os.environ.get("VIRTUAL_ENV") or sys.prefix)
    setup.set_defaults(func=_cmd_setup_avocado)
    check = sub.add_parser("check-cfg", help="parse a cartesian cfg, validate every "
                           "variant's keys, count the variants")
    check.add_argument("cfg")
    check.add_argument("--only", action="append", default=[],
                       help="filter words as --vt-only-filter takes them: every word "
                       "must match (repeatable)")
    check.add_argument("--no", action="append", default=[],
                       help="filter words as --vt-no-filter takes them (repeatable)")
    check.add_argument("--vt-extra-params", "--extra", dest="extra", action="append",
                       default=[], metavar="KEY=VALUE",
                       help="a cfg key set as --vt-extra-params sets it (repeatable)")
    check.add_argument("--run-args", nargs=argparse.REMAINDER, default=[],
                       help="the rest are 'avocado run' arguments: their --vt-only-filter, "
                       "--vt-no-filter and --vt-extra-params apply, others are ignored")
    check.set_defaults(func=_cmd_check_cfg)
    mvars = sub.add_parser("check-make-vars", help="validate make variables (NAME=VALUE), "
                           "[vexfs] settings and environment variables")
    mvars.add_argument("assignments", nargs="*", metavar="NAME=VALUE")
    mvars.set_defaults(func=_cmd_check_make_vars)
    sweep = sub.add_parser("sweep", help="remove leftovers of dead runs, list kept guests")
    sweep.add_argument("--destroy", metavar="NAME",
                       help="destroy a guest kept by debug mode (or 'all')")
    sweep.set_defaults(func=_cmd_sweep)
    report_commands.add_parsers(sub)
    fstests_commands.add_parsers(sub)
    fuzz_commands.add_parsers(sub)
    triage.add_parsers(sub)
    return parser


@contextlib.contextmanager
def progress_on_stderr(level=logging.INFO):
    """Our loggers' lines on stderr while a command runs: a long step (an image build)
    says what it does, as "avocado-vexfs: <message>". Under Avocado the same lines go
    to the test's debug.log instead, through Avocado's handlers."""
    logger = logging.getLogger("avocado_vexfs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("avocado-vexfs: %(message)s"))
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        with progress_on_stderr():
            return args.func(args) or 0
    except VexfsError as err:
        print(f"avocado-vexfs: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("avocado-vexfs: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

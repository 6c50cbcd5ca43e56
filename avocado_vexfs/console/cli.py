"""``avocado-vexfs-console FILE...``: classify console logs from the shell.

One JSON object per file per line, so a developer can grep a results tree
for crashes and a script can read the verdicts without importing us.
Finding crashes is the tool working, not failing: the exit status is 0
then, and 2 only when a file could not be read.
"""

import argparse
import json
import sys
from typing import List, Optional

from avocado_vexfs.console.report import parse_file

PROG = "avocado-vexfs-console"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find kernel crashes, warnings, lockups and hangs in guest console logs.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="console log to classify")
    parser.add_argument("--oom-is-crash", action="store_true",
                        help="count OOM killer reports as crashes")
    parser.add_argument("--expected-reboots", type=int, default=0, metavar="N",
                        help="reboots the test asked for (default 0)")
    parser.add_argument("--text", action="store_true",
                        help="include each report's text in the output")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the console script.

    :param argv: arguments without the program name; ``sys.argv[1:]`` if None.
    :returns: 0 when every file was read, 2 when one could not be.
    """
    args = _parser().parse_args(argv)
    status = 0
    for path in args.files:
        try:
            report = parse_file(
                path,
                oom_is_crash=args.oom_is_crash,
                expected_reboots=args.expected_reboots,
            )
        except OSError as err:
            reason = err.strerror or str(err)
            print("%s: cannot read %s: %s" % (PROG, path, reason), file=sys.stderr)
            status = 2
            continue
        data = report.to_dict(text=args.text)
        line = {
            "file": path,
            "crashed": data["crashed"],
            "type": data["type"],
            "title": data["title"],
            "frame": data["frame"],
            "corrupted": data["corrupted"],
            "crashes": data["crashes"],
        }
        print(json.dumps(line, sort_keys=False), flush=True)
    return status

"""Crash and hang detection on guest console logs.

Pure: text in, verdicts out. The guest layer feeds it the serial console;
tests feed it files. See ``report.parse`` and ``report.parse_file``.
"""

from avocado_vexfs.console.report import (
    Crash,
    Report,
    Scanner,
    guest_crash,
    parse,
    parse_file,
)

__all__ = ["Crash", "Report", "Scanner", "guest_crash", "parse", "parse_file"]

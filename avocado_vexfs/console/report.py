"""Turn a guest's serial console log into crash reports with stable titles.

The serial console is the only witness that outlives a dying guest, so this
is where an oops, a WARNING, a lockup or a hang becomes a verdict such as
``BUG: unable to handle kernel NULL pointer dereference in vexfs_write``. The
kinds of report are data (``formats.FORMATS``); ``scan`` finds them in a log
and cuts them out, ``frames`` picks the guilty function and the title.

This module is the entry point callers import: ``parse`` for a log held in
memory, ``parse_file`` for a file of any size, and the types and limits they
return or document, re-exported so ``report.Crash`` and friends stay where
callers have always found them.
"""

from typing import Union

from avocado_vexfs.console.crash import Crash, Report, guest_crash
from avocado_vexfs.console.scan import (
    MAX_CRASHES,
    MAX_LINE,
    MAX_LONG_LINE,
    MAX_REPORT_LINES,
    QUIET_LINES,
    Scanner,
)

__all__ = [
    "Crash",
    "MAX_CRASHES",
    "MAX_LINE",
    "MAX_LONG_LINE",
    "MAX_REPORT_LINES",
    "QUIET_LINES",
    "Report",
    "Scanner",
    "guest_crash",
    "parse",
    "parse_file",
]


def parse(
    text: Union[str, bytes],
    *,
    oom_is_crash: bool = False,
    expected_reboots: int = 0,
    lost_connection: bool = False,
) -> Report:
    """Classify a whole console log held in memory.

    :param text: the log; bytes are decoded as UTF-8 with replacement.
    :param oom_is_crash: count OOM killer reports as crashes.
    :param expected_reboots: reboots the test asked for; boot banners beyond
        ``1 + expected_reboots`` with no crash before them are reported as
        ``unexpected-reboot``.
    :param lost_connection: the caller lost the guest (it stopped answering);
        adds a ``lost-connection`` crash, or ``no-output`` if the log is empty.
    :returns: a :class:`Report`. Offsets are byte offsets in the UTF-8 text.
    """
    scanner = Scanner(oom_is_crash=oom_is_crash, expected_reboots=expected_reboots)
    data = text.encode("utf-8", "replace") if isinstance(text, str) else bytes(text)
    scanner.feed(data)
    return scanner.finish(lost_connection=lost_connection)


def parse_file(
    path: str,
    *,
    oom_is_crash: bool = False,
    expected_reboots: int = 0,
    lost_connection: bool = False,
    chunk_size: int = 1 << 20,
) -> Report:
    """Classify a console log file of any size with bounded memory.

    Takes the same keyword arguments as :func:`parse`.

    :param path: the log file.
    :param chunk_size: bytes read at a time.
    :returns: a :class:`Report`; offsets are byte offsets in the file.
    :raises OSError: when the file cannot be read.
    """
    scanner = Scanner(oom_is_crash=oom_is_crash, expected_reboots=expected_reboots)
    with open(path, "rb") as log:
        while True:
            chunk = log.read(chunk_size)
            if not chunk:
                break
            scanner.feed(chunk)
    return scanner.finish(lost_connection=lost_connection)

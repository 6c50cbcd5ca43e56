"""The streaming half of the classifier: find report lines fast, follow them.

Logs can be large (a verbose filesystem under a long soak), so the scanner
streams: it looks only at lines that contain a keyword of some format, and it
keeps in memory only the report it is reading and the crashes it has found.
Where a report starts, what belongs to it and where it ends is decided here;
what it means (guilty frame, title) is ``frames``' job.
"""

import re
from typing import List, Optional

from avocado_vexfs.console import formats as F
from avocado_vexfs.console.crash import Crash, Report, guest_crash
from avocado_vexfs.console.frames import (
    CODE_ADDRESS,
    PREFIX,
    STACK_MARK,
    TASK_END,
    OpenReport,
    build_crash,
    frame_of,
)

_PREFIX_BYTES = re.compile(rb"(?m)^(?:<\d+>)?\[\s*\d+\.\d+\]")
_PRELUDE = re.compile(r"-+\[ cut here \]-+\s*$|={20,}\s*$")

MAX_LINE = 4096
"""Characters kept of one console line; the rest of a longer line is noise."""
MAX_LONG_LINE = 64 * 1024
"""Bytes after which a line without a newline (binary junk) is cut."""
MAX_REPORT_LINES = 1000
"""Lines after which a report that never ended is cut and called corrupted."""
QUIET_LINES = 40
"""Lines without code addresses after which a report that has no end marker
and has not reached its stack is over (a lockdep report prints stacks and
held locks for a hundred lines before its own stack)."""
MAX_CRASHES = 100
"""Crashes kept in full; a flood of WARNINGs beyond this is only counted."""


def _own_line(rep: OpenReport, body: str) -> str:
    """A line of the report without the prefix its format puts on every line."""
    prefix = rep.fmt.line_prefix
    return body[len(prefix):] if prefix and body.startswith(prefix) else body


def _track_stack(rep: OpenReport, own: str) -> None:
    """Note where the report is: before its stack, in it, how long since code."""
    if rep.fmt.stack_start.search(own):
        rep.stack_seen = True
        return
    frame = frame_of(own)
    if frame or CODE_ADDRESS.search(own):
        rep.quiet = 0
        if frame and rep.stack_seen:
            rep.stack_frames += 1
        return
    rep.quiet += 1
    if rep.stack_seen and STACK_MARK.match(own):
        rep.stack_marked = True


def _bare_stack_over(rep: OpenReport, own: str) -> bool:
    """The report's stack had no <TASK> marks and this line is not a frame.

    kmemleak's backtraces (and every stack of an old kernel) end without a
    marker; the first line that is not a frame is the next thing in the log.
    Only reports without an end marker of their own end this way.
    """
    return (
        rep.fmt.end is None
        and rep.stack_frames > 0
        and not rep.stack_marked
        and frame_of(own) is None
        and not STACK_MARK.match(own)
    )


_ROW_KEYWORDS = tuple(sorted({f.keyword for f in F.FORMATS if f.keyword}))


def _keywords_in(body: str) -> frozenset:
    """The rows' keywords `body` holds as the pre-filter sees them (``BUG``
    counts in ``BUG:`` but not in ``DEBUG:``), so that a line is matched only
    against the rows it can open."""
    return frozenset(w for w in _ROW_KEYWORDS if w in body and _in_word_start(body, w))


def _in_word_start(text: str, word: str) -> bool:
    """`word` occurs in `text` where the pre-filter would find it."""
    if not word[0].isalpha():
        return True
    at = text.find(word)
    while at > 0 and text[at - 1].isalpha():
        at = text.find(word, at + 1)
    return at >= 0


def _word_start(buf: bytes, at: int) -> bool:
    """A keyword found at `at` starts a word: ``BUG`` in ``DEBUG`` does not."""
    return at == 0 or not buf[at - 1:at].isalpha()


def _regex_search(pattern: "re.Pattern", alpha: frozenset):
    """A search over one alternation of keywords; those in `alpha` must start a word."""
    def search(buf: bytes, pos: int, limit: int) -> int:
        while True:
            found = pattern.search(buf, pos, limit)
            if found is None:
                return -1
            at = found.start()
            if found.group() not in alpha or _word_start(buf, at):
                return at
            pos = at + 1
    return search


def _find_search(word: bytes):
    """A search for one keyword with bytes.find, the fastest scan Python has."""
    alpha = word[:1].isalpha()

    def search(buf: bytes, pos: int, limit: int) -> int:
        at = buf.find(word, pos, limit)
        while at > 0 and alpha and not _word_start(buf, at):
            at = buf.find(word, at + 1, limit)
        return at
    return search


def _searches():
    """The pre-filter: one search per lower-case keyword, one for the rest.

    A regular expression skips fast only while its possible first bytes are
    rare, so keywords starting with a space or a lower-case letter (common
    bytes) get a bytes.find pass of their own instead.
    """
    words = [w.encode() for w in F.keywords()]
    upper = [w for w in words if w[:1].isupper() or w[:1] == b"["]
    rest = [w for w in words if w not in upper]
    searches = [_find_search(w) for w in rest]
    if upper:
        pattern = re.compile(b"|".join(re.escape(w) for w in sorted(upper, key=len, reverse=True)))
        searches.append(_regex_search(pattern, frozenset(w for w in upper if w[:1].isalpha())))
    return tuple(searches)


_SEARCHES = _searches()


class Scanner:
    """Streaming classifier: ``feed`` bytes in any pieces, then ``finish``.

    ``parse`` and ``parse_file`` wrap it; the guest watcher can use it
    directly on a console that is still being written.
    """

    def __init__(self, *, oom_is_crash: bool = False, expected_reboots: int = 0):
        self.oom_is_crash = oom_is_crash
        self.expected_reboots = expected_reboots
        self.report = Report()
        self._carry = b""
        self._base = 0
        self._lineno = 1
        self._discard = False
        self._prev_line = b""
        self._ts_seen = False
        self._saw_output = False
        self._step = ""
        self._open: Optional[OpenReport] = None
        self._tail: Optional[Crash] = None
        self._tail_lines = 0
        self._crash_since_boot = False
        self._last_crash: Optional[Crash] = None
        self._next: List[int] = []

    def feed(self, data: bytes) -> None:
        """Scan more of the log; lines may be split across calls."""
        if not data:
            return
        if not self._saw_output and re.search(rb"\S", data):
            self._saw_output = True
        if self._discard:
            newline = data.find(b"\n")
            if newline < 0:
                self._base += len(data)
                return
            self._discard = False
            self._base += newline + 1
            self._lineno += 1
            data = data[newline + 1:]
        if self._carry:
            data = self._carry + data
            self._carry = b""
        last = data.rfind(b"\n")
        if last >= 0:
            self._scan(data, last + 1)
            self._base += last + 1
            data = data[last + 1:]
        if len(data) > MAX_LONG_LINE:
            self._line(data[:MAX_LINE], self._base, count=False)
            self._base += len(data)
            self._discard = True
            data = b""
        self._carry = data

    def finish(self, *, lost_connection: bool = False) -> Report:
        """End of log: close what is open and return the :class:`Report`."""
        if self._carry:
            self._line(self._carry, self._base)
            self._base += len(self._carry)
            self._carry = b""
        self._close()
        self._tail = None
        rep = self.report
        rep.last_step = self._step
        if lost_connection:
            kind = "lost-connection" if self._saw_output else "no-output"
            self._add(guest_crash(kind, step=self._step))
        return rep

    def _scan(self, buf: bytes, limit: int) -> None:
        """Handle the complete lines of buf[:limit]."""
        if not self._ts_seen and _PREFIX_BYTES.search(buf, 0, limit):
            self._ts_seen = True
        self._next = [-2] * len(_SEARCHES)
        pos = 0
        while pos < limit:
            if self._open is None and self._tail is None:
                hit = self._candidate(buf, pos, limit)
                if hit < 0:
                    self._lineno += buf.count(b"\n", pos, limit)
                    pos = limit
                    break
                start = max(buf.rfind(b"\n", pos, hit) + 1, pos)
                self._lineno += buf.count(b"\n", pos, start)
                pos = start
            newline = buf.find(b"\n", pos, limit)
            if pos > 0:
                prev_start = buf.rfind(b"\n", 0, pos - 1) + 1
                self._prev_line = buf[prev_start:pos - 1]
            self._line(buf[pos:newline], self._base + pos)
            pos = newline + 1
        last_start = buf.rfind(b"\n", 0, limit - 1) + 1
        self._prev_line = buf[last_start:limit - 1]

    def _candidate(self, buf: bytes, pos: int, limit: int) -> int:
        """Offset of the next keyword at or after pos, or -1.

        Keywords that start with an upper-case letter or '[' are searched by
        one regular expression, which skips along on their first bytes; the
        others by bytes.find, one pass each. Each result is remembered until
        the scan passes it.
        """
        best = -1
        for i, search in enumerate(_SEARCHES):
            at = self._next[i]
            if at == -1:
                continue
            if at < pos:
                at = search(buf, pos, limit)
                self._next[i] = at
                if at < 0:
                    continue
            if best < 0 or at < best:
                best = at
        return best

    def _line(self, raw: bytes, offset: int, count: bool = True) -> None:
        """Classify one console line."""
        lineno = self._lineno
        if count:
            self._lineno += 1
        text = raw[:4 * MAX_LINE].rstrip(b"\r").decode("utf-8", "replace")[:MAX_LINE]
        prefix = PREFIX.search(text, 0, 256)
        if prefix:
            self._ts_seen = True
            body = text[prefix.end():]
            ctx = prefix.group("ctx")
        else:
            body = text
            ctx = None
        self._handle(text, body, ctx, prefix is not None, offset, lineno)

    def _handle(self, text, body, ctx, stamped, offset, lineno) -> None:
        step = F.STEP.search(body)
        if step:
            self._step = step.group("name")[:200]
            return
        if stamped and F.BOOT_BANNER.match(body):
            self._boot(text, offset, lineno)
            return
        if self._open is not None:
            self._in_report(text, body, ctx, stamped, offset, lineno)
            return
        if self._tail is not None:
            if (F.TAIL.match(body) or F.CONSEQUENCE_PANIC.match(body)) and self._tail_lines < 60:
                self._tail.text += "\n" + text
                self._tail_lines += 1
                return
            self._tail = None
        if F.CONSEQUENCE_PANIC.match(body) and self._crash_since_boot and self._last_crash:
            self._last_crash.text += "\n" + text
            self._tail = self._last_crash
            self._tail_lines = 0
            return
        self._try_open(text, body, ctx, stamped, offset, lineno)

    def _header(self, body: str, stamped: bool):
        """The format whose header this line is, with its match."""
        if self._ts_seen and not stamped:
            return None, None
        present = _keywords_in(body)
        if not present:
            return None, None
        for fmt in F.FORMATS:
            if fmt.keyword in present:
                match = fmt.header.match(body)
                if match:
                    return fmt, match
        return None, None

    def _try_open(self, text, body, ctx, stamped, offset, lineno) -> bool:
        fmt, match = self._header(body, stamped)
        if fmt is None:
            return False
        prelude = self._prev_line.rstrip(b"\r").decode("utf-8", "replace")[:MAX_LINE]
        prelude_body = PREFIX.sub("", prelude, count=1)
        has_prelude = bool(prelude) and bool(_PRELUDE.match(prelude_body))
        if has_prelude:
            offset -= len(self._prev_line) + 1
            lineno -= 1
        rep = OpenReport(fmt, match, offset, lineno, self._step, ctx,
                         prelude if has_prelude else None)
        if fmt.type == "panic" and F.CONSEQUENCE_PANIC.match(body):
            rep.forced_corrupt = True
        self._open = rep
        self._append(rep, text, body)
        _track_stack(rep, rep.body[-1])
        return True

    def _in_report(self, text, body, ctx, stamped, offset, lineno) -> None:
        rep = self._open
        own = _own_line(rep, body)
        if not self._belongs(rep, body):
            other, _ = self._header(body, stamped)
            if other is not None:
                self._close()
                self._try_open(text, body, ctx, stamped, offset, lineno)
                return
            if rep.ctx and rep.ctx.startswith("T") and ctx and ctx.startswith("T") and ctx != rep.ctx:
                return
            if _bare_stack_over(rep, own):
                rep.ended = True
                self._close(tail=True)
                self._handle(text, body, ctx, stamped, offset, lineno)
                return
        self._append(rep, text, body)
        self._follow(rep, body)

    @staticmethod
    def _belongs(rep: OpenReport, body: str) -> bool:
        """A line that is part of the open report whatever it looks like."""
        fmt = rep.fmt
        return bool(
            any(p.match(body) for p in F.CONTINUATIONS)
            or F.CONSEQUENCE_PANIC.match(body)
            or any(p.match(body) for p in fmt.absorbs)
            or (fmt.end is not None and fmt.end.search(body))
        )

    def _follow(self, rep: OpenReport, body: str) -> None:
        """After a line joined the report: is the report over?"""
        fmt = rep.fmt
        if (fmt.end is not None and fmt.end.search(body)) or F.END_PANIC.match(body):
            rep.ended = True
            self._close(tail=True)
            return
        _track_stack(rep, rep.body[-1])
        if fmt.end is None:
            if rep.stack_seen and TASK_END.match(body):
                rep.ended = True
                self._close(tail=True)
                return
            if not rep.stack_seen and rep.quiet > QUIET_LINES:
                rep.ended = True
                self._close()
                return
        if len(rep.body) >= MAX_REPORT_LINES:
            rep.truncated = True
            self._close()

    def _append(self, rep: OpenReport, text: str, body: str) -> None:
        rep.raw.append(text)
        rep.body.append(_own_line(rep, body))

    def _boot(self, text, offset, lineno) -> None:
        self._close()
        self._tail = None
        self.report.boots += 1
        if self.report.boots > 1 + self.expected_reboots and not self._crash_since_boot:
            crash = guest_crash("unexpected-reboot", step=self._step, text=text)
            crash.start, crash.line = offset, lineno
            self._add(crash)
        self._crash_since_boot = False
        self._step = ""

    def _close(self, tail: bool = False) -> None:
        """Turn the open report into a Crash."""
        rep = self._open
        if rep is None:
            return
        self._open = None
        crash = build_crash(rep)
        if rep.fmt.info and not self.oom_is_crash:
            if len(self.report.oom_kills) < MAX_CRASHES:
                self.report.oom_kills.append(crash)
            return
        self._add(crash)
        if tail:
            self._tail = crash
            self._tail_lines = 0

    def _add(self, crash: Crash) -> None:
        self._crash_since_boot = True
        self._last_crash = crash
        if len(self.report.crashes) < MAX_CRASHES:
            self.report.crashes.append(crash)
        else:
            self.report.dropped += 1

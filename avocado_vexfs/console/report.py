"""Turn a guest's serial console log into crash reports with stable titles.

The serial console is the only witness that outlives a dying guest, so this
is where an oops, a WARNING, a lockup or a hang becomes a verdict such as
``BUG: kernel NULL pointer dereference in vexfs_write``. The kinds of report
are data (``formats.FORMATS``); this module is the machinery that finds them
in a log, cuts them out and picks the guilty function.

Logs can be large (a verbose filesystem under a long soak), so the scanner
streams: it looks only at lines that contain a keyword of some format, and it
keeps in memory only the report it is reading and the crashes it has found.
"""

import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from avocado_vexfs.console import formats as F

# Console prefix: "[  12.345678] " with an optional "[  T123]"/"[    C1]"
# caller id. It may follow stray user-space output on the same line.
_PREFIX = re.compile(r"\[\s*\d+\.\d+\](?:\[\s*(?P<ctx>[CT]\d+)\])? ?")
_PREFIX_BYTES = re.compile(rb"(?m)^(?:<\d+>)?\[\s*\d+\.\d+\]")
_FRAME = re.compile(
    r"^\s*(?:\[<[0-9a-f]+>\]\s*)*(?P<q>\? )?(?P<func>%s)\+0x[0-9a-f]+/0x[0-9a-f]+"
    r"(?: \[(?P<mod>\w+)\])?" % F.FUNC
)
_RIP = re.compile(
    r"^RIP: [0-9a-f]{4}:(?P<func>%s)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[(?P<mod>\w+)\])?" % F.FUNC
)
_HEADER_MODULE = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+ \[(?P<mod>\w+)\]")
_LOCK_AT = re.compile(r", at: (?:\[<[0-9a-f]+>\] )?(?P<func>%s)\+0x" % F.FUNC)
_TAINT = re.compile(r"(?:^|\s)(?:Not tainted|Tainted: (?P<taint>[A-Z](?:[A-Z ]*[A-Z])?))\s+\d+\.\d+")
_PRELUDE = re.compile(r"-+\[ cut here \]-+\s*$|={20,}\s*$")
_STACK_MARK = re.compile(r"^\s*</?(?:IRQ|NMI|SOFTIRQ|TASK)>\s*$")
_STACK_STOP = re.compile(
    r"^\s*(?:allocated by task|freed by task|kfence-#|Modules linked in|---\[ end|"
    r"CPU: \d+|Hardware name|Call [Tt]race:)"
)
_TASK_END = re.compile(r"^\s*</TASK>\s*$")

MAX_LINE = 4096
"""Characters kept of one console line; the rest of a longer line is noise."""
MAX_LONG_LINE = 64 * 1024
"""Bytes after which a line without a newline (binary junk) is cut."""
MAX_REPORT_LINES = 1000
"""Lines after which a report that never ended is cut and called corrupted."""
QUIET_LINES = 40
"""Lines a report without an end marker may go on before its stack starts."""
MAX_CRASHES = 100
"""Crashes kept in full; a flood of WARNINGs beyond this is only counted."""


@dataclass
class Crash:
    """One report found in a console log.

    :param type: kind of report, a ``formats.Format.type``.
    :param title: stable title, e.g. ``WARNING in vexfs_write``.
    :param frame: the guilty function, ``""`` if none was found.
    :param module: the module of the guilty frame (``[vexfs]``), or ``""``.
    :param taint: the taint flags the kernel printed (``"G           OE"``),
        ``""`` when untainted or not printed.
    :param text: the report as cut out of the log, console prefixes kept.
    :param corrupted: the report is truncated or interleaved, so its title
        may be less precise than usual.
    :param step: the last ``avocado-vexfs: step <name>`` marker before it.
    :param start: byte offset of its first line in the log.
    :param line: line number (1-based) of its first line in the log.
    """

    type: str
    title: str
    frame: str = ""
    module: str = ""
    taint: str = ""
    text: str = ""
    corrupted: bool = False
    step: str = ""
    start: int = 0
    line: int = 0

    def to_dict(self, text: bool = True) -> dict:
        """A JSON-ready dict; ``text=False`` leaves the report text out."""
        data = asdict(self)
        if not text:
            del data["text"]
        return data


@dataclass
class Report:
    """Everything the classifier found in one log.

    :param crashes: crashes in log order, plus guest-level ones (lost
        connection) at the end; the first one leads.
    :param oom_kills: OOM killer reports, which are information by default.
    :param boots: kernel boot banners seen.
    :param last_step: the last step marker in the log.
    :param dropped: crashes found beyond ``MAX_CRASHES`` and not kept.
    """

    crashes: List[Crash] = field(default_factory=list)
    oom_kills: List[Crash] = field(default_factory=list)
    boots: int = 0
    last_step: str = ""
    dropped: int = 0

    @property
    def crashed(self) -> bool:
        """True when at least one crash was found."""
        return bool(self.crashes)

    @property
    def crash(self) -> Optional[Crash]:
        """The leading crash, or None."""
        return self.crashes[0] if self.crashes else None

    def to_dict(self, text: bool = False) -> dict:
        """A JSON-ready dict of the verdict and all crashes."""
        lead = self.crash
        return {
            "crashed": self.crashed,
            "type": lead.type if lead else "",
            "title": lead.title if lead else "",
            "frame": lead.frame if lead else "",
            "corrupted": lead.corrupted if lead else False,
            "crashes": [c.to_dict(text=text) for c in self.crashes],
            "oom_kills": [c.to_dict(text=text) for c in self.oom_kills],
            "boots": self.boots,
            "last_step": self.last_step,
            "dropped": self.dropped,
        }


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


def guest_crash(kind: str, *, step: str = "", text: str = "") -> Crash:
    """A crash the log cannot show, for the code that watched the guest.

    :param kind: ``"lost-connection"``, ``"no-output"`` or
        ``"unexpected-reboot"``.
    :param step: the step the guest was in.
    :param text: what the caller saw (e.g. SysRq output), kept as the text.
    :raises ValueError: for an unknown kind.
    """
    for fmt in F.GUEST_FORMATS:
        if fmt.type == kind:
            return Crash(type=fmt.type, title=fmt.title, step=step, text=text)
    raise ValueError("unknown guest-level crash kind: %r" % kind)


_SKIP_CACHE: Dict[int, "re.Pattern"] = {}


def _skip_re(fmt: F.Format) -> "re.Pattern":
    """The compiled skip list of a format (common frames plus its own)."""
    key = id(fmt)
    if key not in _SKIP_CACHE:
        _SKIP_CACHE[key] = re.compile("|".join("(?:%s)" % p for p in F.COMMON_SKIP + fmt.skip))
    return _SKIP_CACHE[key]


def _canonical(func: str) -> str:
    """foo.cold / foo.isra.0 / foo.constprop.0 are all foo."""
    return func.split(".", 1)[0]


_ADDR = re.compile(r"(?<![A-Za-z0-9])(?:0x)?[0-9a-fA-F]{6,}")
_OFFSET = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-f]+/0x[0-9a-f]+")
_NUM = re.compile(r"(?<![A-Za-z0-9_])\d+(?![A-Za-z0-9_])")


def _sanitize(value: str) -> str:
    """Strip what differs between two runs of the same bug from a title part."""
    value = _OFFSET.sub(r"\1", value)
    value = _ADDR.sub("ADDR", value)
    value = _NUM.sub("NUM", value)
    value = "".join(ch for ch in value if ch.isprintable())
    return " ".join(value.split())


def _title(fmt: F.Format, values: Dict[str, str]) -> Tuple[str, bool]:
    """Render a title; the flag says whether every name was available."""
    candidates = [fmt.title, fmt.fallback]
    candidates += [re.sub(r"\s+in \{func\}", "", t) for t in candidates if t]
    for i, template in enumerate(t for t in candidates if t):
        try:
            title = template.format(**values)
        except KeyError:
            continue
        return " ".join(title.split())[:120], i == 0
    return re.sub(r"\s*\{\w+\}", "", fmt.title)[:120], False


class _Open:
    """A report being read."""

    def __init__(self, fmt, match, start, line, step, ctx, prelude):
        self.fmt = fmt
        self.match = match
        self.start = start
        self.line = line
        self.step = step
        self.ctx = ctx
        self.raw: List[str] = [prelude] if prelude is not None else []
        self.body: List[str] = []
        self.ended = False
        self.truncated = False
        self.stack_seen = False
        self.forced_corrupt = False


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
        self._open: Optional[_Open] = None
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
        prefix = _PREFIX.search(text, 0, 256)
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
        for fmt in F.FORMATS:
            if fmt.keyword in body:
                match = fmt.header.match(body)
                if match:
                    return fmt, match
        return None, None

    def _try_open(self, text, body, ctx, stamped, offset, lineno) -> bool:
        fmt, match = self._header(body, stamped)
        if fmt is None:
            return False
        prelude = self._prev_line.rstrip(b"\r").decode("utf-8", "replace")[:MAX_LINE]
        prelude_body = _PREFIX.sub("", prelude, count=1)
        has_prelude = bool(prelude) and bool(_PRELUDE.match(prelude_body))
        if has_prelude:
            offset -= len(self._prev_line) + 1
            lineno -= 1
        rep = _Open(fmt, match, offset, lineno, self._step, ctx, prelude if has_prelude else None)
        if fmt.type == "panic" and F.CONSEQUENCE_PANIC.match(body):
            rep.forced_corrupt = True
        self._open = rep
        self._append(rep, text, body)
        return True

    def _in_report(self, text, body, ctx, stamped, offset, lineno) -> None:
        rep = self._open
        fmt = rep.fmt
        belongs = (
            any(p.match(body) for p in F.CONTINUATIONS)
            or F.CONSEQUENCE_PANIC.match(body)
            or any(p.match(body) for p in fmt.absorbs)
            or (fmt.end is not None and fmt.end.search(body))
        )
        if not belongs:
            other, _ = self._header(body, stamped)
            if other is not None:
                self._close()
                self._try_open(text, body, ctx, stamped, offset, lineno)
                return
            if rep.ctx and rep.ctx.startswith("T") and ctx and ctx.startswith("T") and ctx != rep.ctx:
                return
        self._append(rep, text, body)
        if (fmt.end is not None and fmt.end.search(body)) or F.END_PANIC.match(body):
            rep.ended = True
            self._close(tail=True)
            return
        if fmt.stack_start.search(body):
            rep.stack_seen = True
        if fmt.end is None:
            if rep.stack_seen and _TASK_END.match(body):
                rep.ended = True
                self._close(tail=True)
                return
            if not rep.stack_seen and len(rep.body) > QUIET_LINES:
                rep.ended = True
                self._close()
                return
        if len(rep.body) >= MAX_REPORT_LINES:
            rep.truncated = True
            self._close()

    def _append(self, rep: _Open, text: str, body: str) -> None:
        rep.raw.append(text)
        rep.body.append(body)

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
        crash = self._finalize(rep)
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

    def _finalize(self, rep: _Open) -> Crash:
        fmt = rep.fmt
        values = {k: _sanitize(v) for k, v in rep.match.groupdict().items() if v}
        values.pop("func", None)
        if fmt.extra is not None:
            for body in rep.body:
                found = fmt.extra.search(body)
                if found:
                    values.update({k: _sanitize(v) for k, v in found.groupdict().items() if v})
                    break
        frame, module, has_stack = self._guilty(rep)
        if frame:
            values["func"] = frame
        title, complete = _title(fmt, values)
        taint = ""
        for body in rep.body:
            found = _TAINT.search(body)
            if found:
                taint = found.group("taint") or ""
                break
        corrupted = (
            fmt.corrupted
            or rep.forced_corrupt
            or rep.truncated
            or (fmt.end is not None and not rep.ended)
            or (fmt.needs_stack and not has_stack)
            or not complete
            or bool(_PREFIX.search(rep.body[0]))
        )
        return Crash(
            type=fmt.type,
            title=title,
            frame=frame,
            module=module,
            taint=taint,
            text="\n".join(rep.raw),
            corrupted=corrupted,
            step=rep.step,
            start=rep.start,
            line=rep.line,
        )

    def _guilty(self, rep: _Open) -> Tuple[str, str, bool]:
        """The guilty (function, module), and whether a stack was found."""
        fmt = rep.fmt
        skip = _skip_re(fmt)
        stack = self._stack(rep)
        for source in fmt.frame_from:
            if source == "header":
                func = rep.match.groupdict().get("func")
                found = _HEADER_MODULE.search(rep.body[0])
                candidates = [(func, found.group("mod") if found else "")] if func else []
            elif source == "rip":
                candidates = []
                for body in rep.body:
                    found = _RIP.match(body)
                    if found:
                        candidates = [(found.group("func"), found.group("mod") or "")]
                        break
            elif source == "stack":
                candidates = stack
            elif source == "lock":
                candidates = [(m.group("func"), "") for m in map(_LOCK_AT.search, rep.body) if m]
            else:
                raise ValueError("unknown frame source %r in format %r" % (source, fmt.type))
            for func, module in candidates:
                name = _canonical(func)
                if not skip.fullmatch(name):
                    return name, module, bool(stack)
        return "", "", bool(stack)

    def _stack(self, rep: _Open) -> List[Tuple[str, str]]:
        """Reliable frames of the first stack trace of a report."""
        frames: List[Tuple[str, str]] = []
        started = False
        seen_any = False
        for body in rep.body:
            if not started:
                started = bool(rep.fmt.stack_start.search(body))
                continue
            found = _FRAME.match(body)
            if found:
                seen_any = True
                if not found.group("q"):
                    frames.append((found.group("func"), found.group("mod") or ""))
                continue
            if _STACK_MARK.match(body):
                if _TASK_END.match(body) and seen_any:
                    break
                continue
            if not body.strip():
                if seen_any:
                    break
                continue
            if _STACK_STOP.match(body) and seen_any:
                break
        return frames

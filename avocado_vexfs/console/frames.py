"""From the lines of one report to a Crash: the guilty frame, the title, the flags.

The scanner decides where a report starts and ends; this module decides what
it means. Keeping the two apart lets the title rules (which frames are
skipped, how numbers and addresses are scrubbed so two runs of one bug get
one title) be read and changed without touching the streaming state machine.
"""

import re
from dataclasses import InitVar, dataclass, field
from typing import Dict, List, Optional, Tuple

from avocado_vexfs.console import formats as F
from avocado_vexfs.console.crash import Crash

PREFIX = re.compile(r"\[\s*\d+\.\d+\](?:\[\s*(?P<ctx>[CT]\d+)\])? ?")
"""Console prefix: "[  12.345678] " with an optional "[  T123]"/"[    C1]"
caller id. It may follow stray user-space output on the same line."""
TASK_END = re.compile(r"^\s*</TASK>\s*$")
"""The end of a task's stack dump, which also ends a report without an end marker."""

_FRAME = re.compile(
    r"^\s*(?:\[<[0-9a-f]+>\]\s*)*(?P<q>\? )?(?P<func>%s)\+0x[0-9a-f]+/0x[0-9a-f]+"
    r"(?: \[(?P<mod>\w+)\])?" % F.FUNC
)
"""x86 and arm64 frames ("func+0x1d/0x30 [mod]"), with kmemleak's and old
kernels' "[<address>]" before them."""
_ARM_FRAME = re.compile(r"^\s*(?P<func>%s)(?: \[(?P<mod>\w+)\])? from %s\+0x" % (F.FUNC, F.FUNC))
"""32-bit arm's "callee [mod] from caller+0x94/0xd8": the callee is the frame."""
_RIP = re.compile(
    r"^(?:RIP: [0-9a-f]{4}:|PC is at |pc : )(?P<func>%s)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[(?P<mod>\w+)\])?" % F.FUNC
)
"""Where the CPU was: x86's RIP line, 32-bit arm's "PC is at", arm64's "pc : "."""
CODE_ADDRESS = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+")
"""A code address as %pS prints it, in a frame or after "at:"."""
_HEADER_MODULE = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+ \[(?P<mod>\w+)\]")
_LOCK_AT = re.compile(
    r"(?:, at: |^\s*\[<[0-9a-f]+>\] )(?:\[<[0-9a-f]+>\] )?(?P<func>%s)\+0x[0-9a-f]+/0x[0-9a-f]+"
    r"(?: \[(?P<mod>\w+)\])?" % F.FUNC
)
"""Where lockdep saw a lock taken or released: "..., at: func+0x..." after a
lock, or an "[<address>] func+0x..." line of its own after "... at:"."""
_TAINT = re.compile(r"(?:^|\s)(?:Not tainted|Tainted: (?P<taint>[A-Z](?:[A-Z ]*[A-Z])?))\s+\d+\.\d+")
STACK_MARK = re.compile(r"^\s*</?(?:IRQ|NMI|SOFTIRQ|TASK|EOI|#[A-Z]{2})>\s*$")
_STACK_STOP = re.compile(
    r"^\s*(?:allocated by task|freed by task|kfence-#|Modules linked in|---\[ end|"
    r"CPU: \d+|Hardware name|Call [Tt]race:)"
)


@dataclass(eq=False)
class OpenReport:
    """A report being read: the scanner fills it, :func:`build_crash` reads it.

    ``prelude`` is the "cut here" line before the header, kept as the first
    raw line when there is one.
    """

    fmt: F.Format
    match: "re.Match"
    start: int
    line: int
    step: str
    ctx: Optional[str]
    prelude: InitVar[Optional[str]]
    raw: List[str] = field(init=False)
    body: List[str] = field(init=False, default_factory=list)
    ended: bool = field(init=False, default=False)
    truncated: bool = field(init=False, default=False)
    stack_seen: bool = field(init=False, default=False)
    stack_frames: int = field(init=False, default=0)
    stack_marked: bool = field(init=False, default=False)
    quiet: int = field(init=False, default=0)
    forced_corrupt: bool = field(init=False, default=False)

    def __post_init__(self, prelude: Optional[str]) -> None:
        self.raw = [prelude] if prelude is not None else []


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


def build_crash(rep: OpenReport) -> Crash:
    """The Crash a finished report stands for, title and corruption decided."""
    fmt = rep.fmt
    values = {k: _sanitize(v) for k, v in rep.match.groupdict().items() if v}
    values.pop("func", None)
    if fmt.extra is not None:
        for body in rep.body:
            found = fmt.extra.search(body)
            if found:
                values.update({k: _sanitize(v) for k, v in found.groupdict().items() if v})
                break
    frame, module, has_stack = _guilty(rep)
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
        or bool(PREFIX.search(rep.body[0]))
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


def _guilty(rep: OpenReport) -> Tuple[str, str, bool]:
    """The guilty (function, module), and whether a stack was found."""
    fmt = rep.fmt
    skip = _skip_re(fmt)
    stack = _stack(rep)
    for source in fmt.frame_from:
        if source not in _SOURCES:
            raise ValueError("unknown frame source %r in format %r" % (source, fmt.type))
        candidates = _SOURCES[source](rep, stack)
        for func, module in candidates:
            name = _canonical(func)
            if not skip.fullmatch(name):
                return _syscall_name(name), module, bool(stack)
    return "", "", bool(stack)


def _header_frame(rep: OpenReport, _stack: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The function the header line names, if its format captures one."""
    func = rep.match.groupdict().get("func")
    if not func:
        return []
    found = _HEADER_MODULE.search(rep.body[0])
    return [(func, found.group("mod") if found else "")]


def _first_match(pattern: "re.Pattern", rep: OpenReport) -> List[Tuple[str, str]]:
    """The frame named by the first line of the report that matches `pattern`."""
    for body in rep.body:
        found = pattern.search(body)
        if found:
            return [(found.group("func"), found.group("mod") or "")]
    return []


_SOURCES = {
    "header": _header_frame,
    "rip": lambda rep, stack: _first_match(_RIP, rep),
    "lock": lambda rep, stack: _first_match(_LOCK_AT, rep),
    "stack": lambda rep, stack: stack,
}
"""Where a format may find its guilty function (``Format.frame_from``), each
given the report and its stack (read once by :func:`_stack`)."""


def _syscall_name(name: str) -> str:
    """__x64_sys_write, __se_sys_write, __do_sys_write, SyS_write: write."""
    wrapper = F.SYSCALL_WRAPPER.match(name)
    return name[wrapper.end():] if wrapper else name


def frame_of(body: str) -> Optional[Tuple[str, str, bool]]:
    """(function, module, questionable) of a stack frame line, or None.

    The scanner uses it too, to tell a report that is still printing its
    stacks from one that is over.
    """
    found = _FRAME.match(body) or _ARM_FRAME.match(body)
    if found is None:
        return None
    questionable = bool(found.groupdict().get("q"))
    return found.group("func"), found.group("mod") or "", questionable


def _stack(rep: OpenReport) -> List[Tuple[str, str]]:
    """Reliable frames of the first stack trace of a report."""
    frames: List[Tuple[str, str]] = []
    started = False
    seen_any = False
    for body in rep.body:
        if not started:
            started = bool(rep.fmt.stack_start.search(body))
            continue
        found = frame_of(body)
        if found:
            seen_any = True
            if not found[2]:
                frames.append(found[:2])
            continue
        if STACK_MARK.match(body):
            if TASK_END.match(body) and seen_any:
                break
            continue
        if not body.strip():
            if seen_any:
                break
            continue
        if _STACK_STOP.match(body) and seen_any:
            break
    return frames

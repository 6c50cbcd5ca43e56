"""What the classifier hands back: one crash, and the report over a whole log.

These types sit below both the scanner and the frame assembly, so each of
them can build crashes without importing the other or the public ``report``
module that wraps them.
"""

from dataclasses import asdict, dataclass, field
from typing import List, Optional

from avocado_vexfs.console import formats as F


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

"""Per-check results of one test, each problem with a stable signature.

A test runs several checks (functional's ``dirs``, mkfs_mount's ``remount``, one
persistence step, one stressor's space check...). Each check reports its own result, and
each problem carries a signature: the check's name plus the problem with what varies from
run to run masked (sizes, counts, addresses, checksums) and errnos named, for example
``functional.dirs/rmdir_nonempty: ENOENT, expected ENOTEMPTY``. Known failures
(:mod:`avocado_vexfs.verdict.known`) match signatures, never test names, so a new problem
inside a test with known ones is still a failure.

The results travel as data: ``checks.json`` in the test's logdir, read by the HTML
report, ``make diff``, repro and bisect.
"""
import errno
import json
import logging
import os
import re

LOG = logging.getLogger(__name__)

FILENAME = "checks.json"
PASS, FAIL, KNOWN, NOT_RUN = "pass", "fail", "known", "not run"

_ERRNO_NUMBER = re.compile(r"\[Errno (\d+)\][^:;,]*")
_STRERROR = re.compile(r"\b(E[A-Z0-9]{2,}) \([A-Za-z][A-Za-z ,'/-]*\)")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_DIGEST = re.compile(r"\b[0-9a-f]{8,}\b")
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?![\w.]*\w)")
_SUBCHECK = re.compile(r"^([A-Za-z_][\w.+-]*(?: [a-z_][\w.+-]*)?): (.+)$", re.S)


def normalize(text):
    """A problem's text with what varies between runs masked, errnos by name.

    ``[Errno 2] No such file`` becomes ``ENOENT``, ``EFBIG (File too large)``
    becomes ``EFBIG``; hex addresses become ADDR, checksums HASH and free-standing
    numbers N (``3 of 20 files``, ``4096 KiB``), while digits inside a name stay
    (``file001_40k``, ``ext4``), so a signature names what failed, not how much.
    """
    text = " ".join((text or "").split())
    text = _ERRNO_NUMBER.sub(lambda m: errno.errorcode.get(int(m.group(1)),
                                                           f"errno {m.group(1)}"), text)
    text = _STRERROR.sub(r"\1", text)
    text = _HEX.sub("ADDR", text)
    text = _DIGEST.sub("HASH", text)
    return _NUMBER.sub("N", text).strip()


def split_subcheck(check, text):
    """(check[/sub], rest): a problem that starts with ``name: `` names a sub-check.

    A prefix that repeats the check's own name (``remount: ...`` from the remount
    check) is dropped rather than doubled.
    """
    match = _SUBCHECK.match(text.strip())
    if not match:
        return check, text.strip()
    sub, rest = match.group(1), match.group(2)
    if sub in ("failed", "unsupported", "after"):
        return check, text.strip()
    last = check.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    sub = sub.replace(" ", "_")
    if sub == last:
        return check, rest
    if sub.startswith(last + "_"):
        sub = sub[len(last) + 1:]
    return f"{check}/{sub}", rest


def signature(check, text, key=None):
    """``<check>[/<sub>]: <normalized problem>``, the stable name of one problem.

    :param key: the text to sign when the problem's own text carries detail that
                must not enter the signature (a count of crash states, a rerun command)
    """
    name, rest = split_subcheck(check, key if key is not None else text)
    return f"{name}: {normalize(rest)}"


class Problem:
    """One thing that did not hold, with its signature and, once judged, its entry."""

    def __init__(self, check, text, key=None):
        self.check = check
        self.text = text
        self.signature = signature(check, text, key)
        self.known = None  # the matching expected.Entry, set by expected.judge

    def as_dict(self):
        out = {"check": self.check, "signature": self.signature, "text": self.text}
        if self.known is not None:
            out["known"] = self.known.as_dict()
        return out

    def __repr__(self):
        return f"Problem({self.signature!r})"


class Checks:
    """The checks of one test: which ran, which were planned, and their problems.

    :param suite: the prefix of every check name (``functional``, ``stress.dir``)
    """

    def __init__(self, suite):
        self.suite = suite
        self.planned = []
        self.ran = []
        self.problems = []
        self.notes = {}
        self.partial = []

    def name(self, check):
        return f"{self.suite}.{check}" if check else self.suite

    def plan(self, *checks):
        """Checks that must run: one that never reports is a problem ("did not run")."""
        self.planned += [self.name(c) for c in checks if self.name(c) not in self.planned]

    def ran_check(self, check):
        full = self.name(check)
        if full not in self.ran:
            self.ran.append(full)
        return full

    def add(self, check, problems=(), key=None):
        """Record that ``check`` ran, with its problems (strings); returns them."""
        full = self.ran_check(check)
        added = [Problem(full, text, key) for text in problems]
        self.problems += added
        return added

    def cover_part(self, check):
        """Mark ``check`` as one part of what it usually covers (one replayed workload of
        the many a crash_consistency run explores): a known failure of it that did not
        occur says nothing about a fix, so it is not reported as "not seen"."""
        full = self.name(check)
        if full not in self.partial:
            self.partial.append(full)

    def note(self, check, text):
        """A visible status of a check that is not a problem (no baseline yet, ...)."""
        self.notes.setdefault(self.ran_check(check), []).append(text)

    def finish(self):
        """Planned checks that never ran become problems; called once, by the verdict."""
        for check in self.planned:
            if check not in self.ran:
                self.ran.append(check)
                self.problems.append(Problem(check, "did not run"))

    def status_of(self, check):
        own = [p for p in self.problems if p.check == check]
        if not own:
            return PASS
        return KNOWN if all(p.known for p in own) else FAIL

    def as_dict(self):
        return {"suite": self.suite, "checks": [
            {"check": check, "status": self.status_of(check),
             "problems": [p.as_dict() for p in self.problems if p.check == check],
             **({"notes": self.notes[check]} if check in self.notes else {}),
             **({"partial": True} if check in self.partial else {})}
            for check in self.ran]}


def write(logdir, data):
    """checks.json in ``logdir``, written by rename so a reader never sees half of it."""
    path = os.path.join(logdir, FILENAME)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(path + ".tmp", path)
    return path


def read(logdir):
    """The checks.json of a test's logdir, or None when the test wrote none."""
    path = os.path.join(logdir or "", FILENAME)
    if not logdir or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)

"""Known failures, keyed by problem signature, and the verdict they lead to.

``cfg/expected/<fs_type>.txt`` lists the known bugs of a filesystem, one a line::

    <signature pattern> | <reason> | <where it was reported> [| kernel <range>]

The pattern is a shell glob over a problem's signature (:func:`checks.signature`), for
example ``functional.sizes/*: failed: *: EFBIG``. The optional range limits the entry to
guest kernels, e.g. ``kernel >=6.8 <6.13``. A test is cancelled as known only when every
one of its problems matches an entry; a problem that matches none fails the test, named
before the known ones. An entry whose check ran but whose problem did not occur is
reported as "known failure not seen: fixed?". A test name never masks anything, and a
kernel crash never reaches this module: the console verdict decides first.
"""
import fnmatch
import logging
import os
import re

from avocado.core import exceptions

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import fs
from avocado_vexfs.paths import REPO
from avocado_vexfs.verdict import checks as checks_mod

LOG = logging.getLogger(__name__)

SUMMARY_LIMIT = 6
_RANGE = re.compile(r"^(>=|<=|<|>|==)(\d+(?:\.\d+)*)$")


def version(release):
    """(6, 12, 117) from a kernel release such as ``6.12.117+deb12-cloud-amd64``."""
    match = re.match(r"(\d+(?:\.\d+)*)", release or "")
    if not match:
        raise ConfigError(f"kernel release {release!r}: expected it to start with a "
                          f"version such as 6.12.117")
    return tuple(int(part) for part in match.group(1).split("."))


class Entry:
    """One known failure: a signature pattern, why, where reported, kernel range."""

    def __init__(self, pattern, reason, reported, kernel="", source=""):
        self.pattern = pattern
        self.reason = reason
        self.reported = reported
        self.kernel = kernel
        self.source = source
        self.bounds = [(_RANGE.match(b).group(1), version(_RANGE.match(b).group(2)))
                       for b in kernel.split()]
        self.scope = pattern.split(": ", 1)[0].split("/", 1)[0]

    def applies_to(self, release):
        """Whether the entry covers the guest kernel ``release`` (None: any kernel)."""
        if not self.bounds or release is None:
            return True
        have = version(release)
        ops = {">=": have.__ge__, "<=": have.__le__, "<": have.__lt__, ">": have.__gt__,
               "==": have.__eq__}
        return all(ops[op](want[:len(have)]) for op, want in self.bounds)

    def matches(self, sig):
        return fnmatch.fnmatchcase(sig, self.pattern)

    def in_scope(self, ran):
        """Whether one of the checks that ran is the one this entry is about."""
        return any(fnmatch.fnmatchcase(check, self.scope) for check in ran)

    def as_dict(self):
        out = {"pattern": self.pattern, "reason": self.reason, "reported": self.reported}
        if self.kernel:
            out["kernel"] = self.kernel
        return out

    def __eq__(self, other):
        return isinstance(other, Entry) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"Entry({self.pattern!r})"


def parse(text, source="<expected>"):
    """[Entry] from the file's text, in file order; a bad line is a one-line error."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}: {line[:80]!r}"
        fields = [field.strip() for field in line.split(" | ")]
        if len(fields) not in (3, 4) or not all(fields):
            raise ConfigError(f"{where}: expected '<signature pattern> | <reason> | "
                              f"<where reported> [| kernel <range>]'")
        pattern, reason, reported = fields[:3]
        if ": " not in pattern or pattern.startswith(("crash:", "crash ", "*")):
            raise ConfigError(f"{where}: pattern {pattern!r}: expected '<check>: "
                              f"<problem>' naming a check (a crash is never a known "
                              f"failure)")
        kernel = ""
        if len(fields) == 4:
            words = fields[3].split()
            if words[0] != "kernel" or len(words) < 2 or not all(
                    _RANGE.match(word) for word in words[1:]):
                raise ConfigError(f"{where}: {fields[3]!r}: expected 'kernel' and bounds "
                                  f"such as '>=6.8 <6.13'")
            kernel = " ".join(words[1:])
        entries.append(Entry(pattern, reason, reported, kernel, source=f"{source}:{number}"))
    return entries


def load(path):
    """Entries of ``path``; a missing file means nothing is known to fail."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return parse(handle.read(), source=path)


def path_for(params):
    """The filesystem's known-failure file (cfg/expected/<fs_type>.txt), in the cfg's
    expected_failures_dir when it names one."""
    directory = params.get("expected_failures_dir") or os.path.join(REPO, "cfg", "expected")
    if not os.path.isabs(directory):
        directory = os.path.join(REPO, directory)
    return fs.for_params(params).known_failures(directory)


class Judgement:
    """What a test's problems amount to against the known entries."""

    def __init__(self, new, known, not_seen):
        self.new = new
        self.known = known
        self.not_seen = not_seen

    def as_dict(self):
        return {"new": [p.signature for p in self.new],
                "known": [p.signature for p in self.known],
                "not_seen": [e.as_dict() for e in self.not_seen]}


def judge(results, entries, release=None):
    """Match each problem of ``results`` (a checks.Checks) with the entries.

    :param release: the guest kernel release, for entries limited to a range
    :returns: a Judgement; every problem's ``known`` is set to its entry or None
    """
    live = [entry for entry in entries if entry.applies_to(release)]
    seen = []
    for problem in results.problems:
        problem.known = next((e for e in live if e.matches(problem.signature)), None)
        if problem.known is not None and problem.known not in seen:
            seen.append(problem.known)
    not_seen = [e for e in live if e not in seen and e.in_scope(results.ran)
                and not e.in_scope(results.partial)]
    return Judgement([p for p in results.problems if p.known is None],
                     [p for p in results.problems if p.known is not None], not_seen)


def _summary(problems, text=False):
    """Signatures (or, for new problems, the check and its whole text) joined by '; '."""
    shown = [(f"{p.check}: {p.text}"[:300] if text else p.signature)
             for p in problems[:SUMMARY_LIMIT]]
    more = len(problems) - SUMMARY_LIMIT
    return "; ".join(shown) + (f"; ... {more} more" if more > 0 else "")


def report(test, params, results, release=None):
    """Turn a test's check results into its verdict; write checks.json first.

    PASS: every check ran and held. FAIL: a problem that matches no known entry, the new
    ones named first. CANCEL: every problem is a known failure. A known entry of a check
    that ran but did not occur is logged as a warning ("not seen: fixed?").

    :param results: the test's checks.Checks
    :param release: the guest kernel release, for entries limited to a kernel range
    """
    results.finish()
    path = path_for(params)
    verdict = judge(results, load(path), release)
    data = results.as_dict()
    data.update(verdict.as_dict(), expected_file=path, kernel=release)
    checks_mod.write(test.logdir, data)
    for check in data["checks"]:
        test.log.info("check %s: %s%s", check["check"], check["status"], "".join(
            f"\n  {'known' if p.get('known') else 'NEW'}: {p['signature']}"
            for p in check["problems"]))
        for note in check.get("notes", []):
            test.log.warning("check %s: %s", check["check"], note)
    for entry in verdict.not_seen:
        test.log.warning("known failure not seen: fixed? %s (%s; %s)", entry.pattern,
                         entry.reason, entry.source)
    if not results.ran:
        test.fail(f"{results.suite}: no check ran")
    if verdict.new:
        known = f"; known: {_summary(verdict.known)}" if verdict.known else ""
        test.fail(f"{len(verdict.new)} new problem{'s' if len(verdict.new) > 1 else ''}: "
                  f"{_summary(verdict.new, text=True)}{known}")
    if verdict.known:
        reasons = []
        for problem in verdict.known:
            if problem.known.reason not in reasons:
                reasons.append(problem.known.reason)
        test.cancel(f"known failures only: {_summary(verdict.known)} "
                    f"(reasons: {'; '.join(reasons)})")
    warnings = [f"{check}: {note}" for check, notes in results.notes.items()
                for note in notes]
    warnings += [f"known failure not seen: fixed? {e.pattern}" for e in verdict.not_seen]
    if warnings:
        raise exceptions.TestWarn("; ".join(warnings))

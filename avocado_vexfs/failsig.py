"""What makes two failures "the same": the signature bisect and repro compare.

A crash is known by its title on the console (syzkaller bisects the same way), so a
NULL dereference in the same function is the same failure whatever step or address it
happened at. A failure without a crash is known by its fail reason with the step suffix,
numbers and addresses masked, so "cycle 2/3: use count 1" matches "cycle 1/3: use count
2" but not a different check.
"""
import os
import re

from avocado_vexfs import console_verdict

GOOD, BAD, SKIP = "good", "bad", "skip"
PASSING = ("PASS", "WARN")
_STEP_SUFFIX = re.compile(r"\s*\(during step [^)]*\)\s*$")


def normalize(fail_reason):
    """A fail reason without its step suffix, with hex addresses and numbers masked."""
    text = _STEP_SUFFIX.sub("", (fail_reason or "").strip())
    text = re.sub(r"0x[0-9a-fA-F]+", "ADDR", text)
    return re.sub(r"\d+", "N", text).strip()


def crash_title(logdir, params=None):
    """Title of the leading crash in a test's console.log, or None (no log, no crash)."""
    path = os.path.join(logdir or "", "console.log")
    if not logdir or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as log:
        crash = console_verdict.first_crash(log.read(), params or {})
    return crash.title if crash else None


def signature(status, fail_reason, title=None):
    """'crash: <title>' when the console crashed, else '<status>: <normalized reason>'.

    A passing test has no signature (None).
    """
    if status in PASSING:
        return None
    if title:
        return f"crash: {title}"
    return f"{status}: {normalize(fail_reason)}"


def classify(status, sig, reference, fail_reason=""):
    """Map one run to git bisect's word and a reason: good, bad or skip.

    :param status: the Avocado status of the run (PASS, FAIL, ERROR, CANCEL, ...)
    :param sig: signature() of the run
    :param reference: signature() of the failure at BAD
    :param fail_reason: the run's own fail reason, quoted in a skip's reason
    :returns: (verdict, reason)
    """
    if status in PASSING:
        return GOOD, "pass"
    if status == "FAIL" and sig == reference:
        return BAD, "same failure as BAD"
    said = (fail_reason or sig or "no reason given").strip().splitlines()[0][:200]
    if status == "FAIL":
        return SKIP, f"different failure: {said}"
    if "build failed" in (sig or ""):
        return SKIP, f"build failure: {said}"
    return SKIP, f"not a verdict ({status}): {said}"


def combine(results):
    """One step's verdict from its repetitions: bad if any repetition failed the same way.

    :param results: list of (verdict, reason) from classify(), one per repetition
    """
    for verdict, reason in results:
        if verdict == BAD:
            return verdict, reason
    for verdict, reason in results:
        if verdict == SKIP:
            return verdict, reason
    return GOOD, "pass" + (f" ({len(results)} repetitions)" if len(results) > 1 else "")

"""What makes two failures "the same": the signature bisect and repro compare.

A crash is known by its title on the console (syzkaller bisects the same way), so a
NULL dereference in the same function is the same failure whatever step or address it
happened at. A test that wrote per-check results (checks.json) is known by the sorted
signatures of its new problems, so "the same failing check" means the same check
signature, not the same wording of a fail reason that lists at most a few of them; its
known problems stand in only when it has no new one. Any other failure is known by its
fail reason with the step suffix, numbers and addresses masked, so "cycle 2/3: use count
1" matches "cycle 1/3: use count 2" but not a different check.
"""
import logging
import os
import re

from avocado_vexfs.console import verdict as console_verdict
from avocado_vexfs.verdict import checks as checks_mod

LOG = logging.getLogger(__name__)

GOOD, BAD, SKIP = "good", "bad", "skip"
PASSING = ("PASS", "WARN")


def normalize(fail_reason):
    """A fail reason without its step suffix, with hex addresses and numbers masked."""
    text = console_verdict.strip_step(fail_reason)
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


def read_checks(logdir):
    """A test's checks.json as a dict, or None (none written, or unreadable).

    An unreadable file is logged and treated as absent: the signature then falls back
    to the fail reason rather than failing a repro or a bisect step.
    """
    try:
        data = checks_mod.read(logdir)
    except (OSError, ValueError) as err:
        LOG.warning("%s: checks.json unreadable, using the fail reason: %s", logdir, err)
        return None
    return data if isinstance(data, dict) else None


def checks_signature(data):
    """'new: <sig>; <sig>' (sorted) from checks.json data, 'known: ...' when no new one.

    Known problems are the secondary key: a bisect looking for a new problem must not
    call a commit different because a known bug is or is not there yet. None when the
    data holds no problem at all.
    """
    if not data:
        return None
    for key in ("new", "known"):
        sigs = sorted({s for s in data.get(key) or [] if isinstance(s, str)})
        if sigs:
            return f"{key}: " + "; ".join(sigs)
    return None


def signature(status, fail_reason, title=None, checks=None):
    """'crash: <title>' when the console crashed, else the checks' signatures, else
    '<status>: <normalized reason>'.

    :param checks: the test's checks.json data (read_checks), or None
    A passing test has no signature (None).
    """
    if status in PASSING:
        return None
    if title:
        return f"crash: {title}"
    by_checks = checks_signature(checks)
    if by_checks:
        return f"{status}: {by_checks}"
    return f"{status}: {normalize(fail_reason)}"


def of_outcome(outcome):
    """signature() of a run_variant.Outcome, with the checks.json its test left.

    Outcome computes its own signature from the fail reason and crash title only; repro
    and bisect compare this one so a failing check is matched by its check signature.
    """
    return signature(outcome.status, outcome.fail_reason, outcome.title,
                     read_checks(outcome.logdir))


def known_only(status, sig):
    """Whether a run was cancelled because every problem it had is a known failure."""
    return status == "CANCEL" and (sig or "").startswith("CANCEL: known: ")


def classify(status, sig, reference, fail_reason=""):
    """Map one run to git bisect's word and a reason: good, bad or skip.

    A run cancelled because all its problems are known failures is good: every check
    ran (one that did not is a problem of its own) with no crash and no new problem, so
    the failure being bisected was absent.

    :param status: the Avocado status of the run (PASS, FAIL, ERROR, CANCEL, ...)
    :param sig: signature() of the run
    :param reference: signature() of the failure at BAD
    :param fail_reason: the run's own fail reason, quoted in a skip's reason
    :returns: (verdict, reason)
    """
    if status in PASSING:
        return GOOD, "pass"
    if known_only(status, sig) and reference and not reference.startswith("FAIL: known: "):
        return GOOD, f"only known failures ({sig[len('CANCEL: '):]})"
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

"""How one run maps to git bisect's good/bad/skip, and what counts as the same failure."""
import os
import types

import pytest

from avocado_vexfs.console import verdict as console_verdict
from avocado_vexfs.triage import failure

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NULL = "crash: BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"

# (status, signature of the run, reference at BAD, expected verdict, reason starts with)
CLASSIFY = [
    ("PASS", None, NULL, "good", "pass"),
    ("WARN", None, NULL, "good", "pass"),
    ("FAIL", NULL, NULL, "bad", "same failure"),
    ("FAIL", "crash: WARNING in crashmod_warn", NULL, "skip", "different failure"),
    ("FAIL", "FAIL: cycle N/N: use count N right after insmod: expected N", NULL, "skip",
     "different failure"),
    ("ERROR", "ERROR: fixture build failed against N.N: x.c:N:N: error: y", NULL, "skip",
     "build failure"),
    ("ERROR", "ERROR: guest did not boot", NULL, "skip", "not a verdict (ERROR)"),
    ("CANCEL", "CANCEL: fs_type vexfs needs VEXFS_SRC", NULL, "skip", "not a verdict"),
    ("INTERRUPTED", "INTERRUPTED: timeout", NULL, "skip", "not a verdict"),
    ("FAIL", "FAIL: new: a/x: ENOENT; b/y: EIO", "FAIL: new: a/x: ENOENT; b/y: EIO", "bad",
     "same failure"),
    ("FAIL", "FAIL: new: b/y: EIO", "FAIL: new: a/x: ENOENT; b/y: EIO", "skip",
     "different failure"),
    ("CANCEL", "CANCEL: known: k/z: EFBIG", "FAIL: new: a/x: ENOENT", "good",
     "only known failures (known: k/z: EFBIG)"),
    ("CANCEL", "CANCEL: known: k/z: EFBIG", NULL, "good", "only known failures"),
    ("CANCEL", "CANCEL: known: k/z: EFBIG", "FAIL: known: k/z: EFBIG", "skip",
     "not a verdict"),
]


@pytest.mark.parametrize("status, sig, reference, verdict, reason", CLASSIFY)
def test_classify(status, sig, reference, verdict, reason):
    got = failure.classify(status, sig, reference)
    assert got[0] == verdict
    assert got[1].startswith(reason)


def test_skip_reason_quotes_the_raw_fail_reason():
    raw = "fixture build failed against 6.12.117: x.c:347:34: error: expected expression"
    _, reason = failure.classify("ERROR", failure.signature("ERROR", raw), NULL, raw)
    assert reason == f"build failure: {raw}"


NORMALIZE = [
    ("BUG: kernel NULL pointer dereference in f (during step insmod cycle 1/3)",
     "BUG: kernel NULL pointer dereference in f"),
    ("cycle 2/10 insmod: use count 1 right after insmod: expected 0",
     "cycle N/N insmod: use count N right after insmod: expected N"),
    ("bad address 0xffff8880deadbeef", "bad address ADDR"),
    ("", ""),
]


@pytest.mark.parametrize("reason, expected", NORMALIZE)
def test_normalize(reason, expected):
    assert failure.normalize(reason) == expected


def test_same_check_different_numbers_is_same_signature():
    one = failure.signature("FAIL", "cycle 1/3 rmmod: kernel tainted: W warning")
    two = failure.signature("FAIL", "cycle 3/3 rmmod: kernel tainted: W warning")
    assert one == two
    assert one != failure.signature("FAIL", "cycle 1/3 rmmod: rmmod failed: busy")


def test_crash_title_beats_the_fail_reason():
    sig = failure.signature("FAIL", "cycle 1/1 insmod: insmod failed: Killed",
                            title="BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref")
    assert sig == NULL
    assert failure.signature("PASS", "", None) is None


def test_crash_title_read_from_a_real_console_log(tmp_path):
    with open(os.path.join(REPO, "tests", "data", "console", "real-6.12-null.log"),
              encoding="utf-8") as golden:
        text = golden.read().split("\n\n", 1)[1]
    (tmp_path / "console.log").write_text(text, encoding="utf-8")
    assert failure.crash_title(str(tmp_path)) == NULL[len("crash: "):]
    assert failure.crash_title(str(tmp_path), {"console_check": "no"}) is None
    assert failure.crash_title(str(tmp_path / "missing")) is None


COMBINE = [
    ([("good", "pass")], "good"),
    ([("good", "pass"), ("good", "pass")], "good"),
    ([("good", "pass"), ("bad", "same failure as BAD")], "bad"),
    ([("skip", "different failure: x"), ("bad", "same failure as BAD")], "bad"),
    ([("good", "pass"), ("skip", "not a verdict (ERROR): y")], "skip"),
]


@pytest.mark.parametrize("runs, verdict", COMBINE)
def test_a_step_is_bad_if_any_repetition_fails_the_same_way(runs, verdict):
    assert failure.combine(runs)[0] == verdict


def test_checks_signature_is_new_problems_sorted_then_known():
    """Bisect's "same failure" for a test with checks.json: the same new check signatures,
    whichever known bugs came and went (tests/unit/test_report_checks.py: from files)."""
    bad = failure.signature("FAIL", "2 new problems: ...", None,
                            {"new": ["b/y: EIO", "a/x: ENOENT"], "known": []})
    step = failure.signature("FAIL", "2 new problems, said differently", None,
                             {"new": ["a/x: ENOENT", "b/y: EIO"], "known": ["k/z: EFBIG"]})
    assert bad == step == "FAIL: new: a/x: ENOENT; b/y: EIO"
    assert failure.classify("FAIL", step, bad)[0] == "bad"
    crashed = failure.signature("FAIL", "x", "WARNING in vexfs_write", {"new": ["a/x: E"]})
    assert crashed == "crash: WARNING in vexfs_write", "a crash title comes first"


def test_step_marker_round_trips_through_its_one_owner():
    """describe writes the step marker; the report splits it off and signatures strip it,
    all through console.verdict."""
    crash = types.SimpleNamespace(title="BUG: kernel NULL pointer dereference in f",
                                  step="insmod cycle 1/3")
    reason = console_verdict.describe(crash)
    assert reason == "BUG: kernel NULL pointer dereference in f (during step insmod cycle 1/3)"
    assert console_verdict.split_step(reason) == (crash.title, crash.step)
    assert console_verdict.strip_step(reason) == crash.title
    assert console_verdict.split_step("cycle 1/3: rmmod failed") == \
        ("cycle 1/3: rmmod failed", "")
    assert console_verdict.describe(types.SimpleNamespace(title="t", step="")) == "t"

"""Known failures by signature: the parser, the judgement and the verdict it turns into.

The judgement cases are files in tests/data/verdicts/cases/ (one JSON case each: the
expected file's text, the problems a test found, the verdict it must get); adding a case
means adding a file.
"""
import glob
import json
import os

import pytest
from avocado.core import exceptions

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.verdict import checks, known

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "verdicts")
CASES = sorted(glob.glob(os.path.join(DATA, "cases", "*.json")))


def _signature_rows():
    with open(os.path.join(DATA, "signatures.txt"), encoding="utf-8") as table:
        for line in table:
            if line.strip() and not line.startswith("#"):
                yield [field.strip() for field in line.split(" | ")]


@pytest.mark.parametrize("check, text, want", list(_signature_rows()))
def test_signature(check, text, want):
    assert checks.signature(check, text) == want


class FakeTest:
    """Records the verdict the way Avocado would see it."""

    class Log:
        def __init__(self):
            self.lines = []

        def info(self, fmt, *args):
            self.lines.append(fmt % args)

        warning = info

    def __init__(self, logdir):
        self.logdir = logdir
        self.log = self.Log()

    @staticmethod
    def fail(message):
        raise exceptions.TestFail(message)

    @staticmethod
    def cancel(message):
        raise exceptions.TestCancel(message)


def _verdict(case, tmp_path):
    (tmp_path / "vexfs.txt").write_text(case["expected"] + "\n")
    params = {"fs_type": "vexfs", "expected_failures_dir": str(tmp_path)}
    results = checks.Checks(case["suite"])
    results.plan(*case.get("plan", []))
    for check in case["ran"]:
        results.add(check, [text for name, text in case["problems"] if name == check])
    for check in case.get("partial", []):
        results.cover_part(check)
    test = FakeTest(str(tmp_path))
    try:
        known.report(test, params, results, release=case.get("kernel"))
        status, reason = "PASS", ""
    except exceptions.TestBaseException as err:
        status, reason = err.status, str(err)
    return status, reason, checks.read(str(tmp_path))


@pytest.mark.parametrize("path", CASES, ids=[os.path.basename(c)[:-5] for c in CASES])
def test_judgement_case(path, tmp_path):
    with open(path, encoding="utf-8") as handle:
        case = json.load(handle)
    status, reason, data = _verdict(case, tmp_path)
    assert status == case["status"], (case["why"], reason)
    assert data["new"] == case["new"], case["why"]
    assert data["known"] == case["known"], case["why"]
    assert [e["pattern"] for e in data["not_seen"]] == case["not_seen"], case["why"]
    if case["new"]:
        # the new problems are named first, the known ones after
        assert reason.index(case["new"][0].split(": ", 1)[0].split("/")[0]) < (
            reason.index("known:") if "known:" in reason else len(reason))


def test_fail_reason_names_new_problem_text_then_known_signatures(tmp_path):
    case = json.load(open(os.path.join(DATA, "cases", "stress-leak-known-checksum-new.json"),
                          encoding="utf-8"))
    _status, reason, _data = _verdict(case, tmp_path)
    assert reason.startswith("1 new problem: stress.dir.tree_after_cleanup: file001_16k: "
                             "checksum 3fa9c2d1e0b4 != 77ab01cd9e8f; known: "
                             "stress.dir.space_after_cleanup: N KiB"), reason


def test_checks_json_records_each_check(tmp_path):
    case = json.load(open(os.path.join(DATA, "cases", "all-known-cancels.json"),
                          encoding="utf-8"))
    _status, _reason, data = _verdict(case, tmp_path)
    assert [(c["check"], c["status"]) for c in data["checks"]] == [
        ("functional.sizes", "known")]
    assert data["checks"][0]["problems"][0]["known"]["reason"] == (
        "files over 48 KiB get EFBIG")


@pytest.mark.parametrize("line, message", [
    ("functional.links", "expected '<signature pattern> | <reason>"),
    ("functional.links: * | reason", "expected '<signature pattern> | <reason>"),
    ("functional.links | why | where", "naming a check"),
    ("crash: BUG* | why | where", "a crash is never a known failure"),
    ("functional.x: y | why | where | kernel 6.12", "expected 'kernel' and bounds"),
    ("functional.x: y | why | where | since >=6.1", "expected 'kernel' and bounds"),
])
def test_bad_line_names_file_line_and_form(line, message):
    with pytest.raises(ConfigError, match=r"x.txt:2: ") as err:
        known.parse(f"# header\n{line}\n", source="x.txt")
    assert message in str(err.value)


def test_kernel_range():
    entry = known.parse("a.b: c | why | where | kernel >=6.8 <6.13\n")[0]
    assert entry.applies_to("6.12.117+deb12-cloud-amd64")
    assert not entry.applies_to("6.1.0-57-cloud-amd64")
    assert not entry.applies_to("6.13.1")


def test_missing_file_expects_nothing(tmp_path):
    assert known.load(str(tmp_path / "none.txt")) == []


def test_repo_files_parse(repo):
    for fs_type in ("ext4", "vexfs"):
        path = known.path_for({"fs_type": fs_type})
        assert path.startswith(str(repo))
        known.load(path)
    assert known.load(known.path_for({"fs_type": "ext4"})) == []

"""Per-check results in the HTML report, the job diff, results.xml and the failure
signature, on job dirs built from tests/data/report/checks_jobs.json (each test's
checks.json is a file of tests/data/report/checks/, written by the real producer)."""
import json
import os
import types
from xml.dom import minidom

import pytest
from avocado.plugins.xunit import XUnitResult

from avocado_vexfs.report import diff, html, jobdir, xunit
from avocado_vexfs.triage import failure
from fakejob import make_job

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "report")
with open(os.path.join(DATA, "checks_jobs.json"), encoding="utf-8") as _src:
    CASES = json.load(_src)


def read_checks(name):
    with open(os.path.join(DATA, "checks", name), encoding="utf-8") as src:
        return json.load(src)


@pytest.fixture
def jobs(tmp_path):
    return tuple(make_job(str(tmp_path), label,
                          [dict(row, checks=row["checks"] and read_checks(row["checks"]))
                           for row in CASES["jobs"][label]])
                 for label in ("old", "new"))


@pytest.fixture
def page(jobs):
    with open(html.build(jobs[1]), encoding="utf-8") as src:
        return src.read()


def test_job_summary_counts_new_known_and_not_seen(jobs, page):
    summary = jobdir.load_job(jobs[1])["checks"]
    assert {k: summary[k] for k in CASES["summary"]} == CASES["summary"]
    assert 'id="checks-summary"' in page
    assert "new problems: 2" in page and "known failures: 1" in page
    assert "known failures not seen (fixed?): 1" in page
    new_list = page[page.index('id="new-problems"'):page.index('id="tests"')]
    assert "functional.files/rename_cross: EXDEV" in new_list
    assert "mkfs_mount.readonly: read-only mount accepted a write of N bytes" in new_list


def checks_row(page, test):
    start = page.index(f'<tr class="checks" data-test="{test}">')
    return page[start:page.index("</tr>", start)]


@pytest.mark.parametrize("case", CASES["html"], ids=[c["test"] for c in CASES["html"]])
def test_report_shows_checks_new_first_then_known_not_seen_and_notes(page, case):
    row = checks_row(page, case["test"])
    at = -1
    for text in case["in_order"]:
        found = row.find(text, at + 1)
        assert found > at, f"{text!r} missing or out of order in {row}"
        at = found


def test_report_links_checks_json_and_skips_tests_without_one(page):
    assert 'href="test-results/01-vexfs.linux_6_12.functional/checks.json">check results' \
        in page
    assert 'data-test="ext4.linux_6_12.fs_smoke"' not in page


def test_report_survives_a_corrupt_checks_json(jobs):
    logdir = os.path.join(jobs[1], "test-results", "01-vexfs.linux_6_12.functional")
    with open(os.path.join(logdir, "checks.json"), "w", encoding="utf-8") as out:
        out.write('{"checks": [')
    with open(html.build(jobs[1]), encoding="utf-8") as src:
        page = src.read()
    assert "checks.json unreadable" in page
    assert 'data-test="vexfs.linux_6_12.functional"' not in page


@pytest.mark.parametrize("key", ["new_signatures", "gone_signatures", "newly_not_seen",
                                 "checks_missing"])
def test_diff_lists_check_signature_changes(jobs, key):
    result = diff.compare(*jobs)
    got = [list(row) for row in result[key]]
    if key == "newly_not_seen":
        got = [[name, entry["pattern"]] for name, entry in result[key]]
    assert got == CASES["diff"][key]


def test_diff_text_and_exit_on_a_new_unknown_signature(jobs):
    result = diff.compare(*jobs)
    text = diff.render_text(result).splitlines()
    for line in CASES["diff"]["text"]:
        assert line in text
    assert "changed crash title: 2" in text, "the fail-reason comparison is kept"
    assert diff.unknown_new_signatures(result), "a new unknown problem makes diff exit 1"
    assert not diff.unknown_new_signatures(diff.compare(jobs[1], jobs[1]))


@pytest.mark.parametrize("row", CASES["signature"],
                         ids=[f"{r['checks']}-{r['status']}" for r in CASES["signature"]])
def test_failure_signature_is_crash_then_checks_then_reason(row):
    data = read_checks(row["checks"]) if row["checks"] else None
    assert failure.signature(row["status"], row["fail_reason"], row["title"],
                             data) == row["expected"]


def test_signature_sorts_new_problems_and_ignores_known_ones():
    data = {"new": ["b: EIO", "a: ENOENT"], "known": ["k: EFBIG"]}
    same = {"new": ["a: ENOENT", "b: EIO"], "known": []}
    assert failure.signature("FAIL", "x", None, data) == "FAIL: new: a: ENOENT; b: EIO"
    assert failure.signature("FAIL", "x", None, data) == \
        failure.signature("FAIL", "other words", None, same)


def test_of_outcome_reads_the_checks_json_of_the_outcome(jobs):
    logdir = os.path.join(jobs[1], "test-results", "01-vexfs.linux_6_12.functional")
    outcome = types.SimpleNamespace(status="FAIL", fail_reason="1 new problem: x",
                                    title=None, logdir=logdir)
    assert failure.of_outcome(outcome) == "FAIL: new: functional.files/rename_cross: EXDEV"
    with open(os.path.join(logdir, "checks.json"), "w", encoding="utf-8") as out:
        out.write("not json")
    assert failure.of_outcome(outcome) == "FAIL: N new problem: x"


def avocado_results_xml(job_dir):
    """results.xml exactly as Avocado's xunit plugin renders it for the job's tests."""
    with open(os.path.join(job_dir, "results.json"), encoding="utf-8") as src:
        tests = json.load(src)["tests"]
    for test in tests:
        test.update(class_name="VirtTest", fail_class="TestFail", traceback="Traceback")
    statuses = [t["status"] for t in tests]
    result = types.SimpleNamespace(
        tests=tests, tests_total=len(tests), errors=statuses.count("ERROR"),
        interrupted=0, failed=statuses.count("FAIL"), skipped=0,
        cancelled=statuses.count("CANCEL"), tests_total_time=5.0)
    path = os.path.join(job_dir, "results.xml")
    with open(path, "wb") as out:
        out.write(XUnitResult()._render(result, 100000, "job"))  # pylint: disable=protected-access
    return path, tests


def xml_testcases(path):
    document = minidom.parse(path)
    cases = {}
    for case in document.getElementsByTagName("testcase"):
        out = case.getElementsByTagName("system-out")
        skipped = case.getElementsByTagName("skipped")
        cases[case.getAttribute("name")] = {
            "out": "".join(n.data for n in out[0].childNodes
                           if n.nodeType == n.CDATA_SECTION_NODE) if out else "",
            "skipped": skipped[0].getAttribute("message") if skipped else None}
    return cases


def test_results_xml_carries_the_check_lines_of_every_status(jobs):
    path, tests = avocado_results_xml(jobs[1])
    before = xml_testcases(path)
    assert before["vexfs.linux_6_12.persistence"]["out"] == "", \
        "Avocado writes nothing for a WARN test"
    assert xunit.annotate(path, tests) == 4
    cases = xml_testcases(path)
    functional = cases["vexfs.linux_6_12.functional"]["out"]
    assert functional.startswith(xunit.MARKER)
    assert functional.index("NEW: functional.files/rename_cross: EXDEV") < \
        functional.index("known: functional.dirs/rmdir_nonempty: ENOENT") < \
        functional.index("check functional.dirs: known")
    kept = functional.rstrip().endswith("debug of vexfs.linux_6_12.functional")
    assert kept, "Avocado's debug.log stays after the check lines"
    assert "known failure not seen: fixed? persistence.remount: checksum *" in \
        cases["vexfs.linux_6_12.persistence"]["out"]
    assert "note: bench.seqwrite: no baseline for vexfs fio bw" in \
        cases["vexfs.linux_6_12.bench"]["out"]
    assert cases["ext4.linux_6_12.fs_smoke"]["out"] == ""
    assert xunit.annotate(path, tests) == 0, "a second pass adds nothing"


def test_results_xml_skipped_gets_the_known_failures_reason(jobs):
    path, tests = avocado_results_xml(jobs[0])
    xunit.annotate(path, tests)
    cases = xml_testcases(path)
    assert cases["vexfs.linux_6_12.persistence"]["skipped"].startswith(
        "known failures only: persistence.remount: checksum HASH")
    assert "check persistence.remount: known" in cases["vexfs.linux_6_12.persistence"]["out"]


def test_results_xml_unparsable_is_left_alone(tmp_path):
    path = tmp_path / "results.xml"
    path.write_text("<testsuite")
    assert xunit.annotate(str(path), []) == 0
    assert path.read_text() == "<testsuite"


def test_real_checks_json_with_one_signature_for_three_files():
    """checks.json of a real VexFS level 2 run: three EFBIG writes share a signature."""
    data = read_checks("real-vexfs-functional-sizes.json")
    view = jobdir.checks_view(data)
    assert [p["text"] for p in view["new"]][0] == \
        "failed: write 49153 bytes: EFBIG (File too large)"
    assert xunit.check_lines(view)[1:] == [
        "NEW: functional.sizes: failed: write N bytes: EFBIG (x3)",
        "check functional.sizes: fail"]
    assert failure.checks_signature(data) == "new: functional.sizes: failed: write N bytes: EFBIG"

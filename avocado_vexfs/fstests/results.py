"""fstests' verdict for one test, read from its xunit report (check -R xunit-quiet).

The report says pass, fail (with fstests' reason: output mismatch, dmesg, fsck) or notrun
(with the _notrun reason). A failure becomes one problem whose text names the reason and,
for an output mismatch, the first line the test printed differently, so a test that fails
in a new way gets a new signature (verdict/checks.py) instead of matching an old entry.
"""
import dataclasses
import re
import xml.etree.ElementTree as ET

from avocado_vexfs.errors import VexfsError


class ReportError(VexfsError):
    """fstests wrote no usable report for the test."""


@dataclasses.dataclass
class TestResult:
    name: str
    status: str  # pass, fail, notrun
    seconds: float = 0.0
    message: str = ""

    def problem(self, diff_text=""):
        """The failure as one line for its signature; "" for a pass or notrun."""
        if self.status != "fail":
            return ""
        reason = re.sub(r"\s*\(see [^)]*\)", "", self.message).strip(" -")
        first = first_difference(diff_text)
        return f"{reason}: {first}" if first else reason


def parse_xunit(text):
    """[TestResult] from fstests' result.xml."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise ReportError(f"fstests result.xml is not valid XML: {err}") from err
    found = []
    for case in root.iter("testcase"):
        status, message = "pass", ""
        failure = case.find("failure")
        skipped = case.find("skipped")
        if failure is not None:
            status, message = "fail", failure.get("message", "")
        elif skipped is not None:
            status, message = "notrun", skipped.get("message", "")
        found.append(TestResult(case.get("name", ""), status,
                                float(case.get("time") or 0), message.strip()))
    return found


def pick(parsed, name, check_status=0, check_log=""):
    """The result of ``name``; a run that reported nothing is an error naming why."""
    for result in parsed:
        if result.name == name:
            return result
    tail = " | ".join(line for line in check_log.strip().splitlines()[-3:]) or "no output"
    raise ReportError(f"fstests reported no result for {name} (check exited "
                      f"{check_status}): {tail}")


def first_difference(diff_text):
    """The first line the test printed that the golden output does not have."""
    for line in diff_text.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()[:160]
    return ""

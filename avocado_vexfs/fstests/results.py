"""fstests' verdict for one test, read from the files check leaves in RESULT_BASE.

check writes its summary to RESULT_BASE/check.log ("Ran:", "Not run:", "Failures:"
lines), the test's time to check.time, a notrun reason to <test>.notrun, the output that
differs from the golden one to <test>.out.bad and a kernel-log finding to <test>.dmesg.
These are the data; check's terminal output is kept for people only. (Its xunit report
carries the same facts but costs 30 s per test under TCG to write.)

Each reason a test failed for is one problem, and an output mismatch names the first
line the test printed differently, so a test that fails in a new way gets a new
signature (verdict/checks.py) instead of matching an old known-failure entry.
"""
import dataclasses
import re

from avocado_vexfs.errors import VexfsError

KERNEL_LOG_MARKS = re.compile(r"WARNING:|BUG:|Oops|general protection|INFO: |"
                              r"UBSAN:|KASAN:|possible .*deadlock|Call Trace")


class ReportError(VexfsError):
    """check left no summary for the test: it did not run it (or died before)."""


@dataclasses.dataclass
class TestResult:
    name: str
    status: str  # pass, fail, notrun
    seconds: float = 0.0  # fstests' own time (check.time has it for passed tests only)
    reason: str = ""  # notrun reason
    problems: tuple = ()  # one line per failure reason
    wall_seconds: float = 0.0  # the whole check run, as the guest took it


def summary_lists(check_log):
    """{"Ran": [...], "Not run": [...], "Failures": [...]} from RESULT_BASE/check.log."""
    lists = {"Ran": [], "Not run": [], "Failures": []}
    for line in check_log.splitlines():
        head, sep, rest = line.partition(":")
        if sep and head in lists:
            lists[head] += rest.split()
    return lists


def seconds_of(check_time, name):
    """The test's seconds from RESULT_BASE/check.time ("<test> <seconds>" lines)."""
    for line in check_time.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return 0.0


def failure_problems(diff="", dmesg="", full="", stdout=""):
    """One line per reason the test failed, from its files."""
    problems = []
    if diff.strip():
        first = first_difference(diff)
        problems.append(f"output mismatch: {first}" if first else "output mismatch")
    if dmesg.strip():
        marked = [line for line in dmesg.splitlines() if KERNEL_LOG_MARKS.search(line)]
        line = re.sub(r"^\[\s*[\d.]+\]\s*", "", (marked or dmesg.splitlines())[0]).strip()
        problems.append(f"kernel log: {line[:160]}")
    if re.search(r"_check_\w+_filesystem: filesystem on \S+ is inconsistent", full):
        problems.append("fsck: filesystem inconsistent after the test")
    if not problems:
        lines = [l.strip() for l in stdout.splitlines() if "[failed" in l]
        problems.append(f"check: {lines[0].split(']', 1)[0].split('[', 1)[-1]}"
                        if lines else "failed, no reason left in its files")
    return tuple(problems)


def result(name, check_log, check_time="", notrun="", diff="", dmesg="", full="",
           stdout=""):
    """The TestResult of ``name`` from the files check left; ReportError if it did not
    run the test."""
    lists = summary_lists(check_log)
    seconds = seconds_of(check_time, name)
    if name in lists["Not run"]:
        return TestResult(name, "notrun", seconds, reason=notrun.strip())
    if name not in lists["Ran"]:
        tail = " | ".join(stdout.strip().splitlines()[-3:]) or "no output"
        raise ReportError(f"fstests did not run {name}: {tail}")
    if name in lists["Failures"]:
        return TestResult(name, "fail", seconds,
                          problems=failure_problems(diff, dmesg, full, stdout))
    return TestResult(name, "pass", seconds)


def first_difference(diff_text):
    """The first line the test printed that the golden output does not have."""
    for line in diff_text.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()[:160]
    return ""

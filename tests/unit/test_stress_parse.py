"""stress-ng, dbench and writers output (bench/stress.py) on real guest output."""
import os

import pytest

from avocado_vexfs.bench import stress
from avocado_vexfs.bench.base import WorkloadError, require_tool
from avocado_vexfs.checks import powercut

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "stress")

# file -> (parser, expected metric, value) or (parser, error regex)
CASES = {
    "stress_ng_rename.out": (stress.parse_stress_ng, "rename_bogo_ops", 3576.03),
    "stress_ng_dentry.out": (stress.parse_stress_ng, "dentry_bogo_ops", 1101.36),
    "dbench.out": (stress.parse_dbench, "dbench_throughput", 41.9799),
    "stress_ng_bad_option.out": (stress.parse_stress_ng, (r"stress-ng exited 1: Value 40.0KB "
                                                          r"is out of range for hdd-bytes")),
}


def read(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        first, _, rest = handle.read().partition("\n")
    return int(first.split()[1]), rest


def test_every_data_file_is_in_the_table():
    assert sorted(os.listdir(DATA)) == sorted(list(CASES) + ["README.md"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_output(name):
    status, output = read(name)
    parser, *expected = CASES[name]
    if len(expected) == 1:
        with pytest.raises(WorkloadError, match=expected[0]):
            parser(status, output)
        return
    found = parser(status, output)
    assert [(m.metric, m.value) for m in found] == [tuple(expected)]
    assert found[0].higher_is_better


def test_stress_ng_fail_line_wins_over_status():
    _status, output = read("stress_ng_rename.out")
    with pytest.raises(WorkloadError, match=r"exited 2: stress-ng: fail:  \[9\] rename: "
                                            r"rename failed, errno=28"):
        stress.parse_stress_ng(2, output + "stress-ng: fail:  [9] rename: rename failed, "
                                           "errno=28\n")


def test_dbench_without_throughput():
    with pytest.raises(WorkloadError, match=r"dbench exited 0: .*cleanup"):
        stress.parse_dbench(0, "   2  cleanup  20 sec\n")


def test_writers():
    output = "W1 12\nW2 10\nW3 11\nW4 7\n"
    assert stress.parse_writers(0, output, 4, 20)[0].value == 2.0
    with pytest.raises(WorkloadError, match=r"4 writers on one directory: 3 finished, "
                                            r"exit 1: W2 10 \| W3 11"):
        stress.parse_writers(1, "W1 12\nW2 10\nW3 11\n", 4, 20)


def test_powercut_judges_only_fsynced_files():
    want = {"synced00_4k": "a" * 64, "synced01_16k": "b" * 64}
    found = {"synced00_4k": "a" * 64, "synced01_16k": "c" * 64, "inflight_1": "d" * 64}
    assert powercut.check(want, found) == [
        "synced01_16k: fsynced before the cut, checksum cccccccccccc != bbbbbbbbbbbb after it"]
    assert powercut.check(want, {}) == [
        "synced00_4k: fsynced before the cut, missing after it",
        "synced01_16k: fsynced before the cut, missing after it"]


class GuestWithout:
    """Answers 'command -v' like a guest image that lacks the named tools."""

    def __init__(self, *missing):
        self.missing = missing

    def status_output(self, command, timeout=60):
        return (1 if any(f" {tool} " in command for tool in self.missing) else 0), ""


def test_missing_tool_is_one_line():
    with pytest.raises(WorkloadError, match=r"^workload tool 'dbench' is not installed in "
                                            r"the guest: expected it in the packages of "
                                            r"guest-os/debian-12/recipe.json$"):
        require_tool(GuestWithout("dbench"), "dbench")
    require_tool(GuestWithout("dbench"), "fio")

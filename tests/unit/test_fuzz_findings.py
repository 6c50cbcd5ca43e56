"""Findings keyed by real crash titles: the console classifier's, from golden logs."""
import glob
import json
import os
import re
import stat

import pytest

from avocado_vexfs.console import report
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import findings, mutate
from fuzzseeds import mkfs_vexfs, vexfs_seed  # noqa: F401

CONSOLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "console")
KERNEL = "6.12.117+deb12-cloud-amd64"


def _crashes():
    """The first crash of each golden console log that has one."""
    found = []
    for path in sorted(glob.glob(os.path.join(CONSOLE, "real-6.12-*.log"))):
        crashes = report.parse_file(path).crashes
        if crashes:
            found.append(crashes[0])
    return found


CRASHES = _crashes()


@pytest.fixture
def cases(vexfs_seed):
    seed = mutate.Seed.load(vexfs_seed)
    return [mutate.mutate(seed, None, number) for number in range(4)]


def _record(store, case, crash):
    return store.record(case, crash.title, crash.type, crash.text, KERNEL)


def test_two_cases_with_one_title_are_one_finding(tmp_path, cases):
    store = findings.Findings(str(tmp_path / "findings"))
    crash = CRASHES[0]
    first = _record(store, cases[0], crash)
    second = _record(store, cases[1], crash)
    assert (first["new"], second["new"]) == (True, False)
    assert os.listdir(store.directory) == [findings.slug(crash.title)]
    on_disk = findings.load(store.path(crash.title))
    assert on_disk["count"] == 2
    assert on_disk["case_ids"] == [cases[0].case_id, cases[1].case_id]
    assert on_disk["first_case_id"] == cases[0].case_id
    assert (on_disk["title"], on_disk["crash_type"], on_disk["fs"],
            on_disk["kernel_release"], on_disk["seed_sha256"]) == \
        (crash.title, crash.type, "vexfs", KERNEL, cases[0].seed_sha256)


@pytest.mark.parametrize("crash", CRASHES, ids=[c.type for c in CRASHES])
def test_each_title_gets_its_own_reproducer(tmp_path, cases, crash):
    store = findings.Findings(str(tmp_path))
    _record(store, cases[2], crash)
    directory = store.path(crash.title)
    assert re.fullmatch(r"[a-z0-9_.-]+", os.path.basename(directory))
    assert sorted(os.listdir(directory)) == sorted(
        [findings.FINDING_FILE, findings.DELTA_FILE, findings.CONSOLE_FILE,
         findings.REPRO_FILE])
    finding = findings.load(directory)
    assert finding["command"] == f"avocado-vexfs fuzz-repro {os.path.abspath(directory)}"
    with open(os.path.join(directory, findings.CONSOLE_FILE), encoding="utf-8") as text:
        assert text.read() == crash.text
    script = os.path.join(directory, findings.REPRO_FILE)
    assert os.stat(script).st_mode & stat.S_IXUSR
    with open(script, encoding="utf-8") as text:
        assert 'exec avocado-vexfs fuzz-repro "$(dirname "$0")" "$@"' in text.read()
    out = findings.reproduce_image(directory, str(tmp_path / "again.img"))
    with open(out, "rb") as image:
        assert image.read() == cases[2].data


def test_all_lists_every_title_once(tmp_path, cases):
    store = findings.Findings(str(tmp_path))
    for number, crash in enumerate(CRASHES):
        _record(store, cases[number % len(cases)], crash)
        _record(store, cases[(number + 1) % len(cases)], crash)
    listed = store.all()
    assert sorted(f["title"] for f in listed) == sorted(c.title for c in CRASHES)
    assert {f["count"] for f in listed} == {2}
    assert len(os.listdir(store.directory)) == len(CRASHES)


def test_a_job_interrupted_keeps_its_findings_and_counts_on(tmp_path, cases):
    crash = CRASHES[0]
    _record(findings.Findings(str(tmp_path)), cases[0], crash)
    again = findings.Findings(str(tmp_path))
    assert _record(again, cases[1], crash)["count"] == 2
    half_written = again.path(CRASHES[1].title)
    os.makedirs(half_written)
    with open(os.path.join(half_written, findings.DELTA_FILE), "w") as partial:
        partial.write("{")
    redone = _record(again, cases[2], CRASHES[1])
    assert redone["new"] and redone["count"] == 1
    with open(os.path.join(half_written, findings.DELTA_FILE), encoding="utf-8") as text:
        assert json.load(text)["case_id"] == cases[2].case_id


@pytest.mark.parametrize("title,other", [
    ("BUG: kernel NULL pointer dereference in vexfs_iget",
     "BUG: kernel NULL pointer dereference in vexfs_iget!"),
    ("general protection fault in vexfs_find_dir_entry",
     "general protection fault in vexfs/find_dir_entry"),
    ("../../etc/passwd", "..\\..\\etc\\passwd"),
    ("", "?"),
])
def test_slugs_are_safe_and_keep_titles_apart(title, other):
    for one in (title, other):
        assert re.fullmatch(r"[a-z0-9_.-]+", findings.slug(one))
        assert not findings.slug(one).startswith(".")
    assert findings.slug(title) != findings.slug(other)
    assert findings.slug(title) == findings.slug(title)


def test_a_finding_needs_a_title(tmp_path, cases):
    with pytest.raises(ConfigError, match="needs a crash title"):
        findings.Findings(str(tmp_path)).record(cases[0], "", "bug")


def test_a_directory_that_is_no_finding_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="is not a fuzz finding"):
        findings.load(str(tmp_path))

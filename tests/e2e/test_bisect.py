"""Bisect finds a planted crash in a git history built on the fly from our fixture module.

The history (AVX_BISECT_COMMITS commits after GOOD, default 6) has one commit that
breaks the build, fixed by the next, and later one commit that makes the module oops in
its init (the fixture's own NULL dereference as the load-time trigger). Each step runs
the lifecycle.fixture variant in a real guest through `avocado run`. Set
AVX_BISECT_COMMITS=16 to measure the issue's 16-commit bisect.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import time

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.triage import bisect

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "tests", "fixtures", "crashmod")
SOURCE = "avocado_vexfs_crash.c"
TEST = "lifecycle.fixture"
# one insmod/rmmod cycle and one vCPU per step: a step is about one guest boot
EXTRA = ["vcpus=1", "lifecycle_cycles=1"]
BROKEN = "static int crashmod_rev_broken = ;\n"
CRASH_TITLE = "crash: BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"


def _git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def _commit(repo, message):
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=avocado-vexfs", "-c", "user.email=test@localhost",
         "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _edit(repo, old, new):
    path = os.path.join(repo, SOURCE)
    with open(path, encoding="utf-8") as src:
        text = src.read()
    assert old in text, f"{old!r} not in the fixture source"
    with open(path, "w", encoding="utf-8") as src:
        src.write(text.replace(old, new, 1))


def make_history(repo, commits):
    """GOOD plus ``commits`` commits; returns (shas, index of broken build, of crash).

    The broken build is the commit git bisect tests first, so the skip is exercised;
    the crash comes two commits later (the commit between them fixes the build).
    """
    os.makedirs(repo)
    _git(repo, "init", "-q", "-b", "main")
    for name in ("Makefile", SOURCE):
        shutil.copy(os.path.join(FIXTURE, name), repo)
    shas = [_commit(repo, "fixture module as in avocado-vexfs")]
    broken = None
    for number in range(1, commits + 1):
        line = f'MODULE_INFO(avocado_rev, "{number}");\n'
        if number == 1:
            _edit(repo, "MODULE_LICENSE(", line + "MODULE_LICENSE(")
        else:
            _edit(repo, f'MODULE_INFO(avocado_rev, "{number - 1}");\n', line)
        message = f"revision {number}"
        if number == _first_probe(commits):
            _edit(repo, line, line + BROKEN)
            broken, message = number, f"revision {number}: refactor (breaks the build)"
        elif broken is not None and number == broken + 1:
            _edit(repo, BROKEN, "")
            message = f"revision {number}: fix the build"
        elif broken is not None and number == broken + 2:
            _edit(repo, 'static char *trigger = "";', 'static char *trigger = "null";')
            message = f"revision {number}: fire a trigger at load (the planted crash)"
        shas.append(_commit(repo, message))
    assert _git(repo, "rev-list", "--bisect", "main", f"^{shas[0]}") == shas[broken]
    return shas, broken, broken + 2


def _first_probe(commits):
    """The commit git bisect tests first in a linear history of ``commits`` after GOOD."""
    return max(1, min(commits - 2, (commits + 1) // 2))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    commits = int(os.environ.get("AVX_BISECT_COMMITS", "6"))
    repo = str(tmp_path_factory.mktemp("bisect-history") / "crashmod")
    shas, broken, crash = make_history(repo, commits)
    return repo, shas, broken, crash


@pytest.fixture
def clones_checked():
    """No private clone may outlive a bisect, whatever its outcome."""
    import tempfile  # pylint: disable=import-outside-toplevel
    root = tempfile.gettempdir()
    before = {d for d in os.listdir(root) if d.startswith("avocado-vexfs-bisect-")}
    yield
    after = {d for d in os.listdir(root) if d.startswith("avocado-vexfs-bisect-")}
    assert after - before == set()


def test_bisect_names_the_planted_crash(history, tmp_path, no_leftovers, clones_checked):
    repo, shas, broken, crash = history
    head_before = _git(repo, "rev-parse", "HEAD")
    started = time.monotonic()
    result = bisect.bisect(repo, shas[0], "main", TEST, extra_params=EXTRA,
                           results_root=str(tmp_path))
    wall = time.monotonic() - started
    steps = result["steps"]
    print(f"\n{len(shas) - 1}-commit bisect: {len(steps)} steps, {wall:.0f}s wall")
    print("\n".join(bisect.summary_lines(result)))
    assert result["first_bad"] == shas[crash], result
    assert "planted crash" in result["subject"]
    assert result["failure"] == CRASH_TITLE
    by_commit = {s["commit"]: s for s in steps}
    assert by_commit[shas[broken]]["verdict"] == "skip"
    assert "build failure" in by_commit[shas[broken]]["reason"]
    assert [s["label"] for s in steps[:2]] == ["BAD", "GOOD"]
    # log2(n) probes + BAD and GOOD checked first, + the skipped build, + one probe off
    # the middle: after a skip git picks a neighbour pseudo-randomly (16 commits: 8 steps)
    assert len(steps) <= math.ceil(math.log2(len(shas) - 1)) + 2 + 2
    with open(os.path.join(result["results"], "bisect.json"), encoding="utf-8") as data:
        assert json.load(data)["first_bad"] == shas[crash]
    assert all(s["seconds"] > 0 for s in steps)
    assert _git(repo, "rev-parse", "HEAD") == head_before
    assert _git(repo, "status", "--porcelain") == ""


def test_bad_that_does_not_fail(history, tmp_path, no_leftovers, clones_checked):
    repo, shas, _, _ = history
    with pytest.raises(ConfigError, match=rf"^BAD={shas[1][:12]} does not fail "
                                          r"ext4\.linux_6_12\.lifecycle\.fixture: it gave PASS"):
        bisect.bisect(repo, shas[0], shas[1][:12], TEST, extra_params=EXTRA,
                      results_root=str(tmp_path))


def test_good_that_already_fails_via_cli(history, tmp_path, no_leftovers, clones_checked):
    repo, shas, _, crash = history
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "avocado-vexfs"),
                          "bisect", "--src", repo, "--good", shas[crash], "--bad", "main",
                          "--test", TEST, "--results-dir", str(tmp_path),
                          *[arg for pair in EXTRA for arg in ("--extra", pair)]],
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 2
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"avocado-vexfs: error: GOOD={shas[crash]} already fails")
    assert "NULL pointer dereference in crashmod_null_deref" in errors[0]

"""Bad bisect input ends in one line naming the value, before any guest, clone removed.

The git repositories are real (built with git in tmp_path); nothing boots: every one of
these is refused before the first test run. (BAD that does not fail and GOOD that
already fails need a guest: tests/e2e/test_bisect.py.)
"""
import os
import subprocess
import sys
import tempfile

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.triage import bisect

BIN = os.path.dirname(sys.executable)
TEST = "lifecycle.fixture"


def _git(repo, *args):
    return subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c",
                           "user.email=t@localhost", *args], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture
def forked(tmp_path):
    """main: c0 - c1 - c2; side: c0 - s1. Returns (repo, {name: sha})."""
    repo = str(tmp_path / "src")
    os.makedirs(repo)
    _git(repo, "init", "-q", "-b", "main")
    shas = {}
    for name in ("c0", "c1", "c2"):
        with open(os.path.join(repo, "file.c"), "a", encoding="utf-8") as src:
            src.write(f"/* {name} */\n")
        _git(repo, "add", "file.c")
        _git(repo, "commit", "-q", "-m", name)
        shas[name] = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "-b", "side", shas["c0"])
    _git(repo, "commit", "-q", "--allow-empty", "-m", "s1")
    shas["s1"] = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "main")
    return repo, shas


@pytest.fixture
def no_clone_left():
    root = tempfile.gettempdir()
    before = {d for d in os.listdir(root) if d.startswith("avocado-vexfs-bisect-")}
    yield
    assert {d for d in os.listdir(root) if d.startswith("avocado-vexfs-bisect-")} == before


CASES = [
    # (good, bad, test, message regex)
    ("nosuch", "main", TEST, r"^GOOD=nosuch does not exist in .*: expected a branch, tag"),
    ("c0", "v9.9", TEST, r"^BAD=v9\.9 does not exist in .*: expected a branch, tag"),
    ("s1", "main", TEST, r"^GOOD=s1 is not an ancestor of BAD=main: expected GOOD on "),
    ("c2", "main", TEST, r"^GOOD=c2 and BAD=main are the same commit"),
    ("", "main", TEST, r"^GOOD is not set: expected a branch, tag or commit id$"),
    ("c0", "main", "no_such_test", r"^TEST=no_such_test: no test variant of that name in "
                                   r"cfg/level1\.cfg, cfg/level2\.cfg"),
    ("c0", "main", "fs_smoke", r"^TEST=fs_smoke matches 2 variants in cfg/level1\.cfg "
                               r"\(ext4\.linux_6_12\.fs_smoke, vexfs\.linux_6_12\.fs_smoke\)"),
]


@pytest.mark.parametrize("good, bad, test, message", CASES,
                         ids=["unknown-good", "unknown-bad", "not-ancestor", "same-commit",
                              "unset-good", "unknown-test", "ambiguous-test"])
def test_bad_input_is_one_line(forked, tmp_path, no_clone_left, good, bad, test, message):
    repo, shas = forked
    ref = {"s1": shas["s1"][:10], "c0": shas["c0"], "c2": shas["c2"]}
    good_ref = ref.get(good, good)
    message = message.replace("GOOD=s1", f"GOOD={good_ref}").replace("GOOD=c2",
                                                                     f"GOOD={good_ref}")
    results = tmp_path / "results"
    with pytest.raises(ConfigError, match=message) as err:
        bisect.bisect(repo, good_ref, bad, test, results_root=str(results))
    assert "\n" not in str(err.value)
    assert not results.exists(), "bad input must not leave a bisect results directory"


def test_branch_name_of_the_source_resolves_in_the_clone(forked, tmp_path):
    repo, shas = forked
    clone = bisect.clone(repo, str(tmp_path / "clone"))
    assert bisect.commit_of(clone, "side", "GOOD", repo) == shas["s1"]
    assert bisect.commit_of(clone, shas["c1"][:8], "GOOD", repo) == shas["c1"]


def test_source_that_is_not_git(tmp_path, no_clone_left):
    with pytest.raises(ConfigError, match=r"^VEXFS_SRC=.*plain: git clone failed .*: "
                                          r"expected a git repository path or URL$"):
        bisect.bisect(str(tmp_path / "plain"), "a", "b", TEST,
                      results_root=str(tmp_path / "r"))


def _cli(*args, env_drop=()):
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    return subprocess.run([os.path.join(BIN, "avocado-vexfs"), "bisect", *args],
                          capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_cli_prints_one_line_and_exits_2(forked, tmp_path, no_clone_left):
    repo, _ = forked
    run = _cli("--src", repo, "--good", "nosuch", "--bad", "main", "--test", TEST,
               "--results-dir", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"avocado-vexfs: error: GOOD=nosuch does not exist in {repo}: expected a branch, "
        f"tag or commit id"]
    assert run.stdout == ""


def test_cli_without_source(tmp_path):
    run = _cli("--good", "a", "--bad", "b", "--test", TEST, env_drop=("VEXFS_SRC",))
    assert run.returncode == 2
    assert run.stderr.strip() == ("avocado-vexfs: error: VEXFS_SRC is not set: expected "
                                  "--src (or VEXFS_SRC) to be a git repository path or URL")

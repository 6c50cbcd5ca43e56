"""The mount-path fuzzer as a user runs it: a short ext4 run through Avocado (the control:
cases run, none crash), then a finding's one-command reproducer in a fresh guest."""
import json
import os
import subprocess

import pytest

from avocado_vexfs.fuzz import findings, mutate

from test_level1 import BIN, _avocado, _status

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def ext4_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("fuzz-results")
    run = _avocado(REPO, results, "--vt-only-filter", "ext4 fuzz",
                   "--vt-extra-params", "fuzz_minutes=0.5", cfg="level3.cfg")
    with open(os.path.join(results, "latest", "results.json"), encoding="utf-8") as out:
        data = json.load(out)
    return run, data


def test_ext4_fuzz_runs_cases_and_passes(ext4_run):
    run, data = ext4_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert _status(data, "ext4.linux_6_12.fuzz") == "PASS"
    logdir = data["tests"][0]["logdir"]
    with open(os.path.join(logdir, "fuzz", "fuzz.json"), encoding="utf-8") as stats_file:
        stats = json.load(stats_file)
    assert stats["cases"] > 0 and stats["crashes"] == 0, stats
    assert stats["walked"] + stats["mount_refused"] + stats["walk_over_time"] == \
        stats["cases"], stats
    assert len(stats["seeds"]) == 3 and all(os.path.isfile(s) for s in stats["seeds"])


def test_a_finding_reruns_in_a_fresh_guest(ext4_run, tmp_path):
    """fuzz-repro of a case that does not crash ext4: the replay passes and the command
    says "not reproduced" with exit 1 (a crashing case would FAIL with its title)."""
    _, data = ext4_run
    fuzz_dir = os.path.join(data["tests"][0]["logdir"], "fuzz")
    with open(os.path.join(fuzz_dir, "fuzz.json"), encoding="utf-8") as stats_file:
        seed = json.load(stats_file)["seeds"][1]
    store = findings.Findings(os.path.join(fuzz_dir, "findings"))
    found = store.record(mutate.mutate(mutate.Seed.load(seed), rng_seed=7),
                         "planted title for the reproducer test", "planted")
    run = subprocess.run([os.path.join(BIN, "avocado-vexfs"), "fuzz-repro",
                          store.path(found["title"])], capture_output=True, text=True,
                         cwd=REPO, timeout=900, check=False,
                         env=dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"]))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "not reproduced: PASS" in run.stdout, run.stdout

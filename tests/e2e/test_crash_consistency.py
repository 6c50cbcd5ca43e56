"""Crash consistency and fault injection on ext4 in real guests, through Avocado.

The proof that the checker can fail: ext4 passes a spread sample of the seq-1 set, and
the positive control (dm-flakey drops every write after the setup's sync, above the
dm-log-writes log) must be flagged. Fault injection on dm-flakey must see EIO from
fsync on ext4 and leave a usable filesystem. Trimmed to a few minutes of guest time.
"""
import json
import os

from avocado_vexfs.vm import domain, host
from leftovers import leaked

from test_level1 import _avocado

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _results(tmp_path):
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        return {t["name"]: t for t in json.load(data)["tests"]}


def test_ext4_passes_and_control_is_flagged(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    run = _avocado(REPO, tmp_path, "--vt-only-filter",
                   "ext4 quick,control_drop_writes,dm_flakey",
                   # crashcons_limit=4 applies to the control too
                   "--vt-extra-params", "crashcons_limit=4", cfg="crashcons.cfg")
    tests = _results(tmp_path)
    statuses = {name.split(".", 2)[-1]: t["status"] for name, t in tests.items()}
    assert statuses == {"crash_consistency.quick": "PASS",
                        "crash_consistency.control_drop_writes": "PASS",
                        "fault_injection.dm_flakey": "PASS"}, run.stdout[-3000:]
    control = next(t for n, t in tests.items() if "control_drop_writes" in n)
    with open(os.path.join(control["logdir"], "crashcons-report.txt"),
              encoding="utf-8") as report:
        numbers = json.loads(report.readline())
        text = report.read()
    assert numbers["workloads"] == 4 and numbers["failures"] > 0
    assert "(promised by fsync" in text and "rerun: avocado run" in text
    assert os.path.exists(os.path.join(control["logdir"], "workloads", "seq1-001.txt"))
    fault = next(t for n, t in tests.items() if "dm_flakey" in n)
    with open(os.path.join(fault["logdir"], "debug.log"), encoding="utf-8") as log:
        debug = log.read()
    assert "error_writes on /dev/mapper/avx-fault" in debug and "fsync EIO" in debug
    assert "mount ok" in debug and "new write ok" in debug
    assert run.returncode == 0
    assert leaked(before) == set()


def test_unknown_operation_is_one_clear_error(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "ext4 crash_consistency.quick",
                   "--vt-extra-params", "crashcons_ops=create explode", cfg="crashcons.cfg")
    # stopped by our avocado plugin before the job exists: one line, exit 2, no guest
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-2000:]
    assert "avocado-vexfs: error: " in run.stderr, run.stderr[-2000:]
    assert ("crashcons.cfg: ext4.linux_6_12.crash_consistency.quick: cfg key crashcons_ops = "
            "create explode: expected space-separated words from create, mkdir"
            ) in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "latest").exists()
    assert leaked(before) == set()

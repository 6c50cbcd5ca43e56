"""An instrumented test as a user runs it (`avocado run <file> -p ...`): one ext4 guest."""
import json
import os
import subprocess
import sys

from avocado_vexfs.verdict import checks
from avocado_vexfs.vm import domain, host
from avocado_vexfs.vt import facts
from leftovers import leaked

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MATRIX = os.path.join("tests-instrumented", "mount_matrix.py")


def _avocado(results, *args):
    """``avocado run`` in the repository; the tests of the job from results.json."""
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN))
    run = subprocess.run([os.path.join(BIN, "avocado"), "run", "--job-results-dir",
                          str(results), *args], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=600, check=False)
    with open(os.path.join(results, "latest", "results.json"), encoding="utf-8") as data:
        return run, json.load(data)["tests"]


def test_a_matrix_cell_on_ext4_passes_with_its_artifacts(tmp_path):
    """1024-byte blocks and data=journal: mounted as asked, data kept, guest gone."""
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    # one vCPU: two under TCG have shown emulator oopses unrelated to the test
    run, tests = _avocado(tmp_path, MATRIX, "-p", "fs_type=ext4", "-p", "fs_block_size=1024",
                          "-p", "mount_options=data=journal", "-p", "vcpus=1")
    assert [t["status"] for t in tests] == ["PASS"], \
        run.stdout[-2000:]
    logdir = tests[0]["logdir"]
    data = checks.read(logdir)
    assert [(c["check"], c["status"]) for c in data["checks"]] == [
        ("mount_matrix.options", "pass"), ("mount_matrix.block_size", "pass"),
        ("mount_matrix.remount", "pass")]
    assert facts.read(logdir)["kernel"] == data["kernel"]
    with open(os.path.join(logdir, "console.log"), encoding="utf-8", errors="replace") as log:
        assert "avocado-vexfs: guest ready" in log.read()
    assert run.returncode == 0
    assert leaked(before) == set()


def test_a_bad_parameter_is_one_line_and_boots_nothing(tmp_path):
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    run, tests = _avocado(tmp_path, MATRIX, "-p", "fs_type=vexfs", "-p", "fs_block_size=1024")
    assert [(t["status"], t["fail_reason"]) for t in tests] == [
        ("ERROR", "cfg key fs_block_size = 1024: vexfs takes 4096")], run.stdout[-2000:]
    assert not os.path.exists(os.path.join(tests[0]["logdir"], "console.log"))
    assert leaked(before) == set()

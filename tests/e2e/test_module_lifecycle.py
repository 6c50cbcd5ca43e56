"""The lifecycle suite fails, naming the cycle and the crash, when the module warns.

The passing path runs in level 1 and level 2 (lifecycle.fixture on the ext4 guest); this
proves the suite can fail: the fixture module fires WARN_ON at init (trigger=warn), or
refuses to load (an unknown trigger word makes its init return -EINVAL).
"""
import json
import os

from avocado_vexfs import domain, host
from leftovers import leaked

from test_level1 import _avocado

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fixture_lifecycle(tmp_path, module_args):
    """(avocado's exit, the one test's fail reason) of lifecycle.fixture with module_args."""
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "lifecycle.fixture",
                   "--vt-extra-params", f"module_args={module_args}",
                   "--vt-extra-params", "lifecycle_cycles=2", cfg="level2.cfg")
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        tests = json.load(data)["tests"]
    assert [t["status"] for t in tests] == ["FAIL"], run.stdout[-2000:]
    assert leaked(before) == set()
    return run.returncode, tests[0]["fail_reason"]


def test_module_that_fails_to_load_gives_the_kernels_reason(tmp_path):
    returncode, reason = _fixture_lifecycle(tmp_path, "trigger=bogus")
    assert returncode != 0
    assert reason.startswith("cycle 1/2: insmod failed:"), reason
    assert "kernel says:" in reason and "unknown trigger 'bogus'" in reason, reason


def test_warning_at_insmod_fails_the_first_cycle(tmp_path):
    returncode, reason = _fixture_lifecycle(tmp_path, "trigger=warn")
    assert "step insmod cycle 1/2" in reason and "WARNING in crashmod_warn" in reason, reason
    assert returncode != 0

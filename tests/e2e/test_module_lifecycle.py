"""The lifecycle suite fails, naming the cycle and the crash, when the module warns.

The passing path runs in level 1 and level 2 (lifecycle.fixture on the ext4 guest); this
proves the suite can fail: the fixture module fires WARN_ON at init (trigger=warn), or
refuses to load (an unknown trigger word makes its init return -EINVAL).
"""
import json
import os

from avocado_vexfs.vm import domain, host
from leftovers import leaked

from test_level1 import _avocado

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fixture_lifecycle(tmp_path, module_args, cycles=2, hold=None):
    """(avocado's exit, the one test's fail reason) of lifecycle.fixture with module_args."""
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    extra = ["--vt-extra-params", f"lifecycle_hold={hold}"] if hold else []
    if module_args:
        extra += ["--vt-extra-params", f"module_args={module_args}"]
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "lifecycle.fixture",
                   "--vt-extra-params", f"lifecycle_cycles={cycles}", *extra,
                   cfg="level2.cfg")
    with open(tmp_path / "latest" / "results.json", encoding="utf-8") as data:
        tests = json.load(data)["tests"]
    assert [t["status"] for t in tests] == ["FAIL"], run.stdout[-2000:]
    assert leaked(before) == set()
    return run.returncode, tests[0]["fail_reason"]


def test_module_that_fails_to_load_gives_the_kernels_reason(tmp_path):
    returncode, reason = _fixture_lifecycle(tmp_path, "trigger=bogus")
    assert returncode != 0
    assert "lifecycle.cycles: cycle 1/2: insmod failed:" in reason, reason
    assert "kernel says:" in reason and "unknown trigger 'bogus'" in reason, reason


def test_warning_at_insmod_fails_the_first_cycle(tmp_path):
    returncode, reason = _fixture_lifecycle(tmp_path, "trigger=warn")
    assert "step insmod cycle 1/2" in reason and "WARNING in crashmod_warn" in reason, reason
    assert returncode != 0


def test_crash_wins_over_the_failed_commands_after_it(tmp_path):
    """An oops inside a command, then a second failing command: the oops is the verdict.

    The hold step runs the fixture's NULL dereference in a subshell (killed by the
    oops), then an umount that fails with exit 32; the GuestCommandError of that
    umount reaches booted_guest, which must read the console first.
    """
    hold = ("sh -c 'echo null > /sys/kernel/debug/avocado_vexfs_crash/trigger'; "
            "umount /mnt/avx-not-mounted")
    returncode, reason = _fixture_lifecycle(tmp_path, "", cycles=1, hold=hold)
    assert returncode != 0
    assert reason.startswith(
        "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"), reason
    assert "then: guest command" in reason and "exited 32" in reason, reason

"""Instrumented tests: Avocado's parameters become the provider's params, checked before
anything is built or booted."""
import os

import signal

import pytest
from avocado.core.parameters import AvocadoParams
from avocado.core.tree import TreeNode

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.instrumented import base
from avocado_vexfs.instrumented import params as iparams
from avocado_vexfs.vm import guest as guest_mod
from avocado_vexfs.vt import steps


def avocado_params(values):
    """What a test gets for ``-p key=value ...`` (a root node, path /)."""
    return AvocadoParams([TreeNode("", values)], ["/"])


def test_typed_values_become_cfg_text_and_avocados_own_keys_stay_out():
    given = iparams.given(avocado_params({"fs_block_size": 1024, "persistence_reboot": False,
                                          "smoke_file_kb": [4, 40], "timeout": 60}))
    assert given == {"fs_block_size": "1024", "persistence_reboot": "no",
                     "smoke_file_kb": "4 40"}


def test_defaults_are_the_providers_shared_cfg_for_the_filesystem():
    ext4 = iparams.build({}, "t")
    vexfs = iparams.build({"fs_type": "vexfs"}, "t")
    assert (ext4["fs_type"], ext4["mkfs_options"]) == ("ext4", "-F -q")  # cfg/fs.cfg
    assert vexfs["mkfs_options"] == "-f"
    assert "hung_task_timeout_secs=30" in ext4["kernel_cmdline_extra"]  # cfg/base.cfg
    assert ext4["guest_kernel"] == "6.12" and ext4["shortname"] == "t"


def test_a_provider_variant_brings_its_settings_and_the_run_wins():
    cfg = iparams.build({"vcpus": "2"}, "t", defaults={"crashcons_seed": "7"},
                        provider_variant="crash_consistency.quick")
    assert cfg["scratch_disks_mb"] == "32 16 32" and cfg["crashcons_fsck"] == "e2fsck -fn"
    assert (cfg["vcpus"], cfg["crashcons_seed"]) == ("2", "7")
    assert iparams.build({"crashcons_seed": "9"}, "t",
                         defaults={"crashcons_seed": "7"})["crashcons_seed"] == "9"


@pytest.mark.parametrize("given, message", [
    ({"mount_optons": "noatime"},
     "unknown cfg key mount_optons = noatime: did you mean mount_options?"),
    ({"vcpus": "0"}, "cfg key vcpus = 0: expected an integer >= 1 and <= 64"),
    ({"fs_type": "btrfs"}, "cfg key fs_type = btrfs: expected one of ext4, vexfs"),
    ({"fs_type": "vexfs", "fs_block_size": "1024"},
     "cfg key fs_block_size = 1024: vexfs takes 4096"),
    ({"fs_block_size": "8192"}, "cfg key fs_block_size = 8192: ext4 takes 1024, 2048, 4096"),
    ({"guest_kernel_variant": "linux_9_9"}, "guest_kernel_variant = linux_9_9: the "
                                            "provider's cfg has 0 variants"),
])
def test_a_bad_parameter_is_one_line(given, message):
    with pytest.raises(ConfigError) as err:
        iparams.build(given, "t")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


class Probe(base.FilesystemTest):
    """A scenario that must never get as far as its body."""

    SUITE = "probe"
    __test__ = False  # a unittest.TestCase: pytest would collect it

    def test(self):
        raise AssertionError("the body ran")


class VexfsOnly(Probe):
    FILESYSTEMS = ("vexfs",)


def _run(cls, tmp_path, monkeypatch, values):
    """Run one test method in this process, every step that would build or boot
    replaced by a failure; the test's state (status, fail_reason)."""
    def forbidden(*_args, **_kwargs):
        raise AssertionError("built or booted despite the bad parameter")
    monkeypatch.setattr(steps, "build_filesystem", forbidden)
    monkeypatch.setattr(steps, "booted_guest", forbidden)
    monkeypatch.setattr(base.guest_mod, "chain_signal_cleanup", lambda: None)
    test = cls(methodName="test", params=([TreeNode("", values)], ["/"]),
               base_logdir=str(tmp_path))
    test.run_avocado()
    return test.get_state()


def test_a_bad_parameter_errors_the_test_before_any_build_or_boot(tmp_path, monkeypatch):
    state = _run(Probe, tmp_path, monkeypatch, {"fs_type": "ext4", "mount_cycles": "0"})
    assert state["status"] == "ERROR"
    assert state["fail_reason"] == ("cfg key mount_cycles = 0: expected an integer >= 1 "
                                    "(mount/umount cycles)")


def test_a_scenario_for_another_filesystem_is_cancelled_with_the_reason(tmp_path,
                                                                        monkeypatch):
    state = _run(VexfsOnly, tmp_path, monkeypatch, {"fs_type": "ext4"})
    assert state["status"] == "CANCEL"
    assert state["fail_reason"] == "probe applies to vexfs only, not fs_type ext4"


def test_the_default_filesystem_of_a_scenario_is_its_first(tmp_path, monkeypatch):
    """Not cancelled for another filesystem: it got as far as the parameter check."""
    state = _run(VexfsOnly, tmp_path, monkeypatch, {"mount_cycles": "0"})
    assert state["status"] == "ERROR" and "mount_cycles = 0" in state["fail_reason"]
    assert not os.path.exists(os.path.join(state["logdir"], "facts.json"))


class _Live:
    cleaned = False

    def cleanup(self):
        self.cleaned = True


def test_a_signal_cleans_live_guests_then_does_what_it_did_before(monkeypatch):
    """Ctrl-C or Avocado's SIGTERM: the runner's own handler still runs, after cleanup."""
    seen = []
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    live = _Live()
    monkeypatch.setattr(guest_mod, "_LIVE", {live})
    try:
        signal.signal(signal.SIGTERM, lambda number, _frame: seen.append(number))
        guest_mod.chain_signal_cleanup()
        guest_mod.chain_signal_cleanup()  # a second call adds nothing
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert live.cleaned and seen == [signal.SIGTERM]
        with pytest.raises(KeyboardInterrupt):
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)

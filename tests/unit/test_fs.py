"""The filesystem objects (module/fs.py) own what differs between ext4 and VexFS."""
import os

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import fs, vexfs
from avocado_vexfs.verdict import known


class FakeGuest:
    """/proc/filesystems that an insmod extends with ``registers``; commands recorded."""

    def __init__(self, registers=()):
        self.types = {"ext4", "tmpfs"}
        self.registers = registers
        self.commands = []
        self.steps = []

    def cmd(self, command, timeout=60):
        self.commands.append(command)
        if command == "cat /proc/filesystems":
            return "".join(f"nodev\t{name}\n" for name in sorted(self.types))
        if command.startswith("insmod"):
            self.types |= set(self.registers)
        return ""

    def put_file(self, src, dst, mode=0o644):
        self.commands.append(f"put {os.path.basename(src)} {dst}")

    def mark_step(self, name):
        self.steps.append(name)

    def last_kernel_message(self):
        return "nothing"


class FakeBuild:
    module = "/cache/vexfs-builds/key/vexfs_fixed.ko"
    mkfs = "/cache/vexfs-builds/key/mkfs.vexfs"
    module_name = "vexfs_fixed"


def _vexfs(**params):
    filesystem = fs.for_params(dict(params, fs_type="vexfs", mkfs_options="-f"))
    filesystem.build = FakeBuild()
    return filesystem


def test_vexfs_source_comes_from_the_cfg_first_then_the_environment(monkeypatch):
    monkeypatch.setenv("VEXFS_SRC", "/env/vexfs")
    monkeypatch.setenv("VEXFS_PATCHES", "/env/patches")
    from_env = fs.for_params({"fs_type": "vexfs"})
    assert (from_env.source, from_env.patches) == ("/env/vexfs", "/env/patches")
    from_cfg = fs.for_params({"fs_type": "vexfs", "vexfs_src": "/cfg/vexfs",
                              "vexfs_patches": "/cfg/patches"})
    assert (from_cfg.source, from_cfg.patches) == ("/cfg/vexfs", "/cfg/patches")
    assert vexfs.source_from({}, environ={}) == ("", "")


def test_only_a_module_fs_needs_a_source_and_a_rerun_environment(monkeypatch):
    monkeypatch.delenv("VEXFS_SRC", raising=False)
    ext4 = fs.for_params({"fs_type": "ext4"})
    assert not ext4.has_module and ext4.missing_source() is None and ext4.rerun_env() == ""
    unset = fs.for_params({"fs_type": "vexfs", "vexfs_src": ""})
    assert unset.missing_source() == ("fs_type vexfs needs VEXFS_SRC (a VexFS tree path, "
                                      "or git URL[@ref]); it is not set")
    given = _vexfs(vexfs_src="/src", vexfs_patches="/p")
    assert given.has_module and given.missing_source() is None
    assert given.rerun_env() == "VEXFS_SRC=/src VEXFS_PATCHES=/p "


def test_known_failure_file_is_the_filesystems(tmp_path):
    for name in ("ext4", "vexfs"):
        path = known.path_for({"fs_type": name, "expected_failures_dir": str(tmp_path)})
        assert path == os.path.join(str(tmp_path), f"{name}.txt")


def test_ext4_loads_nothing():
    guest = FakeGuest()
    ext4 = fs.for_params({"fs_type": "ext4"})
    assert ext4.load(guest) is None and ext4.install(guest) is None
    ext4.unload(guest)
    with ext4.registering(guest, "fixture"):
        guest.cmd("insmod fixture.ko")
    assert guest.commands == ["insmod fixture.ko"] and guest.steps == []


def test_vexfs_load_marks_insmod_and_learns_its_fs_type():
    guest = FakeGuest(registers=("vexfs_fixed",))
    filesystem = _vexfs(vexfs_src="/src")
    assert filesystem.load(guest) == "vexfs_fixed"
    assert guest.steps == ["insmod"] and filesystem.fstype == "vexfs_fixed"
    assert "insmod /opt/vexfs/vexfs_fixed.ko" in guest.commands


@pytest.mark.parametrize("registers, shown", [((), "none"), (("a", "b"), "['a', 'b']")])
def test_vexfs_load_wants_exactly_one_fs_type(registers, shown):
    with pytest.raises(vexfs.ModuleLoadError) as err:
        _vexfs(vexfs_src="/src").load(FakeGuest(registers=registers))
    assert str(err.value) == (f"insmod vexfs_fixed.ko registered fs types {shown}: "
                              f"expected exactly one")


def test_hold_command_mounts_the_fs_type_learnt_at_insmod():
    guest = FakeGuest(registers=("vexfs_fixed",))
    filesystem = _vexfs(vexfs_src="/src")
    with filesystem.registering(guest, "vexfs_fixed"):
        guest.cmd("insmod /opt/vexfs/vexfs_fixed.ko")
    assert filesystem.hold_command("/dev/vdb", "/mnt/test") == (
        "mkfs.vexfs -f /dev/vdb >/dev/null && mkdir -p /mnt/test && "
        "mount -t vexfs_fixed /dev/vdb /mnt/test")
    with pytest.raises(vexfs.ModuleLoadError, match="insmod vexfs_fixed registered fs "
                                                    "types none: expected exactly one"):
        with filesystem.registering(guest, "vexfs_fixed"):
            pass


def test_a_block_size_becomes_part_of_every_mkfs():
    ext4 = fs.for_params({"fs_type": "ext4", "mkfs_options": "-F -q", "fs_block_size": "1024"})
    assert (ext4.mkfs_options, ext4.block_size) == ("-F -q -b 1024", 1024)
    assert fs.for_params({"fs_type": "ext4", "mkfs_options": "-F"}).mkfs_options == "-F"


def test_vexfs_block_size_is_fixed():
    """mkfs.vexfs has no block size option: 4096 is accepted and passes nothing."""
    assert _vexfs(fs_block_size="4096").mkfs_options == "-f"
    with pytest.raises(ConfigError, match=r"^cfg key fs_block_size = 1024: vexfs takes "
                                          r"4096$"):
        _vexfs(fs_block_size="1024")

"""Bad input gives one clear line naming the bad value and what was expected."""
import subprocess
import sys

import pytest

from avocado_vexfs import avocado_setup, fs, images, kbuild, vexfs
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.guest import GuestConfig


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "avocado_vexfs.cli", *args],
                          capture_output=True, text=True, check=False)


def test_unknown_level_is_one_line(repo):
    result = _cli("check-cfg", f"{repo}/cfg/level9.cfg")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "level9.cfg" in result.stderr


def test_unknown_variant_filter(repo):
    result = _cli("check-cfg", f"{repo}/cfg/level1.cfg", "--only", "no_such_test")
    assert result.returncode == 2
    assert "no_such_test" in result.stderr and "Traceback" not in result.stderr


def test_level1_has_the_smoke_variants(repo):
    assert avocado_setup.check_cfg(f"{repo}/cfg/level1.cfg") == 9  # 5 tests on ext4 (lifecycle: fixture), 4 on vexfs (lifecycle: filesystem)


def test_cfg_syntax_error(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("variants:\n    - a:\n  x = \n   - b:\n        y = 1\n  only (\n")
    with pytest.raises(ConfigError, match="bad.cfg"):
        avocado_setup.check_cfg(str(bad))


def test_unknown_recipe():
    with pytest.raises(ConfigError, match="unknown guest OS recipe 'plan9'.*debian-12"):
        images.Recipe("plan9")


@pytest.mark.parametrize("key, value", [("vcpus", 0), ("memory_mb", -1),
                                        ("boot_timeout", 0)])
def test_guest_shape_must_be_positive(key, value):
    with pytest.raises(ConfigError, match=f"{key} = {value}"):
        GuestConfig(**{key: value})


def test_unknown_accel():
    with pytest.raises(ConfigError, match="accel = 'xen'"):
        GuestConfig(accel="xen")


def test_unknown_fs_type():
    with pytest.raises(ConfigError, match="fs_type = 'zfs'.*ext4"):
        fs.for_params({"fs_type": "zfs"})


def test_vexfs_src_missing(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        vexfs.prepare_tree(str(tmp_path / "nope"), None, str(tmp_path))


def test_vexfs_src_not_a_vexfs_tree(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(ConfigError, match="not a VexFS tree: kernel_module/Kbuild"):
        vexfs.prepare_tree(str(tmp_path / "src"), None, str(tmp_path / "w"))


def test_vexfs_tree_without_mkfs_source(tmp_path):
    (tmp_path / "src" / "kernel_module").mkdir(parents=True)
    (tmp_path / "src" / "kernel_module" / "Kbuild").write_text("obj-m := x.o\n")
    with pytest.raises(ConfigError, match="not a VexFS tree: tools/mkfs.vexfs.c is missing"):
        vexfs.prepare_tree(str(tmp_path / "src"), None, str(tmp_path / "w"))


def test_vexfs_patches_not_a_directory(tmp_path):
    with pytest.raises(ConfigError, match="VEXFS_PATCHES=.*not a directory"):
        vexfs.list_patches(str(tmp_path / "none"))


@pytest.mark.parametrize("spec, expected", [
    ("/src/vexfs", ("/src/vexfs", None)),
    ("https://example.invalid/vexfs.git@v1.2", ("https://example.invalid/vexfs.git", "v1.2")),
    ("file:///srv/vexfs", ("file:///srv/vexfs", None)),
    ("git@host:team/vexfs.git@abc123", ("git@host:team/vexfs.git", "abc123")),
])
def test_source_spec_split(spec, expected):
    assert vexfs.split_ref(spec) == expected


@pytest.mark.parametrize("log, expected", [
    ("make: Entering\n  CC [M]  core/file.o\n/tmp/v/kernel_module/core/file.c:120:5: error: "
     "implicit declaration of function 'grab_cache_page_write_begin'\n",
     "core/file.c:120:5: error: implicit declaration of function "
     "'grab_cache_page_write_begin'"),
    ("cc1: some warnings\n", "cc1: some warnings"),
])
def test_first_compiler_error(log, expected):
    assert kbuild.first_compiler_error(log).endswith(expected)

"""The debug kernel's config: Debian's modules dropped, the fragment on top, and a fragment
option the kernel cannot hold is caught rather than silently lost."""
import gzip
import os

from avocado_vexfs.kernel import build, config, flavours
from avocado_vexfs.vm import initramfs

BASE = """CONFIG_EXT4_FS=y
CONFIG_BLK_DEV_LOOP=m
CONFIG_XFS_FS=m
# CONFIG_KASAN is not set
CONFIG_LOCALVERSION=""
"""
FRAGMENT = """# comment
CONFIG_KASAN=y
CONFIG_BLK_DEV_LOOP=y
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
"""


def test_derive_drops_modules_and_applies_fragment():
    options = config.parse(config.derive(BASE, FRAGMENT, "-avocado-debug-x"))
    assert options["CONFIG_XFS_FS"] == "n"
    assert options["CONFIG_BLK_DEV_LOOP"] == "y"
    assert options["CONFIG_KASAN"] == "y"
    assert options["CONFIG_EXT4_FS"] == "y"
    assert options["CONFIG_LOCALVERSION"] == '"-avocado-debug-x"'
    assert "=m" not in config.derive(BASE, FRAGMENT, "-x")


def test_unmet_names_what_olddefconfig_dropped():
    final = "CONFIG_BLK_DEV_LOOP=y\n# CONFIG_KASAN is not set\n"
    assert config.unmet(final, FRAGMENT) == ["CONFIG_KASAN=y (got n)"]
    assert config.unmet(final + "CONFIG_KASAN=y\n", FRAGMENT) == []


def test_shipped_fragment_parses_and_asks_for_the_sanitizers():
    with open(build.fragment_path("debug"), encoding="utf-8") as fragment:
        options = config.parse(fragment.read())
    for name in ("CONFIG_KASAN", "CONFIG_PROVE_LOCKING", "CONFIG_DEBUG_KMEMLEAK",
                 "CONFIG_UBSAN", "CONFIG_KFENCE", "CONFIG_DEBUG_LIST"):
        assert options[name] == "y", name


def test_release_suffix_changes_with_every_input():
    base = build.release_suffix("debug", "6.12.117-1", BASE, FRAGMENT)
    assert base.startswith("-avocado-debug-")
    assert build.release_suffix("debug", "6.12.118-1", BASE, FRAGMENT) != base
    assert build.release_suffix("debug", "6.12.117-1", BASE, FRAGMENT + "X=y\n") != base


def test_flavours_and_their_command_line():
    assert flavours.names()[0] == flavours.STOCK
    assert "debug" in flavours.names()
    assert "kmemleak.verbose=1" in flavours.cmdline("debug")
    assert flavours.cmdline(flavours.STOCK) == ""


def test_initramfs_carries_an_extra_tree(tmp_path):
    tree = tmp_path / "modules" / "6.12.117-x"
    tree.mkdir(parents=True)
    (tree / "modules.builtin").write_text("kernel/drivers/block/loop.ko\n")
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF")
    out = initramfs.build(str(tmp_path / "i.gz"), str(busybox), "#!/bin/sh\n",
                          extra_tree=(str(tmp_path / "modules"), "kmods"))
    with gzip.open(out) as cpio:
        data = cpio.read()
    assert b"kmods/6.12.117-x/modules.builtin" in data
    assert b"kernel/drivers/block/loop.ko" in data
    assert os.path.getsize(out) > 0

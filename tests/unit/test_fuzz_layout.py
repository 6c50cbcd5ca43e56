"""The on-disk layouts against their sources and against real images.

VexFS offsets are checked against gcc's offsetof on mkfs.vexfs.c of the pinned tree (the
C alignment, not a guess), and the module's header is checked to declare the same
members; ext4 offsets against the offsets ext4.h writes in its comments and a real
mkfs.ext4 image against what dumpe2fs reads from it.
"""
import os
import re
import shutil
import subprocess

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import crc32c, imagemap, layout
from fuzzseeds import MKFS_SOURCE, VEXFS_TREE
from fuzzseeds import ext4_seed, mkfs_vexfs, vexfs_seed  # noqa: F401

VEXFS_STRUCTS = (("vexfs_super_block", layout.VEXFS_SUPERBLOCK),
                 ("vexfs_inode", layout.VEXFS_INODE),
                 ("vexfs_dir_entry", layout.VEXFS_DIRENT))
C_TYPES = {"uint8_t": "u8", "__u8": "u8", "uint16_t": "u16", "__le16": "u16",
           "uint32_t": "u32", "__le32": "u32", "uint64_t": "u64", "__le64": "u64",
           "char": "char"}


def test_vexfs_offsets_are_gccs_on_mkfs_vexfs_c(mkfs_vexfs, tmp_path):
    lines = ["#define main mkfs_vexfs_main", f'#include "{MKFS_SOURCE}"', "#undef main",
             "#include <stddef.h>", "int main(void) {"]
    for cname, struct in VEXFS_STRUCTS:
        lines.append(f'printf("{cname} %zu\\n", sizeof(struct {cname}));')
        lines += [f'printf("{cname}.{f.name} %zu %zu\\n", offsetof(struct {cname}, '
                  f'{f.name}), sizeof(((struct {cname} *)0)->{f.name}));'
                  for f in struct.fields]
    lines.append("return 0; }")
    (tmp_path / "offsets.c").write_text("\n".join(lines))
    subprocess.run(["gcc", "-w", "-o", str(tmp_path / "offsets"),
                    str(tmp_path / "offsets.c")], check=True)
    printed = subprocess.run([str(tmp_path / "offsets")], capture_output=True, text=True,
                             check=True).stdout
    gcc = {name: [int(n) for n in numbers]
           for name, *numbers in (line.split() for line in printed.splitlines())}
    for cname, struct in VEXFS_STRUCTS:
        assert gcc[cname] == [struct.size], cname
        for one in struct.fields:
            assert gcc[f"{cname}.{one.name}"] == [one.offset, one.size], one.name


def _members(path, struct_name):
    """[(type, name, count)] of ``struct struct_name {...};`` in a C file."""
    with open(path, encoding="utf-8") as source:
        text = source.read()
    body = re.search(r"struct %s \{(.*?)\n\};" % struct_name, text, re.S).group(1)
    members = []
    for line in body.splitlines():
        match = re.match(r"\s*(\w+)\s+(\w+)(?:\[(\d*)\])?;", line)
        if match:
            members.append((C_TYPES[match.group(1)], match.group(2),
                            int(match.group(3) or 1) if match.group(3) != "" else 0))
    return members


@pytest.mark.parametrize("struct_name,header", [
    ("vexfs_super_block", "kernel_module/include/vexfs_block.h"),
    ("vexfs_inode", "kernel_module/include/vexfs_block.h"),
    ("vexfs_dir_entry", "kernel_module/core/dir.c"),
    ("vexfs_dir_entry", "kernel_module/core/dir_fix.c"),
])
def test_module_declares_the_structs_mkfs_writes(struct_name, header):
    if not os.path.isfile(MKFS_SOURCE):
        pytest.skip(f"pinned VexFS tree not at {VEXFS_TREE}")
    mkfs = _members(MKFS_SOURCE, struct_name)
    assert _members(os.path.join(VEXFS_TREE, header), struct_name) == mkfs
    ours = dict(VEXFS_STRUCTS)[struct_name]
    names = [f.name.split("[")[0] for f in ours.fields]
    assert sorted(set(names), key=names.index) == [name for _, name, n in mkfs if n]


@pytest.mark.parametrize("struct,offsets,size", [
    # The offsets ext4.h writes in comments before its members (/*38*/ ...).
    (layout.EXT4_SUPERBLOCK, {"s_inodes_count": 0x0, "s_free_inodes_count": 0x10,
                              "s_blocks_per_group": 0x20, "s_wtime": 0x30,
                              "s_magic": 0x38, "s_lastcheck": 0x40,
                              "s_def_resuid": 0x50, "s_feature_incompat": 0x60,
                              "s_uuid": 0x68, "s_volume_name": 0x78,
                              "s_last_mounted": 0x88, "s_algorithm_usage_bitmap": 0xC8,
                              "s_journal_uuid": 0xD0, "s_journal_inum": 0xE0,
                              "s_default_mount_opts": 0x100, "s_blocks_count_hi": 0x150,
                              "s_checksum": 0x3FC}, 1024),
    (layout.EXT4_INODE, {"i_mode": 0x0, "i_links_count": 0x1A, "i_flags": 0x20,
                         "i_block[0]": 0x28, "i_block[14]": 0x60, "i_generation": 0x64,
                         "i_extra_isize": 0x80, "i_projid": 0x9C}, 160),
    (layout.EXT4_GROUP_DESC, {"bg_inode_table_lo": 0x8, "bg_flags": 0x12,
                              "bg_checksum": 0x1E, "bg_block_bitmap_hi": 0x20}, 64),
    (layout.EXT4_EXTENT_HEADER, {"eh_magic": 0, "eh_depth": 6}, 12),
    (layout.EXT4_EXTENT, {"ee_len": 4, "ee_start_lo": 8}, 12),
    (layout.EXT4_DIRENT, {"inode": 0, "rec_len": 4, "name_len": 6, "file_type": 7}, 8),
])
def test_ext4_offsets_are_ext4_hs(struct, offsets, size):
    assert struct.size == size
    for name, offset in offsets.items():
        assert struct.field(name).offset == offset, name


def _dumpe2fs(path, *args):
    if not shutil.which("dumpe2fs"):
        pytest.skip("dumpe2fs (e2fsprogs) needed")
    out = subprocess.run(["dumpe2fs", *args, path], capture_output=True, text=True,
                         check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line), out


@pytest.mark.parametrize("field_name,dumpe2fs_key", [
    ("s_inodes_count", "Inode count"),
    ("s_blocks_count_lo", "Block count"),
    ("s_free_inodes_count", "Free inodes"),
    ("s_first_data_block", "First block"),
    ("s_blocks_per_group", "Blocks per group"),
    ("s_inodes_per_group", "Inodes per group"),
    ("s_inode_size", "Inode size"),
    ("s_reserved_gdt_blocks", "Reserved GDT blocks"),
    ("s_first_ino", "First inode"),
    ("s_journal_inum", "Journal inode"),
    ("s_magic", "Filesystem magic number"),
])
def test_ext4_superblock_reads_as_dumpe2fs(ext4_seed, field_name, dumpe2fs_key):
    header, _ = _dumpe2fs(ext4_seed, "-h")
    with open(ext4_seed, "rb") as image:
        data = image.read()
    value = layout.EXT4_SUPERBLOCK.read(data, layout.EXT4.superblock_offset, field_name)
    assert value == int(header[dumpe2fs_key].strip(), 0)


def test_ext4_map_finds_groups_inodes_and_directories(ext4_seed):
    with open(ext4_seed, "rb") as image:
        data = image.read()
    image_map = imagemap.parse(data)
    _, full = _dumpe2fs(ext4_seed)
    group0 = re.search(r"Block bitmap at (\d+).*?Inode bitmap at (\d+).*?"
                       r"Inode table at (\d+)-", full, re.S)
    assert (image_map.fs, image_map.block_size, image_map.blocks_count) == \
        ("ext4", 1024, 4096)
    assert [image_map.landmarks[k] for k in ("bitmap", "inode_bitmap", "inode_table")] \
        == [int(n) for n in group0.groups()]
    names = {bytes(data[t.offset:t.end]).decode() for t in image_map.targets
             if t.area == imagemap.DIRENT and t.path.endswith(".name")}
    assert {".", "..", "lost+found", "a.txt", "sub", "b", "deeper", "c"} <= names
    assert image_map.target("inode[2].extent_header.eh_magic").field.kind == layout.MAGIC
    checksum, = image_map.checksums
    assert crc32c.ext4(data[checksum.start:checksum.end]) == \
        int.from_bytes(data[checksum.at:checksum.at + 4], "little")


def test_vexfs_map_of_a_fresh_mkfs(vexfs_seed):
    with open(vexfs_seed, "rb") as image:
        data = image.read()
    image_map = imagemap.parse(data, "vexfs")
    assert (image_map.blocks_count, image_map.inodes_count) == (100, 1024)
    root = image_map.target("inode[1].i_block[0]")
    assert root.offset == 2 * 4096 + 40
    assert int.from_bytes(data[root.offset:root.end], "little") == 66
    entries = [(t.path, int.from_bytes(data[t.offset:t.end], "little"))
               for t in image_map.targets if t.path.startswith("block66.dirent")
               and t.field.integer]
    assert entries == [
        ("block66.dirent[0].inode", 1), ("block66.dirent[0].rec_len", 12),
        ("block66.dirent[0].name_len", 1), ("block66.dirent[0].file_type", 2),
        ("block66.dirent[1].inode", 1), ("block66.dirent[1].rec_len", 4096 - 12),
        ("block66.dirent[1].name_len", 2), ("block66.dirent[1].file_type", 2)]
    bitmap = image_map.target("block_bitmap")
    # 67 blocks in use (superblock, bitmap, 64 inode table blocks, root directory)
    assert (bitmap.offset, bitmap.field.size) == (4096, 13)
    assert data[4096:4096 + 9] == b"\xff" * 8 + b"\x07"
    assert image_map.protected == [(0, 4)]
    assert not image_map.checksums


@pytest.mark.parametrize("data,fs,message", [
    (bytes(8192), None, "neither VexFS"),
    (b"XFSB" + bytes(8188), None, "neither VexFS"),
    (bytes.fromhex("46584556") + bytes(8188), "ext4", "not ext4: its magic says vexfs"),
    (bytes.fromhex("46584556") + bytes(8188), "btrfs", "expected one of ext4, vexfs"),
])
def test_parse_refuses_what_it_cannot_map(data, fs, message):
    with pytest.raises(ConfigError, match=message):
        imagemap.parse(data, fs)

"""The on-disk formats the fuzzer mutates, written down as data.

A mutator that knows where a block pointer or a name length lives reaches far deeper into
a mount path than one that flips bits uniformly over a mostly-zero image, so each
structure is a table of fields (name, byte offset, size, kind). The tables are declared
as C members in source order and laid out with the x86-64 C alignment rules, because the
VexFS structures are not packed: ``s_minor_rev_level`` is followed by two bytes of
padding and ``i_size`` starts at 16, not 12 (tests/unit/test_fuzz_layout.py checks every
offset against gcc's ``offsetof`` on mkfs.vexfs.c itself).

Sources, read from the pinned trees and never copied into the project:

- VexFS (../shared/sut/vexfs at 29351b8, built from kernel_module/Kbuild):
  ``struct vexfs_super_block`` and ``struct vexfs_inode`` from
  kernel_module/include/vexfs_block.h (identical to those of tools/mkfs.vexfs.c, the mkfs
  the project builds); ``struct vexfs_dir_entry`` from kernel_module/core/dir.c and
  dir_fix.c; the placement (superblock in block 0, block bitmap in block 1, inode table
  from block 2 for 64 blocks, inode N at slot N-1) from vexfs_block.h
  (VEXFS_INODE_TABLE_BLOCK, VEXFS_INODES_PER_BLOCK), core/block.c (``sb_bread(sb, 1)``
  for the bitmap) and mkfs.vexfs.c. The 6.12 patch changes no on-disk structure.
- ext4 (the control): fs/ext4/ext4.h and fs/ext4/ext4_extents.h of Linux 6.12
  (``struct ext4_super_block``, ``ext4_group_desc``, ``ext4_inode``, ``ext4_dir_entry_2``,
  ``ext4_extent_header``, ``ext4_extent``); the superblock at byte 1024 and the group
  descriptors in the block after ``s_first_data_block``.

Where the regions of one image lie (which inodes are used, which blocks hold directories)
is derived from these tables at run time by ``imagemap``.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

# Field kinds: what a field means, which decides how the mutator attacks it.
MAGIC = "magic"
COUNT = "count"
BLOCK = "block-pointer"
INODE = "inode-number"
SIZE = "size"
LOG = "log-size"
FLAGS = "flags"
MODE = "mode"
TIME = "timestamp"
STATE = "state"
VERSION = "version"
ID = "id"
NAME = "name"
NAME_LEN = "name-length"
REC_LEN = "record-length"
FILE_TYPE = "file-type"
UUID = "uuid"
BYTES = "bytes"
CHECKSUM = "checksum"
RESERVED = "reserved"
BITMAP = "bitmap"

# Kinds whose arrays stay one run of bytes; an integer array of any other kind becomes
# one field an element (i_block[0] .. i_block[11]).
BLOB_KINDS = frozenset({NAME, UUID, BYTES, RESERVED})

_C_TYPES = {"u8": 1, "char": 1, "u16": 2, "u32": 4, "u64": 8}


@dataclass(frozen=True)
class Field:
    """One field of an on-disk structure (little-endian).

    :param integer: a number (mutated by value), not a run of bytes
    :param read: the built module reads it; VexFS ignores most of its ext2-style
                 superblock, and the mutator favours what the mount path looks at
    """

    name: str
    offset: int
    size: int
    kind: str
    integer: bool = True
    read: bool = True

    @property
    def max_value(self):
        return (1 << (8 * self.size)) - 1


@dataclass(frozen=True)
class Struct:
    """An on-disk structure: its fields in offset order, its C size, and its source."""

    name: str
    fields: Tuple[Field, ...]
    size: int
    source: str

    def field(self, name):
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no field {name}")

    def read(self, data, base, name):
        """The value of integer field ``name`` of the structure at ``base`` in ``data``."""
        found = self.field(name)
        return int.from_bytes(data[base + found.offset:base + found.offset + found.size],
                              "little")


def c_struct(name, source, members, read=None):
    """A Struct from C members ``(name, type, count, kind)`` in declaration order.

    Offsets follow the x86-64 ABI: each member is aligned to its type's size and the
    struct's size is rounded up to its largest alignment. ``read``: the names the module
    reads (None: all of them).
    """
    fields, offset, align = [], 0, 1
    for member, ctype, count, kind in members:
        size = _C_TYPES[ctype]
        offset = (offset + size - 1) // size * size
        align = max(align, size)
        is_read = read is None or member in read
        if count == 1:
            fields.append(Field(member, offset, size, kind, kind not in BLOB_KINDS,
                                is_read))
        elif kind in BLOB_KINDS or ctype == "char":
            fields.append(Field(member, offset, size * count, kind, False, is_read))
        else:
            fields.extend(Field(f"{member}[{index}]", offset + index * size, size, kind,
                                True, is_read) for index in range(count))
        offset += size * count
    return Struct(name, tuple(fields), (offset + align - 1) // align * align, source)


# The VexFS superblock is ext4's of an older day: from s_lastcheck on, both declare the
# same members but for the few spelled out where each struct is built below.
_EXT_SB_FROM_LASTCHECK = [
    ("s_lastcheck", "u32", 1, TIME),
    ("s_checkinterval", "u32", 1, TIME),
    ("s_creator_os", "u32", 1, STATE),
    ("s_rev_level", "u32", 1, VERSION),
    ("s_def_resuid", "u16", 1, ID),
    ("s_def_resgid", "u16", 1, ID),
    ("s_first_ino", "u32", 1, INODE),
    ("s_inode_size", "u16", 1, SIZE),
    ("s_block_group_nr", "u16", 1, COUNT),
    ("s_feature_compat", "u32", 1, FLAGS),
    ("s_feature_incompat", "u32", 1, FLAGS),
    ("s_feature_ro_compat", "u32", 1, FLAGS),
    ("s_uuid", "u8", 16, UUID),
    ("s_volume_name", "char", 16, NAME),
    ("s_last_mounted", "char", 64, NAME),
    ("s_algorithm_usage_bitmap", "u32", 1, FLAGS),
    ("s_prealloc_blocks", "u8", 1, COUNT),
    ("s_prealloc_dir_blocks", "u8", 1, COUNT),
    ("s_reserved_gdt_blocks", "u16", 1, COUNT),
    ("s_journal_uuid", "u8", 16, UUID),
    ("s_journal_inum", "u32", 1, INODE),
    ("s_journal_dev", "u32", 1, ID),
    ("s_last_orphan", "u32", 1, INODE),
    ("s_hash_seed", "u32", 4, UUID),
    ("s_def_hash_version", "u8", 1, STATE),
    ("s_jnl_backup_type", "u8", 1, STATE),
    ("s_desc_size", "u16", 1, SIZE),
    ("s_default_mount_opts", "u32", 1, FLAGS),
    ("s_first_meta_bg", "u32", 1, COUNT),
    ("s_mkfs_time", "u32", 1, TIME),
    ("s_jnl_blocks", "u32", 17, RESERVED),
    ("s_blocks_count_hi", "u32", 1, COUNT),
    ("s_r_blocks_count_hi", "u32", 1, COUNT),
    ("s_free_blocks_count_hi", "u32", 1, COUNT),
    ("s_min_extra_isize", "u16", 1, SIZE),
    ("s_want_extra_isize", "u16", 1, SIZE),
    ("s_flags", "u32", 1, FLAGS),
    ("s_raid_stride", "u16", 1, COUNT),
    ("s_mmp_update_interval", "u16", 1, TIME),
    ("s_mmp_block", "u64", 1, BLOCK),
    ("s_raid_stripe_width", "u32", 1, COUNT),
    ("s_log_groups_per_flex", "u8", 1, LOG),
    ("s_checksum_type", "u8", 1, STATE),
]
_EXT_SB_ERRORS = [
    ("s_kbytes_written", "u64", 1, COUNT),
    ("s_snapshot_inum", "u32", 1, INODE),
    ("s_snapshot_id", "u32", 1, ID),
    ("s_snapshot_r_blocks_count", "u64", 1, COUNT),
    ("s_snapshot_list", "u32", 1, INODE),
    ("s_error_count", "u32", 1, COUNT),
    ("s_first_error_time", "u32", 1, TIME),
    ("s_first_error_ino", "u32", 1, INODE),
    ("s_first_error_block", "u64", 1, BLOCK),
    ("s_first_error_func", "u8", 32, NAME),
    ("s_first_error_line", "u32", 1, COUNT),
    ("s_last_error_time", "u32", 1, TIME),
    ("s_last_error_ino", "u32", 1, INODE),
    ("s_last_error_line", "u32", 1, COUNT),
    ("s_last_error_block", "u64", 1, BLOCK),
    ("s_last_error_func", "u8", 32, NAME),
    ("s_mount_opts", "u8", 64, NAME),
    ("s_usr_quota_inum", "u32", 1, INODE),
    ("s_grp_quota_inum", "u32", 1, INODE),
    ("s_overhead_clusters", "u32", 1, COUNT),
    ("s_backup_bgs", "u32", 2, COUNT),
    ("s_encrypt_algos", "u8", 4, BYTES),
    ("s_encrypt_pw_salt", "u8", 16, BYTES),
    ("s_lpf_ino", "u32", 1, INODE),
    ("s_prj_quota_inum", "u32", 1, INODE),
    ("s_checksum_seed", "u32", 1, CHECKSUM),
    ("s_wtime_hi", "u8", 1, TIME),
    ("s_mtime_hi", "u8", 1, TIME),
    ("s_mkfs_time_hi", "u8", 1, TIME),
    ("s_lastcheck_hi", "u8", 1, TIME),
    ("s_first_error_time_hi", "u8", 1, TIME),
    ("s_last_error_time_hi", "u8", 1, TIME),
]

VEXFS_SOURCE = "../shared/sut/vexfs kernel_module/include/vexfs_block.h"
VEXFS_SUPERBLOCK = c_struct(
    "vexfs_super_block", VEXFS_SOURCE, [
        ("s_magic", "u32", 1, MAGIC),
        ("s_block_size", "u32", 1, SIZE),
        ("s_blocks_count", "u32", 1, COUNT),
        ("s_free_blocks", "u32", 1, COUNT),
        ("s_inodes_count", "u32", 1, COUNT),
        ("s_free_inodes", "u32", 1, COUNT),
        ("s_first_data_block", "u32", 1, BLOCK),
        ("s_log_block_size", "u32", 1, LOG),
        ("s_blocks_per_group", "u32", 1, COUNT),
        ("s_inodes_per_group", "u32", 1, COUNT),
        ("s_mtime", "u32", 1, TIME),
        ("s_wtime", "u32", 1, TIME),
        ("s_mnt_count", "u16", 1, COUNT),
        ("s_max_mnt_count", "u16", 1, COUNT),
        ("s_state", "u16", 1, STATE),
        ("s_errors", "u16", 1, STATE),
        ("s_minor_rev_level", "u16", 1, VERSION),
    ] + _EXT_SB_FROM_LASTCHECK + [
        ("s_reserved_pad", "u16", 1, RESERVED),
    ] + _EXT_SB_ERRORS + [
        ("s_pad", "u8", 2, RESERVED),
        ("s_encoding", "u16", 1, STATE),
        ("s_encoding_flags", "u16", 1, FLAGS),
        ("s_reserved", "u32", 95, RESERVED),
        ("s_checksum", "u32", 1, CHECKSUM),
    ],
    # superblock.c vexfs_fill_super and block.c vexfs_read_super read only these
    read={"s_magic", "s_blocks_count", "s_inodes_count", "s_free_blocks",
          "s_free_inodes"})

VEXFS_INODE = c_struct(
    "vexfs_inode", VEXFS_SOURCE, [
        ("i_mode", "u16", 1, MODE),
        ("i_links_count", "u16", 1, COUNT),
        ("i_uid", "u32", 1, ID),
        ("i_gid", "u32", 1, ID),
        ("i_size", "u64", 1, SIZE),
        ("i_atime", "u32", 1, TIME),
        ("i_ctime", "u32", 1, TIME),
        ("i_mtime", "u32", 1, TIME),
        ("i_blocks", "u32", 1, COUNT),
        ("i_block", "u32", 12, BLOCK),
        ("i_flags", "u32", 1, FLAGS),
        ("i_generation", "u32", 1, VERSION),
        ("i_reserved", "u32", 3, RESERVED),
    ],
    # inode.c vexfs_iget: i_flags and i_generation are written, never read
    read={"i_mode", "i_links_count", "i_uid", "i_gid", "i_size", "i_atime", "i_ctime",
          "i_mtime", "i_blocks"} | {f"i_block[{index}]" for index in range(12)})

DIRENT_MEMBERS = [
    ("inode", "u32", 1, INODE),
    ("rec_len", "u16", 1, REC_LEN),
    ("name_len", "u8", 1, NAME_LEN),
    ("file_type", "u8", 1, FILE_TYPE),
]
VEXFS_DIRENT = c_struct("vexfs_dir_entry",
                        "../shared/sut/vexfs kernel_module/core/dir.c", DIRENT_MEMBERS)

EXT4_SOURCE = "Linux 6.12 fs/ext4/ext4.h"
EXT4_SUPERBLOCK = c_struct(
    "ext4_super_block", EXT4_SOURCE, [
        ("s_inodes_count", "u32", 1, COUNT),
        ("s_blocks_count_lo", "u32", 1, COUNT),
        ("s_r_blocks_count_lo", "u32", 1, COUNT),
        ("s_free_blocks_count_lo", "u32", 1, COUNT),
        ("s_free_inodes_count", "u32", 1, COUNT),
        ("s_first_data_block", "u32", 1, BLOCK),
        ("s_log_block_size", "u32", 1, LOG),
        ("s_log_cluster_size", "u32", 1, LOG),
        ("s_blocks_per_group", "u32", 1, COUNT),
        ("s_clusters_per_group", "u32", 1, COUNT),
        ("s_inodes_per_group", "u32", 1, COUNT),
        ("s_mtime", "u32", 1, TIME),
        ("s_wtime", "u32", 1, TIME),
        ("s_mnt_count", "u16", 1, COUNT),
        ("s_max_mnt_count", "u16", 1, COUNT),
        ("s_magic", "u16", 1, MAGIC),
        ("s_state", "u16", 1, STATE),
        ("s_errors", "u16", 1, STATE),
        ("s_minor_rev_level", "u16", 1, VERSION),
    ] + _EXT_SB_FROM_LASTCHECK + [
        ("s_encryption_level", "u8", 1, VERSION),
        ("s_reserved_pad", "u8", 1, RESERVED),
    ] + _EXT_SB_ERRORS + [
        ("s_first_error_errcode", "u8", 1, STATE),
        ("s_last_error_errcode", "u8", 1, STATE),
        ("s_encoding", "u16", 1, STATE),
        ("s_encoding_flags", "u16", 1, FLAGS),
        ("s_orphan_file_inum", "u32", 1, INODE),
        ("s_reserved", "u32", 94, RESERVED),
        ("s_checksum", "u32", 1, CHECKSUM),
    ])

EXT4_GROUP_DESC = c_struct(
    "ext4_group_desc", EXT4_SOURCE, [
        ("bg_block_bitmap_lo", "u32", 1, BLOCK),
        ("bg_inode_bitmap_lo", "u32", 1, BLOCK),
        ("bg_inode_table_lo", "u32", 1, BLOCK),
        ("bg_free_blocks_count_lo", "u16", 1, COUNT),
        ("bg_free_inodes_count_lo", "u16", 1, COUNT),
        ("bg_used_dirs_count_lo", "u16", 1, COUNT),
        ("bg_flags", "u16", 1, FLAGS),
        ("bg_exclude_bitmap_lo", "u32", 1, BLOCK),
        ("bg_block_bitmap_csum_lo", "u16", 1, CHECKSUM),
        ("bg_inode_bitmap_csum_lo", "u16", 1, CHECKSUM),
        ("bg_itable_unused_lo", "u16", 1, COUNT),
        ("bg_checksum", "u16", 1, CHECKSUM),
        ("bg_block_bitmap_hi", "u32", 1, BLOCK),
        ("bg_inode_bitmap_hi", "u32", 1, BLOCK),
        ("bg_inode_table_hi", "u32", 1, BLOCK),
        ("bg_free_blocks_count_hi", "u16", 1, COUNT),
        ("bg_free_inodes_count_hi", "u16", 1, COUNT),
        ("bg_used_dirs_count_hi", "u16", 1, COUNT),
        ("bg_itable_unused_hi", "u16", 1, COUNT),
        ("bg_exclude_bitmap_hi", "u32", 1, BLOCK),
        ("bg_block_bitmap_csum_hi", "u16", 1, CHECKSUM),
        ("bg_inode_bitmap_csum_hi", "u16", 1, CHECKSUM),
        ("bg_reserved", "u32", 1, RESERVED),
    ])

EXT4_INODE = c_struct(
    "ext4_inode", EXT4_SOURCE, [
        ("i_mode", "u16", 1, MODE),
        ("i_uid", "u16", 1, ID),
        ("i_size_lo", "u32", 1, SIZE),
        ("i_atime", "u32", 1, TIME),
        ("i_ctime", "u32", 1, TIME),
        ("i_mtime", "u32", 1, TIME),
        ("i_dtime", "u32", 1, TIME),
        ("i_gid", "u16", 1, ID),
        ("i_links_count", "u16", 1, COUNT),
        ("i_blocks_lo", "u32", 1, COUNT),
        ("i_flags", "u32", 1, FLAGS),
        ("l_i_version", "u32", 1, VERSION),
        ("i_block", "u32", 15, BLOCK),
        ("i_generation", "u32", 1, VERSION),
        ("i_file_acl_lo", "u32", 1, BLOCK),
        ("i_size_high", "u32", 1, SIZE),
        ("i_obso_faddr", "u32", 1, RESERVED),
        ("l_i_blocks_high", "u16", 1, COUNT),
        ("l_i_file_acl_high", "u16", 1, BLOCK),
        ("l_i_uid_high", "u16", 1, ID),
        ("l_i_gid_high", "u16", 1, ID),
        ("l_i_checksum_lo", "u16", 1, CHECKSUM),
        ("l_i_reserved", "u16", 1, RESERVED),
        ("i_extra_isize", "u16", 1, SIZE),
        ("i_checksum_hi", "u16", 1, CHECKSUM),
        ("i_ctime_extra", "u32", 1, TIME),
        ("i_mtime_extra", "u32", 1, TIME),
        ("i_atime_extra", "u32", 1, TIME),
        ("i_crtime", "u32", 1, TIME),
        ("i_crtime_extra", "u32", 1, TIME),
        ("i_version_hi", "u32", 1, VERSION),
        ("i_projid", "u32", 1, ID),
    ])

EXT4_EXTENT_HEADER = c_struct(
    "ext4_extent_header", "Linux 6.12 fs/ext4/ext4_extents.h", [
        ("eh_magic", "u16", 1, MAGIC),
        ("eh_entries", "u16", 1, COUNT),
        ("eh_max", "u16", 1, COUNT),
        ("eh_depth", "u16", 1, COUNT),
        ("eh_generation", "u32", 1, VERSION),
    ])

EXT4_EXTENT = c_struct(
    "ext4_extent", "Linux 6.12 fs/ext4/ext4_extents.h", [
        ("ee_block", "u32", 1, BLOCK),
        ("ee_len", "u16", 1, COUNT),
        ("ee_start_hi", "u16", 1, BLOCK),
        ("ee_start_lo", "u32", 1, BLOCK),
    ])

EXT4_DIRENT = c_struct("ext4_dir_entry_2", EXT4_SOURCE, DIRENT_MEMBERS)


@dataclass(frozen=True)
class Format:
    """A filesystem's on-disk format: its structures and the fixed facts of placement.

    :param superblock_offset: byte offset of the superblock in the image
    :param block_size: fixed block size, or None when the superblock says it
    :param constants: fixed placement and numbering (block numbers, inode numbers,
                      feature bits) that the structures alone do not give
    """

    name: str
    magic: int
    superblock_offset: int
    superblock: Struct
    inode: Struct
    dirent: Struct
    block_size: Optional[int] = None
    structs: Dict[str, Struct] = field(default_factory=dict)
    constants: Dict[str, int] = field(default_factory=dict)

    @property
    def magic_field(self):
        return self.superblock.field("s_magic")


VEXFS = Format(
    name="vexfs", magic=0x56455846, superblock_offset=0, block_size=4096,
    superblock=VEXFS_SUPERBLOCK, inode=VEXFS_INODE, dirent=VEXFS_DIRENT,
    constants={
        "superblock_block": 0,
        "bitmap_block": 1,  # core/block.c: sb_bread(sb, 1)
        "bitmap_blocks": 1,
        "inode_table_block": 2,  # VEXFS_INODE_TABLE_BLOCK
        "inode_table_blocks": 64,  # VEXFS_INODE_TABLE_BLOCKS
        "first_data_block": 66,  # block.c vexfs_alloc_block searches from here
        "root_ino": 1,
        "first_ino": 1,  # inode N lives in slot N-1 of the table
        "dir_blocks_read": 1,  # dir.c and dir_fix.c read i_blocks[0] only
    })

EXT4 = Format(
    name="ext4", magic=0xEF53, superblock_offset=1024,
    superblock=EXT4_SUPERBLOCK, inode=EXT4_INODE, dirent=EXT4_DIRENT,
    structs={"group_desc": EXT4_GROUP_DESC, "extent_header": EXT4_EXTENT_HEADER,
             "extent": EXT4_EXTENT},
    constants={
        "root_ino": 2,
        "first_ino": 1,
        "good_old_inode_size": 128,
        "desc_size_32": 32,
        "incompat_64bit": 0x80,
        "ro_compat_metadata_csum": 0x400,
        "extents_fl": 0x80000,
        "inline_data_fl": 0x10000000,
        "extent_magic": 0xF30A,
        "superblock_size": 1024,
    })

FORMATS = {fmt.name: fmt for fmt in (VEXFS, EXT4)}

"""Where the structures of one seed image lie: regions and field targets.

``layout`` says what a superblock or an inode looks like; a seed image says how many
inodes are used, which blocks hold directories and how big the bitmap is. The mutator
needs both: it flips bits inside the regions that matter (a used inode, a directory
entry) instead of anywhere in a mostly-zero image, and it rewrites a named field at its
exact offset. Parsing follows the module's own reads (VexFS) or the kernel's ext4 rules,
on the unmutated seed only; the map is not re-parsed between mutations.
"""
import logging
import stat
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import layout
from avocado_vexfs.fuzz.layout import Field

LOG = logging.getLogger(__name__)

# Areas: the kinds of region an image is cut into.
SUPERBLOCK = "superblock"
GROUP_DESC = "group-descriptor"
INODE = "inode"
EXTENT = "extent"
DIRENT = "dirent"
BLOCK_BITMAP = "block-bitmap"
INODE_BITMAP = "inode-bitmap"
DIR_BLOCK = "dir-block"
INODE_TABLE = "inode-table"
DATA = "data"

# Bounds on what one seed contributes, so a large image stays quick to map.
MAX_INODES = 256
MAX_GROUPS = 64
MAX_BLOCKS_PER_INODE = 8
MAX_DIRENTS_PER_BLOCK = 256


@dataclass(frozen=True)
class Region:
    """Bytes [start, end) of the image holding one structure (or a run of them)."""

    name: str
    area: str
    start: int
    end: int


@dataclass(frozen=True)
class Target:
    """One field of one structure instance, at its absolute offset in the image.

    :param path: ``superblock.s_blocks_count``, ``inode[1].i_block[0]``,
                 ``block66.dirent[1].rec_len`` ...
    :param context: facts the field-aware strategies use (``room``: bytes a directory
                    entry has for its name; ``ino``: the inode it belongs to)
    """

    path: str
    area: str
    offset: int
    field: Field
    context: Dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def end(self):
        return self.offset + self.field.size


@dataclass(frozen=True)
class Checksum:
    """A crc32c (seed ~0, no final inversion) over [start, end) stored at ``at``."""

    start: int
    end: int
    at: int


@dataclass
class ImageMap:
    """Everything the mutator knows about one seed image."""

    fs: str
    size: int
    block_size: int
    blocks_count: int
    inodes_count: int
    regions: List[Region] = field(default_factory=list)
    targets: List[Target] = field(default_factory=list)
    landmarks: Dict[str, int] = field(default_factory=dict)
    checksums: List[Checksum] = field(default_factory=list)

    @property
    def protected(self) -> List[Tuple[int, int]]:
        """Byte ranges of magic numbers, which the mutator keeps valid most of the time."""
        return [(t.offset, t.end) for t in self.targets if t.field.kind == layout.MAGIC]

    def target(self, path) -> Target:
        for candidate in self.targets:
            if candidate.path == path:
                return candidate
        raise KeyError(f"{self.fs} image has no field {path}")

    def target_at(self, offset) -> Optional[Target]:
        """The field that holds byte ``offset`` (the first one, for bitmaps), or None."""
        for candidate in self.targets:
            if candidate.offset <= offset < candidate.end:
                return candidate
        return None

    def add_region(self, name, area, start, length):
        end = min(start + length, self.size)
        if start < end:
            self.regions.append(Region(name, area, start, end))

    def add_struct(self, struct, base, prefix, area, limit=None, context=None,
                   skip=()):
        """A region for the structure at ``base`` and a target for each of its fields
        that lies within ``limit`` bytes of it and in the image."""
        size = min(struct.size, limit or struct.size)
        self.add_region(prefix, area, base, size)
        for one in struct.fields:
            if one.offset + one.size <= size and base + one.offset + one.size <= self.size \
                    and not one.name.startswith(skip):
                self.targets.append(Target(f"{prefix}.{one.name}", area,
                                           base + one.offset, one, dict(context or {})))

    def add_blob(self, path, area, start, length, kind, context=None):
        """A region that is one field: a bitmap or a directory entry's name."""
        length = min(length, self.size - start)
        if length > 0:
            self.regions.append(Region(path, area, start, start + length))
            self.targets.append(Target(path, area, start,
                                       Field(path.rsplit(".", 1)[-1], 0, length, kind,
                                             integer=False), dict(context or {})))


def _u(data, offset, size):
    return int.from_bytes(data[offset:offset + size], "little")


def detect(data):
    """The format name whose magic ``data`` carries."""
    for fmt in layout.FORMATS.values():
        at = fmt.superblock_offset + fmt.magic_field.offset
        if len(data) >= at + fmt.magic_field.size and \
                _u(data, at, fmt.magic_field.size) == fmt.magic:
            return fmt.name
    raise ConfigError(f"seed image of {len(data)} bytes is neither VexFS (magic "
                      f"0x{layout.VEXFS.magic:08X} at byte 0) nor ext4 (magic "
                      f"0x{layout.EXT4.magic:04X} at byte 1080)")


def parse(data, fs=None) -> ImageMap:
    """Map a seed image; ``fs`` names its format (detected from the magic when None)."""
    name = fs or detect(data)
    if name not in PARSERS:
        raise ConfigError(f"fuzz filesystem {name!r}: expected one of "
                          f"{', '.join(sorted(PARSERS))}")
    if detect(data) != name:
        raise ConfigError(f"seed image is not {name}: its magic says {detect(data)}")
    image = PARSERS[name](bytes(data))
    LOG.debug("%s seed of %d bytes: %d regions, %d fields", name, len(data),
              len(image.regions), len(image.targets))
    return image


def walk_dir_block(image, data, fmt, block, dir_ino):
    """Regions and targets for the entries of directory block ``block``, walked the way
    dir.c does (stop at rec_len 0, or at one shorter than the header or past the
    block). Returns the number of entries."""
    header = fmt.dirent.size
    start = block * image.block_size
    image.add_region(f"block{block}", DIR_BLOCK, start, image.block_size)
    offset, index = 0, 0
    while offset + header <= image.block_size and index < MAX_DIRENTS_PER_BLOCK:
        base = start + offset
        if base + header > image.size:
            break
        rec_len = _u(data, base + 4, 2)
        if rec_len < header or offset + rec_len > image.block_size:
            break
        name_len = data[base + 6]
        prefix = f"block{block}.dirent[{index}]"
        context = {"room": rec_len - header, "ino": dir_ino, "in_block": offset}
        image.add_struct(fmt.dirent, base, prefix, DIRENT, context=context)
        if name_len:
            image.add_blob(f"{prefix}.name", DIRENT, base + header,
                           min(name_len, rec_len - header), layout.NAME, context)
        offset += rec_len
        index += 1
    return index


def _add_file_blocks(image, data, fmt, ino, mode, blocks):
    in_image = [b for b in blocks if 0 < b < image.size // image.block_size]
    for block in in_image[:MAX_BLOCKS_PER_INODE]:
        if stat.S_ISDIR(mode):
            walk_dir_block(image, data, fmt, block, ino)
        elif stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            image.add_region(f"block{block}", DATA, block * image.block_size,
                             image.block_size)


def _parse_vexfs(data):
    fmt = layout.VEXFS
    fixed = fmt.constants
    sb = fmt.superblock
    bs = fmt.block_size
    image = ImageMap("vexfs", len(data), bs, sb.read(data, 0, "s_blocks_count"),
                     sb.read(data, 0, "s_inodes_count"))
    image.landmarks = {name[:-6]: fixed[name] for name in
                       ("superblock_block", "bitmap_block", "inode_table_block",
                        "first_data_block")}
    image.add_struct(sb, 0, "superblock", SUPERBLOCK)
    bits = min(image.blocks_count, len(data) // bs, bs * 8)
    image.add_blob("block_bitmap", BLOCK_BITMAP, fixed["bitmap_block"] * bs,
                   max(1, (bits + 7) // 8), layout.BITMAP)
    table = fixed["inode_table_block"] * bs
    image.add_region("inode_table", INODE_TABLE, table, fixed["inode_table_blocks"] * bs)
    per_block = bs // fmt.inode.size
    used = 0
    for slot in range(fixed["inode_table_blocks"] * per_block):
        base = table + (slot // per_block) * bs + (slot % per_block) * fmt.inode.size
        if base + fmt.inode.size > len(data) or used >= MAX_INODES:
            break
        mode = fmt.inode.read(data, base, "i_mode")
        if not mode:
            continue
        ino = slot + fixed["first_ino"]
        used += 1
        image.add_struct(fmt.inode, base, f"inode[{ino}]", INODE, context={"ino": ino})
        pointers = [fmt.inode.read(data, base, f"i_block[{k}]") for k in range(12)]
        if stat.S_ISDIR(mode):
            pointers = pointers[:fixed["dir_blocks_read"]]
        _add_file_blocks(image, data, fmt, ino, mode, pointers)
    return image


def _ext4_extents(image, data, fmt, base, ino):
    """Targets for the extent header and leaf entries in the inode's i_block; returns
    the physical blocks a depth-0 tree maps."""
    header, extent = fmt.structs["extent_header"], fmt.structs["extent"]
    root = base + fmt.inode.field("i_block[0]").offset
    image.add_struct(header, root, f"inode[{ino}].extent_header", EXTENT,
                     context={"ino": ino})
    if header.read(data, root, "eh_magic") != fmt.constants["extent_magic"]:
        return []
    blocks = []
    for index in range(min(header.read(data, root, "eh_entries"), 4)):
        at = root + header.size + index * extent.size
        image.add_struct(extent, at, f"inode[{ino}].extent[{index}]", EXTENT,
                         context={"ino": ino})
        if header.read(data, root, "eh_depth") == 0:
            start = extent.read(data, at, "ee_start_lo") | \
                extent.read(data, at, "ee_start_hi") << 32
            length = extent.read(data, at, "ee_len")
            length = length - 32768 if length > 32768 else length
            blocks.extend(range(start, start + min(length, MAX_BLOCKS_PER_INODE)))
    return blocks


def _ext4_inode(image, data, fmt, base, ino, inode_size):
    fixed = fmt.constants
    limit = inode_size
    if inode_size > fixed["good_old_inode_size"]:
        limit = min(inode_size, fixed["good_old_inode_size"] +
                    fmt.inode.read(data, base, "i_extra_isize"))
    flags = fmt.inode.read(data, base, "i_flags")
    extents = bool(flags & fixed["extents_fl"])
    image.add_struct(fmt.inode, base, f"inode[{ino}]", INODE, limit=limit,
                     context={"ino": ino}, skip=("i_block[",) if extents else ())
    mode = fmt.inode.read(data, base, "i_mode")
    if flags & fixed["inline_data_fl"]:
        return
    if extents:
        blocks = _ext4_extents(image, data, fmt, base, ino)
    else:
        blocks = [fmt.inode.read(data, base, f"i_block[{k}]") for k in range(12)]
    _add_file_blocks(image, data, fmt, ino, mode, blocks)


def _desc_block(desc, data, base, name, desc_size):
    """A block number of a group descriptor: its _lo half, and _hi in a 64-byte one."""
    value = desc.read(data, base, f"{name}_lo")
    if desc_size >= 64:
        value |= desc.read(data, base, f"{name}_hi") << 32
    return value


def _parse_ext4(data):
    fmt = layout.EXT4
    fixed = fmt.constants
    sb, sbo = fmt.superblock, fmt.superblock_offset
    log_block = sb.read(data, sbo, "s_log_block_size")
    bpg = sb.read(data, sbo, "s_blocks_per_group")
    ipg = sb.read(data, sbo, "s_inodes_per_group")
    if log_block > 6 or not bpg or not ipg:
        raise ConfigError(f"ext4 seed has a broken superblock (s_log_block_size "
                          f"{log_block}, s_blocks_per_group {bpg}, s_inodes_per_group "
                          f"{ipg}): expected an image made by mkfs.ext4")
    bs = 1024 << log_block
    wide = bool(sb.read(data, sbo, "s_feature_incompat") & fixed["incompat_64bit"])
    blocks = sb.read(data, sbo, "s_blocks_count_lo")
    if wide:
        blocks |= sb.read(data, sbo, "s_blocks_count_hi") << 32
    image = ImageMap("ext4", len(data), bs, blocks, sb.read(data, sbo, "s_inodes_count"))
    image.add_struct(sb, sbo, "superblock", SUPERBLOCK)
    if sb.read(data, sbo, "s_feature_ro_compat") & fixed["ro_compat_metadata_csum"]:
        at = sbo + sb.field("s_checksum").offset
        image.checksums.append(Checksum(sbo, at, at))
    first = sb.read(data, sbo, "s_first_data_block")
    inode_size = fixed["good_old_inode_size"]
    if sb.read(data, sbo, "s_rev_level") >= 1:
        inode_size = sb.read(data, sbo, "s_inode_size")
    desc_size = fixed["desc_size_32"]
    if wide and sb.read(data, sbo, "s_desc_size") >= 64:
        desc_size = sb.read(data, sbo, "s_desc_size")
    gdt = (first + 1) * bs
    image.landmarks = {"superblock": sbo // bs, "group_descriptors": first + 1}
    groups = -(-(blocks - first) // bpg)
    desc = fmt.structs["group_desc"]
    used = 0
    for group in range(min(groups, MAX_GROUPS)):
        base = gdt + group * desc_size
        if base + desc_size > len(data):
            break
        image.add_struct(desc, base, f"gd[{group}]", GROUP_DESC, limit=desc_size)
        bitmap, ibitmap, table = (
            _desc_block(desc, data, base, name, desc_size)
            for name in ("bg_block_bitmap", "bg_inode_bitmap", "bg_inode_table"))
        if group == 0:
            image.landmarks.update(bitmap=bitmap, inode_bitmap=ibitmap, inode_table=table)
        image.add_blob(f"gd[{group}].block_bitmap", BLOCK_BITMAP, bitmap * bs,
                       min(bs, (bpg + 7) // 8), layout.BITMAP)
        image.add_blob(f"gd[{group}].inode_bitmap", INODE_BITMAP, ibitmap * bs,
                       min(bs, (ipg + 7) // 8), layout.BITMAP)
        image.add_region(f"gd[{group}].inode_table", INODE_TABLE, table * bs,
                         ipg * inode_size)
        for index in range(ipg):
            at = table * bs + index * inode_size
            if at + inode_size > len(data) or used >= MAX_INODES:
                break
            if fmt.inode.read(data, at, "i_mode") and \
                    fmt.inode.read(data, at, "i_links_count"):
                used += 1
                _ext4_inode(image, data, fmt, at, group * ipg + index + 1, inode_size)
    return image


PARSERS = {"vexfs": _parse_vexfs, "ext4": _parse_ext4}

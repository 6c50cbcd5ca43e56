"""A deterministic, layout-aware mutator of seed filesystem images.

One case is one to four small mutations of a seed, chosen by a random generator seeded
with (seed image digest, rng seed): the same two always give the same bytes, so a case
is stored as those two numbers plus a delta, and re-made anywhere. The strategies lean
on the seed's map (``imagemap``) to spend their changes where the mount path looks:

- ``bitflip``: one to three bits of one byte, inside a region picked by weight (a used
  inode or a directory entry far more often than a data block);
- ``boundary``: an integer field set to 0, 1, all-ones, half the range, or just past the
  image's block count or size;
- ``field``: a change that means something for the field's kind: a block pointer past
  the end, to its own block or to the superblock; an inode number of 0, of the
  directory itself or past the count; a name length longer than its entry or zero; a
  record length shorter than the header or past the block; a mode of another file type;
  bitmap bits flipped;
- ``splice``: a run of bytes (up to a block) copied over a structure from elsewhere.

Magic numbers are kept valid most of the time (``keep_magic``) so that the mount gets
past its first check, and an ext4 superblock checksum is recomputed after the changes
(recorded as a ``checksum-fixup`` mutation) unless a mutation hit the checksum itself.
"""
import logging
import random
import re
import stat
from dataclasses import dataclass, field
from typing import List, Optional

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import crc32c, delta, imagefile, imagemap, layout

LOG = logging.getLogger(__name__)

STRATEGIES = ("bitflip", "boundary", "field", "splice")
STRATEGY_WEIGHTS = {"bitflip": 3, "boundary": 3, "field": 5, "splice": 1}
FIXUP = "checksum-fixup"
# Mutations per case: mostly one or two, so a crash points at few changes.
COUNTS = (1, 1, 1, 2, 2, 3, 4)
KEEP_MAGIC = 0.95
TRIES = 16

AREA_WEIGHTS = {
    imagemap.SUPERBLOCK: 8, imagemap.GROUP_DESC: 5, imagemap.INODE: 6,
    imagemap.EXTENT: 4, imagemap.DIRENT: 6, imagemap.BLOCK_BITMAP: 2,
    imagemap.INODE_BITMAP: 2, imagemap.DIR_BLOCK: 1, imagemap.INODE_TABLE: 0.5,
    imagemap.DATA: 0.3,
}
KIND_WEIGHTS = {
    layout.BLOCK: 6, layout.COUNT: 5, layout.INODE: 5, layout.NAME_LEN: 6,
    layout.REC_LEN: 6, layout.SIZE: 4, layout.LOG: 4, layout.MODE: 4,
    layout.FILE_TYPE: 2, layout.FLAGS: 3, layout.STATE: 2, layout.VERSION: 2,
    layout.BITMAP: 4, layout.NAME: 2, layout.MAGIC: 1, layout.CHECKSUM: 1, layout.ID: 1,
    layout.TIME: 0.5, layout.UUID: 0.5, layout.BYTES: 0.5, layout.RESERVED: 0.3,
}
# A field the module never reads (most of VexFS's ext2-style superblock) is picked one
# time in ten: rarely, but a later module version may start reading it.
UNREAD_SHARE = 0.1
# Of i_block[0..11], the pointers in use are where a mount goes; the zero ones are
# still tried, less often.
UNUSED_POINTER_FACTOR = 0.1
FILE_TYPES = (0, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK, stat.S_IFCHR, stat.S_IFBLK,
              stat.S_IFIFO, stat.S_IFSOCK, 0xF000)


@dataclass(frozen=True)
class Mutation:
    """One change: ``old`` bytes at ``offset`` became ``new``; ``field`` is the path of
    the field it lies in when the map knows one (``superblock.s_blocks_count``)."""

    offset: int
    old: bytes
    new: bytes
    strategy: str
    field: str = ""

    def to_dict(self):
        return {"offset": self.offset, "old": self.old.hex(), "new": self.new.hex(),
                "strategy": self.strategy, "field": self.field}

    @classmethod
    def from_dict(cls, data):
        return cls(data["offset"], bytes.fromhex(data["old"]), bytes.fromhex(data["new"]),
                   data["strategy"], data.get("field", ""))


@dataclass
class Seed:
    """A seed image loaded once: its bytes, digest, format and map."""

    data: bytes
    sha256: str
    fs: str
    map: imagemap.ImageMap
    path: Optional[str] = None

    @classmethod
    def load(cls, source, fs=None):
        """``source``: a Seed (returned as it is), bytes, or a regular file's path."""
        if isinstance(source, cls):
            if fs and fs != source.fs:
                raise ConfigError(f"seed {source.path or source.sha256[:12]} is "
                                  f"{source.fs}, not {fs}")
            return source
        data, path = imagefile.load(source)
        image = imagemap.parse(data, fs)
        return cls(data, imagefile.sha256(data), image.fs, image, path)


@dataclass
class Case:
    """A mutated image: what was done to which seed, and the result.

    It holds the seed's bytes (shared, not copied) and the changed runs, so a case of a
    64 MiB seed costs kilobytes until its image is written or asked for.

    :param changes: (offset, bytes) runs where the image differs from the seed
    """

    seed_sha256: str
    rng_seed: int
    fs: str
    mutations: List[Mutation]
    seed_data: bytes = field(repr=False)
    changes: list = field(default_factory=list, repr=False)
    seed_path: Optional[str] = None

    @property
    def case_id(self):
        return f"{self.fs}-{self.seed_sha256[:12]}-{self.rng_seed}"

    @property
    def data(self):
        """The mutated image's bytes (made anew at each call: a copy of the seed)."""
        image = bytearray(self.seed_data)
        for offset, run in self.changes:
            image[offset:offset + len(run)] = run
        return bytes(image)

    def write(self, path):
        """Write the mutated image to the regular file ``path``."""
        return imagefile.write_regular(path, self.seed_data, self.changes)


class _Overlay:
    """The seed with the changes made so far laid over it, without copying the seed:
    reads and writes by index or slice, as on a bytearray."""

    def __init__(self, base):
        self.base = base
        self.patched = {}

    def __len__(self):
        return len(self.base)

    def __getitem__(self, index):
        if isinstance(index, int):
            return self.patched.get(index, self.base[index])
        start, stop, _ = index.indices(len(self.base))
        out = bytearray(self.base[start:stop])
        for at in range(start, stop) if self.patched else ():
            if at in self.patched:
                out[at - start] = self.patched[at]
        return bytes(out)

    def __setitem__(self, index, data):
        for at, value in enumerate(data, index.start):
            self.patched[at] = value


def _fs_name(fmt):
    if fmt is None or isinstance(fmt, str):
        return fmt
    return fmt.name


def mutate(seed, fmt=None, rng_seed=0, count=None, strategies=None, fields=None,
           keep_magic=KEEP_MAGIC, fix_checksums=True) -> Case:
    """Mutate ``seed`` reproducibly; returns the Case (mutations and mutated bytes).

    :param seed: a Seed, the image's bytes, or the path of a regular file
    :param fmt: "vexfs", "ext4", a ``layout.Format``, or None to detect from the magic
    :param rng_seed: with the seed's digest, decides everything
    :param count: mutations to apply (default: 1 to 4, drawn)
    :param strategies: a subset of STRATEGIES (default: all, weighted)
    :param fields: patterns over field paths (``superblock.*``, ``*.rec_len``; only
                   * and ? are wildcards) that boundary and field mutations are limited to;
                   giving them limits the default strategies to those two
    """
    seed = Seed.load(seed, _fs_name(fmt))
    rng = random.Random(f"{seed.sha256}:{rng_seed}")
    if strategies is None:
        strategies = ("boundary", "field") if fields else STRATEGIES
    unknown = set(strategies) - set(STRATEGIES)
    if unknown or not strategies:
        raise ConfigError(f"fuzz strategies {sorted(unknown) or 'none'}: expected some "
                          f"of {', '.join(STRATEGIES)}")
    mutator = _Mutator(rng, seed.map, _Overlay(seed.data), keep_magic, fields)
    wanted = count if count is not None else rng.choice(COUNTS)
    weights = [STRATEGY_WEIGHTS[name] for name in strategies]
    for _ in range(wanted):
        mutator.one(rng.choices(strategies, weights)[0])
    # A later mutation can put back what an earlier one changed; a case equal to its
    # seed would waste a guest run, so mutate on until something differs.
    for _ in range(TRIES):
        if mutator.changes():
            break
        mutator.one(rng.choices(strategies, weights)[0])
    if fix_checksums:
        mutator.fix_checksums()
    changes = mutator.changes()
    case = Case(seed.sha256, rng_seed, seed.fs, mutator.done, seed.data, changes,
                seed.path)
    LOG.debug("case %s: %s", case.case_id,
              "; ".join(f"{m.strategy} {m.field or m.offset}" for m in case.mutations))
    return case


def _field_patterns(fields):
    """One regex for field path patterns in which only * and ? are wildcards: the
    brackets of ``inode[1]`` are literal."""
    parts = ["".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                     for c in pattern) for pattern in fields or ()]
    return re.compile("|".join(f"(?:{p})" for p in parts) + r"\Z")


class _Mutator:
    """The strategies, sharing one generator, one map and one image overlay."""

    def __init__(self, rng, image, buf, keep_magic, fields):
        self.rng = rng
        self.map = image
        self.buf = buf
        self.keep_magic = keep_magic
        self.protected = image.protected
        self.done = []
        wanted = _field_patterns(fields)
        self.targets = [t for t in image.targets if not fields or wanted.match(t.path)]
        if not self.targets:
            raise ConfigError(f"fuzz fields {list(fields or [])} match no field of the "
                              f"{image.fs} seed")

    def changes(self):
        """The (offset, bytes) runs where the image now differs from the seed."""
        return delta.diff(self.buf.base, self.buf,
                          [(m.offset, len(m.new)) for m in self.done])

    def one(self, strategy):
        """Apply one mutation of ``strategy``; a few tries to find one that changes
        something."""
        for _ in range(TRIES):
            made = getattr(self, "_" + strategy)()
            if made and self._apply(strategy, *made):
                return

    def _apply(self, strategy, offset, new, target=None):
        new = bytes(new[:max(0, self.map.size - offset)])
        if target is None or target.field.kind != layout.MAGIC:
            new = self._restore_magic(offset, new)
        old = bytes(self.buf[offset:offset + len(new)])
        if not new or new == old:
            return False
        self.buf[offset:offset + len(new)] = new
        hit = target or self.map.target_at(offset)
        self.done.append(Mutation(offset, old, new, strategy, hit.path if hit else ""))
        return True

    def _restore_magic(self, offset, new):
        """Put the magic bytes that ``new`` would overwrite back, most of the time."""
        end = offset + len(new)
        overlapping = [(s, e) for s, e in self.protected if s < end and offset < e]
        if not overlapping or self.rng.random() >= self.keep_magic:
            return new
        out = bytearray(new)
        for start, stop in overlapping:
            for at in range(max(start, offset), min(stop, end)):
                out[at - offset] = self.buf[at]
        return bytes(out)

    def _weighted_area(self, items):
        areas = sorted({item.area for item in items})
        area = self.rng.choices(areas, [AREA_WEIGHTS.get(a, 1) for a in areas])[0]
        return [item for item in items if item.area == area]

    def _pick_target(self, integer):
        """A target by area weight, then (among the fields the module reads, most of the
        time) by kind weight; a magic field is put back in the hat most of the time."""
        pool = [t for t in self.targets if t.field.integer or not integer]
        if not pool:
            return None
        for _ in range(TRIES):
            candidates = self._weighted_area(pool)
            read = self.rng.random() >= UNREAD_SHARE
            candidates = [t for t in candidates if t.field.read == read] or candidates
            target = self.rng.choices(candidates, [self._weight(t) for t in candidates])[0]
            if target.field.kind != layout.MAGIC or self.rng.random() >= self.keep_magic:
                return target
        return target

    def _weight(self, target):
        weight = KIND_WEIGHTS.get(target.field.kind, 1)
        if target.field.kind == layout.BLOCK and not self._value(target):
            weight *= UNUSED_POINTER_FACTOR
        return weight

    def _value(self, target):
        return int.from_bytes(self.buf[target.offset:target.end], "little")

    def _set(self, target, values):
        """Mutation args setting integer ``target`` to one of ``values`` that fits it and
        differs from what it holds."""
        current = self._value(target)
        choices = sorted({v for v in values if 0 <= v <= target.field.max_value}
                         - {current})
        if not choices:
            return None
        value = self.rng.choice(choices)
        return target.offset, value.to_bytes(target.field.size, "little"), target

    def _bitflip(self):
        regions = self._weighted_area(self.map.regions)
        region = self.rng.choice(regions)
        offset = self.rng.randrange(region.start, region.end)
        mask = 0
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            mask |= 1 << self.rng.randrange(8)
        return offset, bytes([self.buf[offset] ^ mask])

    def _boundary(self):
        target = self._pick_target(integer=True)
        if target is None:
            return None
        top = target.field.max_value
        values = [0, 1, top, top - 1, top >> 1, (top >> 1) + 1]
        if target.field.kind in (layout.BLOCK, layout.COUNT, layout.SIZE, layout.INODE):
            blocks, size = self.map.blocks_count, self.map.size
            values += [blocks - 1, blocks, blocks + 1, size // self.map.block_size,
                       size // self.map.block_size + 1, size - 1, size]
        return self._set(target, values)

    def _field(self):
        target = self._pick_target(integer=False)
        if target is None:
            return None
        if target.field.integer:
            return self._set(target, self._field_values(target, self._value(target)))
        new = self._blob(target, bytes(self.buf[target.offset:target.end]))
        return target.offset, new, target

    def _field_values(self, target, current):
        kind, top = target.field.kind, target.field.max_value
        blocks, inodes = self.map.blocks_count, self.map.inodes_count
        bs, context = self.map.block_size, target.context
        if kind == layout.BLOCK:
            return [blocks, blocks + 1, blocks * 2, top, 0, target.offset // bs,
                    self.map.size // bs] + list(self.map.landmarks.values())
        if kind == layout.INODE:
            return [0, 1, 2, inodes, inodes + 1, top, current + 1,
                    context.get("ino", current)]
        if kind == layout.COUNT:
            return [0, 1, current - 1, current + 1, current * 2, blocks + 1, inodes + 1,
                    top]
        if kind == layout.SIZE:
            return [0, 1, bs - 1, bs + 1, current + 1, current * 2, self.map.size + bs,
                    (top >> 1) + 1, top]
        if kind == layout.LOG:
            return [0, 1, 2, 3, 6, 7, 16, 31, current + 1, top]
        if kind == layout.NAME_LEN:
            room = context.get("room", current)
            return [0, current + 1, room + 1, room + 4, top]
        if kind == layout.REC_LEN:
            header = 8
            return [0, 1, 4, header - 1, header, current | 1, current + 4,
                    bs - context.get("in_block", 0) + 4, bs, bs * 2, top]
        if kind == layout.MODE:
            return [(current & 0o7777) | kind_bits for kind_bits in FILE_TYPES] + [0]
        if kind == layout.FILE_TYPE:
            return list(range(9)) + [0xFF]
        if kind in (layout.FLAGS, layout.MAGIC):
            return [current ^ (1 << self.rng.randrange(8 * target.field.size))] + \
                ([0, top] if kind == layout.FLAGS else [])
        return [0, 1, 2, current + 1, (top >> 1) + 1, top]

    def _blob(self, target, old):
        """New bytes for a field that is a run of bytes (bitmap, name, uuid ...)."""
        rng = self.rng
        if target.field.kind == layout.BITMAP:
            return self._bitmap(old)
        if target.field.kind == layout.NAME:
            choice = rng.randrange(4)
            if choice == 0:
                return b"/" + old[1:]
            if choice == 1:
                middle = len(old) // 2
                return old[:middle] + b"\0" + old[middle + 1:]
            if choice == 2:
                return b"\xff" * len(old)
            return (b"." * len(old))[:len(old)]
        start = rng.randrange(len(old))
        length = min(len(old) - start, rng.choice((1, 2, 4, 8)))
        return old[:start] + bytes(rng.randrange(256) for _ in range(length)) + \
            old[start + length:]

    def _bitmap(self, old):
        """Clear a used bit (a block in use looks free), set a free one, or fill a byte."""
        rng = self.rng
        used = [i * 8 + bit for i, byte in enumerate(old) for bit in range(8)
                if byte >> bit & 1]
        out = bytearray(old)
        choice = rng.randrange(3)
        if choice == 0 and used:
            bit = rng.choice(used)
        elif choice == 1 or not used:
            bit = rng.randrange(len(old) * 8)
        else:
            at = rng.randrange(len(old))
            out[at] = 0x00 if out[at] else 0xFF
            return bytes(out)
        out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)

    def _splice(self):
        metadata = [r for r in self.map.regions if r.area != imagemap.DATA]
        dest = self.rng.choice(self._weighted_area(metadata or self.map.regions))
        length = self.rng.choice((16, 64, 256, dest.end - dest.start,
                                  self.map.block_size))
        source = self.rng.choice([r for r in self.map.regions if r != dest] or [dest])
        start = source.start - source.start % 16
        return dest.start, bytes(self.buf[start:start + length])

    def fix_checksums(self):
        for checksum in self.map.checksums:
            end = checksum.at + 4
            if any(m.offset < end and checksum.at < m.offset + len(m.new)
                   for m in self.done):
                continue
            if not any(m.offset < checksum.end and checksum.start < m.offset + len(m.new)
                       for m in self.done):
                continue
            value = crc32c.ext4(bytes(self.buf[checksum.start:checksum.end]))
            self._apply(FIXUP, checksum.at, value.to_bytes(4, "little"))

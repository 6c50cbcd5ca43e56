"""The mutator on real seed images: reproducible, aimed, and never near a device."""
import os
import subprocess
import sys

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import crc32c, imagefile, mutate
from fuzzseeds import ext4_seed, mkfs_vexfs, seed_path, vexfs_seed  # noqa: F401

RNG_SEEDS = range(100)


def _summary(case):
    """What was done and what changed: the image is the seed with ``changes`` over it."""
    return [m.to_dict() for m in case.mutations], repr(case.changes)


def test_same_seed_and_rng_seed_give_the_same_case(seed_path):
    from_path = [_summary(mutate.mutate(seed_path, None, n)) for n in range(20)]
    seed = mutate.Seed.load(seed_path)
    cases = [_summary(mutate.mutate(seed, seed.fs, n)) for n in RNG_SEEDS]
    assert cases[:20] == from_path
    assert [_summary(mutate.mutate(seed, seed.fs, n)) for n in RNG_SEEDS] == cases
    assert len({changes for _, changes in cases}) > len(cases) * 0.9


def test_a_case_is_the_same_in_another_interpreter(vexfs_seed):
    """No set or hash order leaks in: another process, another hash seed, same bytes."""
    code = ("import sys; from avocado_vexfs.fuzz import mutate, imagefile; "
            "print(imagefile.sha256(mutate.mutate(sys.argv[1], None, 7).data))")
    out = subprocess.run([sys.executable, "-c", code, vexfs_seed], capture_output=True,
                         text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED="12345",
                                  PYTHONPATH=os.pathsep.join(sys.path))).stdout.strip()
    assert out == imagefile.sha256(mutate.mutate(vexfs_seed, None, 7).data)


def test_one_to_four_mutations_and_only_their_bytes_change(seed_path):
    seed = mutate.Seed.load(seed_path)
    counts = set()
    for number in RNG_SEEDS:
        case = mutate.mutate(seed, None, number)
        made = [m for m in case.mutations if m.strategy != mutate.FIXUP]
        counts.add(len(made))
        touched = set()
        for one in case.mutations:
            touched.update(range(one.offset, one.offset + len(one.new)))
        changed = {i for offset, run in case.changes for i, (a, b) in
                   enumerate(zip(run, seed.data[offset:offset + len(run)]), offset)
                   if a != b}
        assert changed <= touched
        assert all(offset + len(run) <= len(seed.data) for offset, run in case.changes)
    assert counts == {1, 2, 3, 4}


def test_a_case_always_differs_from_its_seed(seed_path):
    """Even when its mutations all hit one field and the last puts the first back."""
    seed = mutate.Seed.load(seed_path)
    for number in range(150):
        case = mutate.mutate(seed, None, number, fields=["superblock.s_inodes_count"],
                             fix_checksums=False)
        assert case.changes, case.mutations


@pytest.mark.parametrize("fs,path,offset", [
    ("vexfs", "superblock.s_blocks_count", 8),
    ("vexfs", "superblock.s_free_inodes", 20),
    ("vexfs", "inode[1].i_mode", 2 * 4096),
    ("vexfs", "inode[1].i_size", 2 * 4096 + 16),
    ("vexfs", "inode[1].i_block[0]", 2 * 4096 + 40),
    ("vexfs", "block66.dirent[0].rec_len", 66 * 4096 + 4),
    ("vexfs", "block66.dirent[1].inode", 66 * 4096 + 12),
    ("vexfs", "block66.dirent[1].name_len", 66 * 4096 + 12 + 6),
    ("vexfs", "block66.dirent[1].name", 66 * 4096 + 12 + 8),
    ("vexfs", "block_bitmap", 4096),
    ("ext4", "superblock.s_inodes_count", 1024),
    ("ext4", "superblock.s_log_block_size", 1024 + 0x18),
    ("ext4", "gd[0].bg_inode_table_lo", 2 * 1024 + 8),
    ("ext4", "inode[2].i_links_count", None),
    ("ext4", "inode[2].extent[0].ee_start_lo", None),
])
def test_field_mutations_hit_the_named_field(request, fs, path, offset):
    seed = mutate.Seed.load(request.getfixturevalue(f"{fs}_seed"))
    target = seed.map.target(path)
    if offset is not None:
        assert target.offset == offset
    for number in range(20):
        case = mutate.mutate(seed, fs, number, count=1, strategies=("field",),
                             fields=[path], keep_magic=1)
        made = [m for m in case.mutations if m.strategy != mutate.FIXUP]
        assert [(m.field, m.offset, len(m.new)) for m in made] == \
            [(path, target.offset, target.field.size)]
        assert made[0].new != made[0].old


def _values(seed, path, draws=200):
    """The values field mutations of ``path`` write. Seeds from a fresh mkfs differ
    (mkfs stamps the time), so enough draws that every choice shows up."""
    return {int.from_bytes(m.new, "little") for number in range(draws) for m in
            mutate.mutate(seed, None, number, count=1, strategies=("field",),
                          fields=[path]).mutations}


def test_name_lengths_zero_one_past_the_name_and_past_the_entry(vexfs_seed):
    seed = mutate.Seed.load(vexfs_seed)
    # "." has name_len 1 and 4 bytes of room for its name in a 12-byte entry
    assert seed.map.target("block66.dirent[0].name_len").context["room"] == 4
    assert _values(seed, "block66.dirent[0].name_len") == {0, 2, 5, 8, 255}


def test_record_lengths_shorter_than_the_header_and_past_the_block(vexfs_seed):
    values = _values(mutate.Seed.load(vexfs_seed), "block66.dirent[1].rec_len")
    assert {0, 1, 4, 7} <= values
    assert {4096 - 12 + 4, 4096 * 2, 0xFFFF} <= values


def test_block_pointers_go_past_the_end_to_themselves_and_to_the_superblock(vexfs_seed):
    seed = mutate.Seed.load(vexfs_seed)
    values = _values(seed, "inode[1].i_block[0]")
    # past the end (100 blocks), its own inode table block, the superblock, all-ones
    assert {100, 101, 2, 0, 0xFFFFFFFF} <= values


def test_the_magic_is_kept_valid_most_of_the_time(seed_path):
    seed = mutate.Seed.load(seed_path)
    magic_start, magic_end = seed.map.protected[0]
    broken = sum(mutate.mutate(seed, None, number, strategies=("bitflip", "splice"),
                               fields=None).data[magic_start:magic_end]
                 != seed.data[magic_start:magic_end] for number in range(200))
    assert broken <= 20
    forced = mutate.mutate(seed, None, 1, count=1, fields=["superblock.s_magic"],
                           keep_magic=0)
    assert forced.data[magic_start:magic_end] != seed.data[magic_start:magic_end]


def test_ext4_superblock_checksum_is_fixed_after_a_change(ext4_seed):
    seed = mutate.Seed.load(ext4_seed)
    checksum, = seed.map.checksums
    fixed = 0
    for number in range(30):
        case = mutate.mutate(seed, None, number, fields=["superblock.s_*"])
        hit_checksum = any(m.field == "superblock.s_checksum" for m in case.mutations
                           if m.strategy != mutate.FIXUP)
        stored = int.from_bytes(case.data[checksum.at:checksum.at + 4], "little")
        if not hit_checksum:
            assert crc32c.ext4(case.data[checksum.start:checksum.end]) == stored
            fixed += any(m.strategy == mutate.FIXUP for m in case.mutations)
    assert fixed > 20
    unfixed = mutate.mutate(seed, None, 3, count=1, fields=["superblock.s_inodes_count"],
                            fix_checksums=False)
    assert crc32c.ext4(unfixed.data[checksum.start:checksum.end]) != int.from_bytes(
        unfixed.data[checksum.at:checksum.at + 4], "little")


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    return str(tmp_path / "fifo")


def _link_to_dev_null(tmp_path):
    os.symlink("/dev/null", tmp_path / "link.img")
    return str(tmp_path / "link.img")


@pytest.mark.parametrize("make_path,message", [
    (lambda tmp: "/dev/null", "under /dev"),
    (lambda tmp: "/dev/sda", "under /dev"),
    (_link_to_dev_null, "under /dev"),
    (lambda tmp: str(tmp), "not a regular file"),
    (_fifo, "not a regular file"),
    (lambda tmp: str(tmp / "missing.img"), "cannot be read"),
])
def test_only_regular_files_are_read_or_written(tmp_path, make_path, message):
    path = make_path(tmp_path)
    with pytest.raises(ConfigError, match=message):
        mutate.mutate(path, None, 1)
    if message != "cannot be read":
        with pytest.raises(ConfigError, match=message):
            imagefile.write_regular(path, b"garbage")


def test_a_case_is_written_to_a_regular_file(vexfs_seed, tmp_path):
    case = mutate.mutate(vexfs_seed, "vexfs", 5)
    out = case.write(str(tmp_path / "case.img"))
    with open(out, "rb") as image:
        assert image.read() == case.data
    assert case.case_id == f"vexfs-{case.seed_sha256[:12]}-5"
    assert case.seed_path == vexfs_seed


@pytest.mark.parametrize("kwargs,message", [
    ({"strategies": ("bitflip", "nuke")}, "expected some of bitflip"),
    ({"strategies": ()}, "expected some of bitflip"),
    ({"fields": ["inode[99].*"]}, "match no field"),
    ({"fmt": "ext4"}, "not ext4"),
])
def test_bad_arguments_are_one_line_errors(vexfs_seed, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        mutate.mutate(vexfs_seed, rng_seed=1, **kwargs)

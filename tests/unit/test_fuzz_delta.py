"""A case as a delta from its seed: small, exact, and refused on any other seed."""
import json

import pytest

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import delta, imagefile, mutate
from fuzzseeds import ext4_seed, mkfs_vexfs, seed_path, vexfs_seed  # noqa: F401


def test_a_delta_remakes_the_image_byte_for_byte(seed_path, tmp_path):
    seed = mutate.Seed.load(seed_path)
    for number in range(30):
        case = mutate.mutate(seed, None, number)
        path = delta.save(delta.from_case(case), str(tmp_path / f"{number}.json"))
        document = delta.load(path)
        assert delta.apply(document, seed_path if number < 3 else seed.data) == case.data
        assert sum(len(run) for _, run in case.changes) <= \
            sum(len(m.new) + delta.MERGE_GAP for m in case.mutations)
        assert document["case_id"] == case.case_id
        assert [mutate.Mutation.from_dict(m) for m in document["mutations"]] == \
            case.mutations


def test_a_delta_is_small(vexfs_seed, tmp_path):
    case = mutate.mutate(vexfs_seed, None, 3, strategies=("boundary", "field"))
    path = delta.save(delta.from_case(case), str(tmp_path / "case.json"))
    with open(path, "rb") as saved:
        assert len(saved.read()) < 2048
    with open(vexfs_seed, "rb") as seed:
        assert len(seed.read()) == 409600


def test_reproduce_writes_the_image_file(ext4_seed, tmp_path):
    case = mutate.mutate(ext4_seed, "ext4", 11)
    path = delta.save(delta.from_case(case), str(tmp_path / "case.json"))
    out = delta.reproduce(path, ext4_seed, str(tmp_path / "again.img"))
    with open(out, "rb") as image:
        assert image.read() == case.data


def test_a_delta_refuses_another_seed(vexfs_seed, ext4_seed, tmp_path):
    case = mutate.mutate(vexfs_seed, None, 1)
    path = delta.save(delta.from_case(case), str(tmp_path / "case.json"))
    with open(ext4_seed, "rb") as other:
        other_digest = imagefile.sha256(other.read())
    with pytest.raises(delta.SeedMismatchError) as refused:
        delta.reproduce(path, ext4_seed, str(tmp_path / "out.img"))
    message = str(refused.value)
    assert "\n" not in message
    assert case.seed_sha256 in message and other_digest in message
    assert ext4_seed in message
    assert not (tmp_path / "out.img").exists()


def test_a_delta_refuses_a_seed_of_another_size(tmp_path):
    seed = b"\x01" * 64
    document = delta.make(imagefile.sha256(seed), 32, [(0, b"\x02")])
    with pytest.raises(delta.SeedMismatchError, match="expects a seed of 32 bytes"):
        delta.apply(document, seed)


@pytest.mark.parametrize("content,message", [
    ("not json", "cannot be read"),
    (json.dumps({"format": 99}), "not a format 1 delta"),
    (json.dumps([1, 2]), "not a format 1 delta"),
])
def test_a_broken_delta_file_is_one_line(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(ConfigError, match=message):
        delta.load(str(tmp_path / "bad.json"))


@pytest.mark.parametrize("seed,image,spans,runs", [
    (b"aaaaaaaa", b"aaaaaaaa", None, []),
    (b"aaaaaaaa", b"abaaaaab", None, [(1, b"baaaaab")]),  # 5 equal bytes merged
    (b"a" * 40, b"b" + b"a" * 38 + b"b", None, [(0, b"b"), (39, b"b")]),
    (b"a" * 40, b"b" + b"a" * 38 + b"b", [(30, 10), (0, 4), (2, 2)],
     [(0, b"b"), (39, b"b")]),
])
def test_diff_runs(seed, image, spans, runs):
    assert delta.diff(seed, image, spans) == runs


def test_diff_refuses_images_of_other_sizes():
    with pytest.raises(ConfigError, match="expected the same size"):
        delta.diff(b"aa", b"aaa")

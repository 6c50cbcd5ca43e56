"""Checksum maps: parsing sha256sum output and naming every difference."""
from avocado_vexfs.checks import datacheck

A = "a" * 64
B = "b" * 64


def test_parse_sums_strips_dot_slash_and_noise():
    text = f"{A}  ./file000_4k\n{B}  file001_40k\nsha256sum: x: No such file\n"
    assert datacheck._parse_sums(text) == {"file000_4k": A, "file001_40k": B}


def test_compare_names_missing_extra_and_changed():
    problems = datacheck.compare({"x": A, "y": A, "z": A}, {"x": A, "y": B, "w": A})
    assert problems == ["w: unexpected file", "y: checksum bbbbbbbbbbbb != aaaaaaaaaaaa",
                        "z: missing"]


def test_compare_equal_is_empty():
    assert datacheck.compare({"x": A}, {"x": A}) == []

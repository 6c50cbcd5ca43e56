"""fstests selection: the cfg written per selection, and the runtimes that order it."""
from avocado_vexfs.fstests import runtimes, selection
from avocado_vexfs.vt import cartesian


def test_written_cfg_has_one_variant_per_test_in_order(tmp_path):
    path = selection.write(["generic/013", "ext4/001", "generic/002"], "ext4", "quick",
                           output=str(tmp_path / "sel.cfg"))
    variants = cartesian.variants(path)
    assert [(v["shortname"], v["fstests_test"]) for v in variants] == [
        ("ext4.linux_6_12.fstests.generic_013", "generic/013"),
        ("ext4.linux_6_12.fstests.ext4_001", "ext4/001"),
        ("ext4.linux_6_12.fstests.generic_002", "generic/002")]
    assert {v["type"] for v in variants} == {"fstests"}


def test_runtimes_keep_the_latest_time_per_test(tmp_path):
    cache = str(tmp_path)
    assert runtimes.load("vexfs", cache) == {}
    runtimes.record("vexfs", "generic/001", 226.4, cache)
    runtimes.record("vexfs", "generic/002", 3, cache)
    runtimes.record("vexfs", "generic/001", 200, cache)
    assert runtimes.load("vexfs", cache) == {"generic/001": 200.0, "generic/002": 3.0}
    assert runtimes.load("ext4", cache) == {}

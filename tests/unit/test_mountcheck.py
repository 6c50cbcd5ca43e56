import pytest

from avocado_vexfs.checks import mountcheck
from avocado_vexfs.errors import ConfigError

MB512 = 512 << 20
GOOD = {"type": 0xef53, "bsize": 4096, "blocks": 126632, "bfree": 122000,
        "bavail": 115000, "files": 32768, "ffree": 32757}


@pytest.mark.parametrize("change, problem", [
    ({}, None),
    ({"type": 0x56455846}, "f_type 0x56455846: expected 0xef53"),
    ({"blocks": 1000, "bfree": 900, "bavail": 800}, "expected 50%-100% of it"),
    ({"blocks": 200000}, "expected 50%-100% of it"),
    ({"bavail": 123000}, "bavail 123000 <= bfree 122000"),
    ({"files": 0, "ffree": 0}, "files > 0"),
    ({"ffree": 40000}, "ffree 40000 of files 32768"),
])
def test_statfs_problems(change, problem):
    found = mountcheck.statfs_problems(dict(GOOD, **change), MB512, 0xef53, 0.5)
    assert found == [] if problem is None else len(found) == 1 and problem in found[0]


def test_unknown_check_names_the_bad_value():
    with pytest.raises(ConfigError, match="mkfs_mount_checks: mkfs_twice: expected"):
        mountcheck.checks_for({"mkfs_mount_checks": "label mkfs_twice"})


def test_default_runs_every_check_in_table_order():
    assert [name for name, _ in mountcheck.checks_for({})] == list(mountcheck.CHECKS)

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


class _Mounted:
    """A guest whose findmnt and stat -f answer for one mount."""

    def __init__(self, options, bsize):
        self.options, self.bsize = options, bsize

    def cmd(self, command):
        if command.startswith("findmnt"):
            return self.options + "\n"
        return f"ef53 {self.bsize} 126632 122000 115000 32768 32757\n"


def test_an_option_the_mount_does_not_show_is_a_problem():
    guest = _Mounted("rw,noatime,data=journal", 1024)
    assert mountcheck.options_problems(guest, "/mnt/test", "noatime,data=journal") == []
    assert mountcheck.options_problems(guest, "/mnt/test", "") == []
    assert mountcheck.options_problems(guest, "/mnt/test", "nodelalloc,noatime") == [
        "options: nodelalloc asked for, the mount shows rw,noatime,data=journal"]


def test_the_block_size_is_checked_only_when_one_was_asked_for():
    guest = _Mounted("rw", 4096)
    assert mountcheck.block_size_problems(guest, "/mnt/test", 0) == []
    assert mountcheck.block_size_problems(guest, "/mnt/test", 4096) == []
    assert mountcheck.block_size_problems(guest, "/mnt/test", 1024) == [
        "block_size: f_bsize 4096, mkfs was asked for 1024"]

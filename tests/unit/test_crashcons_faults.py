"""Fault-injection verdicts (avocado_vexfs.checks.faults.judge) on what a guest answered.

The rows are shaped like real runs: ext4 and upstream VexFS under dm-flakey and
scsi_debug on a 6.12 guest.
"""
import pytest

from avocado_vexfs.checks import faults


def _run(fault, attempts, files, mount="ok", new_write="ok"):
    run = faults.FaultRun(fault, "/dev/mapper/avx-fault")
    run.file_size = 16384
    run.attempts = attempts
    run.after = {"umount": "ok", "mount": mount, "new write": new_write, "files": files}
    return run


def _attempt(number, write="ok", fsync="ok", read="ok:40960"):
    return {"name": f"fault{number:03d}", "write": write, "fsync": fsync,
            "read_old": read}


GOOD = {"fault001": [16384, [2]], "fault002": [16384, [3]]}


@pytest.mark.parametrize("fault, attempts, files, mount, problem", [
    ("error_writes", [_attempt(1, fsync="EIO"), _attempt(2, fsync="EIO")], {}, "ok", None),
    ("error_io", [_attempt(1, fsync="EIO", read="EIO"), _attempt(2, fsync="EROFS")], {},
     "ok", None),
    ("drop_writes", [_attempt(1), _attempt(2)], {}, "ok", None),
    ("medium_error", [_attempt(1, read="EIO"), _attempt(2, read="EIO")], GOOD, "ok", None),
    ("error_writes", [_attempt(1), _attempt(2)], GOOD, "ok",
     "every write and fsync succeeded while every write to the disk failed"),
    ("error_writes", [_attempt(1, fsync="EIO"), _attempt(2)], {"fault002": [16384, [0]]},
     "ok", "fault002 fsync returned success during the fault but after it the file is "
           "[16384, [0]]"),
    ("medium_error", [_attempt(1, read="EIO"), _attempt(2, write="ENOSPC", fsync=None)],
     {"fault001": [16384, [2]]}, "ok", "fault002: {'write': 'ENOSPC'} (expected EIO)"),
    ("error_io", [_attempt(1, read="ok:4096", fsync="EIO")], {}, "ok",
     "reading the old file gave 4096 bytes of 40960 without an error"),
    ("error_writes", [_attempt(1, fsync="EIO")], {}, "exit 32: wrong fs type",
     "mount after the fault: exit 32: wrong fs type"),
])
def test_judge(fault, attempts, files, mount, problem):
    if attempts[-1].get("fsync") is None:
        del attempts[-1]["fsync"]
    problems = faults.judge(_run(fault, attempts, files, mount), old_size=40960)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_summary_counts_answers():
    run = _run("error_writes", [_attempt(1, fsync="EIO"), _attempt(2)], GOOD)
    text = run.summary()
    assert "2 attempts (fsync EIO x1, fsync ok x1, read_old ok x2, write ok x2)" in text
    assert "fsynced files intact 1 of 1" in text


def test_unknown_fault_is_one_line():
    with pytest.raises(faults.ConfigError, match="fault_kind = 'melt': expected one of"):
        faults.run_fault(None, None, "melt", {})


def test_flakey_tables():
    assert faults.flakey_table("/dev/vdb", 100, "error_writes") == \
        "0 100 flakey /dev/vdb 0 0 3600 1 error_writes"
    assert faults.flakey_table("/dev/vdb", 100, "error_io") == "0 100 flakey /dev/vdb 0 0 3600"

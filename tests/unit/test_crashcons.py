"""Crash-consistency explorer: workload format and generator, model, checker, log parser.

The log and the guest's answer in tests/data/crashcons/ are real: captured from a 6.12
guest running tests/data/crashcons/w1.txt on ext4 under dm-log-writes.
"""
import copy
import io
import json
import lzma
import os

import pytest

from avocado_vexfs.checks.guest import crashcons as guest_side
from avocado_vexfs.crashcons import check, explorer, model, workload
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import fs

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "crashcons")


def _read(name, mode="r"):
    with open(os.path.join(DATA, name), mode) as handle:  # pylint: disable=unspecified-encoding
        return handle.read()


@pytest.fixture(name="log")
def _log():
    return io.BytesIO(lzma.decompress(_read("w1-ext4.log.xz", "rb")))


@pytest.fixture(name="w1")
def _w1():
    return workload.parse(_read("w1.txt")), json.loads(_read("w1-ext4.result.json"))


@pytest.mark.parametrize("text, message", [
    ("frobnicate A", "unknown operation 'frobnicate'"),
    ("write A/foo 0 10", "write takes 4 arguments"),
    ("sync now", "sync takes 0 arguments"),
])
def test_bad_workload_line_names_line(text, message):
    with pytest.raises(ConfigError, match=message) as err:
        workload.parse("mkdir A\n" + text, source="w.txt")
    assert "w.txt:2" in str(err.value)


@pytest.mark.parametrize("params, message", [
    ({"crashcons_ops": "create explode"}, "unknown operation 'explode'"),
    ({"crashcons_persist": "fsync msync"}, "unknown persistence call 'msync'"),
    ({"crashcons_seq_len": "0"}, "crashcons_seq_len = 0"),
    ({"crashcons_samples": "0"}, "crashcons_samples = 0"),
    ({"crashcons_write_sizes": "0"}, "at least one"),
    ({"crashcons_seq_len": "4"}, "expected 1, 2 or 3"),
])
def test_bad_bounds(params, message):
    with pytest.raises(ConfigError, match=message):
        workload.Bounds.from_params(params)


def test_seq1_is_exhaustive_and_every_workload_parses_and_ends_persisted():
    workloads = workload.generate(workload.Bounds())
    assert len(workloads) == 95
    assert len({text for _, text in workloads}) == len(workloads)
    ops = set()
    for name, text in workloads:
        lines = workload.parse(text, source=name)
        assert lines[-1].op in workload.PERSIST
        ops.add(lines[-2].op)
    assert ops == set(workload.OPS)


def test_bounds_shrink_the_set():
    small = workload.generate(workload.Bounds(ops=["create"], persist=["fsync"]))
    assert [t.splitlines()[-2:] for _, t in small] == [
        ["create A/bar", "fsync A/bar"], ["create B/foo", "fsync B/foo"],
        ["create B/bar", "fsync B/bar"]]


def test_sampling_is_seeded():
    first = workload.generate(workload.Bounds(seq_len=2, samples=5, seed=7))
    again = workload.generate(workload.Bounds(seq_len=2, samples=5, seed=7))
    other = workload.generate(workload.Bounds(seq_len=3, samples=5, seed=8))
    assert first == again and len(first) == 5
    assert [t for _, t in first] != [t for _, t in other]
    assert all(n.startswith("seq2-s7-") for n, _ in first)


def test_limit_spreads_over_the_set():
    names = [n for n, _ in workload.generate(workload.Bounds(limit=6))]
    assert len(names) == 6 and names[0] == "seq1-001" and names[-1] > "seq1-070"


def test_model_facts_per_mark(w1):
    lines, result = w1
    marks = model.expectations(lines, result["lines"])
    assert [m.mark for m in marks] == ["L6", "L9", "L11"]
    by_path = {f.path: f for f in marks[1].facts if f.kind == "file"}
    assert by_path["A/foo"].want == {"size": 12288, "runs": [[115, 8192], [98, 4096]],
                                     "nlink": 1}
    assert by_path["A/foo"].origin == "fsync A/foo (L9)"
    dirs = {f.path: f.want["entries"] for f in marks[2].facts if f.kind == "dir"}
    assert dirs["B"] == {"bar": "file"}


def test_touched_facts_are_dropped():
    lines = workload.parse("mkdir A\ncreate A/f\nsync\nappend A/f 10 x\ncreate A/g\n"
                           "fsync A/g\n")
    marks = model.expectations(lines, {l.number: "ok" for l in lines})
    paths = {(f.kind, f.path) for f in marks[-1].facts}
    assert ("file", "A/f") not in paths and ("dir", "A") not in paths
    assert ("file", "A/g") in paths


def test_failed_ops_promise_nothing():
    lines = workload.parse("mkdir A\ncreate A/f\nsync\nlink A/f A/g\nfsync A/g\n")
    results = {1: "ok", 2: "ok", 3: "ok", 4: "EPERM", 5: "ENOENT"}
    facts = model.expectations(lines, results)[-1].facts
    assert "A/g" not in {f.path for f in facts}


def test_real_ext4_result_is_clean(w1):
    lines, result = w1
    assert check.check("w1", lines, result) == []


def test_lost_entry_and_content_are_flagged_and_grouped(w1):
    lines, result = w1
    broken = copy.deepcopy(result)
    del broken["marks"][2]["tree"]["B/bar"]
    broken["marks"][1]["tree"]["A/foo"].update(size=8192, runs=[[115, 8192]])
    failures = check.check("w1", lines, broken)
    text = "\n".join(map(str, failures))
    assert "w1 at L11 (fsync B): directory entry missing: expected B {bar:file}, " \
           "found {}" in text
    assert ("w1 at L9 (fsync A/foo): file size differs: expected A/foo 12288 B: "
            "8192 x 's' + 4096 x 'b', nlink 1, found 8192 B: 8192 x 's', nlink 1") in text
    groups = check.group(failures)
    assert {k: len(v) for k, v in groups.items()} == {
        "file size differs (promised by fsync)": 1,
        "directory entry missing (promised by fsync)": 1}
    assert check.report(failures)[0] == ("[1] file size differs (promised by fsync) "
                                         "(1 workloads; shapes: append+fsync+create+"
                                         "fsync_dir)")


def test_mount_failure_and_fsck_and_run_error(w1):
    lines, result = w1
    broken = copy.deepcopy(result)
    broken["marks"][0].update(mount_error="wrong fs type", tree={})
    broken["marks"][1]["fsck"] = {"status": 4, "output": "Inode 12 ref count is 2"}
    problems = [f.problem for f in check.check("w1", lines, broken)]
    assert problems == ["mount failed", "fsck found errors"]
    assert [f.problem for f in check.check("w1", lines, {"error": "dm gone"})] == \
        ["run error"]


def test_fdatasync_does_not_promise_the_name():
    lines = workload.parse("mkdir A\ncreate A/f\nsync\nlink A/f A/g\nfdatasync A/g\n")
    result = {"lines": {str(l.number): "ok" for l in lines},
              "marks": [{"mark": m, "mount_error": None, "errors": [], "fsck": None,
                         "tree": {"A": {"type": "dir"}, "A/f": {
                             "type": "file", "size": 0, "runs": [], "nlink": 1}}}
                        for m in ("L3", "L5")]}
    assert check.check("x", lines, result) == []


def test_real_log_parses(log, w1):
    sectorsize, entries = guest_side.read_log(log)
    assert sectorsize == 512
    assert len(entries) == w1[1]["log_entries"]
    assert guest_side.marks(entries) == ["L6", "L9", "L11", "dm-log-writes-end"]
    assert any(e["flags"] & guest_side.FLUSH for e in entries)


def _replayed(log, mark):
    sectorsize, entries = guest_side.read_log(log)
    stop = next(e["index"] for e in entries if e.get("mark") == mark)
    written = {}
    for entry in entries[:stop]:
        if entry["nr_sectors"] and not entry["flags"] & guest_side.DISCARD:
            log.seek(entry["data_offset"])
            written[entry["sector"]] = log.read(entry["nr_sectors"] * sectorsize)
    return written


def test_replay_up_to_a_mark_has_only_what_came_before(log):
    appended = b"b" * 4096
    before = b"".join(_replayed(log, "L6").values())
    after = b"".join(_replayed(log, "L9").values())
    assert b"s" * 8192 in before and appended not in before
    assert appended in after


def test_replay_until_writes_the_target(log, tmp_path):
    target = tmp_path / "disk.img"
    target.write_bytes(bytes(32 << 20))
    with open(target, "r+b") as handle:
        guest_side.replay_until(log, handle, "L9")
    assert b"b" * 4096 in target.read_bytes()
    with open(target, "r+b") as handle, pytest.raises(guest_side.LogError, match="L99"):
        guest_side.replay_until(log, handle, "L99")


def test_not_a_log():
    with pytest.raises(guest_side.LogError, match="not a log-writes log"):
        guest_side.read_log(io.BytesIO(bytes(4096)))


def test_no_flush_by_a_mark_is_its_own_failure(w1):
    lines, result = w1
    broken = copy.deepcopy(result)
    broken["marks"][0]["log"] = {"writes": 0, "flushes": 0, "disk_sectors": 96}
    broken["marks"][0]["tree"] = {}
    failures = check.check("w1", lines, broken)
    assert [str(f) for f in failures] == [
        "w1 at L6 (sync): no cache flush reached the disk: expected a FLUSH or FUA write "
        "by this mark, found 96 sectors written to the disk, none flushed; 4 of 4 "
        "promised facts lost"]
    assert failures[0].signature == "no cache flush reached the disk"


class _Disks:  # only what Options reads: the scratch disk names
    scratch = ["/dev/vdb", "/dev/vdc", "/dev/vdd"]


@pytest.mark.parametrize("params, message", [
    ({"scratch_disks_mb": "32 4 32"}, "log (>= 8 MB)"),
    ({"scratch_disks_mb": "32 16 16"}, "replay (>= data)"),
    ({"scratch_disks_mb": "32 16 32", "crashcons_control": "melt"},
     "crashcons_control = 'melt': expected none or drop_writes"),
])
def test_bad_disks_or_control(params, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explorer.Options(_Disks(), fs.Ext4(), params)


def test_options_command():
    options = explorer.Options(_Disks(), fs.Ext4(mkfs_options="-F -q"),
                               {"scratch_disks_mb": "32 16 32",
                                "crashcons_fsck": "e2fsck -fn"})
    command = options.command("/opt/w.txt")
    assert command.startswith("python3 /opt/avocado-vexfs/crashcons/crashcons.py run "
                              "/opt/w.txt --data /dev/vdb --log /dev/vdc --replay /dev/vdd")
    assert "--mkfs 'mkfs.ext4 -F -q'" in command and "--fsck 'e2fsck -fn'" in command

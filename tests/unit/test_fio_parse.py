"""fio JSON parsing (avocado_vexfs/bench/fio.py) on real output from the guest."""
import json
import os

import pytest

from avocado_vexfs.bench import fio
from avocado_vexfs.bench.base import WorkloadError

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "fio")

# file -> {metric: value} expected from the real JSON (numbers read off the files)
PASSING = {
    "seq_write_64k.json": {"write_bw": 181067, "write_iops": 2829.183267},
    "rand_read_4k.json": {"read_bw": None, "read_clat_p99": None},
    "mixed_small_files.json": {"read_bw": None, "write_bw": None},
    "fsync_4k.json": {"write_bw": None, "fsync_lat_p99": 4882.432},
}
FAILING = {
    "error_bad_rw.out": r"fio job f printed no JSON: fio: failed parsing rw=nonsense",
    "error_enospc.out": r"fio job full failed with errno 28: fio: io_u error on file "
                        r"/mnt/test/full.0.0: No space left on device",
    "error_truncated_by_console.out": r"fio job f: unreadable JSON \(Expecting ',' "
                                      r"delimiter at line 214\)",
}


def read(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def test_every_data_file_is_in_a_table():
    assert sorted(os.listdir(DATA)) == sorted(list(PASSING) + list(FAILING) + ["README.md"])


@pytest.mark.parametrize("name", sorted(PASSING))
def test_passing_runs(name):
    found = {m.metric: m for m in fio.parse(read(name), "f")}
    for metric, value in PASSING[name].items():
        assert metric in found, sorted(found)
        if value is not None:
            assert found[metric].value == pytest.approx(value)
    for metric in found.values():
        assert metric.value > 0
        assert metric.higher_is_better == metric.metric.endswith(("_bw", "_iops"))
    assert "trim_bw" not in found  # directions without I/O give no metric


def test_directions_match_the_job():
    metrics = {m.metric for m in fio.parse(read("seq_write_64k.json"))}
    assert not any(m.startswith("read_") for m in metrics)
    metrics = {m.metric for m in fio.parse(read("mixed_small_files.json"))}
    assert {"read_bw", "write_bw", "read_iops", "write_iops"} <= metrics


def test_warnings_before_the_json_are_skipped():
    text = "fio: some warning\n" + read("rand_read_4k.json")
    assert fio.parse(text)


@pytest.mark.parametrize("name", sorted(FAILING))
def test_failing_runs_are_one_line(name):
    with pytest.raises(WorkloadError, match=FAILING[name]) as err:
        fio.parse(read(name), "f")
    assert "\n" not in str(err.value)


def test_json_without_jobs_or_io():
    with pytest.raises(WorkloadError, match="has no jobs"):
        fio.parse(json.dumps({"jobs": []}))
    job = json.loads(read("seq_write_64k.json"))
    job["jobs"][0]["write"]["total_ios"] = 0
    with pytest.raises(WorkloadError, match="did no I/O"):
        fio.parse(json.dumps(job, indent=1))


@pytest.mark.parametrize("text, message", [
    ("bs=4k", r"has no rw=: expected one of"),
    ("rw=write bs=", r"'bs=': expected fio option=value words"),
])
def test_bad_options(text, message):
    with pytest.raises(WorkloadError, match=message):
        fio.parse_options(text)


def test_command_and_file_size():
    options = fio.parse_options("rw=write bs=4k nrfiles=16 filesize=40k time_based")
    line = fio.command("small write", "/mnt/test", options)
    assert "--fallocate=none" in line and "--time_based" in line
    assert "--output-format=json" in line and "--name='small write'" in line
    assert fio.file_kb(options) == 40
    assert fio.file_kb({"size": "16m"}) == 16384
    assert fio.file_kb({"size": "1m", "nrfiles": "4"}) == 256
    assert fio.file_kb({"size": "4096"}) == 4

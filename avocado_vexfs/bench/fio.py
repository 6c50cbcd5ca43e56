"""fio in the guest: build the command line from cfg options, parse --output-format=json.

Options come from cfg as ``key=value`` words (fio's own option names), so a workload is
data, not code. ``fallocate=none`` is always set: fallocate oopses upstream VexFS, and
both filesystems must run the same job for their ratio to mean anything.
"""
import json
import shlex

from avocado_vexfs.bench.base import Measurement, WorkloadError, read_guest_file

# Always passed, on every filesystem, unless the cfg names the same option.
DEFAULTS = {"ioengine": "psync", "fallocate": "none", "group_reporting": "1"}
DIRECTIONS = ("read", "write", "trim")


def parse_options(text, where="fio options"):
    """{option: value} from ``"rw=write bs=64k end_fsync=1"``; a bare word is a flag."""
    options = {}
    for word in shlex.split(text or ""):
        key, sep, value = word.partition("=")
        key = key.lstrip("-")
        if not key or (sep and not value):
            raise WorkloadError(f"{where}: {word!r}: expected fio option=value words "
                                f"such as rw=write bs=64k")
        options[key] = value if sep else None
    if "rw" not in options:
        raise WorkloadError(f"{where}: {text!r} has no rw=: expected one of read, write, "
                            f"randread, randwrite, rw, randrw")
    return options


def command(name, directory, options):
    """The fio command line for a job writing its files in ``directory``."""
    merged = dict(DEFAULTS, **options)
    words = [f"--{key}" if value is None else f"--{key}={value}"
             for key, value in sorted(merged.items())]
    return " ".join(["fio", f"--name={shlex.quote(name)}",
                     f"--directory={shlex.quote(directory)}", "--output-format=json"]
                    + [shlex.quote(w) for w in words])


def size_kb(value):
    """fio's size strings (40k, 16m, 1g, 4096) in KiB; fio reads a bare number as bytes."""
    text = str(value).strip().lower().rstrip("ib")
    units = {"k": 1, "m": 1024, "g": 1024 ** 2, "t": 1024 ** 3}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text) / 1024.0


def file_kb(options):
    """The size of one file the job writes (filesize, else size over nrfiles), in KiB."""
    if options.get("filesize"):
        return max(size_kb(part) for part in options["filesize"].split("-"))
    if options.get("size"):
        return size_kb(options["size"]) / int(options.get("nrfiles") or 1)
    return None


def _json_text(output):
    """fio prints warnings (stderr) before its JSON; the JSON starts at a line "{"."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("{"):
            return "\n".join(lines[index:]), "\n".join(lines[:index]).strip()
    return None, output.strip()


def parse(output, name="fio"):
    """Measurements of one fio run from its JSON output (stdout and stderr together).

    Raises WorkloadError with fio's own first error line when the run failed: no JSON,
    truncated JSON, or a job with a non-zero error code (ENOSPC, EFBIG, EIO...).
    """
    text, before = _json_text(output)
    first_error = next((l.strip() for l in before.splitlines()
                        if "error" in l.lower() or l.startswith("fio:")),
                       before.splitlines()[-1].strip() if before else "no output")
    if text is None:
        raise WorkloadError(f"fio job {name} printed no JSON: {first_error}")
    try:
        report = json.loads(text)
    except json.JSONDecodeError as err:
        raise WorkloadError(f"fio job {name}: unreadable JSON ({err.msg} at line "
                            f"{err.lineno}): {first_error}") from err
    jobs = report.get("jobs") or []
    if not jobs:
        raise WorkloadError(f"fio job {name}: JSON has no jobs")
    measurements = []
    for job in jobs:
        if job.get("error"):
            raise WorkloadError(f"fio job {job.get('jobname', name)} failed with errno "
                                f"{job['error']}: {first_error}")
        measurements += _job_measurements(job)
    if not measurements:
        raise WorkloadError(f"fio job {name} did no I/O (every direction has 0 ios)")
    return measurements


def _job_measurements(job):
    found = []
    for direction in DIRECTIONS:
        stats = job.get(direction) or {}
        if not stats.get("total_ios"):
            continue
        found.append(Measurement(f"{direction}_bw", stats["bw"], "KiB/s", True))
        found.append(Measurement(f"{direction}_iops", stats["iops"], "IO/s", True))
        percentiles = (stats.get("clat_ns") or {}).get("percentile") or {}
        if "99.000000" in percentiles:
            found.append(Measurement(f"{direction}_clat_p99", percentiles["99.000000"]
                                     / 1000.0, "us", False))
    sync = job.get("sync") or {}
    percentiles = (sync.get("lat_ns") or {}).get("percentile") or {}
    if sync.get("total_ios") and "99.000000" in percentiles:
        found.append(Measurement("fsync_lat_p99", percentiles["99.000000"] / 1000.0, "us",
                                 False))
    return found


GUEST_JSON = "/tmp/avx-fio.json"


def run(guest, name, directory, options, timeout=600):
    """Run one fio job in the guest; its Measurements.

    The JSON goes to a file (fetched with a checksum) and stderr to the console, so
    fio's warnings never interleave with its JSON.
    """
    _status, errors = guest.status_output(
        f"rm -f {GUEST_JSON}; {command(name, directory, options)} "
        f"--output={GUEST_JSON} 2>&1 >/dev/null", timeout=timeout)
    present, _ = guest.status_output(f"test -s {GUEST_JSON}")
    if present != 0:
        return parse(errors, name)  # no JSON: raises with fio's own error line
    return parse(errors.strip() + "\n" + read_guest_file(guest, GUEST_JSON), name)

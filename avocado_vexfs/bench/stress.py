"""Stressors in the guest: stress-ng, dbench and N writers on one directory.

Each run returns Measurements (bogo ops/s, MB/s) and raises WorkloadError with the
tool's own failure line when it reports one. What must still be true after a stressor
(no crash, data intact, no leaked space) is checked by the caller: the crash detector
watches the console, datacheck the files, space_used_kb the space.
"""
import re
import shlex

from avocado_vexfs.bench.base import Measurement, WorkloadError, require_tool

# stress-ng --metrics-brief: "stress-ng: info:  [123] hdd  4567  20.01  0.31  5.12  228.21  835.31"
_STRESS_NG_METRIC = re.compile(
    r"stress-ng: (?:info|metrc):\s+\[\d+\]\s+(?P<name>[a-z0-9-]+)\s+(?P<ops>\d+)\s+"
    r"(?P<real>[\d.]+)\s+[\d.]+\s+[\d.]+\s+(?P<rate>[\d.]+)")
_STRESS_NG_FAIL = re.compile(r"stress-ng: (?:fail|error):.*|.*\bFAILED\b.*")
_DBENCH = re.compile(r"Throughput\s+(?P<mbs>[\d.]+)\s+MB/sec")
# Debian's dbench looks for its load file in the current directory unless told.
DBENCH_LOADFILE = "/usr/share/dbench/client.txt"


def stress_ng_command(args, directory, seconds):
    return (f"stress-ng {args} --timeout {int(seconds)}s --temp-path {shlex.quote(directory)} "
            f"--metrics-brief")


def parse_stress_ng(status, output):
    """Measurements of stress-ng's metrics lines; WorkloadError on a failed stressor."""
    failures = [m.group(0).strip() for m in map(_STRESS_NG_FAIL.match, output.splitlines())
                if m]
    if status != 0 or failures:
        line = failures[0] if failures else (output.strip().splitlines() or ["no output"])[-1]
        raise WorkloadError(f"stress-ng exited {status}: {line}")
    found = [Measurement(f"{m.group('name')}_bogo_ops", float(m.group("rate")), "ops/s", True)
             for m in map(_STRESS_NG_METRIC.search, output.splitlines()) if m]
    if not found:
        raise WorkloadError("stress-ng printed no metrics line: expected --metrics-brief "
                            "output such as 'stress-ng: info: [pid] hdd 4567 20.01 ...'")
    return found


def parse_dbench(status, output):
    """dbench's final throughput; WorkloadError when it failed or printed none."""
    match = None
    for match in _DBENCH.finditer(output):
        pass
    if status != 0 or match is None:
        tail = " | ".join(output.strip().splitlines()[-2:]) or "no output"
        raise WorkloadError(f"dbench exited {status}: {tail}")
    return [Measurement("dbench_throughput", float(match.group("mbs")), "MB/s", True)]


def writers_command(directory, writers, file_kb, seconds):
    """N shell loops creating, rewriting and deleting files in ONE directory."""
    loop = (f"end=$(($(date +%s)+{int(seconds)})); n=0; while [ $(date +%s) -lt $end ]; do "
            f"f={shlex.quote(directory)}/w${{w}}_$((n%8)); "
            f"head -c {int(file_kb) * 1024} /dev/urandom > $f.tmp && mv $f.tmp $f || exit 1; "
            f"[ $((n%3)) = 0 ] && rm -f $f; n=$((n+1)); done; echo W$w $n")
    return (f"for w in $(seq 1 {int(writers)}); do ( {loop} ) & done; wait; "
            f"rm -f {shlex.quote(directory)}/w*_*")


def parse_writers(status, output, writers, seconds):
    counts = [int(n) for n in re.findall(r"^W\d+ (\d+)$", output, re.MULTILINE)]
    if status != 0 or len(counts) != int(writers):
        tail = " | ".join(output.strip().splitlines()[-2:]) or "no output"
        raise WorkloadError(f"{writers} writers on one directory: {len(counts)} finished, "
                            f"exit {status}: {tail}")
    return [Measurement("writers_files", sum(counts) / float(seconds), "files/s", True)]


def run(guest, params, directory, seconds, timeout):
    """Run the stressor a stress variant names in cfg; its Measurements."""
    if params.get("stress_args"):
        require_tool(guest, "stress-ng")
        status, output = guest.status_output(
            stress_ng_command(params["stress_args"], directory, seconds) + " 2>&1",
            timeout=timeout)
        return parse_stress_ng(status, output)
    if params.get("stress_dbench_clients"):
        require_tool(guest, "dbench")
        status, output = guest.status_output(
            f"(cd {shlex.quote(directory)} && dbench -c {DBENCH_LOADFILE} -D . "
            f"-t {int(seconds)} {int(params['stress_dbench_clients'])} 2>&1; "
            f"s=$?; rm -rf clients; exit $s)", timeout=timeout)
        return parse_dbench(status, output)
    if params.get("stress_writers"):
        writers = int(params["stress_writers"])
        status, output = guest.status_output(
            writers_command(directory, writers, params.get("stress_writers_file_kb", 16),
                            seconds) + " 2>&1", timeout=timeout)
        return parse_writers(status, output, writers, seconds)
    raise WorkloadError("stress variant names no stressor: expected stress_args, "
                        "stress_dbench_clients or stress_writers in cfg")


def space_used_kb(guest, directory):
    """Used KiB of the filesystem holding ``directory``, after a sync."""
    output = guest.cmd(f"sync; df -k --output=used {shlex.quote(directory)} | tail -1")
    try:
        return int(output.strip().splitlines()[-1])
    except (ValueError, IndexError) as err:
        raise WorkloadError(f"df printed {output.strip()!r}: expected a used-KiB "
                            f"number") from err

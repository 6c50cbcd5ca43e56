"""Metadata rates (create, stat, readdir, rename, unlink per second) in one directory.

A small python3 script (metadata_guest.py) runs in the guest: fsmark is not in Debian,
and the script keeps every file in one directory and under VexFS's size limit.
"""
import json
import os
import shlex

from avocado_vexfs.bench.base import Measurement, WorkloadError
from avocado_vexfs.vm import guest_result

SCRIPT = os.path.join(os.path.dirname(__file__), "metadata_guest.py")
GUEST_SCRIPT = "/opt/avocado-vexfs/metadata_guest.py"
PREFIX = "AVX-METADATA "
PHASES = ("create", "stat", "readdir", "rename", "unlink")


def parse(output):
    """Measurements from the script's output; WorkloadError with its tail otherwise."""
    try:
        rates = guest_result.read(output, PREFIX)
    except guest_result.NoResult:
        raise WorkloadError(f"metadata workload failed: "
                            f"{guest_result.tail(output, 2)}") from None
    missing = [phase for phase in PHASES if phase not in rates]
    if missing:
        raise WorkloadError(f"metadata script result lacks {missing}: {PREFIX}"
                            f"{json.dumps(rates)}")
    return [Measurement(f"{phase}_rate", rates[phase], "ops/s", True) for phase in PHASES]


def run(guest, directory, files, file_bytes, timeout=600):
    """Install the script (idempotent) and run it once; its Measurements."""
    if int(files) <= 0 or int(file_bytes) < 0:
        raise WorkloadError(f"metadata workload files={files} file_bytes={file_bytes}: "
                            f"expected files > 0 and file_bytes >= 0")
    guest.put_file(SCRIPT, GUEST_SCRIPT)
    _status, output = guest.status_output(
        f"python3 {GUEST_SCRIPT} {shlex.quote(directory)} {int(files)} {int(file_bytes)} "
        f"2>&1", timeout=timeout)
    return parse(output)

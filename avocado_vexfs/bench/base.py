"""What every workload returns (Measurements) and the errors it raises."""
import base64
import collections
import gzip
import hashlib
import shlex

from avocado_vexfs.errors import VexfsError


class WorkloadError(VexfsError):
    """A workload could not run or its output could not be read; one line says why."""


# One number of one run: name, value, unit and which direction is better.
Measurement = collections.namedtuple("Measurement", "metric value unit higher_is_better")


def require_tool(guest, tool, recipe="debian-12"):
    """Fail with one line when ``tool`` is missing in the guest image."""
    status, _ = guest.status_output(f"command -v {shlex.quote(tool)} >/dev/null")
    if status != 0:
        raise WorkloadError(f"workload tool {tool!r} is not installed in the guest: "
                            f"expected it in the packages of guest-os/{recipe}/recipe.json")


def read_guest_file(guest, path, attempts=3, timeout=120):
    """A guest file's text, fetched compressed with its sha256 and checked.

    The control console can drop part of a long burst of output (a 7 KB fio JSON lost
    65 lines here under load), so large results travel as one gzip+base64 line and are
    fetched again when the checksum does not match.
    """
    quoted = shlex.quote(path)
    for _ in range(attempts):
        lines = guest.cmd(f"gzip -c {quoted} | base64 -w0; echo; sha256sum < {quoted}",
                          timeout=timeout).strip().splitlines()
        if len(lines) < 2:
            continue
        try:
            data = gzip.decompress(base64.b64decode(lines[-2].strip()))
        except (ValueError, OSError, EOFError):
            continue
        if hashlib.sha256(data).hexdigest() == lines[-1].split()[0]:
            return data.decode("utf-8", errors="replace")
    raise WorkloadError(f"could not read {path} from the guest intact in {attempts} "
                        f"attempts (checksum mismatch: the console dropped data)")

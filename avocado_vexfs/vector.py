"""VexFS's vector ioctls (VEXFS_IOC_ADD_VECTOR, VEXFS_IOC_SEARCH) driven from the guest."""
import json
import os
import shlex

SCRIPT = os.path.join(os.path.dirname(__file__), "guest_scripts", "vector_ioctl.py")
GUEST_SCRIPT = "/opt/avocado-vexfs/vector_ioctl.py"
RESULT_PREFIX = "AVX-RESULT "
# errnos that mean "this build has no such ioctl" rather than "the ioctl is broken"
UNSUPPORTED = ("ENOTTY", "EINVAL", "EOPNOTSUPP")


def add_and_search(guest, path, add_request, search_request, dimensions, timeout=300):
    """Add three vectors to ``path`` and search for two; return the script's result dict.

    :raises ValueError: when the script printed no result (it crashed or was killed)
    """
    guest.put_file(SCRIPT, GUEST_SCRIPT)
    status, output = guest.status_output(
        f"python3 {GUEST_SCRIPT} {shlex.quote(path)} {add_request} {search_request} "
        f"{int(dimensions)}", timeout=timeout)
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = " | ".join(output.strip().splitlines()[-3:]) or "no output"
    raise ValueError(f"vector ioctl script exited {status} without a result: {tail}")

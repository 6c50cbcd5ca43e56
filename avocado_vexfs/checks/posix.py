"""POSIX checks of the filesystem under test, run in the guest on a mounted directory.

Each function runs one check as one guest command (a python3 script copied into the
guest once, guest/posix_checks.py) and returns a list of problem strings: empty
means the check passed. A problem starting with ``unsupported:`` means the filesystem
answered EPERM/EOPNOTSUPP/ENOTTY/ENOSYS for an operation (a missing feature, not wrong
data); ``failed:`` is any other errno; anything else is a wrong result.
"""
import shlex

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.params import quick_int
from avocado_vexfs.paths import guest_script
from avocado_vexfs.vm import guest_result

SCRIPT = guest_script("posix_checks.py")
GUEST_SCRIPT = "/opt/avocado-vexfs/posix_checks.py"
UNSUPPORTED = "unsupported: "

# Checks that oops upstream VexFS (writable shared mmap, fallocate, O_DIRECT): they are
# only run when a variant asks for them by name, never as part of a default group.
DANGEROUS = ("mmap_write", "fallocate", "direct_io")


def install(guest):
    """Copy the check script into the guest (once per boot; the guest root is fresh)."""
    guest.put_file(SCRIPT, GUEST_SCRIPT)


def run_check(guest, check, directory, timeout=600, **args):
    """Run one check in ``directory``; return its problem strings.

    A script that dies without its result line (a Python traceback, a killed process)
    is itself a problem, reported with the tail of its output.
    """
    extra = " ".join(shlex.quote(f"{key}={value}") for key, value in sorted(args.items()))
    status, output = guest.status_output(
        f"python3 {GUEST_SCRIPT} {shlex.quote(check)} {shlex.quote(directory)} {extra}",
        timeout=timeout)
    return parse_result(check, status, output)


def parse_result(check, status, output):
    """Problems from the script's output; the last AVX-RESULT line wins."""
    try:
        return list(guest_result.read(output))
    except guest_result.NoResult:
        return [f"{check}: check script exited {status} without a result: "
                f"{guest_result.tail(output)}"]


def unsupported(problems):
    """The problems that are missing features rather than wrong results."""
    return [p for p in problems if p.startswith(UNSUPPORTED)]


# Every check the guest script knows, with the cfg keys (and defaults) of its numbers;
# what each check does is documented beside it in guest/posix_checks.py.
CHECKS = {
    "basic_io": {}, "unlink": {}, "truncate": {}, "rename": {}, "dirs": {}, "links": {},
    "attrs": {}, "xattrs": {}, "sync": {}, "mmap_write": {}, "fallocate": {},
    "direct_io": {},
    "sizes": {"max_kb": ("functional_max_kb", 1024)},
    "many_entries": {"count": ("functional_dir_entries", 1000)},
    "leaks": {"files": ("functional_leak_files", 20),
              "file_kb": ("functional_leak_file_kb", 40)},
}


def run_named(guest, name, directory, params):
    """Run the check called ``name`` with its numbers taken from ``params``."""
    if name not in CHECKS:
        raise ConfigError(f"unknown functional check {name!r}: expected one of "
                          f"{', '.join(sorted(CHECKS))}")
    args = {arg: quick_int(params, key, default) for arg, (key, default)
            in CHECKS[name].items()}
    timeout = float(params.get("functional_check_timeout", 600))
    return run_check(guest, name, directory, timeout, **args)

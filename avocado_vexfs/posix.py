"""POSIX checks of the filesystem under test, run in the guest on a mounted directory.

Each function runs one check as one guest command (a python3 script copied into the
guest once, guest_scripts/posix_checks.py) and returns a list of problem strings: empty
means the check passed. A problem starting with ``unsupported:`` means the filesystem
answered EPERM/EOPNOTSUPP/ENOTTY/ENOSYS for an operation (a missing feature, not wrong
data); ``failed:`` is any other errno; anything else is a wrong result.
"""
import json
import os
import shlex

SCRIPT = os.path.join(os.path.dirname(__file__), "guest_scripts", "posix_checks.py")
GUEST_SCRIPT = "/opt/avocado-vexfs/posix_checks.py"
RESULT_PREFIX = "AVX-RESULT "
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
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return list(json.loads(line[len(RESULT_PREFIX):]))
    tail = " | ".join(l for l in output.strip().splitlines()[-3:]) or "no output"
    return [f"{check}: check script exited {status} without a result: {tail}"]


def unsupported(problems):
    """The problems that are missing features rather than wrong results."""
    return [p for p in problems if p.startswith(UNSUPPORTED)]


def basic_io(guest, directory, timeout=600):
    """create, write, read, append, overwrite in the middle, O_TRUNC rewrite."""
    return run_check(guest, "basic_io", directory, timeout)


def unlink(guest, directory, timeout=600):
    """unlink removes the name; an open descriptor still reads the data."""
    return run_check(guest, "unlink", directory, timeout)


def sizes(guest, directory, max_kb, timeout=600):
    """Files of sizes around the 4096-byte block and up to ``max_kb`` KiB read back."""
    return run_check(guest, "sizes", directory, timeout, max_kb=int(max_kb))


def truncate(guest, directory, timeout=600):
    """truncate down keeps the prefix, truncate up reads zeros."""
    return run_check(guest, "truncate", directory, timeout)


def rename(guest, directory, timeout=600):
    """rename in one directory, across directories, over an existing file, of a dir."""
    return run_check(guest, "rename", directory, timeout)


def dirs(guest, directory, timeout=600):
    """mkdir/rmdir, nested directories, ENOTEMPTY and EEXIST."""
    return run_check(guest, "dirs", directory, timeout)


def many_entries(guest, directory, count, timeout=1200):
    """``count`` files in one directory are all listed and read back."""
    return run_check(guest, "many_entries", directory, timeout, count=int(count))


def links(guest, directory, timeout=600):
    """hard link, symlink, mkfifo."""
    return run_check(guest, "links", directory, timeout)


def attrs(guest, directory, timeout=600):
    """chmod, chown, utime, and mtime advancing on write."""
    return run_check(guest, "attrs", directory, timeout)


def xattrs(guest, directory, timeout=600):
    """user.* extended attributes: set, get, list, remove."""
    return run_check(guest, "xattrs", directory, timeout)


def sync(guest, directory, timeout=600):
    """fsync, fdatasync, fsync of a directory, sync."""
    return run_check(guest, "sync", directory, timeout)


def leaks(guest, directory, files, file_kb, timeout=1200):
    """Free blocks/inodes before create+delete (and write+truncate) equal those after."""
    return run_check(guest, "leaks", directory, timeout, files=int(files),
                     file_kb=int(file_kb))


def mmap_write(guest, directory, timeout=600):
    """Writable shared mmap (oopses upstream VexFS)."""
    return run_check(guest, "mmap_write", directory, timeout)


def fallocate(guest, directory, timeout=600):
    """posix_fallocate (oopses upstream VexFS)."""
    return run_check(guest, "fallocate", directory, timeout)


def direct_io(guest, directory, timeout=600):
    """O_DIRECT write (oopses upstream VexFS)."""
    return run_check(guest, "direct_io", directory, timeout)


def run_named(guest, name, directory, params):
    """Run the check called ``name`` with its numbers taken from ``params``."""
    timeout = float(params.get("functional_check_timeout", 600))
    if name == "sizes":
        return sizes(guest, directory, params.get("functional_max_kb", 1024), timeout)
    if name == "many_entries":
        return many_entries(guest, directory, params.get("functional_dir_entries", 1000),
                            timeout)
    if name == "leaks":
        return leaks(guest, directory, params.get("functional_leak_files", 20),
                     params.get("functional_leak_file_kb", 40), timeout)
    if name in CHECKS:
        return CHECKS[name](guest, directory, timeout)
    raise ValueError(f"unknown functional check {name!r}: expected one of "
                     f"{', '.join(sorted(CHECKS) + ['leaks', 'many_entries', 'sizes'])}")


CHECKS = {func.__name__: func for func in (basic_io, unlink, truncate, rename, dirs, links,
                                           attrs, xattrs, sync, mmap_write, fallocate,
                                           direct_io)}

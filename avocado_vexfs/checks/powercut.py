"""Crash consistency by power cut: what was fsynced before the cut must be intact after it.

The guest writes files one by one, each followed by fsync of the file and of its
directory; then an unsynced write is left in flight and the caller cuts the power
(Guest.power_cut). After the next boot the filesystem must mount and every fsynced file
must read back with its checksum; files that were not synced may be missing or short.
"""
import shlex

SOURCE = "/tmp/avx-powercut"


def file_names(sizes_kb):
    return [f"synced{index:02d}_{int(size)}k" for index, size in enumerate(sizes_kb)]


def write_synced(guest, directory, sizes_kb, timeout=300):
    """Write one file per size, each fsynced with its directory; {name: sha256}."""
    names = file_names(sizes_kb)
    quoted = shlex.quote(directory)
    script = ["set -e", f"mkdir -p {SOURCE}"]
    for name, size in zip(names, sizes_kb):
        script.append(f"head -c {int(size) * 1024} /dev/urandom > {SOURCE}/{name}")
    script.append(f"(cd {SOURCE} && sha256sum {' '.join(names)})")
    for name in names:
        script.append(f"dd if={SOURCE}/{name} of={quoted}/{name} bs=4k conv=fsync "
                      f"status=none && sync {quoted}")
    output = guest.cmd("(" + "; ".join(script) + ")", timeout=timeout)
    sums = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64:
            sums[parts[1]] = parts[0]
    return sums


def start_inflight(guest, directory, size_kb):
    """Leave unsynced writes running in the background (a new file, an append)."""
    quoted = shlex.quote(directory)
    guest.cmd(f"(while true; do head -c {int(size_kb) * 1024} /dev/urandom > "
              f"{quoted}/inflight_$RANDOM; done) >/dev/null 2>&1 & sleep 1")


def check(expected, found):
    """Problems: fsynced files missing or changed. Unsynced files are not judged."""
    problems = []
    for name, digest in sorted(expected.items()):
        if name not in found:
            problems.append(f"{name}: fsynced before the cut, missing after it")
        elif found[name] != digest:
            problems.append(f"{name}: fsynced before the cut, checksum "
                            f"{found[name][:12]} != {digest[:12]} after it")
    return problems

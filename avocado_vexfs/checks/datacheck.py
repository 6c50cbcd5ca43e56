"""Write a file tree in the guest and prove it reads back bit for bit.

Data is generated in guest RAM (tmpfs) and hashed there before it touches the
filesystem under test, so the expected checksums never depend on the fs being right.
"""
import shlex


def write_tree(guest, directory, sizes_kb, timeout=300):
    """Create one random file per size in ``directory``; return {name: sha256}."""
    names = [f"file{index:03d}_{int(size)}k" for index, size in enumerate(sizes_kb)]
    script = ["set -e", "mkdir -p /tmp/avx-src " + shlex.quote(directory)]
    for name, size_kb in zip(names, sizes_kb):
        script.append(f"head -c {int(size_kb) * 1024} /dev/urandom > /tmp/avx-src/{name}")
    script.append("cd /tmp/avx-src && sha256sum " + " ".join(names))
    script.append(f"cp {' '.join(names)} {shlex.quote(directory)}/")
    script.append("cd / && rm -rf /tmp/avx-src && sync")
    return _parse_sums(guest.cmd("(" + "; ".join(script) + ")", timeout=timeout))


def read_tree(guest, directory, timeout=300):
    """{name: sha256} of every regular file directly in ``directory``."""
    output = guest.cmd(f"(cd {shlex.quote(directory)} && find . -maxdepth 1 -type f "
                       f"-exec sha256sum {{}} +)", timeout=timeout)
    return _parse_sums(output)


def _parse_sums(output):
    sums = {}
    for line in output.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and len(parts[0]) == 64:
            sums[parts[1].strip().removeprefix("./")] = parts[0]
    return sums


def compare(expected, found):
    """Human-readable differences between two {name: sha256} maps; empty when equal."""
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            problems.append(f"{name}: missing")
        elif name not in expected:
            problems.append(f"{name}: unexpected file")
        elif expected[name] != found[name]:
            problems.append(f"{name}: checksum {found[name][:12]} != {expected[name][:12]}")
    return problems

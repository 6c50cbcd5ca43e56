"""Level 1 numbers: cold first run, warm wall time, boot to shell, ratio to plain virsh.

Prints numbers; it asserts nothing (targets live in the issue, not in a timed test).
Run as root: `make bench-level1` (add COLD=1 to include a first-ever run that builds
the image in a fresh cache).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from avocado_vexfs.vm import images
from avocado_vexfs.vm.guest import Guest, GuestConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def timed(cmd, env=None):
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {result.stdout[-500:]}{result.stderr[-500:]}")
    return time.monotonic() - started


def level1(env_extra=None, results=None):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN), **(env_extra or {}))
    # the steps level1_plain.sh also does: boot and the read/write smoke (level 1's
    # lifecycle, mkfs_mount and persistence have no plain-script twin)
    return timed([os.path.join(BIN, "avocado"), "run", "--vt-config", "cfg/level1.cfg",
                  "--vt-no-filter", "lifecycle mkfs_mount persistence",
                  "--job-results-dir", results or tempfile.mkdtemp()], env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", action="store_true",
                        help="also time a first-ever run (image build in a fresh cache)")
    args = parser.parse_args()
    if args.cold:
        cache = tempfile.mkdtemp(prefix="avx-cold-", dir="/var/tmp")
        os.chmod(cache, 0o755)
        started = time.monotonic()
        images.ensure("debian-12", cache=cache)
        build = time.monotonic() - started
        run = level1({"AVOCADO_VEXFS_CACHE": cache})
        subprocess.run(["rm", "-rf", cache], check=False)
        print(f"first run (image build {build:.0f}s + level 1 {run:.0f}s): {build + run:.0f}s")
    image = images.ensure("debian-12")
    release = image.kernel("6.12")["release"]
    warm = [level1() for _ in range(args.repeats)]
    plain = [timed(["bash", "benchmarks/level1_plain.sh", image.directory, release])
             for _ in range(args.repeats)]
    boots = []
    for _ in range(args.repeats):
        with Guest(GuestConfig(name_hint="bench-boot")) as guest:
            boots.append(guest.boot_seconds)
    w, p = statistics.median(warm), statistics.median(plain)
    print(f"level 1 warm wall time: median {w:.1f}s of {args.repeats} "
          f"({', '.join(f'{x:.1f}' for x in warm)})")
    print(f"plain virsh+shell, same steps: median {p:.1f}s "
          f"({', '.join(f'{x:.1f}' for x in plain)})")
    print(f"ratio level 1 / plain: {w / p:.2f}x")
    print(f"boot to shell: median {statistics.median(boots):.1f}s "
          f"({', '.join(f'{x:.1f}' for x in boots)})")


if __name__ == "__main__":
    main()

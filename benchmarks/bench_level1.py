"""Level 1 numbers: boot to shell by phase, level 1's wall time with and without a VexFS
tree at 1 and 2 parallel tasks, the ratio to a plain virsh script, a cold first run.

Prints numbers; it asserts nothing (targets live in the issue, not in a timed test).
Run as root: `make bench-level1` (VEXFS_SRC/VEXFS_PATCHES add the VexFS runs; COLD=1 adds
a first-ever run that builds the image in a fresh cache).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from avocado_vexfs.vm import boottime, images
from avocado_vexfs.vm.guest import BASE_CMDLINE, Guest, GuestConfig

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def timed(cmd, env=None):
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {result.stdout[-500:]}{result.stderr[-500:]}")
    return time.monotonic() - started


def level1(extra=(), parallel=1, env_extra=None):
    """Seconds of one `avocado run` of cfg/level1.cfg (what `make level1` runs)."""
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
               VIRTUAL_ENV=os.path.dirname(BIN), **(env_extra or {}))
    return timed([os.path.join(BIN, "avocado"), "run", "--vt-config", "cfg/level1.cfg",
                  "--max-parallel-tasks", str(parallel), *extra,
                  "--job-results-dir", tempfile.mkdtemp()], env=env)


def smoke_only():
    """The part of level 1 level1_plain.sh also does: boot and the read/write smoke."""
    return ["--vt-no-filter", "lifecycle mkfs_mount persistence"]


def vexfs_args(src, patches):
    args = ["--vt-extra-params", f"vexfs_src={src}"]
    return args + (["--vt-extra-params", f"vexfs_patches={patches}"] if patches else [])


def series(values):
    return f"median {statistics.median(values):.1f}s ({', '.join(f'{v:.1f}' for v in values)})"


def host_speed():
    """Seconds of a fixed pure-Python loop, best of 3: the host's single-thread speed.

    A TCG boot is CPU-bound, and a shared VM host's speed drifts by tens of percent
    from one hour to the next (qemu's own CPU time per boot went from 2.3 s to 3.4 s
    here, and the boot from 2.4 s to 4.1 s): printed beside the boot times so they can
    be compared.
    """
    best = None
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for i in range(20_000_000):
            total += i
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def boots(repeats):
    """Boot to shell, whole and by phase (vm/boottime.py), over ``repeats`` boots."""
    runs = []
    before = host_speed()
    for _ in range(repeats):
        with Guest(GuestConfig(name_hint="bench-boot")) as guest:
            runs.append(dict(guest.boot_phases, total=guest.boot_seconds))
    print(f"host speed: a fixed loop takes {before:.2f}s before the boots, "
          f"{host_speed():.2f}s after (lower is faster)")
    print(f"boot to shell: {series([r['total'] for r in runs])}")
    for phase in boottime.PHASES:
        values = [r[phase] for r in runs if phase in r]
        if values:
            print(f"  {phase:10} median {statistics.median(values):.2f}s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boots", type=int, default=5, help="boots to take the median of")
    parser.add_argument("--repeats", type=int, default=3, help="smoke and plain runs")
    parser.add_argument("--level-repeats", type=int, default=1, help="runs of level 1")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--vexfs-src", default="")
    parser.add_argument("--vexfs-patches", default="")
    parser.add_argument("--cold", action="store_true",
                        help="also time a first-ever run (image build in a fresh cache)")
    args = parser.parse_args()
    if args.cold:
        cache = tempfile.mkdtemp(prefix="avx-cold-", dir="/var/tmp")
        os.chmod(cache, 0o755)
        started = time.monotonic()
        images.ensure("debian-12", cache=cache)
        build = time.monotonic() - started
        run = level1(env_extra={"AVOCADO_VEXFS_CACHE": cache})
        subprocess.run(["rm", "-rf", cache], check=False)
        print(f"first run (image build {build:.0f}s + level 1 {run:.0f}s): {build + run:.0f}s")
    boots(args.boots)
    trees = [("without a VexFS tree (vexfs cancelled)", [])]
    if args.vexfs_src:
        trees.append(("with VEXFS_SRC", vexfs_args(args.vexfs_src, args.vexfs_patches)))
    for parallel in args.parallel:
        for what, extra in trees:
            runs = [level1(extra, parallel) for _ in range(args.level_repeats)]
            print(f"level 1 {what}, {parallel} parallel: {series(runs)}")
    guest = Guest(GuestConfig())  # not started: the files and kernel a guest would boot
    smoke = [level1(smoke_only()) for _ in range(args.repeats)]
    plain = [timed(["bash", "benchmarks/level1_plain.sh", guest.image.directory,
                    guest.boot_kernel(), guest.kernel["initramfs"],
                    guest.kernel["release"], BASE_CMDLINE])
             for _ in range(args.repeats)]
    print(f"boot + read/write smoke, level 1: {series(smoke)}")
    print(f"the same steps, plain virsh+shell: {series(plain)}")
    print(f"ratio level 1 / plain: {statistics.median(smoke) / statistics.median(plain):.2f}x")


if __name__ == "__main__":
    main()

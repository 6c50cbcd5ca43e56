"""How often does each regression check cry wolf, and how often does it catch a 10% loss?

Runs a real fio workload in one ext4 guest on this machine, in rounds of three runs
(rotating order): baseline, no change, and a known 10% slowdown. The slowdown is a
cgroup CPU throttle in the guest (cpu.max 90%): under TCG fio is CPU-bound in the guest,
so the throttle costs ~10% whatever the host's load, where a fixed rate cap would stop
meaning 10% as soon as the shared machine drifts (measured: it did). Rounds keep that
drift out of the comparison. Then, on the same samples, it counts:
- ours: stats.compare of NEW repeats against BASE baseline repeats, over many draws;
- old:  one new sample against one baseline number, regression when >10% worse,
        over every (baseline sample, new sample) pair.
Samples are saved as JSON, and --samples-file re-evaluates a saved run without a guest.

    python benchmarks/regression_eval.py [--runs 24] [--runtime 2] [--vcpus 1]
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from avocado_vexfs.bench import stats  # pylint: disable=wrong-import-position
from avocado_vexfs.errors import VexfsError  # pylint: disable=wrong-import-position

WORKLOAD = "rw=write bs=64k size=16m end_fsync=1"
METRIC = "write_bw"
CGROUP = "/sys/fs/cgroup/avx-slow"


def load_average():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


def measure(args):
    """Boot one guest, collect the three pools; {"base": [...], "same": [...], ...}."""
    from avocado_vexfs.vm.guest import Guest, GuestConfig  # pylint: disable=import-outside-toplevel
    from avocado_vexfs.bench import fio, metadata  # pylint: disable=import-outside-toplevel
    if args.metadata_files:
        def workload():
            return metadata.run(guest, "/mnt/test", args.metadata_files, 4096)
    else:
        options = fio.parse_options(args.workload)
        options.update(runtime=str(args.runtime), time_based=None)

        def workload():
            return fio.run(guest, "eval", "/mnt/test", options)
    pools = {"base": [], "same": [], "slow": [], "load": []}
    config = GuestConfig(vcpus=args.vcpus, memory_mb=1024, name_hint="regression-eval")
    total = args.runs * 3
    started = time.monotonic()

    def one(pool):
        if pool == "slow":
            guest.cmd(f"echo $$ > {CGROUP}/cgroup.procs")
        found = {m.metric: m.value for m in workload()}
        if pool == "slow":
            guest.cmd("echo $$ > /sys/fs/cgroup/cgroup.procs")
        pools[pool].append(found[args.metric])
        pools["load"].append(load_average())
        done = sum(len(pools[p]) for p in ("base", "same", "slow"))
        eta = (time.monotonic() - started) / done * (total - done)
        print(f"  {done}/{total} {pool}: {found[args.metric]:.0f} (about {eta:.0f}s left)",
              flush=True)

    with Guest(config) as guest:
        guest.cmd("mkfs.ext4 -F -q /dev/vdb && mkdir -p /mnt/test && "
                  "mount /dev/vdb /mnt/test")
        quota = int(100000 * (1.0 - args.slowdown))
        guest.cmd("mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup; "
                  "echo +cpu > /sys/fs/cgroup/cgroup.subtree_control; "
                  f"mkdir -p {CGROUP} && echo '{quota} 100000' > {CGROUP}/cpu.max")
        order = ("base", "same", "slow")
        for index in range(args.runs):
            for pool in order[index % 3:] + order[:index % 3]:
                one(pool)
    pools["throttle"] = f"cgroup cpu.max {quota}/100000"
    pools["workload"] = (f"metadata files={args.metadata_files} file_bytes=4096"
                         if args.metadata_files else
                         f"fio {args.workload} runtime={args.runtime}s")
    pools["metric"] = args.metric
    return pools


def evaluate(pools, sizes, trials, threshold, seed=0):
    """Rates of both methods on the pools: {(method, pool): (hits, trials)}.

    Ours, for each (new, baseline) size: ``trials`` random draws without replacement
    from the pools. Old: every (baseline sample, new sample) pair.
    """
    rng = random.Random(seed)
    counts = {}
    for pool in ("same", "slow"):
        for new_n, base_n in sizes:
            hits = noisy = 0
            for trial in range(trials):
                base = rng.sample(pools["base"], base_n)
                new = rng.sample(pools[pool], new_n)
                verdict = stats.compare(METRIC, base, new, threshold=threshold, seed=trial)
                hits += verdict.verdict == stats.REGRESSION
                noisy += verdict.verdict == stats.TOO_NOISY
            method = f"ours: {new_n} new vs {base_n} baseline repeats"
            counts[(method, pool)] = (hits, trials)
            counts[(method, pool + " too noisy")] = (noisy, trials)
        pairs = [(b, n) for b in pools["base"] for n in pools[pool]]
        old = sum(stats.one_sample_rule(b, n, threshold=threshold) == stats.REGRESSION
                  for b, n in pairs)
        counts[("old: one sample vs baseline number, 10%", pool)] = (old, len(pairs))
    return counts


def report(pools, counts, args):
    def rate(key):
        hits, total = counts[key]
        return f"{hits}/{total} = {100.0 * hits / total:5.1f}%"
    base = pools["base"]
    cv = statistics.stdev(base) / statistics.mean(base)
    measured = statistics.median(pools["slow"]) / statistics.median(pools["same"])
    print(f"workload: {pools.get('workload', 'fio ' + args.workload)}, metric "
          f"{pools.get('metric', METRIC)}, "
          f"{len(base)} baseline / {len(pools['same'])} no-change / "
          f"{len(pools['slow'])} slowed runs")
    print(f"machine noise: baseline CV {100 * cv:.1f}%, min/median/max "
          f"{min(base):.0f}/{statistics.median(base):.0f}/{max(base):.0f}; host "
          f"load average {min(pools['load']):.1f}-{max(pools['load']):.1f} on "
          f"{os.cpu_count()} cores")
    print(f"injected slowdown: {pools.get('throttle', 'fio rate cap')}; measured median "
          f"ratio slowed/no-change {measured:.3f}")
    print(f"{'method':44s} {'false alarms (no change)':>26s} {'detection (10% slower)':>26s}")
    for method in dict.fromkeys(method for method, _pool in counts):
        print(f"{method:44s} {rate((method, 'same')):>26s} {rate((method, 'slow')):>26s}")
        if (method, "same too noisy") in counts:
            print(f"{'  (said too noisy to tell)':44s} {rate((method, 'same too noisy')):>26s} "
                  f"{rate((method, 'slow too noisy')):>26s}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="runs per pool (>= 20)")
    parser.add_argument("--runtime", type=int, default=2, help="seconds per fio run")
    parser.add_argument("--vcpus", type=int, default=1)
    parser.add_argument("--workload", default=WORKLOAD, help="fio options")
    parser.add_argument("--metadata-files", type=int, default=0,
                        help="measure the metadata script's create rate with N files "
                             "instead of fio")
    parser.add_argument("--slowdown", type=float, default=0.10)
    parser.add_argument("--sizes", default="5x10,10x15",
                        help="NEWxBASELINE repeats compared per trial, comma separated")
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--samples-file", help="evaluate saved samples, boot nothing")
    parser.add_argument("--save", default=os.path.join(REPO, "results",
                                                       "regression-eval.json"))
    args = parser.parse_args(argv)
    args.metric = "create_rate" if args.metadata_files else METRIC
    try:
        sizes = [tuple(int(n) for n in item.split("x")) for item in args.sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(len(s) != 2 or min(s) < stats.MIN_REPEATS for s in sizes):
        print(f"--sizes {args.sizes!r}: expected NEWxBASELINE pairs of at least "
              f"{stats.MIN_REPEATS}, such as 5x10,10x15", file=sys.stderr)
        return 2
    if args.runs < max(max(s) for s in sizes):
        print(f"--runs {args.runs}: expected at least the largest size in --sizes "
              f"{args.sizes}", file=sys.stderr)
        return 2
    try:
        if args.samples_file:
            with open(args.samples_file, encoding="utf-8") as handle:
                pools = json.load(handle)
        else:
            print(f"estimated time: {args.runs * 3 * (args.runtime + 2.5) + 20:.0f}s on an "
                  f"idle machine ({args.runs * 3} runs in one guest; measured here under "
                  f"load: ~10 s a run)", flush=True)
            pools = measure(args)
            os.makedirs(os.path.dirname(args.save), exist_ok=True)
            with open(args.save, "w", encoding="utf-8") as handle:
                json.dump(pools, handle, indent=1)
            print(f"samples saved in {args.save}")
        counts = evaluate(pools, sizes, args.trials, args.slowdown)
    except (VexfsError, OSError, ValueError, KeyError) as err:
        print(f"regression-eval: {err}", file=sys.stderr)
        return 2
    report(pools, counts, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

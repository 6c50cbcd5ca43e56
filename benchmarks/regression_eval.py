"""How often does each regression check cry wolf, and how often does it catch a 10% loss?

Runs a real fio workload in one ext4 guest on this machine: a baseline pool, then
alternating runs with no change and with a known 10% slowdown (fio's rate limit set to
90% of the baseline's median bandwidth). Then, on the same samples, it counts:
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

from avocado_vexfs import stats  # pylint: disable=wrong-import-position
from avocado_vexfs.errors import VexfsError  # pylint: disable=wrong-import-position

WORKLOAD = "rw=write bs=64k size=16m end_fsync=1"
METRIC = "write_bw"


def load_average():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


def measure(args):
    """Boot one guest, collect the three pools; {"base": [...], "same": [...], ...}."""
    from avocado_vexfs.guest import Guest, GuestConfig  # pylint: disable=import-outside-toplevel
    from avocado_vexfs.workloads import fio  # pylint: disable=import-outside-toplevel
    options = fio.parse_options(args.workload)
    options.update(runtime=str(args.runtime), time_based=None)
    pools = {"base": [], "same": [], "slow": [], "load": []}
    config = GuestConfig(vcpus=args.vcpus, memory_mb=1024, name_hint="regression-eval")
    total = args.runs * 3
    started = time.monotonic()

    def one(pool, extra):
        run_options = dict(options, **extra)
        found = {m.metric: m.value for m in fio.run(guest, "eval", "/mnt/test", run_options)}
        pools[pool].append(found[METRIC])
        pools["load"].append(load_average())
        done = sum(len(pools[p]) for p in ("base", "same", "slow"))
        eta = (time.monotonic() - started) / done * (total - done)
        print(f"  {done}/{total} {pool}: {found[METRIC]:.0f} KiB/s (about {eta:.0f}s left)",
              flush=True)

    with Guest(config) as guest:
        guest.cmd("mkfs.ext4 -F -q /dev/vdb && mkdir -p /mnt/test && "
                  "mount /dev/vdb /mnt/test")
        for _ in range(args.runs):
            one("base", {})
        cap = int(statistics.median(pools["base"]) * (1.0 - args.slowdown))
        print(f"  injected slowdown: fio rate={cap}k (baseline median x "
              f"{1 - args.slowdown:.2f})", flush=True)
        for _ in range(args.runs):
            one("same", {})
            one("slow", {"rate": f"{cap}k"})
    pools["rate_cap_kib"] = cap
    return pools


def evaluate(pools, base_n, new_n, trials, threshold, seed=0):
    """Rates of both methods on the pools: {(method, pool): (hits, trials)}."""
    rng = random.Random(seed)
    counts = {}
    for pool in ("same", "slow"):
        hits = 0
        for trial in range(trials):
            base = rng.sample(pools["base"], base_n)
            new = rng.sample(pools[pool], new_n)
            verdict = stats.compare(METRIC, base, new, threshold=threshold, seed=trial)
            hits += verdict.verdict == stats.REGRESSION
        counts[("ours", pool)] = (hits, trials)
        pairs = [(b, n) for b in pools["base"] for n in pools[pool]]
        old = sum(stats.one_sample_rule(b, n, threshold=threshold) == stats.REGRESSION
                  for b, n in pairs)
        counts[("old", pool)] = (old, len(pairs))
    return counts


def report(pools, counts, args):
    def rate(key):
        hits, total = counts[key]
        return f"{hits}/{total} = {100.0 * hits / total:5.1f}%"
    base = pools["base"]
    cv = statistics.stdev(base) / statistics.mean(base)
    measured = statistics.median(pools["slow"]) / statistics.median(pools["same"])
    print(f"workload: fio {args.workload} runtime={args.runtime}s, metric {METRIC}, "
          f"{len(base)} baseline / {len(pools['same'])} no-change / "
          f"{len(pools['slow'])} slowed runs")
    print(f"machine noise: baseline CV {100 * cv:.1f}%, min/median/max "
          f"{min(base):.0f}/{statistics.median(base):.0f}/{max(base):.0f} KiB/s; host "
          f"load average {min(pools['load']):.1f}-{max(pools['load']):.1f} on "
          f"{os.cpu_count()} cores")
    print(f"injected slowdown: measured median ratio slowed/no-change {measured:.3f}")
    print(f"{'method':44s} {'false alarms (no change)':>26s} {'detection (10% slower)':>26s}")
    print(f"{f'ours: {args.new} new vs {args.base} baseline repeats':44s} "
          f"{rate(('ours', 'same')):>26s} {rate(('ours', 'slow')):>26s}")
    print(f"{'old: one sample vs baseline number, 10%':44s} "
          f"{rate(('old', 'same')):>26s} {rate(('old', 'slow')):>26s}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="runs per pool (>= 20)")
    parser.add_argument("--runtime", type=int, default=2, help="seconds per fio run")
    parser.add_argument("--vcpus", type=int, default=1)
    parser.add_argument("--workload", default=WORKLOAD, help="fio options")
    parser.add_argument("--slowdown", type=float, default=0.10)
    parser.add_argument("--base", type=int, default=10, help="baseline repeats per trial")
    parser.add_argument("--new", type=int, default=5, help="new repeats per trial")
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--samples-file", help="evaluate saved samples, boot nothing")
    parser.add_argument("--save", default=os.path.join(REPO, "results",
                                                       "regression-eval.json"))
    args = parser.parse_args(argv)
    if args.runs < max(args.base, args.new, 5):
        print(f"--runs {args.runs}: expected at least --base {args.base} and 5",
              file=sys.stderr)
        return 2
    try:
        if args.samples_file:
            with open(args.samples_file, encoding="utf-8") as handle:
                pools = json.load(handle)
        else:
            print(f"estimated time: {args.runs * 3 * (args.runtime + 2.5) + 20:.0f}s "
                  f"({args.runs * 3} fio runs of {args.runtime}s in one guest)", flush=True)
            pools = measure(args)
            os.makedirs(os.path.dirname(args.save), exist_ok=True)
            with open(args.save, "w", encoding="utf-8") as handle:
                json.dump(pools, handle, indent=1)
            print(f"samples saved in {args.save}")
        counts = evaluate(pools, args.base, args.new, args.trials, args.slowdown)
    except (VexfsError, OSError, ValueError, KeyError) as err:
        print(f"regression-eval: {err}", file=sys.stderr)
        return 2
    report(pools, counts, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

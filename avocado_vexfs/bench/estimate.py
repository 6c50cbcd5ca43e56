"""Estimated wall time of a level, printed before a long run starts.

    python -m avocado_vexfs.bench.estimate cfg/level3.cfg [--quick] [--only FILTER]

Per test: a guest boot plus what its cfg asks for (benchmark repeats x runtime, stress
duration, power cuts x a boot each). The constants are TCG timings measured on a
2-core machine shared with other jobs; a test type without a rule counts FALLBACK.
"""
import argparse
import sys

from avocado_vexfs.bench import spec
from avocado_vexfs.errors import ConfigError, VexfsError
from avocado_vexfs.vt import cartesian

BOOT = 12.0          # boot to shell, mkfs, mount, avocado's own overhead
FIO_OVERHEAD = 2.5   # fio start, layout, cache drop, result fetch per repetition
STRESS_OVERHEAD = 40.0  # tree write, cleanup, remount and checks around a stressor
POWERCUT = 30.0      # write, cut, boot again, mount, check per cut point
FALLBACK = 30.0


def seconds(params):
    """Estimated seconds of one test variant."""
    kind = params.get("type")
    if kind == "bench":
        count = len(str(spec.param(params, "bench_workloads", "")).split())
        return BOOT + count * spec.repeats(params, False) * (
            int(spec.param(params, "bench_runtime", 2)) + FIO_OVERHEAD)
    if kind == "stress":
        return BOOT + STRESS_OVERHEAD + 1.2 * int(spec.param(params, "stress_duration", 60))
    if kind == "powercut":
        return BOOT + POWERCUT * len(str(spec.param(params, "powercut_points", "1")).split())
    return FALLBACK


def estimate(cfg_file, quick=False, only=""):
    """{test type: (tests, seconds)} for the variants of ``cfg_file``, filtered and with
    quick=yes the way the level run's --vt-only-filter and --vt-extra-params apply them."""
    totals = {}
    for params in cartesian.variants(cfg_file, [only], ["quick=yes"] if quick else []):
        count, total = totals.get(params.get("type"), (0, 0.0))
        totals[params.get("type")] = (count + 1, total + seconds(params))
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(description="estimated wall time of a level")
    parser.add_argument("cfg")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    try:
        totals = estimate(args.cfg, args.quick, args.only)
    except ConfigError as err:  # names the cfg already
        print(f"estimate: {err}", file=sys.stderr)
        return 2
    except (VexfsError, OSError, ValueError) as err:
        print(f"estimate: {args.cfg}: {str(err).splitlines()[0] if str(err) else err}",
              file=sys.stderr)
        return 2
    tests = sum(count for count, _ in totals.values())
    total = sum(secs for _, secs in totals.values())
    parts = ", ".join(f"{kind} {count} tests ~{secs / 60:.0f} min"
                      for kind, (count, secs) in sorted(totals.items()))
    print(f"estimate: {args.cfg}{' (quick)' if args.quick else ''}: {tests} tests, "
          f"~{total / 60:.0f} min on 2 cores under TCG ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

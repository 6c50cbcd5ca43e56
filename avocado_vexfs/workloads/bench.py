"""A benchmark run: repeat each workload, collect metrics, judge them against a baseline.

Provider tests call measure() in a booted guest and judge() after it; both take what
they need as arguments (specs, a store, a logger), so the steps stay testable.
"""
import fnmatch

from avocado_vexfs import stats
from avocado_vexfs.workloads.base import require_tool
from avocado_vexfs.workloads.metrics import Collector

DROP_CACHES = "sync; echo 3 > /proc/sys/vm/drop_caches"
TOOLS = {"fio": "fio", "metadata": "python3"}


def measure(guest, specs, directory, repeats, max_file_kb=0, log=None, timeout=600):
    """Run every spec ``repeats`` times (caches dropped before each); a Collector.

    A spec over the filesystem's file size limit is recorded as skipped with its
    reason instead of being run into EFBIG.
    """
    for tool in sorted({TOOLS[spec.kind] for spec in specs}):
        require_tool(guest, tool)
    collector = Collector()
    total = len(specs) * repeats
    done = 0
    for spec in specs:
        reason = spec.skip_reason(max_file_kb)
        if reason:
            collector.skip(spec, reason)
            if log:
                log.info("skipped: %s", reason)
            done += repeats
            continue
        guest.mark_step(f"bench {spec.name}")
        for repeat in range(repeats):
            guest.cmd(DROP_CACHES, timeout=timeout)
            collector.add(spec, spec.run(guest, directory, timeout=timeout))
            done += 1
            if log:
                log.info("progress %d/%d: %s repeat %d/%d", done, total, spec.name,
                         repeat + 1, repeats)
        guest.cmd(spec.cleanup_command(directory) + f"; {DROP_CACHES}", timeout=timeout)
    return collector


def checked(metrics, patterns):
    """The metrics.json entries whose metric name matches one of ``patterns``."""
    return [m for m in metrics if any(fnmatch.fnmatch(m["metric"], p) for p in patterns)]


def judge(store, guest_key, metrics, patterns, threshold=0.10, runs=3):
    """Verdicts of the checked metrics against the store, and lines for what has none.

    :returns: (list of (entry, Verdict), list of one-line notes about missing baselines)
    """
    entries = store.load()
    verdicts, notes = [], []
    for entry in checked(metrics, patterns):
        values = store.lookup(guest_key, entry["workload"], entry["params"],
                              entry["metric"], runs=runs, entries=entries)
        if not values:
            note = store.explain_missing(guest_key, entry["workload"], entries=entries)
            if note not in notes:
                notes.append(note)
            continue
        verdict = stats.compare(f"{entry['workload']} {entry['metric']}", values,
                                entry["values"], entry["higher_is_better"], threshold)
        verdicts.append((entry, verdict))
    return verdicts, notes

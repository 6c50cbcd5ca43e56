"""A benchmark run: repeat each workload, collect metrics, judge them against a baseline.

Provider tests call measure() in a booted guest and judge() after it; both take what
they need as arguments (specs, a store, a logger), so the steps stay testable.
"""
import fnmatch
import logging

from avocado_vexfs.bench import stats
from avocado_vexfs.bench.base import require_tool
from avocado_vexfs.bench.metrics import Collector

DROP_CACHES = "sync; echo 3 > /proc/sys/vm/drop_caches"
TOOLS = {"fio": "fio", "metadata": "python3"}
LOG = logging.getLogger(__name__)


def measure(guest, specs, directory, repeats, max_file_kb=0, timeout=600):
    """Run every spec ``repeats`` times (caches dropped before each); a Collector.

    A spec over the filesystem's file size limit is recorded as skipped with its
    reason instead of being run into EFBIG. Progress goes to this module's logger,
    which reaches the test's debug.log.
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
            LOG.info("skipped: %s", reason)
            done += repeats
            continue
        guest.mark_step(f"bench {spec.name}")
        for repeat in range(repeats):
            guest.cmd(DROP_CACHES, timeout=timeout)
            collector.add(spec, spec.run(guest, directory, timeout=timeout))
            done += 1
            LOG.info("progress %d/%d: %s repeat %d/%d", done, total, spec.name,
                     repeat + 1, repeats)
        guest.cmd(spec.cleanup_command(directory) + f"; {DROP_CACHES}", timeout=timeout)
    return collector


def checked(metrics, patterns):
    """The metrics.json entries whose metric name matches one of ``patterns``."""
    return [m for m in metrics if any(fnmatch.fnmatch(m["metric"], p) for p in patterns)]


def judge(store, guest_key, metrics, patterns, threshold=0.10, runs=3):
    """Verdicts of the checked metrics against the store, and why others have none.

    :returns: (list of (entry, Verdict), {workload: one-line reason it has no baseline})
    """
    entries = store.load()
    verdicts, missing = [], {}
    for entry in checked(metrics, patterns):
        values = store.lookup(guest_key, entry["workload"], entry["params"],
                              entry["metric"], runs=runs, entries=entries)
        if not values:
            missing.setdefault(entry["workload"], store.explain_missing(
                guest_key, entry["workload"], entries=entries))
            continue
        verdict = stats.compare(entry["metric"], values, entry["values"],
                                entry["higher_is_better"], threshold)
        verdicts.append((entry, verdict))
    return verdicts, missing


def add_checks(results, verdicts, missing):
    """Put the verdicts into ``results`` (a checks.Checks), one check per workload.

    A regression is a problem whose signature is ``<workload>/<metric>: regression``
    (the numbers stay in its text only); a metric too noisy to judge, or a workload with
    no baseline, is a note: visible in the verdict (WARN) without failing it, because
    nothing was compared.
    """
    for entry, verdict in verdicts:
        workload, metric = entry["workload"], entry["metric"]
        if verdict.verdict == stats.REGRESSION:
            results.add(workload, [verdict.describe()], key=f"{metric}: {verdict.verdict}")
            continue
        results.add(workload, [])
        if verdict.verdict == stats.TOO_NOISY:
            results.note(workload, verdict.describe())
    for workload, reason in missing.items():
        results.note(workload, reason)

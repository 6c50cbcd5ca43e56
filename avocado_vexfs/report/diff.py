"""What changed between two jobs: new failures, fixed tests, crash titles, check
signatures, metrics.

`avocado diff` compares job configs and test lists line by line; a VexFS developer asks
narrower questions (did my change break or fix a test, does it crash differently, which
check now fails in a test that failed before too, did a number move), so this answers
those from the two results.json files and our artifacts (checks.json per test).
"""
import logging

from avocado_vexfs.report import jobdir, metrics

LOG = logging.getLogger(__name__)
BAD = ("FAIL", "ERROR", "INTERRUPTED")


def _title(test):
    return test["crash"]["title"] if test["crash"] else test["reason"]


def _problems(view):
    """{signature: known entry or None} of every problem of a checks view."""
    return {p["signature"]: p["known"] for p in view["new"] + view["known"]}


def compare_checks(name, was, now, result):
    """Add the check-level changes of test ``name`` to ``result``.

    A test without checks.json on one side is listed as not comparable rather than
    compared with nothing: a crash before the checks ran is not a fix of every problem.
    """
    if not was["checks"] and not now["checks"]:
        return
    if not was["checks"] or not now["checks"]:
        side = "old" if not was["checks"] else "new"
        result["checks_missing"].append((name, side))
        return
    before, after = _problems(was["checks"]), _problems(now["checks"])
    for sig in sorted(set(after) - set(before)):
        result["new_signatures"].append((name, sig, after[sig]))
    for sig in sorted(set(before) - set(after)):
        result["gone_signatures"].append((name, sig))
    old_patterns = {e["pattern"] for e in was["checks"]["not_seen"]}
    for entry in now["checks"]["not_seen"]:
        if entry["pattern"] not in old_patterns:
            result["newly_not_seen"].append((name, entry))


def compare(old_dir, new_dir, threshold=0.10):
    """A dict of lists: new_failures, fixed, changed_crash, added, removed, metrics, and
    per check: new_signatures, gone_signatures, newly_not_seen, checks_missing."""
    old, new = jobdir.load_job(old_dir), jobdir.load_job(new_dir)
    before = {t["name"]: t for t in old["tests"]}
    after = {t["name"]: t for t in new["tests"]}
    result = {"old": old["name"], "new": new["name"], "new_failures": [], "fixed": [],
              "changed_crash": [], "added": sorted(set(after) - set(before)),
              "removed": sorted(set(before) - set(after)),
              "metrics": metrics.changes(old, new, threshold), "new_signatures": [],
              "gone_signatures": [], "newly_not_seen": [], "checks_missing": []}
    for name in sorted(set(before) & set(after)):
        was, now = before[name], after[name]
        compare_checks(name, was, now, result)
        if now["status"] in BAD and was["status"] not in BAD:
            result["new_failures"].append((name, was["status"], now["status"], _title(now)))
        elif was["status"] in BAD and now["status"] not in BAD:
            result["fixed"].append((name, was["status"], now["status"], _title(was)))
        elif was["status"] in BAD and now["status"] in BAD and _title(was) != _title(now):
            result["changed_crash"].append((name, _title(was), _title(now)))
    LOG.debug("diff %s -> %s: %d new check signatures, %d gone", old["name"],
              new["name"], len(result["new_signatures"]), len(result["gone_signatures"]))
    return result


def unknown_new_signatures(result):
    """New check signatures that match no known entry: what makes `make diff` exit 1."""
    return [row for row in result["new_signatures"] if not row[2]]


def _new_signature(row):
    name, sig, known = row
    if not known:
        return f"{name}: NEW {sig}"
    return f"{name}: known {sig} ({known['reason']}; {known['reported']})"


def render_text(result):
    """The diff as lines for a terminal."""
    lines = [f"diff {result['old']} -> {result['new']}"]
    sections = (("new failures", result["new_failures"],
                 lambda r: f"{r[0]}: {r[1]} -> {r[2]}: {r[3]}"),
                ("fixed", result["fixed"], lambda r: f"{r[0]}: {r[1]} -> {r[2]} (was: {r[3]})"),
                ("changed crash title", result["changed_crash"],
                 lambda r: f"{r[0]}: {r[1]!r} -> {r[2]!r}"),
                ("new check signatures", result["new_signatures"], _new_signature),
                ("check signatures gone (fixed?)", result["gone_signatures"],
                 lambda r: f"{r[0]}: {r[1]}"),
                ("known failures newly not seen (fixed?)", result["newly_not_seen"],
                 lambda r: f"{r[0]}: {r[1]['pattern']} ({r[1]['reason']}; "
                           f"{r[1]['reported']})"),
                ("checks not comparable", result["checks_missing"],
                 lambda r: f"{r[0]}: no checks.json in the {r[1]} job"),
                ("only in new job", result["added"], str),
                ("only in old job", result["removed"], str),
                ("metric changes over threshold", result["metrics"],
                 lambda m: f"{m['fs']} {m['workload']} [{m['params']}] {m['metric']}: "
                           f"{m['old']:.4g} -> {m['new']:.4g} {m['unit']} "
                           f"({m['change'] * 100:+.1f}%)"))
    for heading, rows, fmt in sections:
        lines.append(f"{heading}: {len(rows)}")
        lines.extend(f"  {fmt(row)}" for row in rows)
    return "\n".join(lines)

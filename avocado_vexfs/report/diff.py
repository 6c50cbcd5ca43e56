"""What changed between two jobs: new failures, fixed tests, crash titles, metrics.

`avocado diff` compares job configs and test lists line by line; a VexFS developer asks
narrower questions (did my change break or fix a test, does it crash differently, did a
number move), so this answers those from the two results.json files and our artifacts.
"""
from avocado_vexfs.report import jobdir, metrics

BAD = ("FAIL", "ERROR", "INTERRUPTED")


def _title(test):
    return test["crash"]["title"] if test["crash"] else test["reason"]


def compare(old_dir, new_dir, threshold=0.10):
    """A dict of lists: new_failures, fixed, changed_crash, added, removed, metrics."""
    old, new = jobdir.load_job(old_dir), jobdir.load_job(new_dir)
    before = {t["name"]: t for t in old["tests"]}
    after = {t["name"]: t for t in new["tests"]}
    result = {"old": old["name"], "new": new["name"], "new_failures": [], "fixed": [],
              "changed_crash": [], "added": sorted(set(after) - set(before)),
              "removed": sorted(set(before) - set(after)),
              "metrics": metrics.changes(old, new, threshold)}
    for name in sorted(set(before) & set(after)):
        was, now = before[name], after[name]
        if now["status"] in BAD and was["status"] not in BAD:
            result["new_failures"].append((name, was["status"], now["status"], _title(now)))
        elif was["status"] in BAD and now["status"] not in BAD:
            result["fixed"].append((name, was["status"], now["status"], _title(was)))
        elif was["status"] in BAD and now["status"] in BAD and _title(was) != _title(now):
            result["changed_crash"].append((name, _title(was), _title(now)))
    return result


def render_text(result):
    """The diff as lines for a terminal."""
    lines = [f"diff {result['old']} -> {result['new']}"]
    sections = (("new failures", result["new_failures"],
                 lambda r: f"{r[0]}: {r[1]} -> {r[2]}: {r[3]}"),
                ("fixed", result["fixed"], lambda r: f"{r[0]}: {r[1]} -> {r[2]} (was: {r[3]})"),
                ("changed crash title", result["changed_crash"],
                 lambda r: f"{r[0]}: {r[1]!r} -> {r[2]!r}"),
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

"""Benchmark numbers of a job: VexFS/ext4 ratio tables, trends, job-to-job changes.

The benchmark tests write ``metrics.json`` in their logdir: a list of
``{workload, params, metric, unit, values}``. A metric is identified by workload, its
parameters (without the fs type) and the metric name; the fs type comes from the entry
(``fs_type``), its params, or the first part of the test name (``ext4.linux_6_12...``).
"""
import json
import statistics

FS_TYPES = ("vexfs", "ext4")


def _fs_of(test_name, metric):
    params = metric.get("params") if isinstance(metric.get("params"), dict) else {}
    fs_type = metric.get("fs_type") or params.get("fs_type")
    return fs_type or test_name.split(".", 1)[0]


def metric_key(metric):
    """A stable key for one measured quantity, the fs type left out.

    ``params`` is a dict or the workload's option string (fio's, as the bench tests
    write it); either way it is part of the key.
    """
    params = metric.get("params")
    if isinstance(params, dict):
        params = json.dumps({k: v for k, v in params.items() if k != "fs_type"},
                            sort_keys=True)
    return (str(metric.get("workload", "?")), str(params or ""),
            str(metric.get("metric", "?")), str(metric.get("unit", "")))


def _median(values):
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    return statistics.median(numbers) if numbers else None


def collect(job):
    """{key: {fs_type: [values...]}} over all tests of a loaded job."""
    table = {}
    for test in job["tests"]:
        for metric in test["metrics"]:
            values = metric.get("values")
            if not isinstance(values, list):
                values = [metric["value"]] if "value" in metric else []
            fs_values = table.setdefault(metric_key(metric), {})
            fs_values.setdefault(_fs_of(test["name"], metric), []).extend(
                v for v in values if isinstance(v, (int, float)))
    return table


def params_text(params_key):
    """The params part of a metric key as text: dicts as k=v pairs, strings as they are."""
    if params_key.startswith("{"):
        params = json.loads(params_key)
        return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"
    return params_key or "-"


def ratio_rows(job):
    """Rows of the ratio table: workload, params, metric, unit, medians, VexFS/ext4."""
    rows = []
    for key, by_fs in sorted(collect(job).items()):
        workload, params_json, metric, unit = key
        medians = {fs: _median(by_fs.get(fs, [])) for fs in FS_TYPES}
        ratio = (medians["vexfs"] / medians["ext4"]
                 if medians["vexfs"] is not None and medians["ext4"] else None)
        rows.append({"key": key, "workload": workload, "params": params_text(params_json),
                     "metric": metric, "unit": unit, "vexfs": medians["vexfs"],
                     "ext4": medians["ext4"], "ratio": ratio,
                     "n": {fs: len(by_fs.get(fs, [])) for fs in FS_TYPES},
                     "values": {fs: by_fs.get(fs, []) for fs in FS_TYPES}})
    return rows


def medians(job):
    """{(key, fs): median} for comparing jobs."""
    return {(key, fs): _median(values) for key, by_fs in collect(job).items()
            for fs, values in by_fs.items() if _median(values) is not None}


def changes(old_job, new_job, threshold=0.10):
    """Metrics whose median moved by more than ``threshold`` (a fraction) between jobs."""
    old, new = medians(old_job), medians(new_job)
    moved = []
    for ident in sorted(set(old) & set(new)):
        if old[ident] and abs(new[ident] / old[ident] - 1) > threshold:
            (workload, params_json, metric, unit), fs = ident
            moved.append({"fs": fs, "workload": workload, "params": params_text(params_json),
                          "metric": metric, "unit": unit, "old": old[ident],
                          "new": new[ident], "change": new[ident] / old[ident] - 1})
    return moved


def trend(jobs):
    """{(key, fs): [(job name, median)...]} over several loaded jobs, oldest first."""
    series = {}
    for job in jobs:
        for ident, value in medians(job).items():
            series.setdefault(ident, []).append((job["name"], value))
    return series

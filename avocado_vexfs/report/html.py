"""Render a job's HTML report (jinja2) into ``<job dir>/report.html``."""
import datetime
import os

import jinja2
from markupsafe import Markup

from avocado_vexfs.report import jobdir, metrics, svg
from avocado_vexfs.triage import jobdir as jobs

REPORT_NAME = "report.html"


def _env():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined)
    env.filters["num"] = lambda v: "-" if v is None else f"{v:.4g}"
    env.filters["pct"] = lambda v: "-" if v is None else f"{v * 100:+.1f}%"
    return env


def _history(job, results_root):
    """Past jobs of the same results dir (this one last), loaded leniently."""
    loaded = []
    for path in jobs.past_jobs(results_root, before=job["dir"]):
        if os.path.realpath(path) == os.path.realpath(job["dir"]):
            continue
        try:
            loaded.append(jobdir.load_job(path, light=True))
        except jobs.JobError:
            continue  # a corrupt old job only drops out of the trend
    return loaded + [job]


def build(job_dir, results_root=None, baseline=None):
    """Write the report for ``job_dir``; return its path.

    :param results_root: where past jobs live (for trends); default: the job's parent
    :param baseline: optional {(metric key, fs): verdict dict} from the baseline store
    """
    job = jobdir.load_job(job_dir)
    results_root = results_root or os.path.dirname(os.path.abspath(job_dir))
    history = _history(job, results_root)
    rows = metrics.ratio_rows(job)
    series = metrics.trend(history)
    for row in rows:
        key = row["key"]
        row["trend"] = {fs: Markup(svg.trend_line(series.get((key, fs), [])))
                        for fs in metrics.FS_TYPES}
        row["dist"] = Markup(svg.distribution(row["values"]))
        row["verdict"] = (baseline or {}).get(key, {}).get("verdict", "") or "; ".join(
            f"{test['name'].split('.', 1)[0]}: {m['verdict']}" for test in job["tests"]
            for m in test["metrics"]
            if m.get("verdict") and metrics.metric_key(m) == key)
    page = _env().get_template("report.html.j2").render(
        job=job, rows=rows, statuses=list(svg.STATUS_COLOURS),
        history=Markup(svg.status_history([(j["name"], j["counts"]) for j in history])),
        generated=datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
    out = os.path.join(job_dir, REPORT_NAME)
    with open(out + ".tmp", "w", encoding="utf-8") as dst:
        dst.write(page)
    os.replace(out + ".tmp", out)
    return out

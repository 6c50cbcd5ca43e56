"""A job directory as the report and the diff show it: per-test entries, checks, repro.

Reading the job directory itself (results.json, logdirs, facts.json, JSON artifacts) is
triage.jobdir's; this module turns what it reads into plain dicts for the pages.
"""
import os
import re

from avocado_vexfs.console import report, verdict as console_verdict
from avocado_vexfs.triage import jobdir as jobs

RESULTS = jobs.RESULTS
JobError = jobs.JobError
# artifacts our tests leave in a test's logdir, by the label the report shows
ARTIFACTS = (("console log", "console.log"), ("dmesg", "dmesg.txt"),
             ("control shell", "session.log"), ("debug log", "debug.log"),
             ("build log", "vexfs-build.log"), ("build log", "module-build.log"),
             ("workload JSON", "metrics.json"), ("retries", "infra-retries.json"),
             ("check results", "checks.json"))
_KMSG_RE = re.compile(r"^\s*\[\s*\d+\.\d+\]")


def resolve(job):
    """The job directory for ``job`` (a path, a job id prefix, or "" for the latest).

    One lookup for the whole project: avocado_vexfs.triage.jobdir.find (repro uses it too).
    :raises ConfigError: with one line naming what was looked for and where
    """
    if job and os.path.isdir(job) and not os.path.isfile(os.path.join(job, RESULTS)):
        raise JobError(f"{os.path.join(job, RESULTS)} does not exist: expected a finished "
                       f"Avocado job directory (results/job-...)")
    return jobs.find(job or "latest")


def console_crash(console_path):
    """The leading crash in a console log as (title, type, step), or None."""
    if not os.path.isfile(console_path):
        return None
    parsed = report.parse_file(console_path)
    crash = parsed.crash
    return (crash.title, crash.type, crash.step) if crash else None


def _entry(item):
    """A known-failure entry with every field the report shows (a string, maybe empty)."""
    return {key: str(item.get(key) or "") for key in ("pattern", "reason", "reported",
                                                      "kernel")}


def _problem(item):
    """One problem of checks.json as the report shows it; None when it is not one."""
    if not isinstance(item, dict) or not isinstance(item.get("signature"), str):
        return None
    known = _entry(item["known"]) if isinstance(item.get("known"), dict) else None
    return {"check": str(item.get("check", "")), "signature": item["signature"],
            "text": str(item.get("text", "")), "known": known}


def checks_view(data):
    """checks.json data as the report and the diff read it: new problems apart from known.

    :returns: dict with ``checks`` [{check, status, notes}], ``new`` and ``known``
              [problem], ``not_seen`` [entry] and ``notes`` [(check, note)]
    :raises ValueError: when ``data`` is not checks.json's shape
    """
    if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
        raise ValueError("checks.json has no 'checks' list")
    view = {"suite": str(data.get("suite", "")), "checks": [], "new": [], "known": [],
            "not_seen": [_entry(e) for e in data.get("not_seen") or []
                         if isinstance(e, dict)],
            "notes": [], "kernel": data.get("kernel") or "",
            "expected_file": data.get("expected_file") or ""}
    for check in data["checks"]:
        if not isinstance(check, dict):
            continue
        name = str(check.get("check", ""))
        notes = [str(n) for n in check.get("notes") or []]
        view["checks"].append({"check": name, "status": str(check.get("status", "")),
                               "notes": notes})
        view["notes"] += [(name, note) for note in notes]
        for problem in filter(None, map(_problem, check.get("problems") or [])):
            view["known" if problem["known"] else "new"].append(problem)
    return view


def load_checks(logdir):
    """(checks_view of the test's checks.json or None, error line or "")."""
    path = os.path.join(logdir, "checks.json")
    if not os.path.isfile(path):
        return None, ""
    data, error = jobs.read_json(path)
    if error:
        return None, error
    try:
        return checks_view(data), ""
    except ValueError as err:
        return None, str(err)


def checks_summary(tests):
    """Job-level counts of the per-check results: new problems, known, not seen, notes."""
    with_checks = [t for t in tests if t.get("checks")]
    return {"tests": len(with_checks),
            "new": sum(len(t["checks"]["new"]) for t in with_checks),
            "known": sum(len(t["checks"]["known"]) for t in with_checks),
            "not_seen": sum(len(t["checks"]["not_seen"]) for t in with_checks),
            "notes": sum(len(t["checks"]["notes"]) for t in with_checks),
            "new_list": _new_list(with_checks)}


def _new_list(tests):
    """[(test, signature, count)] of the new problems, a repeated signature once."""
    counts = {}
    for test in tests:
        for problem in test["checks"]["new"]:
            key = (test["name"], problem["signature"])
            counts[key] = counts.get(key, 0) + 1
    return [(name, sig, count) for (name, sig), count in counts.items()]


def write_dmesg(console_path, out_path):
    """The kernel's own lines of a console log (the guest's dmesg, as the console kept it)."""
    with open(console_path, encoding="utf-8", errors="replace") as src, \
            open(out_path, "w", encoding="utf-8") as out:
        for line in src:
            if _KMSG_RE.match(line):
                out.write(line)


def entry_for(job_dir, test, light=False):
    """One test of results.json with what the report shows about it.

    ``light`` (for past jobs in trends) skips console parsing and writes nothing.
    """
    logdir = jobs.local_logdir(job_dir, test)
    title, step = console_verdict.split_step(test.get("fail_reason"))
    if logdir:  # the crash step facts.json recorded, for jobs that wrote one
        step = jobs.all_facts({"logdir": logdir}).get("crash_step") or step
    title = title.splitlines()[0][:400] if title else ""
    entry = {"id": test.get("id", ""), "name": test.get("name", ""),
             "status": test.get("status") or "UNKNOWN", "reason": title, "step": step,
             "time": test.get("time_elapsed") or 0, "logdir": logdir, "links": [],
             "crash": None, "retries": [], "metrics": [], "flaky": False, "notes": [],
             "checks": None}
    if not logdir:
        return entry
    console = os.path.join(logdir, "console.log")
    if not light and os.path.isfile(console) and \
            not os.path.isfile(os.path.join(logdir, "dmesg.txt")):
        write_dmesg(console, os.path.join(logdir, "dmesg.txt"))
    seen = set()
    for label, name in ARTIFACTS:
        path = os.path.join(logdir, name)
        if os.path.isfile(path) and name not in seen:
            seen.add(name)
            entry["links"].append({"label": label,
                                   "href": os.path.relpath(path, job_dir)})
    if entry["status"] in ("FAIL", "ERROR", "INTERRUPTED") and not light:
        crash = console_crash(console)
        if crash:
            entry["crash"] = {"title": crash[0], "type": crash[1],
                              "step": crash[2] or step}
    retries, error = jobs.read_json(os.path.join(logdir, "infra-retries.json")) \
        if "infra-retries.json" in seen else ([], "")
    entry["retries"] = retries if isinstance(retries, list) else []
    if error:
        entry["notes"].append(error)
    entry["flaky"] = bool(entry["retries"]) and entry["status"] == "PASS"
    if "checks.json" in seen:
        entry["checks"], error = load_checks(logdir)
        if error:
            entry["notes"].append(error)
    if "metrics.json" in seen:
        metrics, error = jobs.read_json(os.path.join(logdir, "metrics.json"))
        if error or not isinstance(metrics, list):
            entry["notes"].append(error or "metrics.json is not a list of metrics")
        else:
            entry["metrics"] = [m for m in metrics if isinstance(m, dict)]
    return entry


def load_job(job_dir, light=False):
    """Everything the report needs about one job, as a dict (``light``: see entry_for)."""
    if not os.path.isdir(job_dir):
        raise JobError(f"job dir {job_dir!r} does not exist: expected a directory "
                       f"like results/job-<date>-<id>")
    job_dir = os.path.realpath(job_dir)
    results = jobs.load_results(job_dir)
    tests = [entry_for(job_dir, t, light) for t in results["tests"] if isinstance(t, dict)]
    counts = {}
    for test in tests:
        counts[test["status"]] = counts.get(test["status"], 0) + 1
    bad = sum(counts.get(s, 0) for s in ("FAIL", "ERROR", "INTERRUPTED"))
    repro = None
    repro_path = os.path.join(job_dir, "repro.json")
    if os.path.isfile(repro_path):
        repro, _error = jobs.read_json(repro_path)
    return {"dir": job_dir, "name": os.path.basename(job_dir.rstrip(os.sep)),
            "id": results.get("job_id", ""), "start": results.get("start", ""),
            "time": results.get("time") or 0, "tests": tests, "counts": counts,
            "verdict": "FAIL" if bad else ("PASS" if counts.get("PASS") else "NO PASS"),
            "flaky": [t["name"] for t in tests if t["flaky"]],
            "retries": sum(len(t["retries"]) for t in tests),
            "repro": repro_commands(repro), "checks": checks_summary(tests),
            "cmdline": jobs.command_line(os.path.join(job_dir, "jobdata", "cmdline"))}


def repro_commands(repro):
    """{test name: command} from repro.json, whatever of its known shapes it has."""
    if isinstance(repro, dict) and isinstance(repro.get("tests"), (list, dict)):
        repro = repro["tests"]
    commands = {}
    if isinstance(repro, dict):
        for name, value in repro.items():
            command = value.get("command") if isinstance(value, dict) else value
            if isinstance(command, str):
                commands[name] = command
    elif isinstance(repro, list):
        for item in repro:
            if isinstance(item, dict) and isinstance(item.get("command"), str):
                commands[item.get("name") or item.get("test", "")] = item["command"]
    return commands

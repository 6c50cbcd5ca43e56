"""One command that re-runs a failed test variant of a job, and says if it failed the same.

The command re-creates the variant from the job's own record: its --vt-config and
--vt-extra-params (jobdata/args.json), narrowed to the one variant by its name, with any
parameter whose value differs from what the test logged (the cfg was edited since) pinned
back with --vt-extra-params. It boots a fresh guest from the image cache; the original
guest is long gone. The kernel release, guest image and VexFS build key (the hash of the
patched sources) of both runs are compared, so a "not reproduced" can be told apart from
"the sources changed in between".

Every failed test's command is written to ``repro.json`` beside the job's results.json,
for the console summary and the HTML report to show.
"""
import datetime
import json
import os
import re

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.triage import failure, jobdir, run_variant
from avocado_vexfs.vt import cartesian

REPRO_FILE = "repro.json"
FACT_NAMES = ("kernel", "image", "vexfs_build", "module_build")


def make_command(job, test):
    """The short command a user types to reproduce ``test`` of ``job``."""
    return f"make repro JOB={job.id[:7]} TEST={test['name']}"


def plan(job, test):
    """Everything needed to re-run ``test`` (a results.json entry) of ``job``.

    :returns: dict with the avocado argv, its shell line, the pinned parameters, the
              original verdict and facts, and warnings about what cannot be pinned
    """
    recorded = jobdir.recorded_params(test)
    extra = job.extra_params
    warnings = []
    cfg_params = cartesian.variants(job.vt_config, [test["name"]], extra)
    if len(cfg_params) != 1:
        warnings.append(f"{os.path.relpath(job.vt_config, job.pwd)} no longer defines "
                        f"{test['name']} alone ({len(cfg_params)} variants)")
    current = cfg_params[0] if cfg_params else {}
    for key, value in sorted(recorded.items()):
        if key not in run_variant.RUNTIME_KEYS and current.get(key) != value:
            extra = extra + [f"{key}={value}"]
    added = sorted(k for k in current if k not in recorded and k not in run_variant.RUNTIME_KEYS)
    if recorded and added:
        warnings.append(f"cfg keys added since the job (not pinned): {', '.join(added)}")
    if recorded.get("fs_type") == "vexfs" and not recorded.get("vexfs_src"):
        warnings.append("the job took VEXFS_SRC from the environment: set it the same")
    argv = run_variant.command(job.vt_config, test["name"], extra)
    first = run_variant.Outcome(job.path, test, recorded)
    original = dict(first.as_dict(), signature=failure.of_outcome(first))
    original.update({k: v for k, v in jobdir.facts(test).items() if k in FACT_NAMES})
    return {"test": test["name"], "job": job.id, "job_dir": job.path,
            "command": make_command(job, test), "avocado": run_variant.shell(argv, job.pwd),
            "argv": argv, "cwd": job.pwd, "pinned": extra[len(job.extra_params):],
            "original": original, "warnings": warnings, "params": recorded}


def load(job_dir):
    path = os.path.join(job_dir, REPRO_FILE)
    if not os.path.isfile(path):
        return {"tests": {}}
    with open(path, encoding="utf-8") as data:
        return json.load(data)


def save(job_dir, data):
    path = os.path.join(job_dir, REPRO_FILE)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)
    return path


def record(job, tests):
    """Write (or refresh) repro.json entries for ``tests``; keep earlier runs."""
    data = load(job.path)
    for test in tests:
        entry = plan(job, test)
        entry.pop("params")
        entry["runs"] = data["tests"].get(test["name"], {}).get("runs", [])
        data["tests"][test["name"]] = entry
    save(job.path, data)
    return data


def config_error_classes():
    """Names of ConfigError and its subclasses: a test that raised one hit bad input."""
    names, todo = set(), [ConfigError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def is_config_error(test):
    """True when ``test`` (a results.json entry or an Avocado result dict) ended on a
    ConfigError: a typo or a bad value, which a re-run would only repeat.

    Avocado keeps the exception class in the live result (fail_class) but not in
    results.json, where the class is read back from the traceback in the test's
    debug.log (the line ``avocado_vexfs.errors.ConfigError: <fail reason>``).
    """
    classes = config_error_classes()
    if test.get("fail_class"):
        return test["fail_class"] in classes
    reason = str(test.get("fail_reason") or "").strip().splitlines()
    if test.get("status") != "ERROR" or not reason:
        return False
    raised = re.compile(r"(?:^|[\s.|])(" + "|".join(sorted(classes)) + r"): (.*)$")
    for line in jobdir.debug_log(test):
        match = raised.search(line.rstrip())
        if match and match.group(2).strip() == reason[0].strip():
            return True
    return False


def write_for_job(job_dir, skip=()):
    """repro.json for every failed or errored test of a finished job; returns its data.

    Tests that ended on a config error are left out (there is nothing to reproduce but
    the typo), as are the names in ``skip``.
    """
    job = jobdir.Job(job_dir)
    tests = [t for t in job.failed() if t["name"] not in skip and not is_config_error(t)]
    if not tests:
        return load(job.path)
    return record(job, tests)


def compare(original, outcome, facts):
    """How a re-run relates to the original: same failure, and which facts changed.

    The failure is compared by failure.of_outcome: a crash title, else the failing
    checks' signatures (checks.json), else the normalized fail reason.
    """
    same = failure.of_outcome(outcome) == original.get("signature")
    changed = [f"{name} was {original.get(name)}, now {facts.get(name)}"
               for name in FACT_NAMES
               if original.get(name) and facts.get(name) and original[name] != facts[name]]
    return same, changed


def reproduce(job, test, timeout=3600, results_dir=None):
    """Run the repro of ``test``; record it in repro.json; return (entry, run).

    :param results_dir: where the new job goes (default: Avocado's, i.e. results/)
    """
    entry = record(job, [test])["tests"][test["name"]]
    params = jobdir.recorded_params(test)
    argv = entry["argv"] + (["--job-results-dir", results_dir] if results_dir else [])
    outcome = run_variant.run(argv, params=params, cwd=entry["cwd"], timeout=timeout)
    new_test = jobdir.Job(outcome.job_dir).tests[0]
    facts = {k: v for k, v in jobdir.facts(new_test).items() if k in FACT_NAMES}
    same, changed = compare(entry["original"], outcome, facts)
    run = dict(outcome.as_dict(), signature=failure.of_outcome(outcome), matches=same,
               changed=changed,
               when=datetime.datetime.now().isoformat(timespec="seconds"), **facts)
    data = load(job.path)
    data["tests"][test["name"]]["runs"].append(run)
    save(job.path, data)
    return entry, run


def summary_lines(entry, run):
    """What `make repro` prints at the end."""
    original = entry["original"]
    lines = [f"repro of {entry['test']} (job {entry['job'][:7]}): "
             f"{_verdict(run)}",
             f"original: {_verdict(original)}",
             f"matches the original: {'yes' if run['matches'] else 'no'}"]
    lines += [f"changed since the job: {change}" for change in run["changed"]]
    lines += [f"warning: {warning}" for warning in entry["warnings"]]
    lines.append(f"new job: {run['job']}")
    return lines


def _verdict(result):
    if result["status"] in failure.PASSING:
        return result["status"]
    return f"{result['status']}: {result.get('crash_title') or result['fail_reason']}"

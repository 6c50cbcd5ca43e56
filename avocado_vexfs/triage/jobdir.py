"""Read a finished Avocado job directory: its tests, their params and what they ran on.

The one reader of a job directory (results.json, the per-test logdirs with their
facts.json and JSON artifacts); report.jobdir builds its pages from what this reads.

Avocado keeps the command line (jobdata/args.json), the verdicts (results.json) and, in
each test's debug.log, the full parameter dict Avocado-VT handed to the test; what the
test ran on is in its facts.json (vt.facts). That is enough to re-create a test variant
exactly, without the original guest.
"""
import ast
import glob
import json
import os
import re
import shlex

from avocado_vexfs.errors import ConfigError, VexfsError
from avocado_vexfs.paths import REPO
from avocado_vexfs.vt import facts as test_facts

RESULTS = "results.json"
FAILED = ("FAIL", "ERROR", "INTERRUPTED")
_PARAM = re.compile(r"\|\s{4,}(\S+) = ?(.*)$")


class JobError(VexfsError):
    """A job directory that cannot be read (no results.json, or a corrupt one)."""


def load_results(job_dir):
    """results.json of ``job_dir`` as a dict; one clear line when missing or corrupt."""
    path = os.path.join(job_dir, RESULTS)
    if not os.path.isfile(path):
        raise JobError(f"{path} does not exist: expected a finished Avocado job "
                       f"directory (an interrupted job writes it too; is this a job dir?)")
    try:
        with open(path, encoding="utf-8") as src:
            data = json.load(src)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise JobError(f"{path} is corrupt ({err}): expected Avocado's JSON results; "
                       f"the per-test logs under test-results/ are untouched") from err
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise JobError(f"{path} has no 'tests' list: expected Avocado's JSON results")
    return data


def read_json(path):
    """A JSON artifact, or (None, error line) when unreadable: a report never dies on one."""
    try:
        with open(path, encoding="utf-8") as src:
            return json.load(src), ""
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        return None, f"{os.path.basename(path)} unreadable: {err}"


def command_line(path):
    """The job's command line as a shell line (Avocado stores a Python list repr)."""
    text = read_text(path)
    try:
        argv = ast.literal_eval(text) if text else None
    except (ValueError, SyntaxError):
        return text
    return shlex.join(argv) if isinstance(argv, list) else text


def read_text(path):
    """A small text file, stripped; "" when unreadable."""
    try:
        with open(path, encoding="utf-8") as src:
            return src.read().strip()
    except OSError:
        return ""


def past_jobs(results_root, before=None, limit=20):
    """Job dirs of ``results_root`` with a results.json, oldest first, up to ``before``.

    Ordered by when results.json was written: job dir names sort by minute only.
    """
    if not os.path.isdir(results_root):
        return []
    finished = []
    for name in os.listdir(results_root):
        path = os.path.join(results_root, name, RESULTS)
        if name.startswith("job-") and os.path.isfile(path):
            finished.append((os.path.getmtime(path), os.path.join(results_root, name)))
    finished.sort()
    if before and os.path.isfile(os.path.join(before, RESULTS)):
        until = os.path.getmtime(os.path.join(before, RESULTS))
        finished = [item for item in finished if item[0] <= until]
    return [path for _mtime, path in finished[-limit:]]


def local_logdir(job_dir, test):
    """The test's logdir, "" when gone: logdirs in results.json are absolute, so a copied
    or moved job dir finds its own copy first."""
    logdir = test.get("logdir") or ""
    local = os.path.join(job_dir, "test-results", os.path.basename(logdir))
    if logdir and os.path.isdir(local):
        return local
    return logdir if os.path.isdir(logdir) else ""


def roots():
    """Where jobs live: the repo's results/ (our avocado.conf) and Avocado's default."""
    return [os.path.join(REPO, "results"),
            os.path.expanduser(os.path.join("~", "avocado", "job-results"))]


def find(job):
    """The directory of ``job``: a path, 'latest', or a job id (a prefix is enough).

    :raises ConfigError: one line naming the value and what was expected
    """
    if os.path.isfile(os.path.join(job, RESULTS)):
        return os.path.abspath(job)
    where = ", ".join(roots())
    if job == "latest":
        for root in roots():
            if os.path.isfile(os.path.join(root, "latest", RESULTS)):
                return os.path.realpath(os.path.join(root, "latest"))
        raise ConfigError(f"JOB=latest: no finished job under {where}")
    if not re.fullmatch(r"[0-9a-f]{4,40}", job):
        raise ConfigError(f"JOB={job!r} is not a job: expected a job id (hex, at least 4 "
                          f"digits), a job results directory, or 'latest'")
    found = []
    for root in roots():
        for path in sorted(glob.glob(os.path.join(root, "job-*"))):
            id_file = os.path.join(path, "id")
            if os.path.isfile(id_file):
                with open(id_file, encoding="utf-8") as ident:
                    if ident.read().strip().startswith(job):
                        found.append(path)
    if not found:
        raise ConfigError(f"JOB={job}: no job with that id under {where}: expected the id "
                          f"Avocado printed (JOB ID) or a results directory")
    if len(found) > 1:
        raise ConfigError(f"JOB={job} matches {len(found)} jobs "
                          f"({', '.join(os.path.basename(p) for p in found[:4])}): "
                          f"give more digits")
    return found[0]


class Job:
    """A finished job: results.json, the command line and per-test parameters."""

    def __init__(self, path):
        self.path = path
        self.results = load_results(path)
        self.args = _load_json(os.path.join(path, "jobdata", "args.json"), {})
        pwd = os.path.join(path, "jobdata", "pwd")
        self.pwd = REPO
        if os.path.isfile(pwd):
            with open(pwd, encoding="utf-8") as cwd:
                self.pwd = cwd.read().strip() or REPO
        self.id = self.results.get("job_id", os.path.basename(path))

    @property
    def tests(self):
        return self.results.get("tests", [])

    def failed(self):
        return [t for t in self.tests if t.get("status") in FAILED]

    def test(self, name):
        """The test called ``name`` (exact, else the one whose name contains it)."""
        names = [t["name"] for t in self.tests]
        exact = [t for t in self.tests if name in (t["name"], t.get("id"))]
        matching = exact or [t for t in self.tests if name in t["name"]]
        if len(matching) == 1:
            return matching[0]
        if not matching:
            raise ConfigError(f"TEST={name}: job {self.id[:7]} has no such test: expected "
                              f"one of {', '.join(names) or '(no tests)'}")
        raise ConfigError(f"TEST={name} matches {len(matching)} tests of job "
                          f"{self.id[:7]} ({', '.join(t['name'] for t in matching[:4])}): "
                          f"give the full name")

    @property
    def vt_config(self):
        """The job's --vt-config as an absolute path."""
        cfg = self.args.get("vt.config")
        if not cfg:
            raise ConfigError(f"job {self.id[:7]} was not run with --vt-config: only "
                              f"Avocado-VT jobs of this project can be reproduced")
        return os.path.normpath(os.path.join(self.pwd, cfg))

    @property
    def extra_params(self):
        return list(self.args.get("vt.extra_params") or [])


def _load_json(path, default):
    if not os.path.isfile(path):
        return default
    with open(path, encoding="utf-8") as data:
        return json.load(data)


def debug_log(test):
    """The lines of the test's debug.log ([] when it has none)."""
    path = test.get("logfile") or os.path.join(test.get("logdir") or "", "debug.log")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as log:
        return log.read().splitlines()


def recorded_params(test):
    """The parameter dict Avocado-VT logged at the start of the test's debug.log."""
    params = {}
    lines = iter(debug_log(test))
    for line in lines:
        if line.rstrip().endswith("Test parameters:"):
            break
    for line in lines:
        match = _PARAM.search(line)
        if not match:
            break
        params[match.group(1)] = match.group(2)
    return params


def logdir_of(test):
    """The logdir of a results.json entry ("" when it has none)."""
    return test.get("logdir") or os.path.dirname(test.get("logfile") or "")


def all_facts(test):
    """Everything the test's facts.json holds (vt.facts), {} for a job without one."""
    logdir = logdir_of(test)
    return test_facts.read(logdir) if logdir else {}


def facts(test):
    """What the test ran on, from its facts.json: kernel, image, module build keys."""
    return {key: value for key, value in all_facts(test).items()
            if key in ("kernel", "image") or key.endswith("_build")}

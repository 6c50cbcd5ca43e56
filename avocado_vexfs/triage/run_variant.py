"""Run one Avocado-VT test variant as a user would, and read back its verdict.

Repro and bisect steps go through ``avocado run --vt-config`` rather than calling the
provider test in-process: the verdict then comes from exactly the code path of a level
run (cfg parsing, booted_guest, Avocado's statuses), each step leaves an ordinary job
directory as evidence, and the cost is about 1.5 s of Avocado start-up per run, small
beside a TCG guest boot.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import time

from avocado_vexfs.errors import ConfigError, VexfsError
from avocado_vexfs.paths import REPO
from avocado_vexfs.triage import failure, jobdir
from avocado_vexfs.vt import cartesian

BIN = os.path.dirname(sys.executable)
# keys Avocado-VT sets or rewrites while a job runs: not part of the variant's cfg
RUNTIME_KEYS = {"job_env_cleanup", "malloc_perturb", "name", "id", "dep", "_name_map_file",
                "_short_name_map_file"}


def level_cfgs():
    return sorted(glob.glob(os.path.join(REPO, "cfg", "level*.cfg")))


def resolve(test, cfg=None, extra_params=()):
    """The one variant called ``test``; returns (cfg, params).

    Without ``cfg`` the level cfgs are searched in order and the first that defines
    exactly one variant of that name wins.

    :raises ConfigError: "TEST=x: no cfg defines it" or "matches N variants"
    """
    if " " in test.strip() or not test.strip():
        raise ConfigError(f"TEST={test!r}: expected one test variant name (no spaces), "
                          f"e.g. ext4.linux_6_12.fs_smoke")
    cfgs = [cfg] if cfg else level_cfgs()
    ambiguous = None
    for candidate in cfgs:
        found = cartesian.variants(candidate, [test], extra_params)
        if len(found) == 1:
            return candidate, found[0]
        if found and not ambiguous:
            ambiguous = (candidate, [d["shortname"] for d in found])
    if ambiguous:
        names = ambiguous[1]
        raise ConfigError(f"TEST={test} matches {len(names)} variants in "
                          f"{os.path.relpath(ambiguous[0], REPO)} ({', '.join(names[:4])}"
                          f"{', ...' if len(names) > 4 else ''}): give exactly one")
    shown = ", ".join(os.path.relpath(c, REPO) for c in cfgs)
    raise ConfigError(f"TEST={test}: no test variant of that name in {shown}: expected a "
                      f"name from 'avocado list --vt-config <cfg>'")


def command(cfg, shortname, extra_params=(), results_dir=None):
    """The avocado argv that runs exactly the variant ``shortname`` of ``cfg``."""
    argv = [os.path.join(BIN, "avocado"), "run", "--vt-config", os.path.abspath(cfg),
            "--vt-only-filter", shortname]
    for param in extra_params:
        argv += ["--vt-extra-params", param]
    if results_dir:
        argv += ["--job-results-dir", results_dir]
    return argv


def shell(argv, cwd=REPO):
    """``argv`` as one line a user can paste."""
    return f"cd {shlex.quote(cwd)} && " + " ".join(shlex.quote(a) for a in argv)


class Outcome:
    """The verdict of one run of one variant, read from the job it left."""

    def __init__(self, job_dir, test, params=None, seconds=None):
        self.job_dir = job_dir
        self.status = test.get("status", "ERROR") if test else "ERROR"
        self.fail_reason = (test or {}).get("fail_reason") or ""
        self.logdir = (test or {}).get("logdir")
        self.name = (test or {}).get("name")
        self.title = failure.crash_title(self.logdir, params) if test else None
        self.signature = failure.of_outcome(self)
        self.seconds = seconds

    def describe(self):
        if self.status in failure.PASSING:
            return self.status
        return f"{self.status}: {self.title or self.fail_reason or 'no reason given'}"

    def as_dict(self):
        return {"status": self.status, "fail_reason": self.fail_reason,
                "crash_title": self.title, "signature": self.signature,
                "job": self.job_dir, "seconds": self.seconds}


def run(argv, params=None, cwd=REPO, timeout=3600, log_path=None):
    """Run ``argv`` (from command()); return the Outcome of its single test.

    An Avocado job that produced no results at all (bad cfg, plugin missing) is an
    infrastructure error: VexfsError with the last line Avocado printed.
    """
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               VIRTUAL_ENV=os.path.dirname(BIN))
    started = time.monotonic()
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise VexfsError(f"avocado run did not finish in {timeout}s: "
                         f"{shlex.join(argv)}") from err
    seconds = round(time.monotonic() - started, 1)
    if log_path:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"$ {shlex.join(argv)}\n{done.stdout}{done.stderr}\n")
    match = re.search(r"^JOB LOG\s*:\s*(\S+)/job\.log$", done.stdout, re.M)
    job_dir = match.group(1) if match else None
    if not job_dir or not os.path.isfile(os.path.join(job_dir, "results.json")):
        lines = (done.stdout + done.stderr).strip().splitlines()
        raise VexfsError(f"avocado run produced no results (exit {done.returncode}): "
                         f"{lines[-1] if lines else 'no output'}")
    tests = jobdir.Job(job_dir).tests
    if len(tests) != 1:
        raise VexfsError(f"avocado run ran {len(tests)} tests in {job_dir}: expected "
                         f"exactly one")
    return Outcome(job_dir, tests[0], params, seconds)

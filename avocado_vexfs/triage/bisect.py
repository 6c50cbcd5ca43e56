"""git bisect over a module's history, driven by the verdict of one test variant.

The user's tree is never touched: it is cloned into a private directory, GOOD and BAD
are checked there (both exist, GOOD is an ancestor of BAD, BAD fails the test, GOOD
passes it), and ``git bisect run`` calls this module's ``step`` once per commit. A step
runs the test through ``avocado run`` with the clone as the module source (module_src
for the fixture module, vexfs_src for VexFS) and maps the verdict to git's:

- the same failure as at BAD (same crash title, or same failing check) -> bad (1)
- a pass -> good (0)
- a build failure, an infrastructure error or a different failure -> skip (125), and
  the different failure is recorded

``bisect_repeats`` (cfg) runs a step up to N times for failures that do not happen every
time; a step is bad if any repetition fails the same way. Each step's job directory,
verdict and time are kept under results/bisect-<date>-<id>/, with bisect.json.
"""
import datetime
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

from avocado_vexfs.errors import ConfigError, VexfsError
from avocado_vexfs.module.vexfs import split_ref
from avocado_vexfs.triage import failure, jobdir, run_variant

BISECT_FILE = "bisect.json"
STEP_EXIT = {failure.GOOD: 0, failure.BAD: 1, failure.SKIP: 125}
PROGRESS = "avocado-vexfs bisect: "


def _git(cwd, *args, check=True):
    done = subprocess.run(["git", "-C", cwd, *args], capture_output=True, text=True,
                          check=False)
    if check and done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise VexfsError(f"git {' '.join(args)} failed: {lines[-1] if lines else 'no output'}")
    return done


def clone(src, dest):
    """A private clone of ``src`` (path or URL, an @ref suffix is ignored)."""
    url = split_ref(src)[0]
    done = subprocess.run(["git", "clone", "-q", "--no-checkout", url, dest],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ConfigError(f"VEXFS_SRC={src}: git clone failed "
                          f"({lines[-1] if lines else 'no output'}): expected a git "
                          f"repository path or URL")
    return dest


def commit_of(repo, ref, what, src):
    """The commit id ``ref`` names in the clone (a branch of the source counts too)."""
    if not ref:
        raise ConfigError(f"{what} is not set: expected a branch, tag or commit id")
    for candidate in (ref, f"origin/{ref}"):
        done = _git(repo, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}",
                    check=False)
        if done.returncode == 0:
            return done.stdout.strip()
    raise ConfigError(f"{what}={ref} does not exist in {src}: expected a branch, tag or "
                      f"commit id")


def check_range(repo, good, bad, refs):
    """GOOD must be a proper ancestor of BAD."""
    if good == bad:
        raise ConfigError(f"GOOD={refs[0]} and BAD={refs[1]} are the same commit: "
                          f"expected GOOD to be older than BAD")
    if _git(repo, "merge-base", "--is-ancestor", good, bad, check=False).returncode != 0:
        raise ConfigError(f"GOOD={refs[0]} is not an ancestor of BAD={refs[1]}: expected "
                          f"GOOD on BAD's history (git merge-base --is-ancestor)")


def subject(repo, commit):
    return _git(repo, "log", "-1", "--format=%s", commit).stdout.strip()


class State:
    """What every step needs, kept in a JSON file that git bisect run's steps read."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.__dict__, out, indent=2)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as data:
            return cls(**json.load(data))


def run_test(state, commit, label):
    """Run the variant on the checked-out ``commit``; return a step record.

    Stops at the first repetition that fails the same way as BAD.
    """
    source = os.path.join(state.clone, state.subdir) if state.subdir else state.clone
    extra = list(state.extra_params) + [f"{state.src_param}={source}"]
    argv = run_variant.command(state.cfg, state.shortname, extra,
                               results_dir=os.path.join(state.outdir, "steps"))
    started = time.monotonic()
    runs, verdicts = [], []
    for _ in range(max(1, state.repeats)):
        try:
            outcome = run_variant.run(argv, params=state.params, timeout=state.step_timeout,
                                      log_path=os.path.join(state.outdir, "avocado.log"))
        except VexfsError as err:
            runs.append({"status": "ERROR", "fail_reason": str(err), "signature": None})
            verdicts.append((failure.SKIP, f"infrastructure error: {err}"))
            continue
        runs.append(dict(outcome.as_dict(), signature=failure.of_outcome(outcome)))
        verdicts.append(failure.classify(outcome.status, runs[-1]["signature"],
                                         state.reference, outcome.fail_reason))
        if verdicts[-1][0] == failure.BAD or (state.reference is None
                                              and runs[-1]["status"] == "FAIL"):
            break
    verdict, reason = failure.combine(verdicts)
    return {"commit": commit, "subject": subject(state.clone, commit), "label": label,
            "verdict": verdict, "reason": reason,
            "seconds": round(time.monotonic() - started, 1), "runs": runs}


def log_step(state, record):
    """Keep the step in steps.jsonl and print one progress line."""
    with open(os.path.join(state.outdir, "steps.jsonl"), "a", encoding="utf-8") as steps:
        steps.write(json.dumps(record) + "\n")
    skip = record["verdict"] == failure.SKIP
    print(f"{PROGRESS}{record['verdict']:4} {record['commit'][:12]} "
          f"{record['seconds']:6.1f}s {record['label']:5} {record['subject'][:50]}"
          f"{'  (' + record['reason'] + ')' if skip else ''}", flush=True)
    return record


def step(state_path):
    """One `git bisect run` step: run the test at HEAD; return git's exit code."""
    state = State.load(state_path)
    head = _git(state.clone, "rev-parse", "HEAD").stdout.strip()
    record = log_step(state, run_test(state, head, "step"))
    return STEP_EXIT[record["verdict"]]


def _checkout(state, commit):
    _git(state.clone, "checkout", "-q", "--force", "--detach", commit)


def verify_ends(state, refs):
    """Run the test at BAD (it must FAIL) and at GOOD (it must pass); set the reference."""
    _checkout(state, state.bad)
    state.reference = None
    bad = run_test(state, state.bad, "BAD")
    failed = [r for r in bad["runs"] if r["status"] == "FAIL"]
    if not failed:
        log_step(state, bad)
        last = bad["runs"][-1]
        raise ConfigError(f"BAD={refs[1]} does not fail {state.shortname}: it gave "
                          f"{last['status']}{': ' + last['fail_reason'] if last['fail_reason'] else ''}"
                          f" (job {last.get('job')}): expected a FAIL (a crash or a "
                          f"failed check) to bisect")
    state.reference = failed[0]["signature"]
    bad["verdict"], bad["reason"] = failure.BAD, f"reference failure: {state.reference}"
    log_step(state, bad)
    _checkout(state, state.good)
    good = log_step(state, run_test(state, state.good, "GOOD"))
    if good["verdict"] == failure.BAD:
        raise ConfigError(f"GOOD={refs[0]} already fails {state.shortname} the same way "
                          f"({state.reference}): expected a commit where it passes")
    if good["verdict"] != failure.GOOD:
        raise ConfigError(f"GOOD={refs[0]} does not pass {state.shortname} "
                          f"({good['reason']}): expected a commit where it passes")


def _bisect_run(state, state_path):
    """git bisect start BAD GOOD; git bisect run <this module> step; parse the answer."""
    _git(state.clone, "bisect", "start", state.bad, state.good)
    proc = subprocess.Popen(["git", "-C", state.clone, "bisect", "run", sys.executable,
                             "-m", "avocado_vexfs.triage.bisect", "step", state_path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=run_variant.REPO)
    output = []
    for line in proc.stdout:
        output.append(line)
        if line.startswith(PROGRESS):
            print(line.rstrip(), flush=True)
    proc.wait()
    text = "".join(output)
    with open(os.path.join(state.outdir, "git-bisect.log"), "w", encoding="utf-8") as log:
        log.write(text)
    found = re.search(r"^([0-9a-f]{40}) is the first bad commit", text, re.M)
    if found:
        return found.group(1), []
    if "only 'skip'ped commits left" in text:
        block = text.split("could be any of:", 1)[-1]
        return None, re.findall(r"^([0-9a-f]{40})$", block, re.M)
    lines = text.strip().splitlines()
    raise VexfsError(f"git bisect run ended without an answer (exit {proc.returncode}): "
                     f"{lines[-1] if lines else 'no output'}")


def new_outdir(root):
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H.%M")
    path = os.path.join(root, f"bisect-{stamp}-{secrets.token_hex(3)}")
    os.makedirs(os.path.join(path, "steps"))
    return path


def bisect(src, good, bad, test, cfg=None, extra_params=(), results_root=None,
           src_param=None, subdir="", repeats=None, step_timeout=None):
    """Find the first commit between GOOD and BAD where ``test`` fails as it does at BAD.

    :returns: the result dict also written to <outdir>/bisect.json
    :raises ConfigError: bad input (one line); the clone is removed in every case
    """
    cfg, params = run_variant.resolve(test, cfg, extra_params)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="avocado-vexfs-bisect-")
    result = {"test": params["shortname"], "cfg": cfg, "src": src, "good": good,
              "bad": bad, "first_bad": None, "steps": []}
    outdir = None
    try:
        repo = clone(src, os.path.join(work, "src"))
        ends = (commit_of(repo, good, "GOOD", src), commit_of(repo, bad, "BAD", src))
        check_range(repo, ends[0], ends[1], (good, bad))
        outdir = result["results"] = new_outdir(results_root or jobdir.roots()[0])
        state = State(clone=repo, subdir=subdir, cfg=cfg, shortname=params["shortname"],
                      params=params, extra_params=list(extra_params),
                      src_param=src_param or ("module_src" if "module_src" in params
                                              else "vexfs_src"),
                      repeats=int(repeats or params.get("bisect_repeats", 1)),
                      step_timeout=int(step_timeout or params.get("bisect_step_timeout",
                                                                  1800)),
                      outdir=outdir, good=ends[0], bad=ends[1], reference=None)
        commits = _git(repo, "rev-list", "--count", f"{ends[0]}..{ends[1]}").stdout.strip()
        result.update(commits=int(commits), src_param=state.src_param)
        print(f"bisecting {state.shortname} over {commits} commits ({good}..{bad}); "
              f"steps in {outdir}", flush=True)
        verify_ends(state, (good, bad))
        result["failure"] = state.reference
        state_path = os.path.join(work, "state.json")
        state.save(state_path)
        first, candidates = _bisect_run(state, state_path)
        result.update(first_bad=first, candidates=candidates)
        if first:
            result["subject"] = subject(repo, first)
        return result
    except VexfsError as err:
        result["error"] = str(err)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if outdir:
            result["steps"] = _read_steps(outdir)
            result["seconds"] = round(time.monotonic() - started, 1)
            with open(os.path.join(outdir, BISECT_FILE), "w", encoding="utf-8") as out:
                json.dump(result, out, indent=2)


def _read_steps(outdir):
    path = os.path.join(outdir, "steps.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as steps:
        return [json.loads(line) for line in steps if line.strip()]


def summary_lines(result):
    """The end of `make bisect`: the answer, the failure, every step."""
    lines = []
    if result.get("first_bad"):
        lines.append(f"first bad commit: {result['first_bad'][:12]} {result['subject']}")
    elif result.get("candidates"):
        lines.append("first bad commit is one of (the others were skipped): "
                     + ", ".join(c[:12] for c in result["candidates"]))
    lines.append(f"failure: {result.get('failure')}")
    lines.append(f"steps: {len(result['steps'])} over {result.get('commits')} commits, "
                 f"{result['seconds']:.0f}s")
    for entry in result["steps"]:
        lines.append(f"  {entry['verdict']:4} {entry['commit'][:12]} {entry['seconds']:6.1f}s "
                     f"{entry['label']:5} {entry['subject'][:50]}"
                     + (f"  ({entry['reason']})" if entry["verdict"] == failure.SKIP else ""))
    lines.append(f"results: {os.path.join(result['results'], BISECT_FILE)}")
    return lines


def main(argv=None):
    """``python -m avocado_vexfs.triage.bisect step STATE``: what git bisect run calls."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "step":
        print("usage: python -m avocado_vexfs.triage.bisect step STATE.json", file=sys.stderr)
        return 255
    try:
        return step(argv[1])
    except Exception as err:  # pylint: disable=broad-except
        # exit 255 aborts git bisect run: a bug here must not be read as "bad"
        print(f"{PROGRESS}step aborted: {type(err).__name__}: {err}", flush=True)
        return 255


if __name__ == "__main__":
    sys.exit(main())

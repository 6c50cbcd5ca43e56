"""Crash states against the model: failures with expected vs found, grouped by signature.

A failure names the workload, the mark (the crash state), the fact's origin (which
persistence call promised it), what was expected and what was found. Its signature
drops the names and numbers (``rename+fsync: file content differs``) so one bug met by
twenty workloads is one group.
"""
import collections

from avocado_vexfs.crashcons.model import expectations
from avocado_vexfs.crashcons.workload import PERSIST


def describe_runs(runs):
    """"8192 x 's' + 4096 x 'b'" from [[115, 8192], [98, 4096]]."""
    if not runs:
        return "empty"
    parts = []
    for byte, count in runs:
        parts.append("..." if byte == "..." else
                     f"{count} x {chr(byte)!r}" if 32 < byte < 127 else
                     f"{count} x {byte:#04x}")
    return " + ".join(parts)


def describe(kind, facts):
    """Short human text of a file, dir or symlink as expected or found."""
    if facts is None:
        return "missing"
    if facts.get("type", kind) != kind:
        return f"a {facts.get('type')}, not a {kind}"
    if kind == "file":
        text = f"{facts['size']} B: {describe_runs(facts['runs'])}"
        return text + (f", nlink {facts['nlink']}" if "nlink" in facts else "")
    if kind == "dir":
        return "{" + ", ".join(f"{n}:{t}" for n, t in sorted(facts["entries"].items())) + "}"
    return f"-> {facts['target']}"


def _found_entries(tree, directory):
    prefix = directory + "/" if directory else ""
    return {p[len(prefix):]: f["type"] for p, f in tree.items()
            if p.startswith(prefix) and "/" not in p[len(prefix):]}


def fact_problem(fact, tree):
    """(problem kind, found text) when the crash state breaks ``fact``; else None."""
    if fact.kind == "dir":
        if fact.path and fact.path not in tree:
            return "directory missing", "missing"
        found = _found_entries(tree, fact.path)
        if found == fact.want["entries"]:
            return None
        lost = set(fact.want["entries"]) - set(found)
        extra = set(found) - set(fact.want["entries"])
        kind = ("entry missing" if lost and not extra else "stale entry" if extra and
                not lost else "entries differ")
        return f"directory {kind}", describe("dir", {"entries": found})
    found = tree.get(fact.path)
    if found is None and fact.want.get("may_be_missing"):
        return None
    if found is None:
        return f"{fact.kind} missing", "missing"
    if found["type"] != fact.kind:
        return f"{fact.kind} has wrong type", describe(fact.kind, found)
    if fact.kind == "symlink":
        return (None if found["target"] == fact.want["target"] else
                ("symlink target differs", describe("symlink", found)))
    keys = [k for k in ("size", "runs", "nlink") if k in fact.want]
    shown = {k: found[k] for k in keys}
    if shown == {k: fact.want[k] for k in keys}:
        return None
    kind = ("file size differs" if found["size"] != fact.want["size"] else
            "file content differs" if found["runs"] != fact.want["runs"] else
            "file link count differs")
    return kind, describe("file", shown)


class Failure:
    """One broken promise (or a broken crash state) at one mark of one workload."""

    def __init__(self, workload, mark, call, problem, expected, found, origin, skeleton):
        self.workload, self.mark, self.call = workload, mark, call
        self.problem, self.expected, self.found = problem, expected, found
        self.origin, self.skeleton = origin, skeleton
        self.rerun = ""

    @property
    def signature(self):
        """The problem and the kind of promise broken; names, numbers and the workload's
        shape are left out (the report lists the shapes under each signature)."""
        if not self.origin:
            return self.problem
        return f"{self.problem} (promised by {self.origin.split()[0]})"

    def __str__(self):
        text = (f"{self.workload} at {self.mark} ({self.call}): {self.problem}: "
                f"expected {self.expected}, found {self.found}")
        if self.origin:
            text += f" [promised by {self.origin}]"
        return text


def skeleton(lines):
    """The workload's shape without names: "link+fsync" (setup lines left out)."""
    body = [l for l in lines if l.number > _setup_end(lines)]
    return "+".join(l.op if l.op != "fsync" or "/" in l.args[0] else "fsync_dir"
                    for l in body) or "setup"


def _setup_end(lines):
    return next((l.number for l in lines if l.op in PERSIST), 0)


def check(name, lines, guest_result, fsck_ok_status=(0,)):
    """[Failure] of one workload's guest result (checks/guest/crashcons.py output)."""
    shape = skeleton(lines)
    if guest_result.get("error"):
        return [Failure(name, "-", "-", "run error", "the workload recorded and replayed",
                        guest_result["error"], "", shape)]
    expected = expectations(lines, guest_result.get("lines", {}))
    found_by_mark = {m["mark"]: m for m in guest_result.get("marks", [])}
    failures = []
    for want in expected:
        found = found_by_mark.get(want.mark)
        new = lambda *a: failures.append(  # noqa: E731
            Failure(name, want.mark, want.call, *a, shape))
        if found is None:
            new("crash state not checked", "a mark in the log", "no such mark", "")
            continue
        if found.get("log", {}).get("flushes") == 0:
            # Nothing is durable yet: every promise of this mark is broken by that one
            # cause, so it is one failure, not one per lost file.
            lost = sum(1 for fact in want.facts if fact_problem(fact, found["tree"]))
            new("no cache flush reached the disk", "a FLUSH or FUA write by this mark",
                f"{found['log'].get('disk_sectors', '?')} sectors written to the disk, none "
                f"flushed; {lost} of {len(want.facts)} promised facts lost", "")
            continue
        if found["mount_error"]:
            new("mount failed", "a mountable filesystem", found["mount_error"][-300:], "")
            continue
        for error in found["errors"]:
            new("corrupt entry", "every entry readable", error, "")
        fsck = found.get("fsck")
        if fsck and fsck["status"] not in fsck_ok_status:
            tail = " | ".join(fsck["output"].splitlines()[-4:])
            new("fsck found errors", "fsck clean", f"exit {fsck['status']}: {tail}", "")
        for fact in want.facts:
            problem = fact_problem(fact, found["tree"])
            if problem:
                new(problem[0], f"{fact.path or '/'} " + describe(fact.kind, fact.want),
                    problem[1], fact.origin)
    return failures


def group(failures):
    """{signature: [Failure]} with the most frequent signature first."""
    groups = collections.defaultdict(list)
    for failure in failures:
        groups[failure.signature].append(failure)
    return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


def add_to(results, summary, check_name="crash_states"):
    """An exploration's failures into a test's checks.Checks: one problem per
    signature (signed by the signature alone, so counts and rerun commands stay out of
    it), and a problem when no crash state was checked at all."""
    results.ran_check(check_name)
    for signature, members in group(summary.failures).items():
        results.add(check_name, [f"[{len(members)}] {signature}: e.g. {members[0]}; "
                                 f"rerun: {members[0].rerun}"], key=signature)
    if not summary.marks:
        results.add(check_name, ["no crash state was checked"])


def report(failures, limit=3):
    """Text lines: one heading per signature, then examples from up to ``limit``
    workloads, each workload's failures followed by its rerun command once."""
    out = []
    for signature, members in group(failures).items():
        workloads = list(dict.fromkeys(f.workload for f in members))
        shapes = list(dict.fromkeys(f.skeleton for f in members))
        out.append(f"[{len(members)}] {signature} ({len(workloads)} workloads; shapes: "
                   f"{', '.join(shapes[:6])}{' ...' if len(shapes) > 6 else ''})")
        for name in workloads[:limit]:
            mine = [f for f in members if f.workload == name]
            out += [f"    {failure}" for failure in mine]
            if mine[0].rerun:
                out.append(f"      rerun: {mine[0].rerun}")
    return out

"""Crash findings of a fuzz job: one directory per crash title, each a reproducer.

A fuzzer that hits one bug hits it hundreds of times; what a developer needs is each
distinct crash once, with the smallest thing that reproduces it. So findings are keyed by
the console classifier's crash title (``console.crash.Crash.title``): the first case
with a title creates its directory (the delta from the seed, the console excerpt, a
``repro.sh`` and ``finding.json``), and later ones only raise its count. Everything is
on disk as soon as it is found, finding.json last and renamed into place, so a job that
is interrupted keeps every finding it had. One writer at a time (the fuzz loop).
"""
import datetime
import hashlib
import json
import logging
import os
import re
import shlex

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import delta, imagefile

LOG = logging.getLogger(__name__)

FINDING_FILE = "finding.json"
DELTA_FILE = "case.delta.json"
CONSOLE_FILE = "console.txt"
REPRO_FILE = "repro.sh"
REPRO_COMMAND = "avocado-vexfs fuzz-repro"
MAX_CASE_IDS = 50
MAX_CONSOLE_CHARS = 64 * 1024


def slug(title):
    """A directory name for ``title``: its words, then a hash that keeps two titles
    which differ only in punctuation apart."""
    words = re.sub(r"[^A-Za-z0-9_.]+", "-", title).strip("-.").lower()[:60].rstrip("-.")
    return f"{words or 'untitled'}-{hashlib.sha256(title.encode()).hexdigest()[:8]}"


def repro_command(finding_dir):
    """The one command that re-runs a finding's case in a guest."""
    return f"{REPRO_COMMAND} {shlex.quote(os.path.abspath(finding_dir))}"


def _repro_script(finding):
    return (f"#!/bin/sh\n"
            f"# {finding['title']}\n"
            f"# Re-runs case {finding['first_case_id']} ({finding['fs']}, seed sha256 "
            f"{finding['seed_sha256']}) in a guest.\n"
            f"exec {REPRO_COMMAND} \"$(dirname \"$0\")\" \"$@\"\n")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _write(path, text, mode=0o644):
    imagefile.write_regular(path, text.encode("utf-8"), what="finding file")
    os.chmod(path, mode)


def load(finding_dir):
    """finding.json of ``finding_dir``."""
    path = os.path.join(finding_dir, FINDING_FILE)
    try:
        with open(path, encoding="utf-8") as source:
            return json.load(source)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{finding_dir} is not a fuzz finding: {FINDING_FILE} cannot "
                          f"be read ({err})") from err


def reproduce_image(finding_dir, out_path, seed=None):
    """Write the image of a finding's case to ``out_path``; ``seed`` defaults to the
    seed path the finding recorded. Returns the path."""
    finding = load(finding_dir)
    seed = seed or finding.get("seed")
    if not seed:
        raise ConfigError(f"finding {finding_dir} recorded no seed path: give the seed "
                          f"image with sha256 {finding['seed_sha256']}")
    return delta.reproduce(os.path.join(finding_dir, finding["delta"]), seed, out_path)


class Findings:
    """The findings directory of one fuzz job."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def path(self, title):
        return os.path.join(self.directory, slug(title))

    def get(self, title):
        """The finding of ``title``, or None before it is found."""
        directory = self.path(title)
        if not os.path.exists(os.path.join(directory, FINDING_FILE)):
            return None
        return load(directory)

    def record(self, case, title, crash_type, console="", kernel_release=""):
        """Record that ``case`` (a ``mutate.Case``) crashed with ``title``.

        The first case of a title writes its directory; a later one counts.
        A ``console.crash.Crash`` gives ``title``, ``crash_type`` (its ``type``) and
        ``console`` (its ``text``). Returns the finding (finding.json's content) with
        ``new`` telling whether this title was new.
        """
        if not title:
            raise ConfigError(f"case {case.case_id}: a finding needs a crash title")
        directory = self.path(title)
        finding = self.get(title)
        if finding and finding.get("title") != title:
            raise ConfigError(f"{directory} holds {finding.get('title')!r}, not "
                              f"{title!r}: two titles with one slug")
        if finding:
            finding["count"] += 1
            if len(finding["case_ids"]) < MAX_CASE_IDS:
                finding["case_ids"].append(case.case_id)
            finding["last_case_id"] = case.case_id
            finding["last_seen"] = _now()
            self._save(directory, finding)
            return dict(finding, new=False)
        os.makedirs(directory, exist_ok=True)
        delta.save(delta.from_case(case), os.path.join(directory, DELTA_FILE))
        _write(os.path.join(directory, CONSOLE_FILE), console[:MAX_CONSOLE_CHARS])
        finding = {
            "title": title, "crash_type": crash_type, "first_case_id": case.case_id,
            "last_case_id": case.case_id, "case_ids": [case.case_id], "count": 1,
            "fs": case.fs, "kernel_release": kernel_release,
            "seed_sha256": case.seed_sha256, "seed": case.seed_path,
            "rng_seed": case.rng_seed, "delta": DELTA_FILE, "console": CONSOLE_FILE,
            "repro": REPRO_FILE, "command": repro_command(directory),
            "mutations": [m.to_dict() for m in case.mutations],
            "first_seen": _now(), "last_seen": _now(),
        }
        _write(os.path.join(directory, REPRO_FILE), _repro_script(finding), 0o755)
        self._save(directory, finding)
        LOG.info("new finding %r (%s) from case %s", title, crash_type, case.case_id)
        return dict(finding, new=True)

    @staticmethod
    def _save(directory, finding):
        _write(os.path.join(directory, FINDING_FILE),
               json.dumps(finding, indent=1, sort_keys=True) + "\n")

    def all(self):
        """Every finding on disk, first found first."""
        found = []
        for name in sorted(os.listdir(self.directory)):
            if os.path.isfile(os.path.join(self.directory, name, FINDING_FILE)):
                found.append(dict(load(os.path.join(self.directory, name)),
                                  dir=os.path.join(self.directory, name)))
        return sorted(found, key=lambda f: (f["first_seen"], f["title"]))

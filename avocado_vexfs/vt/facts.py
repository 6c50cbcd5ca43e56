"""A test's facts as JSON in its logdir (facts.json): what it ran on and where it crashed.

The provider's steps record each fact as it becomes known (the guest's kernel and boot
time, the guest image, each module build, the step a crash happened in); triage.jobdir
reads them back for repro and the report. The log lines saying the same are for humans
only: nothing parses them.

Keys: ``kernel`` (release), ``boot_seconds``, ``boot_phases`` (vm/boottime.py),
``image`` (the image's name in the cache) and ``image_dir``; per built module
``<what>_build`` (the build's cache key: ``fixture-`` or the source hash, then the
release) and ``<what>_build_dir``; ``crash_step``.
"""
import json
import os

FILE = "facts.json"


def path(logdir):
    return os.path.join(logdir, FILE)


def read(logdir):
    """The facts of the test whose logdir is ``logdir``; {} when none were written."""
    try:
        with open(path(logdir), encoding="utf-8") as src:
            data = json.load(src)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(logdir, **facts):
    """Merge ``facts`` into the logdir's facts.json, key by key; return all of them.

    Written to a temporary file and renamed over, so a reader never sees half a file.
    Without a logdir (a test run outside Avocado) nothing is written.
    """
    merged = dict(read(logdir), **facts) if logdir else dict(facts)
    if logdir:
        tmp = path(logdir) + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(merged, out, indent=2, sort_keys=True)
        os.replace(tmp, path(logdir))
    return merged


def build(what, directory):
    """The facts of one module build: its cache key (the directory's name) and directory."""
    return {f"{what}_build": os.path.basename(directory.rstrip(os.sep)),
            f"{what}_build_dir": directory}

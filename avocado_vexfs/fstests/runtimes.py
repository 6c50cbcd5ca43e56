"""How long each fstests test took, per filesystem: the order of the next selection.

Shards are balanced by running the longest tests first (a shared queue over the job's
parallel slots then ends evenly). The times of earlier runs are kept in the cache, one
JSON file per filesystem, updated under a lock after every test.
"""
import contextlib
import fcntl
import json
import os

from avocado_vexfs.vm import host


def path_for(fs_name, cache=None):
    directory = os.path.join(host.cache_dir(cache), "fstests")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, f"runtimes-{fs_name}.json")


def load(fs_name, cache=None):
    """{test: seconds} of earlier runs ({} before the first run)."""
    path = path_for(fs_name, cache)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as src:
        return json.load(src)


def record(fs_name, test, seconds, cache=None):
    """Remember the latest time of ``test``."""
    path = path_for(fs_name, cache)
    with open(path + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = {}
        with contextlib.suppress(FileNotFoundError):
            with open(path, encoding="utf-8") as src:
                data = json.load(src)
        data[test] = round(float(seconds), 1)
        with open(path + ".new", "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(path + ".new", path)

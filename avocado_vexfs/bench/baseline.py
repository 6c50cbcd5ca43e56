"""Baseline store: every repetition of every metric, keyed by where it was measured.

The key is (guest kernel release, vCPUs, memory, fs type, workload, workload options,
metric): a number from another guest shape or kernel is not a baseline for this one.

JSON, not SQLite: a baseline is small (tens of workloads x a few runs x a handful of
values), people read and diff it in review and copy it between machines, and writers are
few (one job records at a time; a lock file serialises them). Every write goes to a
temporary file that is fsynced and renamed over the old one, so the store is never
half-written. SQLite would pay off for long histories with many concurrent writers,
which a nightly job on one host does not have.
"""
import datetime
import fcntl
import json
import logging
import os

from avocado_vexfs.errors import ConfigError

LOG = logging.getLogger(__name__)

FORMAT = "avocado-vexfs-baseline"
VERSION = 1
KEY_FIELDS = ("kernel", "vcpus", "memory_mb", "fs_type")
ENTRY_FIELDS = KEY_FIELDS + ("workload", "params", "metric", "values")
# beside metrics.json in a bench test's logdir: where and for which guest it measured
RUN_FILE = "baseline-run.json"
METRICS_FILE = "metrics.json"
# a test whose metrics may become baseline: it ran every check and nothing failed
RECORDABLE_STATUSES = ("PASS", "WARN")


class BaselineError(ConfigError):
    """The baseline file is unreadable, or holds nothing for this guest."""


def key(kernel, vcpus, memory_mb, fs_type):
    """The guest part of a baseline key."""
    return {"kernel": str(kernel), "vcpus": int(vcpus), "memory_mb": int(memory_mb),
            "fs_type": str(fs_type)}


class Store:
    """A JSON baseline file; a missing file is an empty store."""

    def __init__(self, path):
        self.path = path

    def load(self):
        """The entries of the file; BaselineError naming the file when it is corrupt."""
        if not os.path.exists(self.path):
            return []
        data = _read_json(self.path, f"baseline file {self.path} is corrupt",
                          "JSON written by avocado-vexfs; delete it and record a new one "
                          "with 'make baseline'")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BaselineError(f"baseline file {self.path} is not an avocado-vexfs "
                                f"baseline: expected {{\"format\": \"{FORMAT}\", ...}}")
        if data.get("version") != VERSION:
            raise BaselineError(f"baseline file {self.path} has version "
                                f"{data.get('version')!r}: expected {VERSION}")
        entries = data.get("entries")
        if not isinstance(entries, list):
            raise BaselineError(f"baseline file {self.path}: 'entries' is not a list")
        for number, entry in enumerate(entries):
            missing = [f for f in ENTRY_FIELDS if not isinstance(entry, dict) or f not in entry]
            if missing or not isinstance(entry["values"], list):
                raise BaselineError(f"baseline file {self.path}: entry {number} lacks "
                                    f"{missing or ['a list of values']}: expected fields "
                                    f"{', '.join(ENTRY_FIELDS)}")
        return entries

    def record(self, guest_key, metrics, run_id):
        """Append one run's metrics (metrics.json entries) under ``guest_key``."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path + ".lock", "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = self.load()
            stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            for item in metrics:
                entries.append(dict(guest_key, workload=item["workload"],
                                    params=item["params"], metric=item["metric"],
                                    unit=item.get("unit", ""),
                                    higher_is_better=item.get("higher_is_better", True),
                                    values=list(item["values"]), run=str(run_id),
                                    recorded=stamp))
            self._write({"format": FORMAT, "version": VERSION, "entries": entries})
        return len(metrics)

    def _write(self, data):
        temporary = f"{self.path}.tmp.{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def lookup(self, guest_key, workload, params, metric, runs=3, entries=None):
        """Pooled values of the last ``runs`` recorded runs for this key; [] if none."""
        entries = self.load() if entries is None else entries
        matching = [e for e in entries
                    if all(e.get(f) == guest_key[f] for f in KEY_FIELDS)
                    and (e["workload"], e["params"], e["metric"]) == (workload, params, metric)]
        values = []
        for entry in matching[-runs:]:
            values += [float(v) for v in entry["values"]]
        return values

    def explain_missing(self, guest_key, workload, entries=None):
        """One line saying why there is no baseline for this workload and guest."""
        entries = self.load() if entries is None else entries
        same = [e for e in entries if e["workload"] == workload]
        if not same:
            return (f"no baseline for {workload} in {self.path}: record one with "
                    f"'make baseline' (a clean 'make nightly' records one too)")
        for field in KEY_FIELDS:
            seen = sorted({str(e.get(field)) for e in same})
            if str(guest_key[field]) not in seen:
                return (f"baseline {self.path} has {workload} only for {field} "
                        f"{', '.join(seen)}, not {guest_key[field]}: record one for this "
                        f"guest with 'make baseline' (a clean 'make nightly' records "
                        f"one too)")
            same = [e for e in same if str(e.get(field)) == str(guest_key[field])]
        return (f"baseline {self.path} has {workload} with other options than this run's: "
                f"record one with 'make baseline' (a clean 'make nightly' records one too)")


def write_run(logdir, guest_key, store_path, mode):
    """Write baseline-run.json: what record_job needs to record this test later.

    The nightly decides after the whole job whether a night is clean enough to learn
    from, so each bench test leaves its guest key and store as data beside its metrics
    instead of recording them itself.
    """
    path = os.path.join(logdir, RUN_FILE)
    data = {"key": guest_key, "store": os.path.abspath(store_path), "mode": mode,
            "metrics": METRICS_FILE}
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(path + ".tmp", path)
    return path


def read_run(logdir):
    """baseline-run.json of ``logdir`` as a dict, None when the test wrote none.

    :raises BaselineError: naming the file when it is unreadable or lacks a field
    """
    path = os.path.join(logdir, RUN_FILE)
    if not os.path.isfile(path):
        return None
    data = _read_json(path, f"{path} is corrupt", "JSON written by the bench test")
    missing = [f for f in ("key", "store", "mode", "metrics")
               if not isinstance(data, dict) or f not in data]
    if missing or not isinstance(data["key"], dict) or \
            [f for f in KEY_FIELDS if f not in data["key"]]:
        raise BaselineError(f"{path} lacks {missing or ['a full guest key']}: expected "
                            f"key ({', '.join(KEY_FIELDS)}), store, mode and metrics")
    return data


def _read_json(path, failure, expected, field=None):
    """The JSON in ``path`` (its ``field`` when given); when it cannot be read, one
    BaselineError line "FAILURE (error): expected EXPECTED"."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if field is None else data[field]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise BaselineError(f"{failure} ({err}): expected {expected}") from err


def _job_tests(job_dir):
    """(test, logdir) of each test in the job's results.json; a moved job finds its own
    copy of the logdir first, as the report does.

    Read here rather than through report.jobdir: the report imports this module, not
    the other way round.
    """
    path = os.path.join(job_dir, "results.json")
    tests = _read_json(path, f"{path} is unreadable",
                       "the results of a finished Avocado job", field="tests")
    for test in tests:
        logdir = test.get("logdir") or ""
        local = os.path.join(job_dir, "test-results", os.path.basename(logdir))
        yield test, local if logdir and os.path.isdir(local) else logdir


def _load_metrics(path):
    """The measured entries of a metrics.json (skipped workloads have no values)."""
    data = _read_json(path, f"{path} is unreadable", "the bench test's list of metrics")
    if not isinstance(data, list):
        raise BaselineError(f"{path} is not a list: expected the bench test's metrics")
    return [entry for entry in data if isinstance(entry, dict) and "values" in entry]


def recordable(test, run):
    """Why a bench test of a job is not recorded, or None when it should be.

    Only check-mode runs are recorded: a record-mode run already wrote itself, and an
    off-mode run may have too few repeats for the regression check.
    """
    if run["mode"] != "check":
        return f"bench_regression = {run['mode']}"
    if test.get("status") not in RECORDABLE_STATUSES:
        return f"status {test.get('status')}"
    return None


def record_job(job_dir):
    """Record the metrics of every bench test of a finished job in its baseline store.

    Called by the nightly once the whole night is known to be clean.

    :returns: [(test name, store path, number of metrics recorded)], one per test
    :raises BaselineError: when a test's run file, its metrics or a store is corrupt
    """
    recorded = []
    for test, logdir in _job_tests(job_dir):
        run = read_run(logdir) if logdir and os.path.isdir(logdir) else None
        if run is None:
            continue
        name = test.get("name") or os.path.basename(logdir)
        why_not = recordable(test, run)
        if why_not:
            LOG.info("baseline: %s not recorded: %s", name, why_not)
            continue
        metrics = _load_metrics(os.path.join(logdir, run["metrics"]))
        if not metrics:
            LOG.warning("baseline: %s measured nothing: not recorded", name)
            continue
        run_id = f"{os.path.basename(os.path.normpath(job_dir))}/{os.path.basename(logdir)}"
        count = Store(run["store"]).record(run["key"], metrics, run_id=run_id)
        LOG.info("baseline: %s: %d metrics recorded in %s", name, count, run["store"])
        recorded.append((name, run["store"], count))
    return recorded

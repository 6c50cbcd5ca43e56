"""Booted guests shared by the tests of one Avocado job, one guest per parallel slot.

fstests runs hundreds of short tests; a fresh guest for each would cost more than the
test (a boot, the module load, the mkfs of TEST_DEV). A slot's guest serves test after
test while it stays healthy: the console shows no crash, the kernel's taint did not
change, the test body finished. Anything else destroys it, and the next test in that
slot boots a fresh one, so a crash never leaks into the next verdict.

A slot is a lock file: a test holds it for its whole run, so N parallel tasks use at most
N guests. The slot's state file says which guest it holds and for which key (the guest
config and what was set up in it); a test with another key replaces the guest.

The job owns the guests: vt/pool_plugin names the pool before the job's tests start
(POOL_ENV, inherited by the test processes) and tears it down after the last one, Ctrl-C
included. Guests and the pool directory carry the job's pid in their names, so
vm/guest.sweep_stale removes them if the job itself is killed.
"""
import contextlib
import fcntl
import json
import logging
import os
import shutil

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vm import domain as domain_mod
from avocado_vexfs.vm import host

POOL_ENV = "AVOCADO_VEXFS_POOL"
MAX_SLOTS = 64
LOG = logging.getLogger(__name__)


class Pool:
    """The pool directory of one job: slot<i>.lock and slot<i>.json files."""

    def __init__(self, directory, owner_pid, uri=host.DEFAULT_URI):
        self.directory = directory
        self.owner_pid = int(owner_pid)
        self.uri = uri

    @classmethod
    def for_job(cls, owner_pid, run_root=None):
        directory = os.path.join(host.run_dir(run_root),
                                 f"{domain_mod.NAME_PREFIX}{owner_pid}-pool")
        os.makedirs(directory, mode=0o755, exist_ok=True)
        return cls(directory, owner_pid)

    def env_value(self):
        return f"{self.owner_pid}:{self.directory}"

    @classmethod
    def from_env_value(cls, value):
        """The pool a job named in POOL_ENV; None when unset (a test outside a job)."""
        if not value:
            return None
        pid, sep, directory = value.partition(":")
        if not sep or not pid.isdigit() or not os.path.isabs(directory):
            raise ConfigError(f"{POOL_ENV}={value!r}: expected <job pid>:<absolute pool "
                              f"directory> (set by avocado-vexfs's job plugin)")
        if not os.path.isdir(directory):
            return None
        return cls(directory, pid)

    @contextlib.contextmanager
    def slot(self, key):
        """Hold a free slot for the caller's test; yields a Slot."""
        for index in range(MAX_SLOTS):
            lock = open(os.path.join(self.directory, f"slot{index}.lock"), "w",
                        encoding="utf-8")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            try:
                yield Slot(self, index, key)
            finally:
                lock.close()
            return
        raise ConfigError(f"guest pool {self.directory}: all {MAX_SLOTS} slots busy: "
                          f"expected at most {MAX_SLOTS} parallel tests")

    def states(self):
        """Every slot's saved guest state (for teardown and for tests)."""
        found = []
        for entry in sorted(os.listdir(self.directory)):
            if entry.startswith("slot") and entry.endswith(".json"):
                with open(os.path.join(self.directory, entry), encoding="utf-8") as src:
                    found.append(json.load(src))
        return found

    def teardown(self):
        """Destroy every guest the pool holds and remove its files; returns their names."""
        names = []
        if not os.path.isdir(self.directory):
            return names
        for state in self.states():
            guest = state["guest"]
            domain_mod.destroy_by_name(self.uri, guest["name"])
            if guest.get("workdir"):
                shutil.rmtree(guest["workdir"], ignore_errors=True)
            names.append(guest["name"])
        # a guest whose test was killed before it handed the guest back is in no slot
        # file; its name still says whose it is
        prefix = f"{os.path.basename(self.directory)}"
        for name in domain_mod.leftover_domains(self.uri):
            if name.startswith(prefix) and name not in names:
                domain_mod.destroy_by_name(self.uri, name)
                names.append(name)
        run_root = os.path.dirname(self.directory)
        for entry in os.listdir(run_root):
            if entry.startswith(prefix) and entry != os.path.basename(self.directory):
                shutil.rmtree(os.path.join(run_root, entry), ignore_errors=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        LOG.debug("guest pool %s torn down: %s", self.directory, names or "empty")
        return names


class Slot:
    """One held slot: the guest it has for ``key`` (if any), and how to hand it back."""

    def __init__(self, pool, index, key):
        self.pool = pool
        self.index = index
        self.key = key
        self.path = os.path.join(pool.directory, f"slot{index}.json")
        self.saved = None
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as src:
                self.saved = json.load(src)

    @property
    def reusable(self):
        """The saved guest state when it was set up for our key; None otherwise."""
        if self.saved and self.saved.get("key") == self.key:
            return self.saved["guest"]
        return None

    @property
    def tests_served(self):
        return self.saved.get("tests", 0) if self.reusable else 0

    def discard_other(self):
        """Destroy a guest the slot holds for another key (another variant's setup)."""
        if self.saved and not self.reusable:
            guest = self.saved["guest"]
            LOG.info("guest pool: slot %d had %s for another setup; destroying it",
                     self.index, guest["name"])
            domain_mod.destroy_by_name(self.pool.uri, guest["name"])
            if guest.get("workdir"):
                shutil.rmtree(guest["workdir"], ignore_errors=True)
            self.forget()

    def keep(self, state, baseline, tests):
        """Save a healthy guest for the slot's next test."""
        with open(self.path + ".new", "w", encoding="utf-8") as out:
            json.dump({"key": self.key, "guest": state, "baseline": baseline,
                       "tests": tests}, out, indent=1)
        os.replace(self.path + ".new", self.path)

    def forget(self):
        self.saved = None
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)

"""The fuzz loop: case after case in one guest until it crashes or hangs, then a fresh one.

A case is a mutated seed written into the guest's fuzz disk (a regular file on the
host, overwritten in place while nothing in the guest has it mounted), then mounted,
walked and unmounted by one guest command. The console classifier decides: a crash
title is a finding (deduplicated by title in ``findings``) and retires the guest, as
does a hang; a refused mount or an I/O error is the filesystem doing its job. Progress
and counts go to ``fuzz.json`` as the job goes, so an interrupted run keeps its numbers.
"""
import json
import logging
import os
import shlex
import time

from avocado_vexfs import paths
from avocado_vexfs.console import verdict as console_verdict
from avocado_vexfs.console.formats import STEP_PREFIX
from avocado_vexfs.errors import GuestError
from avocado_vexfs.fuzz import findings as findings_mod
from avocado_vexfs.fuzz import imagefile, mutate

LOG = logging.getLogger(__name__)
WALK_SCRIPT = "fuzz_walk.sh"
GUEST_WALK = "/root/fuzz_walk.sh"
# exit codes of fuzz_walk.sh
OUTCOMES = {0: "walked", 10: "mount_refused", 11: "umount_failed", 124: "walk_over_time"}


class Campaign:
    """One filesystem's fuzz run against a time budget.

    :param new_guest: ``new_guest(index)`` returns a started guest with the filesystem's
        module loaded; its first scratch disk is the fuzz disk
    :param seeds: seed image paths (all of one filesystem, all of one size)
    :param params: the test's params, for the console verdict's own settings
    """

    def __init__(self, *, filesystem, new_guest, seeds, out_dir, minutes, params,
                 case_timeout=20, rng_seed=0, mountpoint="/mnt/fuzz", max_cases=None):
        self.filesystem = filesystem
        self.new_guest = new_guest
        self.seeds = [mutate.Seed.load(path) for path in seeds]
        self.out_dir = out_dir
        self.deadline = time.monotonic() + float(minutes) * 60
        self.params = params
        self.case_timeout = int(case_timeout)
        self.rng_seed = int(rng_seed)
        self.mountpoint = mountpoint
        self.max_cases = max_cases
        self.store = findings_mod.Findings(os.path.join(out_dir, "findings"))
        self.stats = {"cases": 0, "guests": 0, "findings": 0, "crashes": 0,
                      **{name: 0 for name in OUTCOMES.values()}, "seconds": 0.0,
                      "cases_per_minute": 0.0, "fs": filesystem.name,
                      "seeds": [seed.path for seed in self.seeds], "titles": {}}
        self._started = time.monotonic()

    def run(self):
        """Run cases until the budget is spent; return the stats (also in fuzz.json)."""
        guest = None
        try:
            while time.monotonic() < self.deadline and (
                    self.max_cases is None or self.stats["cases"] < self.max_cases):
                if guest is None:
                    guest = self._fresh_guest()
                if not self.one_case(guest, self._next_case()):
                    guest.cleanup()
                    guest = None
        finally:
            if guest is not None:
                guest.cleanup()
            self._save()
        return self.stats

    def _next_case(self):
        number = self.stats["cases"]
        seed = self.seeds[number % len(self.seeds)]
        return mutate.mutate(seed, rng_seed=self.rng_seed + number)

    def _fresh_guest(self):
        guest = self.new_guest(self.stats["guests"])
        self.stats["guests"] += 1
        self.stats["kernel_release"] = guest.kernel["release"]
        guest.put_file(paths.guest_script(WALK_SCRIPT), GUEST_WALK, mode=0o755)
        return guest

    def one_case(self, guest, case):
        """Run ``case`` in ``guest``; False when the guest must be retired."""
        backing = guest.scratch_files[0]
        imagefile.overwrite(backing, case.seed_data, case.changes)
        start = len(guest.console_text())
        command = (f"echo '{STEP_PREFIX}fuzz case {case.case_id}' > /dev/kmsg; "
                   f"{GUEST_WALK} {shlex.quote(self.filesystem.fstype)} "
                   f"{shlex.quote(guest.scratch[0])} {shlex.quote(self.mountpoint)} "
                   f"{self.case_timeout}")
        self.stats["cases"] += 1
        lost = False
        status = None
        try:
            status, _ = guest.status_output(command, timeout=self.case_timeout + 60)
        except GuestError as err:
            if not guest.session_lost(err):
                raise
            lost = True
            guest.recover_hang()
        text = guest.settled_console_text()[start:]
        crash = console_verdict.first_crash(text, self.params, lost_connection=lost)
        if crash:
            self._finding(case, crash, guest)
            return False
        outcome = OUTCOMES.get(status, "walked")
        self.stats[outcome] += 1
        if self.stats["cases"] % 25 == 0:
            self._save()
        return outcome != "umount_failed"

    def _finding(self, case, crash, guest):
        self.stats["crashes"] += 1
        found = self.store.record(case, crash.title, crash.type, crash.text,
                                  kernel_release=guest.kernel["release"])
        self.stats["titles"][crash.title] = found["count"]
        if found["new"]:
            self.stats["findings"] += 1
            LOG.info("fuzz: new finding %r from case %s", crash.title, case.case_id)
        self._save()

    def _save(self):
        elapsed = time.monotonic() - self._started
        self.stats["seconds"] = round(elapsed, 1)
        self.stats["cases_per_minute"] = round(self.stats["cases"] / elapsed * 60, 1) \
            if elapsed > 0 else 0.0
        os.makedirs(self.out_dir, exist_ok=True)
        path = os.path.join(self.out_dir, "fuzz.json")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(self.stats, out, indent=1, sort_keys=True)
        os.replace(path + ".tmp", path)

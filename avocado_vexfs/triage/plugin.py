"""Avocado result plugin: repro.json in every job directory that has a failed test.

Registered in setup.py as ``avocado.plugins.result`` "repro". Avocado runs result
plugins in name order, so this runs after "json" (results.json is on disk) and before
"vexfs_html" (the HTML report can show each failure's repro command).

A test that ended on a config error (a ConfigError: a typo, a value out of range) gets no
REPRO line: re-running it would only repeat the typo. A job run without --vt-config (the
instrumented tests of tests-instrumented/) gets no repro.json.
"""
import os

from avocado.core.output import LOG_UI
from avocado.core.plugin_interfaces import Result

from avocado_vexfs.errors import VexfsError
from avocado_vexfs.triage import repro


class ReproResult(Result):
    """Write ``repro.json`` (one command per failed test) when the job ends."""

    name = "repro"
    description = "avocado-vexfs: one command per failed test (repro.json)"

    def render(self, result, job):
        if not (result.failed or result.errors or result.interrupted):
            return
        if not os.path.isfile(os.path.join(job.logdir, "results.json")):
            return
        if not job.config.get("vt.config"):
            # not an Avocado-VT job: an instrumented test re-runs by its own avocado
            # command, there is no cfg variant to rebuild
            return
        skip = {_name(test) for test in result.tests if repro.is_config_error(test)}
        try:
            data = repro.write_for_job(job.logdir, skip=skip)
        except (VexfsError, OSError, ValueError) as err:
            LOG_UI.error("avocado-vexfs repro: repro.json not written: %s", err)
            return
        for name, entry in sorted(data["tests"].items()):
            if name not in skip:
                LOG_UI.info("REPRO %s: %s", name, entry["command"])


def _name(test):
    """A live result's test name as results.json spells it (name plus variant)."""
    test_id = test.get("name")
    return f"{test_id.name}{test_id.str_variant}" if hasattr(test_id, "str_variant") \
        else str(test_id)

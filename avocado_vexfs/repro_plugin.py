"""Avocado result plugin: repro.json in every job directory that has a failed test.

Registered in setup.py as ``avocado.plugins.result`` "repro". Avocado runs result
plugins in name order, so this runs after "json" (results.json is on disk) and before
"vexfs_html" (the HTML report can show each failure's repro command).
"""
import os

from avocado.core.output import LOG_UI
from avocado.core.plugin_interfaces import Result

from avocado_vexfs import repro
from avocado_vexfs.errors import VexfsError


class ReproResult(Result):
    """Write ``repro.json`` (one command per failed test) when the job ends."""

    name = "repro"
    description = "avocado-vexfs: one command per failed test (repro.json)"

    def render(self, result, job):
        if not (result.failed or result.errors or result.interrupted):
            return
        if not os.path.isfile(os.path.join(job.logdir, "results.json")):
            return
        try:
            data = repro.write_for_job(job.logdir)
        except (VexfsError, OSError, ValueError) as err:
            LOG_UI.error("avocado-vexfs repro: repro.json not written: %s", err)
            return
        for name, entry in sorted(data["tests"].items()):
            LOG_UI.info("REPRO %s: %s", name, entry["command"])

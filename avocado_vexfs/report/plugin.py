"""Avocado plugins: the HTML report at the end of every job, and our settings section.

Registered in setup.py under ``avocado.plugins.init`` and ``avocado.plugins.result``.
The result plugin renders from Avocado's own JSON rendering of the job result (the same
dict as results.json), so the report does not depend on the json plugin running first.
It runs at a lower priority than Avocado's own result plugins so that results.xml exists
when it adds each test's per-check lines to it (report/xunit.py says why).
"""
import os

from avocado.core.extension_manager import PluginPriority
from avocado.core.output import LOG_UI
from avocado.core.plugin_interfaces import Init, Result
from avocado.core.settings import settings
from avocado.core.test_id import TestID
from avocado.plugins.jsonresult import JSONResult

from avocado_vexfs import settings as vexfs_settings
from avocado_vexfs.errors import VexfsError
from avocado_vexfs.report import html, jobdir, xunit

XUNIT_FILE = "results.xml"

SECTION = "job.run.result.vexfs_html"


class VexfsReportInit(Init):
    """Register the report's switch and the [vexfs] keys, so `avocado config` shows them."""

    name = "vexfs_html"
    description = "avocado-vexfs HTML report and settings"

    def initialize(self):
        settings.register_option(section=SECTION, key="enabled", key_type=bool,
                                 default=True,
                                 help_msg="Write report.html (avocado-vexfs) in the job dir")
        for key, (_convert, default, env, help_msg) in vexfs_settings.KEYS.items():
            settings.register_option(
                section=vexfs_settings.SECTION, key=key,
                default="" if default is None else str(default),
                help_msg=f"{help_msg}" + (f" (environment: {env})" if env else ""))


class VexfsReport(Result):
    """Write ``report.html`` into the job directory when the job ends."""

    name = "vexfs_html"
    description = "avocado-vexfs HTML report (crash titles, steps, logs, benchmarks)"
    priority = PluginPriority.LOW

    def render(self, result, job):
        if not result.tests_total:
            return
        self.annotate_xunit(result, job)
        if not job.config.get(f"{SECTION}.enabled", True):
            return
        path = os.path.join(job.logdir, jobdir.RESULTS)
        if not os.path.isfile(path):
            with open(path, "w", encoding="utf-8") as out:
                out.write(JSONResult._render(result))  # pylint: disable=protected-access
        try:
            report = html.build(job.logdir)
        except (VexfsError, OSError) as err:
            LOG_UI.error("avocado-vexfs report: not written: %s", err)
            return
        LOG_UI.info("VEXFS REPORT: %s", report)

    @staticmethod
    def annotate_xunit(result, job):
        """Per-check lines into the job's results.xml, when the xunit plugin wrote one."""
        path = os.path.join(job.logdir, XUNIT_FILE)
        if not os.path.isfile(path):
            return
        tests = [{"name": _xunit_name(t.get("name")), "status": t.get("status"),
                  "fail_reason": str(t.get("fail_reason") or ""),
                  "logdir": t.get("logdir")}
                 for t in result.tests]
        xunit.annotate(path, tests)


def _xunit_name(test_id):
    """The testcase name Avocado's xunit plugin writes for a test (name and variant)."""
    if isinstance(test_id, TestID):
        return f"{test_id.name}{test_id.str_variant}"
    return str(test_id)

"""Turn a guest's console log into a test verdict, with cfg deciding what counts.

Also the one owner of the step marker in a fail reason, "<title> (during step <step>)":
describe writes it, split_step and strip_step read it (the report, failure signatures).
"""
import logging
import re

from avocado_vexfs.console import report

LOG = logging.getLogger(__name__)
LEAK_TYPES = ("memory-leak",)
# a frame of a loadable module, as the kernel prints it: "func+0x1c/0x40 [vexfs]"
_MODULE_FRAME = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+ \[\w+\]")
_STEP_MARK = re.compile(r"\s*\(during step (?P<step>[^)]+)\)\s*$")


def first_crash(console_text, params, expected_reboots=0, lost_connection=False):
    """The leading crash on the console, or None; console_check = no turns it off.

    ``console_ignore_types`` (space separated, e.g. "warning") drops crash types a test
    provokes on purpose.
    """
    if params.get("console_check", "yes") != "yes":
        return None
    ignored = set(params.get("console_ignore_types", "").split())
    parsed = report.parse(console_text,
                          oom_is_crash=params.get("oom_is_crash", "no") == "yes",
                          expected_reboots=expected_reboots, lost_connection=lost_connection)
    for crash in parsed.crashes:
        if crash.type in ignored:
            continue
        if crash.type in LEAK_TYPES and not in_module(crash):
            LOG.info("not a verdict: %s (no frame in a loaded module: the kernel's own, "
                     "or a kmemleak false positive)", crash.title)
            continue
        return crash
    return None


def in_module(crash):
    """A report with a frame in a loadable module. Our debug kernel builds every driver
    in, so the only modules are the ones under test (VexFS, the fixture): a leak
    allocated from one of them is theirs; kmemleak's boot-time reports about the
    kernel itself are not the test's verdict."""
    return bool(_MODULE_FRAME.search(crash.text or ""))


def describe(crash):
    """One line for the test's fail reason: title, then the step it happened in."""
    return with_step(crash.title, getattr(crash, "step", None))


def with_step(title, step):
    """``title`` with the step marker appended (nothing appended when there is no step)."""
    return f"{title} (during step {step})" if step else title


def split_step(reason):
    """(title, step) of a fail reason's first line; (whole reason, "") without a marker."""
    reason = (reason or "").strip()
    match = _STEP_MARK.search(reason.splitlines()[0] if reason else "")
    if match and match.start():
        return reason[:match.start()], match.group("step")
    return reason, ""


def strip_step(reason):
    """A fail reason without the step marker at its end."""
    return _STEP_MARK.sub("", (reason or "").strip())

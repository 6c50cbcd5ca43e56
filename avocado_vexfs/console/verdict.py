"""Turn a guest's console log into a test verdict, with cfg deciding what counts."""
from avocado_vexfs.console import report


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
        if crash.type not in ignored:
            return crash
    return None


def describe(crash):
    """One line for the test's fail reason: title, then the step it happened in."""
    where = f" (during step {crash.step})" if getattr(crash, "step", None) else ""
    return f"{crash.title}{where}"

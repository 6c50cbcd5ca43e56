"""Per-check results in Avocado's results.xml, next to what its xunit plugin writes.

Avocado's xunit plugin gives a failed or errored testcase a ``<failure>`` whose message
is the fail reason and a ``<system-out>`` with the test's debug.log (cut in the middle
past ``max_test_log_chars``), but a cancelled test gets a bare ``<skipped/>`` and a
passing or warning one nothing at all. A test cancelled because every problem is a known
failure, or passed with "known failure not seen: fixed?", would then say nothing in CI.
So after the xunit plugin has written results.xml, every testcase whose test left a
checks.json gets the per-check lines (the same "check <name>: <status>" lines the test
logs) at the top of its ``<system-out>``, and a ``<skipped>`` gets the cancel reason as
its message. The rest of the file is left as Avocado wrote it.
"""
import logging
import os
import re
from xml.dom import minidom
from xml.parsers.expat import ExpatError

from avocado_vexfs.report import jobdir

LOG = logging.getLogger(__name__)

MARKER = "avocado-vexfs checks (checks.json):"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_lines(view):
    """The per-check lines of a checks view (report.jobdir.checks_view): the new problems
    first, as the fail reason names them, then known ones, fixed?, notes, each check."""
    lines = [MARKER]
    lines += _counted([f"NEW: {p['signature']}" for p in view["new"]])
    lines += _counted([f"known: {p['signature']} ({p['known']['reason']}; "
                       f"{p['known']['reported']})" for p in view["known"]])
    lines += [f"known failure not seen: fixed? {e['pattern']} ({e['reason']}; "
              f"{e['reported']})" for e in view["not_seen"]]
    lines += [f"note: {check}: {note}" for check, note in view["notes"]]
    lines += [f"check {c['check']}: {c['status']}" for c in view["checks"]]
    if not view["checks"]:
        lines.append("no check ran")
    return lines


def _counted(lines):
    """Repeated lines once, with how often: one signature can cover several files."""
    counts = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [line + (f" (x{count})" if count > 1 else "") for line, count in counts.items()]


def _cdata(text):
    """Text safe inside one CDATA section: no control characters, no ']]>'."""
    text = _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return text.replace("]]>", "]] >")


def _system_out(document, testcase):
    """The testcase's <system-out> CDATA node, created when Avocado wrote none."""
    for element in testcase.getElementsByTagName("system-out"):
        for child in element.childNodes:
            if child.nodeType == child.CDATA_SECTION_NODE:
                return child
        node = document.createCDATASection("")
        element.appendChild(node)
        return node
    element = document.createElement("system-out")
    node = document.createCDATASection("")
    element.appendChild(node)
    testcase.appendChild(document.createTextNode("\n\t\t"))
    testcase.appendChild(element)
    testcase.appendChild(document.createTextNode("\n\t"))
    return node


def annotate_testcase(document, testcase, test):
    """Add ``test``'s per-check lines and cancel reason to one <testcase>; True if changed.

    :param test: {"name", "status", "fail_reason", "logdir"} of the same test
    """
    changed = False
    reason = (test.get("fail_reason") or "").strip()
    for skipped in testcase.getElementsByTagName("skipped"):
        if reason and not skipped.getAttribute("message"):
            skipped.setAttribute("message", _cdata(reason))
            changed = True
    view, error = jobdir.load_checks(test.get("logdir") or "")
    if error:
        LOG.warning("%s: per-check lines not added to results.xml: %s", test["name"], error)
    if view is None:
        return changed
    node = _system_out(document, testcase)
    if node.data.startswith(MARKER):
        return changed
    block = "\n".join(check_lines(view)) + "\n"
    node.data = _cdata(block + ("\n" + node.data if node.data else ""))
    return True


def annotate(xml_path, tests):
    """Rewrite ``xml_path`` (Avocado's results.xml) with the per-check lines of ``tests``.

    Testcases are matched to ``tests`` in order, as the xunit plugin writes one per test
    result, and only where the names agree.
    :param tests: [{"name", "status", "fail_reason", "logdir"}] in the job's order
    :returns: how many testcases changed
    """
    try:
        document = minidom.parse(xml_path)
    except (OSError, ExpatError) as err:
        LOG.warning("%s: not annotated with per-check results: %s", xml_path, err)
        return 0
    testcases = document.getElementsByTagName("testcase")
    changed = 0
    for testcase, test in zip(testcases, tests):
        if testcase.getAttribute("name") != test["name"]:
            LOG.warning("%s: testcase %r is not test %r: not annotated", xml_path,
                        testcase.getAttribute("name"), test["name"])
            continue
        changed += annotate_testcase(document, testcase, test)
    if changed:
        with open(xml_path + ".tmp", "wb") as out:
            out.write(document.toxml(encoding="UTF-8"))
        os.replace(xml_path + ".tmp", xml_path)
    return changed

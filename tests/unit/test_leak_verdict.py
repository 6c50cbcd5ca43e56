"""A kmemleak report is a test's verdict only when the leak was allocated from a loaded
module (the module under test): the debug kernel builds every driver in, and kmemleak's
reports about the kernel itself (boot-time false positives) must not fail every test."""
import os
import re

from avocado_vexfs.console import verdict

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                    "console")


def _log(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as log:
        return log.read().split("\n\n", 1)[1]


def test_a_leak_from_the_module_under_test_is_the_verdict():
    crash = verdict.first_crash(_log("synthetic-kmemleak.log"), {})
    assert crash is not None and crash.title == "memory leak in crashmod_kmemleak"


def test_a_leak_of_the_kernel_itself_is_not_a_verdict():
    text = re.sub(r" \[avocado_vexfs_crash\]", "", _log("synthetic-kmemleak.log"))
    assert verdict.first_crash(text, {}) is None

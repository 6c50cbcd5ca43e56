"""A cartesian cfg with one variant per selected fstests test, longest first.

Each fstests test is its own Avocado test, so the selection becomes variants: a
``fstests_case`` block defined before the provider's tests (so its variants vary fastest
and a filesystem's tests run together, sharing their pooled guests), then the usual
includes restricted to the fstests test and one filesystem. cfg/fstests-smoke.cfg is the
hand-kept level 2 selection of the same shape.
"""
import os
import re

from avocado_vexfs.paths import REPO

CFG_DIR = os.path.join(REPO, "cfg")


def variant_name(test):
    """generic/001 -> generic_001 (cartesian names take no '/')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", test)


def cases_block(tests):
    """The ``variants fstests_case:`` block for ``tests``, in their order."""
    lines = ["variants fstests_case:",
             "    - @not_fstests:",
             "        no fstests"]
    for test in tests:
        lines += [f"    - {variant_name(test)}:",
                  "        only fstests",
                  f"        fstests_test = {test}"]
    return "\n".join(lines) + "\n"


def render(tests, fs_name, title, kernel="linux_6_12"):
    """The whole cfg: the cases, the includes, one filesystem, fstests only."""
    includes = "\n".join(f"include {os.path.join(CFG_DIR, name)}" for name in
                         ("base.cfg", "../test-providers/vexfs/tests/cfg/subtests.cfg",
                          "guest-os.cfg", "fs.cfg"))
    return (f"# {title}: {len(tests)} fstests tests on {fs_name}, longest first "
            f"(written by avocado-vexfs fstests-cfg)\n{cases_block(tests)}{includes}\n\n"
            f"only {kernel}\nonly fstests\nonly {fs_name}\n")

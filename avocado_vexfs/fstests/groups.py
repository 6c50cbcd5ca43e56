"""Which fstests to run: the index of tests and their groups, a selection, an order.

fstests names each test's groups on its ``_begin_fstest`` line; ``make`` turns those
lines into tests/<dir>/group.list, but the index is read from the lines themselves so a
selection can be made (and checked) before anything is built.
"""
import difflib
import os
import re

from avocado_vexfs.errors import ConfigError

# common/test_names: three digits, then an optional "-name" ("999-the-mark-of-fstests").
TEST_NAME = re.compile(r"^\d{3}-?[A-Za-z0-9-]*$")
BEGIN = re.compile(r"^_begin_fstest\b(.*)$", re.MULTILINE)


def index(tree):
    """{"generic/001": ["rw", "dir", "udf", "auto", "quick"], ...} for every test of
    ``tree``/tests/<dir>/ with a _begin_fstest line."""
    tests_dir = os.path.join(tree, "tests")
    found = {}
    for test_dir in sorted(os.listdir(tests_dir)):
        full_dir = os.path.join(tests_dir, test_dir)
        if not os.path.isdir(full_dir):
            continue
        for name in sorted(os.listdir(full_dir)):
            if not TEST_NAME.match(name):
                continue
            with open(os.path.join(full_dir, name), encoding="utf-8",
                      errors="replace") as test:
                begin = BEGIN.search(test.read())
            if begin:
                found[f"{test_dir}/{name}"] = begin.group(1).split()
    return found


def select(tests_index, dirs, groups=(), tests=(), exclude=(), src=""):
    """Sorted names of the tests to run.

    The tests of ``dirs`` that are in any of ``groups``, plus the named ``tests``, minus
    ``exclude``. With neither groups nor tests, every test of ``dirs``. ``src`` is the
    FSTESTS_SRC the index came from, for the error lines.

    :raises ConfigError: for a directory, group or test name the index does not have
    """
    known_dirs = sorted({name.split("/", 1)[0] for name in tests_index})
    for test_dir in dirs:
        if test_dir not in known_dirs:
            raise ConfigError(f"fstests directory {test_dir!r} does not exist in "
                              f"FSTESTS_SRC={src}: expected one of {', '.join(known_dirs)}")
    known_groups = sorted({group for names in tests_index.values() for group in names})
    for group in groups:
        if group not in known_groups:
            close = difflib.get_close_matches(group, known_groups, n=1)
            raise ConfigError(f"fstests group {group!r} is on no _begin_fstest line in "
                              f"FSTESTS_SRC={src}: expected a group such as auto or quick"
                              f"{f' (did you mean {close[0]}?)' if close else ''}")
    for name in list(tests) + list(exclude):
        if name not in tests_index:
            raise ConfigError(f"fstests test {name} does not exist in FSTESTS_SRC={src}: "
                              f"expected <dir>/<NNN> such as generic/001")
    chosen = set(tests)
    if groups or not tests:
        wanted = set(groups)
        chosen |= {name for name, names in tests_index.items()
                   if name.split("/", 1)[0] in dirs and (not groups or wanted & set(names))}
    return sorted(chosen - set(exclude))


def order(tests, runtimes):
    """Longest first by ``runtimes`` ({test: seconds}), so a slow test does not start
    last and hold the run; tests without a runtime follow, by name."""
    known = sorted((name for name in tests if name in runtimes),
                   key=lambda name: (-runtimes[name], name))
    return known + sorted(name for name in tests if name not in runtimes)

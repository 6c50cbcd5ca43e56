"""Expected failures: known bugs of a filesystem, listed so a run stays readable.

``cfg/expected/<fs_type>.txt`` has one entry a line: a test-name fragment, whitespace,
and the reason. ``#`` starts a comment. A test whose name contains the fragment and whose
check fails is cancelled with "expected failure: <reason>: <problems>" instead of failing,
so a new regression stands out among the known ones; a listed test that passes logs a
warning, so a fixed bug gets its line removed.
"""
import os

from avocado_vexfs.errors import ConfigError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(text, source="<expected>"):
    """[(fragment, reason)] from the file's text, in file order."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ConfigError(f"{source}:{number}: {raw.strip()!r}: expected "
                              f"'<test-name fragment> <reason>'")
        entries.append((parts[0], parts[1].strip()))
    return entries


def load(path):
    """Entries of ``path``; a missing file means nothing is expected to fail."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return parse(handle.read(), source=path)


def path_for(params):
    """cfg/expected/<fs_type>.txt, or the expected_failures_dir of the cfg."""
    directory = params.get("expected_failures_dir") or os.path.join(REPO, "cfg", "expected")
    if not os.path.isabs(directory):
        directory = os.path.join(REPO, directory)
    return os.path.join(directory, f"{params.get('fs_type', 'ext4')}.txt")


def reason_for(entries, test_name):
    """The reason of the first entry whose fragment is in ``test_name``, else None."""
    for fragment, reason in entries:
        if fragment in test_name:
            return reason
    return None


def report(test, params, problems, what="check"):
    """Turn a check's problems into the test's verdict, honouring the expected list."""
    name = params.get("shortname") or params.get("name") or ""
    reason = reason_for(load(path_for(params)), name)
    summary = "; ".join(problems[:8]) + (f"; ... {len(problems) - 8} more"
                                          if len(problems) > 8 else "")
    for problem in problems:
        test.log.info("problem: %s", problem)
    if problems and reason:
        test.cancel(f"expected failure: {reason}: {summary}")
    if problems:
        test.fail(f"{what}: {len(problems)} problems: {summary}")
    if reason:
        test.log.warning("listed as expected failure but passed: %s (%s)", name, reason)

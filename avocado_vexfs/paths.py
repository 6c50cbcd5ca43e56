"""Where the checkout and the package's own files are, computed once.

The repository root holds cfg/, guest-os/, test-providers/ and results/. Modules that
read them take REPO from here instead of counting dirname() levels from their own file,
a count that silently goes wrong as soon as a module moves one folder deeper.
"""
import os
import re

PACKAGE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(PACKAGE)
GUEST_SCRIPTS = os.path.join(PACKAGE, "checks", "guest")


def guest_script(name):
    """The host path of a script the checks copy into the guest (checks/guest/NAME)."""
    return os.path.join(GUEST_SCRIPTS, name)


def is_git_url(spec):
    """A VexFS source given as a git URL (cloned privately) rather than a directory."""
    return bool(re.match(r"^(git@|[a-z+]+://)", spec)) or spec.endswith(".git")


def from_repo(spec):
    """A user's path as an absolute path: relative ones are relative to the repository
    (the README's ../shared/sut/...), because tests run in other directories and patch
    and make run in private copies. A git URL (or "") is returned as it is."""
    if not spec or is_git_url(spec.split("@", 1)[0]) or os.path.isabs(spec):
        return spec
    return os.path.normpath(os.path.join(REPO, os.path.expanduser(spec)))

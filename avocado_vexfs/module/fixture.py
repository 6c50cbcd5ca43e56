"""Our fixture module (tests/fixtures/crashmod), or the cfg's module_src, built for a guest.

It is a module under test like VexFS: the lifecycle and crash-detection tests load it,
and bisect builds it from a clone, so its source and build live beside vexfs and kbuild
rather than in the lifecycle checks that only load it.
"""
import os

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import kbuild
from avocado_vexfs.paths import REPO

FIXTURE_SRC = os.path.join(REPO, "tests", "fixtures", "crashmod")


def fixture_source(params):
    """The fixture module's source dir: cfg module_src, relative to the repo, or ours."""
    source = params.get("module_src") or FIXTURE_SRC
    if not os.path.isabs(source):
        source = os.path.join(REPO, source)
    if not os.path.isfile(os.path.join(source, "Makefile")) and \
            not os.path.isfile(os.path.join(source, "Kbuild")):
        raise ConfigError(f"module_src = {source!r}: expected a kernel module source "
                          f"directory with a Makefile or Kbuild")
    return source


def build_fixture(params, release, cache=None):
    """Build the fixture module for ``release``; return the path of its .ko."""
    modules = kbuild.build_cached(fixture_source(params), release, cache=cache,
                                  what="fixture")
    if len(modules) != 1:
        raise ConfigError(f"module_src built {len(modules)} modules: expected exactly one")
    return modules[0]

"""Make variables checked before a level starts: one line and exit 2 instead of a quiet run.

``make`` treats any non-empty value as true, so ``QUICK=0`` used to switch quick mode on,
and ``PARALLEL=0`` became ``--max-parallel-tasks 0``, which runs nothing and exits 0. The
level targets call ``avocado-vexfs check-make-vars NAME=VALUE ...`` first; an empty value
means "not given" everywhere.
"""
import logging
import os
import re

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import REPO, is_git_url

LOG = logging.getLogger(__name__)
BOOLEANS = {"1": True, "yes": True, "0": False, "no": False, "": False}


def _parallel(value):
    if not re.fullmatch(r"\d+", value) or int(value) < 1:
        raise ValueError("expected an integer >= 1 (tests run at once, one guest each)")


def _boolean(value):
    if value.lower() not in BOOLEANS:
        raise ValueError("expected 1, yes, 0, no or empty (0 and no mean off)")


def _recipe(value):
    recipes = sorted(d for d in os.listdir(os.path.join(REPO, "guest-os"))
                     if os.path.isfile(os.path.join(REPO, "guest-os", d, "recipe.json")))
    if value not in recipes:
        raise ValueError(f"expected a recipe in guest-os/: {', '.join(recipes)}")


def _source(value):
    if is_git_url(value):
        return
    path = os.path.expanduser(value)
    if not os.path.isdir(path):
        raise ValueError("expected an existing VexFS tree directory or a git URL[@ref] "
                         f"({'not a directory' if os.path.exists(path) else 'no such path'})")


def _directory(value):
    path = os.path.expanduser(value)
    if not os.path.isdir(path):
        raise ValueError("expected an existing directory of patches "
                         f"({'not a directory' if os.path.exists(path) else 'no such path'})")


def _fstests_source(value):
    if is_git_url(value):
        return
    path = value if os.path.isabs(value) else os.path.join(REPO, value)
    if not os.path.exists(os.path.expanduser(path)):
        raise ValueError("expected an fstests directory, a tarball of one or a git "
                         "URL[@ref] (no such path)")


def _filesystem(value):
    if value not in ("ext4", "vexfs"):
        raise ValueError("expected ext4 or vexfs")


def _kernel(value):
    # imported here: kernel.flavours imports vm.host, which imports settings, which
    # imports this module
    from avocado_vexfs.kernel import flavours
    if value not in flavours.names():
        raise ValueError(f"expected a guest kernel flavour: {', '.join(flavours.names())}")


def _minutes(value):
    if not re.fullmatch(r"\d+(\.\d+)?", value) or float(value) <= 0:
        raise ValueError("expected a number of minutes > 0")


def _level(value):
    if not os.path.isfile(os.path.join(REPO, "cfg", f"{value}.cfg")):
        raise ValueError("expected a cfg/<name>.cfg such as level2 or level3")


def _tags(value):
    # Avocado's --filter-by-tags: words (any may match), each a comma-separated AND of
    # tags, a leading '-' negates, key:value tags allowed
    tag = r"-?[A-Za-z0-9_.]+(:[A-Za-z0-9_.]+)?"
    if not all(re.fullmatch(f"{tag}(,{tag})*", word) for word in value.split()):
        raise ValueError("expected Avocado tags such as 'fast' or 'vexfs,-destructive' "
                         "(comma: all of them; space: any of the words)")


def _scenarios(value):
    missing = [word for word in value.split()
               if not os.path.exists(os.path.join(REPO, os.path.expanduser(word)))]
    if missing:
        raise ValueError(f"expected instrumented test files or folders "
                         f"(such as tests-instrumented): no such path {missing[0]}")


def _variants(value):
    if not os.path.isfile(os.path.join(REPO, os.path.expanduser(value))):
        raise ValueError("expected an Avocado variants file (YAML), such as "
                         "tests-instrumented/filesystems.yml (no such file)")


def _instr_params(value):
    # imported here, as in _kernel: cfgkeys reaches this module through settings
    from avocado_vexfs import cfgkeys
    for word in value.split():
        key, sep, text = word.partition("=")
        if not sep:
            raise ValueError(f"{word!r}: expected KEY=VALUE words with cfg keys")
        try:
            cfgkeys.convert(key, text)
        except ConfigError as err:
            raise ValueError(str(err)) from None


CHECKS = {"PARALLEL": _parallel, "E2E_WORKERS": _parallel, "QUICK": _boolean,
          "DEBUG": _boolean, "COLD": _boolean,
          "RECIPE": _recipe, "VEXFS_SRC": _source, "VEXFS_PATCHES": _directory,
          "BASELINE_LEVEL": _level, "FSTESTS_SRC": _fstests_source, "FS": _filesystem,
          "KERNEL": _kernel, "MINUTES": _minutes, "TAGS": _tags, "SCENARIOS": _scenarios,
          "VARIANTS": _variants, "INSTR_PARAMS": _instr_params}


def check(assignments):
    """Check NAME=VALUE words; raise ConfigError with one line for the first bad one.

    An empty value is "not given" and always accepted.
    """
    for word in assignments:
        name, sep, value = word.partition("=")
        if not sep or name not in CHECKS:
            raise ConfigError(f"check-make-vars {word!r}: expected NAME=VALUE with NAME "
                              f"one of {', '.join(sorted(CHECKS))}")
        value = value.strip()
        if value == "":
            continue
        try:
            CHECKS[name](value)
        except ValueError as err:
            raise ConfigError(f"make variable {name}={value!r}: {err}") from None
        LOG.debug("make variable %s=%r is valid", name, value)


def is_on(value):
    """QUICK/DEBUG as make means them after check(): 1 or yes."""
    return BOOLEANS.get(str(value).strip().lower(), False)

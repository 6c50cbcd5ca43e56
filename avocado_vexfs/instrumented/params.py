"""An instrumented test's Avocado parameters as the params dict the provider's steps read.

Why an adapter: vt.steps and the rest of the library take Avocado-VT's params, a dict of
cfg text (``params.get(key)``, ``params[key]``, ``key in params``, and iteration in
cfgkeys.validate). An avocado.Test has an AvocadoParams instead: no ``[]``, no iteration,
and YAML values typed (1024, True, lists). Rather than teach the library a second
interface, the test's parameters become such a dict, built in this order:

1. the provider's own shared cfg (base.cfg, guest-os.cfg and fs.cfg, narrowed to the
   test's fs_type and guest_kernel_variant) and, when the test names one, a variant of
   the provider's subtests.cfg: the guest shape, the mkfs options and every count have
   one home for both kinds of test;
2. the test class's defaults (cfg text), then the parameters the run gave (``-p
   NAME=VALUE`` or a variants file), each turned into cfg text;
3. nothing else: a key nobody set is read through cfgkeys.get, which gives its declared
   default, as for a provider test.

The dict is then checked by vt.steps.validate, the provider's own check, so an unknown
key, a value out of range or an unreadable known-failures file is one line before
anything is built or booted.
"""
import logging
import os

from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import REPO
from avocado_vexfs.vt import cartesian, steps

LOG = logging.getLogger(__name__)

SHARED_CFG = tuple(os.path.join(REPO, "cfg", name)
                   for name in ("base.cfg", "guest-os.cfg", "fs.cfg"))
SUBTESTS_CFG = os.path.join(REPO, "test-providers", "vexfs", "tests", "cfg",
                            "subtests.cfg")
# the guest kernel variant of guest-os.cfg a test runs on unless told otherwise (the
# levels' 'only linux_6_12')
DEFAULT_KERNEL_VARIANT = "linux_6_12"
# parameters Avocado itself reads from an instrumented test's params (core/test.py):
# they are not cfg keys and stay out of the dict
AVOCADO_KEYS = frozenset({"timeout", "timeout_factor"})


def cfg_text(value):
    """A parameter value as a cfg line holds it: yes/no, space-separated words, text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(cfg_text(item) for item in value)
    if value is None:
        return ""
    return str(value)


def given(avocado_params):
    """{key: cfg text} of every parameter the run gave the test, Avocado's own left out.

    Each value is read with ``avocado_params.get(key)``, so a key set on several nodes
    of a variants file resolves as Avocado resolves it for the test.
    """
    if avocado_params is None:
        return {}
    keys = []
    for _path, key, _value in avocado_params.iteritems():
        if key not in keys and key not in AVOCADO_KEYS:
            keys.append(key)
    out = {}
    for key in keys:
        try:
            out[key] = cfg_text(avocado_params.get(key))
        except ValueError as err:  # Avocado's clash of two values for one key
            raise ConfigError(f"test parameter {key}: {err}") from None
    return out


def provider_base(fs_type, kernel_variant, provider_variant=None):
    """The params the provider's cfg gives a test of ``provider_variant`` (or of no
    test: the shared settings alone) on ``fs_type`` and ``kernel_variant``."""
    files = SHARED_CFG + ((SUBTESTS_CFG,) if provider_variant else ())
    only = [kernel_variant, fs_type] + ([provider_variant] if provider_variant else [])
    found = cartesian.combined(list(files), only)
    if len(found) != 1:
        what = (f"guest_kernel_variant = {kernel_variant}" if not provider_variant else
                f"provider variant {provider_variant} on fs_type {fs_type}")
        raise ConfigError(f"{what}: the provider's cfg has {len(found)} variants for "
                          f"'{' '.join(only)}', expected exactly one")
    return found[0]


def build(test_params, name, defaults=None, provider_variant=None):
    """The validated params dict of one instrumented test.

    :param test_params: the run's parameters as cfg text (:func:`given`)
    :param name: the test's short name: the guest's name hint and Avocado-VT's shortname
    :param defaults: the test class's defaults, cfg text; the run's parameters win
    :param provider_variant: a variant of the provider's subtests.cfg to start from,
        e.g. ``crash_consistency.quick`` (its disks and counts), or None
    :raises ConfigError: one line naming the first bad key or value
    """
    chosen = dict(defaults or {}, **test_params)
    fs_type = chosen.get("fs_type") or cfgkeys.KEYS["fs_type"].default
    cfgkeys.convert("fs_type", fs_type)  # it picks the cfg variant: checked first
    kernel_variant = chosen.get("guest_kernel_variant") or DEFAULT_KERNEL_VARIANT
    params = dict(provider_base(fs_type, kernel_variant, provider_variant), **chosen)
    params.update(shortname=name, fs_type=fs_type)
    steps.validate(params)
    LOG.debug("params of %s: %s", name, {k: v for k, v in sorted(params.items())
                                         if k not in cfgkeys.VT_KEYS})
    return params

"""Reading cfg params, where QUICK=1 (quick = yes) may shrink them: the quick rule.

A key declared in cfgkeys gets its declared range too, so a count of 0 (which would skip
the checks it counts and pass) is an error here even when validate() was not run first.
"""
from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError


def quick_key(params, key):
    """The quick rule, in one place: ``<key>_quick`` when the run is quick = yes and the
    cfg sets that key (non-empty), else ``key``."""
    if params.get("quick") == "yes" and params.get(f"{key}_quick") not in (None, ""):
        return f"{key}_quick"
    return key


def param(params, key, default=None):
    """``params[key]`` under the quick rule; ``default`` when unset or empty."""
    value = params.get(quick_key(params, key))
    return default if value in (None, "") else value


def quick_int(params, key, default):
    """An integer cfg value; with quick = yes, ``<key>_quick`` when the cfg has one."""
    key = quick_key(params, key)
    value = params.get(key, str(default))
    declared = cfgkeys.declaration(key)
    if declared is not None and declared.kind == "int":
        return cfgkeys.convert(key, value, declared)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} = {value!r}: expected an integer") from None

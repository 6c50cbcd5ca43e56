"""Reading numbers from cfg params, where QUICK=1 (quick = yes) may shrink them.

A key declared in cfgkeys gets its declared range too, so a count of 0 (which would skip
the checks it counts and pass) is an error here even when validate() was not run first.
"""
from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError


def quick_int(params, key, default):
    """An integer cfg value; with quick = yes, ``<key>_quick`` when the cfg has one."""
    if params.get("quick") == "yes" and params.get(f"{key}_quick"):
        key = f"{key}_quick"
    value = params.get(key, str(default))
    declared = cfgkeys.declaration(key)
    if declared is not None and declared.kind == "int":
        return cfgkeys.convert(key, value, declared)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} = {value!r}: expected an integer") from None

"""Reading numbers from cfg params, where QUICK=1 (quick = yes) may shrink them."""
from avocado_vexfs.errors import ConfigError


def quick_int(params, key, default):
    """An integer cfg value; with quick = yes, ``<key>_quick`` when the cfg has one."""
    if params.get("quick") == "yes" and params.get(f"{key}_quick"):
        key = f"{key}_quick"
    value = params.get(key, str(default))
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} = {value!r}: expected an integer") from None

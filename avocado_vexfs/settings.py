"""User settings of avocado-vexfs: one ``[vexfs]`` section in Avocado's own config files.

Avocado already reads a chain of config files (its package default, ``$VIRTUAL_ENV/etc/
avocado/avocado.conf`` and ``conf.d/*.conf``, then the user's file), so that chain is the
one place a user overrides our settings without editing the repository: for example
``.venv/etc/avocado/conf.d/zz-local.conf`` (the venv is not part of the repo). The test
processes Avocado spawns read the same files, so a setting reaches every test.

Precedence, highest first: environment variable, ``[vexfs]`` key, default. An unknown key
is an error naming the file, so a typo never silently does nothing.
"""
import configparser
import math
import os

from avocado_vexfs import makevars
from avocado_vexfs.errors import ConfigError

SECTION = "vexfs"


def _bool(value):
    text = str(value).strip().lower()
    if text in ("1", "yes", "true", "on"):
        return True
    if text in ("0", "no", "false", "off", ""):
        return False
    raise ValueError(f"{value!r} is not a boolean (expected yes/no, true/false, 1/0)")


def _level(value):
    text = str(value).strip().upper()
    if text not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{value!r} is not a log level (expected DEBUG, INFO, WARNING "
                         f"or ERROR)")
    return text


def _nonneg_int(value):
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"expected 0 or more (a whole number), not {value!r}")
    return int(text)


def _positive_float(value):
    try:
        number = float(str(value).strip())
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or number <= 0:
        raise ValueError(f"expected a finite number of seconds > 0, not {value!r}")
    return number


def _optional_float(value):
    return None if str(value).strip() == "" else _positive_float(value)


def _path(value):
    """A directory we may create: an existing directory, or a new one under a writable one.

    Checked here so a bad AVOCADO_VEXFS_CACHE is one line, not an OSError traceback from
    os.makedirs in the middle of a test.
    """
    path = os.path.expanduser(str(value).strip())
    if not path:
        return None
    if not os.path.isabs(path):
        raise ValueError(f"expected an absolute directory path, not {value!r}")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ValueError("expected a directory: it exists and is not one")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValueError("expected a writable directory: it is not writable")
        return path
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"expected a directory that can be created: {parent} is not a "
                         f"writable directory")
    return path


# key: (converter, default, environment variable or None, help). The README's settings
# table is written from this table; keep the two in step.
KEYS = {
    "infra_retries": (_nonneg_int, 2, "VEXFS_INFRA_RETRIES",
                      "times a guest boot is retried after an infrastructure fault "
                      "(boot failure, lost control session, libvirtd error); 0 = never"),
    "retry_backoff": (_positive_float, 5.0, "VEXFS_RETRY_BACKOFF",
                      "seconds before the first retry; doubled for each further retry"),
    "debug": (_bool, False, "VEXFS_TEST_DEBUG",
              "verbose logs, and keep a failed test's guest alive for attaching"),
    "log_level": (_level, "INFO", "VEXFS_LOG_LEVEL",
                  "level of avocado-vexfs' own log lines in each test's debug.log; "
                  "DEBUG also turns on debug"),
    "boot_timeout": (_optional_float, None, "VEXFS_BOOT_TIMEOUT",
                     "seconds to wait for a guest to boot; empty = the cfg's boot_timeout"),
    "cache_dir": (_path, None, "AVOCADO_VEXFS_CACHE",
                  "guest images and build cache (default /var/cache/avocado-vexfs as "
                  "root, else ~/.cache/avocado-vexfs)"),
    "run_dir": (_path, None, "AVOCADO_VEXFS_RUN_DIR",
                "per-guest overlays, scratch disks and sockets while a test runs"),
}


def config_paths():
    """Avocado's config files, in the order Avocado reads them (later ones win)."""
    # a real cycle: loading Avocado's settings initialises its plugins, and ours
    # (report/plugin.py) reads this module's KEYS while it is still being imported
    from avocado.core.settings import settings  # pylint: disable=import-outside-toplevel
    return [path for path in settings.all_config_paths if os.path.isfile(path)]


def read_section(paths):
    """The raw ``[vexfs]`` keys of ``paths``: {key: (value, file it came from)}."""
    found = {}
    for path in paths:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as err:
            raise ConfigError(f"{path}: not a valid config file: "
                              f"{str(err).splitlines()[0]}") from err
        if parser.has_section(SECTION):
            for key, value in parser.items(SECTION):
                found[key] = (value, path)
    return found


def _given(key, environ, raw):
    """(text, origin) of one key as the user gave it, environment first; origin is the
    environment variable's name or "[vexfs] KEY in FILE"; (None, None) when unset.
    ``raw`` is read_section's result, or a callable returning it (read only if needed)."""
    env = KEYS[key][2]
    if env and environ.get(env, "") != "":
        return environ[env], env
    raw = raw() if callable(raw) else raw
    if key in raw:
        return raw[key][0], f"[{SECTION}] {key} in {raw[key][1]}"
    return None, None


def load(paths=None, environ=None):
    """All settings as a dict, validated; raise ConfigError with one line on bad input."""
    environ = os.environ if environ is None else environ
    raw = read_section(config_paths() if paths is None else paths)
    values = {}
    for key, (value, path) in raw.items():
        if key not in KEYS:
            raise ConfigError(f"unknown key {key!r} in [{SECTION}] of {path}: expected "
                              f"one of {', '.join(sorted(KEYS))}")
    for key, (convert, default, env, _help) in KEYS.items():
        value, origin = _given(key, environ, raw)
        if origin is None:
            values[key] = default
            continue
        try:
            values[key] = convert(value)
        except ValueError as err:
            if origin == env:
                origin = f"environment variable {env}"
            raise ConfigError(f"{origin} = {value!r}: {err}") from err
    if values["log_level"] == "DEBUG":
        values["debug"] = True
    elif values["debug"]:
        values["log_level"] = "DEBUG"
    return values


def directory(key, environ=None, paths=None):
    """(path, origin) of the cache_dir or run_dir setting, or (None, None) when unset.

    The one home of their precedence: the environment variable (AVOCADO_VEXFS_CACHE,
    AVOCADO_VEXFS_RUN_DIR) wins over the ``[vexfs]`` key, which is read only when the
    variable is unset. vm/host.py adds the default and creates the directory, so the
    setting reaches every user of the cache (guest boot, module builds, images, sweep).
    """
    environ = os.environ if environ is None else environ
    value, origin = _given(key, environ,
                           lambda: read_section(config_paths() if paths is None else paths))
    if origin is None or origin == KEYS[key][2]:
        return value, origin
    return os.path.expanduser(str(value).strip()) or None, origin


def describe():
    """The settings table as text (key, value, help) for `avocado-vexfs settings`."""
    values = load()
    rows = [f"{key} = {'' if values[key] is None else values[key]}\n    {help_}"
            + (f" (env {env})" if env else "")
            for key, (_c, _d, env, help_) in KEYS.items()]
    return "\n".join(rows)


def check_environment(environ=None):
    """Validate every setting and the VEXFS_SRC / VEXFS_PATCHES environment variables.

    Run before a job starts (check-make-vars, our Avocado CLI plugin): a bad value is a
    ConfigError with one line instead of an error in every test, or a traceback.
    """
    environ = os.environ if environ is None else environ
    values = load(environ=environ)
    for name in ("VEXFS_SRC", "VEXFS_PATCHES"):
        value = environ.get(name, "").strip()
        if value:
            try:
                makevars.CHECKS[name](value)
            except ValueError as err:
                raise ConfigError(f"environment variable {name} = {value!r}: {err}") from None
    return values

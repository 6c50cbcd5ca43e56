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
import os

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
    number = int(value)
    if number < 0:
        raise ValueError(f"{value!r} is negative (expected 0 or more)")
    return number


def _positive_float(value):
    number = float(value)
    if number <= 0:
        raise ValueError(f"{value!r} is not positive (expected seconds > 0)")
    return number


def _optional_float(value):
    return None if str(value).strip() == "" else _positive_float(value)


def _path(value):
    return os.path.expanduser(str(value).strip()) or None


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
        if env and environ.get(env, "") != "":
            value, origin = environ[env], f"environment variable {env}"
        elif key in raw:
            value, origin = raw[key][0], f"[{SECTION}] {key} in {raw[key][1]}"
        else:
            values[key] = default
            continue
        try:
            values[key] = convert(value)
        except ValueError as err:
            raise ConfigError(f"{origin} = {value!r}: {err}") from err
    if values["log_level"] == "DEBUG":
        values["debug"] = True
    elif values["debug"]:
        values["log_level"] = "DEBUG"
    return values


def describe():
    """The settings table as text (key, value, help) for `avocado-vexfs settings`."""
    values = load()
    rows = [f"{key} = {'' if values[key] is None else values[key]}\n    {help_}"
            + (f" (env {env})" if env else "")
            for key, (_c, _d, env, help_) in KEYS.items()]
    return "\n".join(rows)

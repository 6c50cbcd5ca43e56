"""The one place that parses a cfg file with Avocado-VT's cartesian parser.

``variants`` applies filters and extra params exactly as ``avocado run --vt-config``
does (--vt-no-filter, --vt-only-filter, --vt-extra-params), so config checks, repro and
bisect, and the level estimate all see the variants a level run would.
"""
import glob
import os

from virttest import cartesian_config

from avocado_vexfs.errors import ConfigError

# what the parser raises for a cfg it cannot read
PARSE_ERRORS = (cartesian_config.ParserError, cartesian_config.LexerError,
                cartesian_config.MissingIncludeError)


def split_filters(only):
    """Filter words as ``avocado run --vt-only-filter "a b"`` applies them: each word is
    its own ``only`` line, so "ext4 boot" means ext4 AND boot (not ext4 OR boot)."""
    words = []
    for line in only:
        words.extend(str(line).split())
    return words


def split_extra(extra_params):
    """(key, value) pairs of KEY=VALUE words; ConfigError naming a word without '='."""
    pairs = []
    for param in extra_params:
        key, sep, value = str(param).partition("=")
        if not sep or not key.strip() or key != key.strip():
            raise ConfigError(f"--vt-extra-params {param!r}: expected KEY=VALUE with a cfg "
                              f"key before the '=' (for example vcpus=1)")
        pairs.append((key, value))
    return pairs


def variants(cfg_file, only=(), extra_params=(), no=()):
    """Parameter dicts of ``cfg_file`` as ``avocado run --vt-config`` builds them.

    Filters and KEY=VALUE extra params are applied the way Avocado-VT applies
    --vt-no-filter, --vt-only-filter and --vt-extra-params: each filter word on its own
    line (so the words of one filter are ANDed), then each assignment.
    Raises ConfigError with one line for a missing file or a syntax error.
    """
    if not os.path.isfile(cfg_file):
        levels = sorted(glob.glob(os.path.join(os.path.dirname(cfg_file) or ".",
                                               "level*.cfg")))
        raise ConfigError(f"cfg file {cfg_file!r} does not exist: expected one of "
                          f"{', '.join(levels) or 'cfg/level1.cfg'}")
    return combined([cfg_file], only, extra_params, no)


def combined(cfg_files, only=(), extra_params=(), no=()):
    """Parameter dicts of several cfg files read one after the other, as if one file
    included them in that order, with filters and extra params as in :func:`variants`.

    An instrumented test starts from the provider's shared files this way (base.cfg,
    guest-os.cfg, fs.cfg, and optionally subtests.cfg) without a cfg file of its own.
    """
    pairs = split_extra(extra_params)
    parser = cartesian_config.Parser()
    where = cfg_files[-1]
    try:
        for where in cfg_files:
            parser.parse_file(where)
        for word in split_filters(no):
            parser.no_filter(word)
        for word in split_filters(only):
            parser.only_filter(word)
        for key, value in pairs:
            parser.assign(key, value)
        return list(parser.get_dicts())
    except PARSE_ERRORS as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{where}: cfg syntax error: {first}") from err

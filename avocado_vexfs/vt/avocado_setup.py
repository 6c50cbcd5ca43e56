"""Make `avocado run --vt-config` work offline on our local provider.

Avocado-VT normally downloads providers and a JeOS image during vt-bootstrap; we need
neither. Its plugin loads only when the providers' downloads directory is non-empty, and
it finds a file:// provider through an .ini in test-providers.d. Avocado reads
``$VIRTUAL_ENV/etc/avocado/conf.d`` when a venv is active, so all of this stays inside
the repo's venv and data directory, never in the user's home.
"""
import glob
import os

from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.verdict import known

PROVIDER_NAME = "avocado-vexfs"


def configure(repo, venv):
    """Write the venv's avocado conf.d file and the data dir skeleton; return paths."""
    repo = os.path.abspath(repo)
    data_dir = os.path.join(repo, ".avocado-data")
    results = os.path.join(repo, "results")
    providers = os.path.join(data_dir, "avocado-vt", "virttest", "test-providers.d")
    downloads = os.path.join(providers, "downloads")
    os.makedirs(downloads, exist_ok=True)
    os.makedirs(results, exist_ok=True)
    marker = os.path.join(downloads, "README")
    written = []
    written.append(_write(marker, "Local providers only; nothing is downloaded here.\n"))
    written.append(_write(os.path.join(providers, f"{PROVIDER_NAME}.ini"),
                          "[provider]\n"
                          f"uri: file://{os.path.join(repo, 'test-providers', 'vexfs')}\n"
                          "[generic]\nsubdir: tests/\n"))
    conf_dir = os.path.join(venv, "etc", "avocado", "conf.d")
    os.makedirs(conf_dir, exist_ok=True)
    written.append(_write(os.path.join(conf_dir, "avocado-vexfs.conf"),
                          "[datadir.paths]\n"
                          f"data_dir = {data_dir}\n"
                          f"logs_dir = {results}\n"
                          "[vt]\n"
                          "short_names_when_config = True\n"
                          "[vt.setup]\n"
                          "backup_image_before_test = False\n"
                          "restore_image_after_test = False\n"))
    return written


def _write(path, content):
    """Write only when different, so a second `make` changes nothing."""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as current:
            if current.read() == content:
                return path
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        out.write(content)
    os.replace(path + ".tmp", path)
    return path


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
    from virttest import cartesian_config  # pylint: disable=import-outside-toplevel
    if not os.path.isfile(cfg_file):
        levels = sorted(glob.glob(os.path.join(os.path.dirname(cfg_file) or ".",
                                               "level*.cfg")))
        raise ConfigError(f"cfg file {cfg_file!r} does not exist: expected one of "
                          f"{', '.join(levels) or 'cfg/level1.cfg'}")
    pairs = split_extra(extra_params)
    parser = cartesian_config.Parser()
    try:
        parser.parse_file(cfg_file)
        for word in split_filters(no):
            parser.no_filter(word)
        for word in split_filters(only):
            parser.only_filter(word)
        for key, value in pairs:
            parser.assign(key, value)
        return list(parser.get_dicts())
    except (cartesian_config.ParserError, cartesian_config.LexerError,
            cartesian_config.MissingIncludeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{cfg_file}: cfg syntax error: {first}") from err


def check_cfg(cfg_file, only=(), extra_params=(), no=()):
    """Parse ``cfg_file`` and validate every variant's keys; return how many there are.

    Raises ConfigError with one line for a missing file, a syntax error, filters that
    leave no test (an unknown variant name, usually), or the first bad cfg key of the
    first variant that has one (cfgkeys.validate), extra params included.
    """
    found = variants(cfg_file, only, extra_params, no)
    if not found:
        raise ConfigError(f"{cfg_file}: no test variant matches the filters "
                          f"{' '.join(split_filters(only)) or '(none)'}: expected names "
                          f"from 'avocado list --vt-config {cfg_file}'")
    for params in found:
        try:
            cfgkeys.validate(params)
            known.load(known.path_for(params))
        except ConfigError as err:
            raise ConfigError(f"{cfg_file}: {params.get('shortname', '?')}: {err}") from None
    return len(found)

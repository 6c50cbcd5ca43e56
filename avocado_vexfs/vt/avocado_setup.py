"""Make `avocado run --vt-config` work offline on our local provider.

Avocado-VT normally downloads providers and a JeOS image during vt-bootstrap; we need
neither. Its plugin loads only when the providers' downloads directory is non-empty, and
it finds a file:// provider through an .ini in test-providers.d. Avocado reads
``$VIRTUAL_ENV/etc/avocado/conf.d`` when a venv is active, so all of this stays inside
the repo's venv and data directory, never in the user's home.
"""
import os

from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.verdict import known
from avocado_vexfs.vt import cartesian

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


def check_cfg(cfg_file, only=(), extra_params=(), no=()):
    """Parse ``cfg_file`` and validate every variant's keys; return how many there are.

    Raises ConfigError with one line for a missing file, a syntax error, filters that
    leave no test (an unknown variant name, usually), or the first bad cfg key of the
    first variant that has one (cfgkeys.validate), extra params included.
    """
    found = cartesian.variants(cfg_file, only, extra_params, no)
    if not found:
        raise ConfigError(f"{cfg_file}: no test variant matches the filters "
                          f"{' '.join(cartesian.split_filters(only)) or '(none)'}: expected names "
                          f"from 'avocado list --vt-config {cfg_file}'")
    for params in found:
        try:
            cfgkeys.validate(params)
            known.load(known.path_for(params))
        except ConfigError as err:
            raise ConfigError(f"{cfg_file}: {params.get('shortname', '?')}: {err}") from None
    return len(found)

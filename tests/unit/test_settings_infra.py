"""[vexfs] settings (unknown keys, bad values, precedence) and the boot-retry policy."""
import json
import logging
import os
import subprocess
import sys
import types

import pytest

from avocado_vexfs import settings
from avocado_vexfs.errors import ConfigError, GuestCommandError, GuestError, HostError
from avocado_vexfs.vm import host, infra


def conf(tmp_path, text, name="zz-local.conf"):
    path = tmp_path / name
    path.write_text(text)
    return [str(path)]


def test_defaults_without_any_section(tmp_path):
    values = settings.load(conf(tmp_path, "[other]\nx = 1\n"), environ={})
    assert values == {key: spec[1] for key, spec in settings.KEYS.items()}


@pytest.mark.parametrize("text, environ, key, expected", [
    ("[vexfs]\ninfra_retries = 5\n", {}, "infra_retries", 5),
    ("[vexfs]\ninfra_retries = 5\n", {"VEXFS_INFRA_RETRIES": "1"}, "infra_retries", 1),
    ("[vexfs]\ndebug = yes\n", {}, "log_level", "DEBUG"),
    ("", {"VEXFS_LOG_LEVEL": "debug"}, "debug", True),
    ("", {"VEXFS_TEST_DEBUG": "1"}, "debug", True),
    ("[vexfs]\nboot_timeout = 300\n", {}, "boot_timeout", 300.0),
    ("[vexfs]\ncache_dir = ~/c\n", {}, "cache_dir", os.path.expanduser("~/c")),
])
def test_precedence_env_then_file_then_default(tmp_path, text, environ, key, expected):
    assert settings.load(conf(tmp_path, text), environ=environ)[key] == expected


def test_cache_dir_setting_reaches_every_user_of_the_cache(tmp_path, monkeypatch):
    """[vexfs] cache_dir is what host.cache_dir gives image, build and sweep code; the
    environment variable wins over it, a cfg's image_cache_dir over both."""
    paths = conf(tmp_path, f"[vexfs]\ncache_dir = {tmp_path}/file\n"
                           f"run_dir = {tmp_path}/run\n")
    monkeypatch.setattr(settings, "config_paths", lambda: paths)
    monkeypatch.delenv("AVOCADO_VEXFS_CACHE", raising=False)
    monkeypatch.delenv("AVOCADO_VEXFS_RUN_DIR", raising=False)
    assert host.cache_dir() == f"{tmp_path}/file"
    assert host.run_dir() == f"{tmp_path}/run"
    monkeypatch.setenv("AVOCADO_VEXFS_CACHE", f"{tmp_path}/env")
    assert host.cache_dir() == f"{tmp_path}/env"
    assert host.cache_dir(f"{tmp_path}/cfg") == f"{tmp_path}/cfg"


@pytest.mark.parametrize("text, environ, words", [
    ("[vexfs]\nretries = 3\n", {}, ["unknown key 'retries'", "zz-local.conf",
                                    "infra_retries"]),
    ("[vexfs]\ninfra_retries = -1\n", {}, ["infra_retries", "'-1'", "expected 0 or more"]),
    ("[vexfs]\ndebug = maybe\n", {}, ["debug", "'maybe'", "expected yes/no"]),
    ("", {"VEXFS_LOG_LEVEL": "LOUD"}, ["VEXFS_LOG_LEVEL", "'LOUD'", "expected DEBUG"]),
    ("[vexfs\n", {}, ["not a valid config file"]),
])
def test_bad_settings_are_one_clear_line(tmp_path, text, environ, words):
    with pytest.raises(ConfigError) as err:
        settings.load(conf(tmp_path, text), environ=environ)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_unknown_key_in_venv_conf_stops_the_cli(tmp_path):
    venv = tmp_path / "venv"
    (venv / "etc" / "avocado" / "conf.d").mkdir(parents=True)
    (venv / "etc" / "avocado" / "conf.d" / "zz.conf").write_text("[vexfs]\nparalel = 2\n")
    env = dict(os.environ, VIRTUAL_ENV=str(venv))
    done = subprocess.run([sys.executable, "-m", "avocado_vexfs.cli", "settings"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "unknown key 'paralel'" in done.stderr and "zz.conf" in done.stderr


class StandIn:
    """A guest whose start() fails ``failures`` times with ``error`` (the policy only)."""

    started = []

    def __init__(self, error, failures):
        self.error, self.failures = error, failures

    def start(self):
        StandIn.started.append(self)
        if len(StandIn.started) <= self.failures:
            raise self.error


def fake_test(tmp_path):
    return types.SimpleNamespace(logdir=str(tmp_path), log=logging.getLogger("t"),
                                 name="t")


@pytest.mark.parametrize("error, failures, retries, starts, raises, waits", [
    (GuestError("did not reach boot"), 2, 3, 3, None, [1.0, 2.0]),
    (HostError("libvirtd does not answer"), 1, 1, 2, None, [1.0]),
    (GuestError("did not reach boot"), 5, 2, 3, GuestError, [1.0, 2.0]),
    (GuestCommandError("stty", 1, "bad"), 3, 3, 4, None, [1.0, 2.0, 4.0]),
    (ConfigError("vcpus = 0"), 1, 3, 1, ConfigError, []),
    (GuestError("did not reach boot"), 1, 0, 1, GuestError, []),
])
def test_only_infrastructure_faults_are_retried_with_backoff(
        tmp_path, error, failures, retries, starts, raises, waits):
    StandIn.started = []
    slept = []
    opts = {"infra_retries": retries, "retry_backoff": 1.0}
    run = lambda: infra.start_with_retries(fake_test(tmp_path),  # noqa: E731
                                           lambda: StandIn(error, failures), opts,
                                           sleep=slept.append)
    if raises:
        with pytest.raises(raises) as err:
            run()
        assert ("infrastructure retries" in str(err.value)) == bool(waits)
    else:
        assert run() is StandIn.started[-1]
    assert len(StandIn.started) == starts
    assert slept == waits
    record = tmp_path / infra.RETRIES_FILE
    if waits:
        assert [r["wait_s"] for r in json.loads(record.read_text())] == waits
    else:
        assert not record.exists()


def test_kept_guest_listing_and_unknown_destroy_name(tmp_path):
    kept_dir = tmp_path / "avocado-vexfs-1-x-abc"
    kept_dir.mkdir()
    (kept_dir / infra.KEPT_FILE).write_text(json.dumps({"name": "avocado-vexfs-1-x-abc"}))
    assert [k["name"] for k in infra.kept_guests(str(tmp_path))] == ["avocado-vexfs-1-x-abc"]
    with pytest.raises(ConfigError) as err:
        infra.destroy_kept(str(tmp_path), "avocado-vexfs-2-y")
    assert "no kept guest named 'avocado-vexfs-2-y'" in str(err.value)
    assert "avocado-vexfs-1-x-abc" in str(err.value)


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.seen = []

    def emit(self, record):
        self.seen.append((record.name, record.levelname))


@pytest.mark.parametrize("level, reaches", [("DEBUG", True), ("INFO", False)])
def test_the_log_level_applies_to_every_module_logger_below_avocado_vexfs(tmp_path, level,
                                                                         reaches):
    """Avocado's runner (start_logging in avocado/core/utils/messages.py) puts the
    handler that writes debug.log on the root logger; our module loggers propagate to it,
    each at the level VEXFS_LOG_LEVEL sets on the avocado_vexfs logger."""
    handler, tree = Records(), logging.getLogger("avocado_vexfs")
    before = tree.level
    logging.getLogger().addHandler(handler)
    try:
        infra.set_log_level(fake_test(tmp_path), {"log_level": level})
        logging.getLogger("avocado_vexfs.vm.images").debug("image cached")
        logging.getLogger("avocado_vexfs.crashcons.explorer").info("w1: 3 crash states")
    finally:
        logging.getLogger().removeHandler(handler)
        tree.setLevel(before)
    assert (("avocado_vexfs.vm.images", "DEBUG") in handler.seen) is reaches
    assert ("avocado_vexfs.crashcons.explorer", "INFO") in handler.seen

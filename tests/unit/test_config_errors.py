"""Bad input gives one clear line naming the bad value and what was expected."""
import glob
import json
import os
import subprocess
import sys

import pytest

from avocado_vexfs import cfgkeys
from avocado_vexfs.bench import spec
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import fs, kbuild, vexfs
from avocado_vexfs.params import quick_int
from avocado_vexfs.triage import jobdir, repro
from avocado_vexfs.vm import host, images
from avocado_vexfs.vm.guest import GuestConfig
from avocado_vexfs.vt import avocado_setup, cartesian, config_plugin

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "avocado_vexfs.cli", *args],
                          capture_output=True, text=True, check=False)


def test_unknown_level_is_one_line(repo):
    result = _cli("check-cfg", f"{repo}/cfg/level9.cfg")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "level9.cfg" in result.stderr


def test_unknown_variant_filter(repo):
    result = _cli("check-cfg", f"{repo}/cfg/level1.cfg", "--only", "no_such_test")
    assert result.returncode == 2
    assert "no_such_test" in result.stderr and "Traceback" not in result.stderr


def test_level1_has_the_smoke_variants(repo):
    assert avocado_setup.check_cfg(f"{repo}/cfg/level1.cfg") == 9  # 5 tests on ext4 (lifecycle: fixture), 4 on vexfs (lifecycle: filesystem)


def test_cfg_syntax_error(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("variants:\n    - a:\n  x = \n   - b:\n        y = 1\n  only (\n")
    with pytest.raises(ConfigError, match="bad.cfg"):
        avocado_setup.check_cfg(str(bad))


def test_unknown_recipe():
    with pytest.raises(ConfigError, match="unknown guest OS recipe 'plan9'.*debian-12"):
        images.Recipe("plan9")


@pytest.mark.parametrize("key, value", [("vcpus", 0), ("memory_mb", -1),
                                        ("boot_timeout", 0)])
def test_guest_shape_must_be_positive(key, value):
    with pytest.raises(ConfigError, match=f"{key} = {value}"):
        GuestConfig(**{key: value})


def test_unknown_accel():
    with pytest.raises(ConfigError, match="accel = 'xen'"):
        GuestConfig(accel="xen")


def test_unknown_fs_type():
    with pytest.raises(ConfigError, match="fs_type = 'zfs'.*ext4"):
        fs.for_params({"fs_type": "zfs"})


def test_vexfs_src_missing(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        vexfs.prepare_tree(str(tmp_path / "nope"), None, str(tmp_path))


def test_vexfs_src_not_a_vexfs_tree(tmp_path):
    (tmp_path / "src").mkdir()
    with pytest.raises(ConfigError, match="not a VexFS tree: kernel_module/Kbuild"):
        vexfs.prepare_tree(str(tmp_path / "src"), None, str(tmp_path / "w"))


def test_vexfs_tree_without_mkfs_source(tmp_path):
    (tmp_path / "src" / "kernel_module").mkdir(parents=True)
    (tmp_path / "src" / "kernel_module" / "Kbuild").write_text("obj-m := x.o\n")
    with pytest.raises(ConfigError, match="not a VexFS tree: tools/mkfs.vexfs.c is missing"):
        vexfs.prepare_tree(str(tmp_path / "src"), None, str(tmp_path / "w"))


def test_vexfs_patches_not_a_directory(tmp_path):
    with pytest.raises(ConfigError, match="VEXFS_PATCHES=.*not a directory"):
        vexfs.list_patches(str(tmp_path / "none"))


@pytest.mark.parametrize("spec, expected", [
    ("/src/vexfs", ("/src/vexfs", None)),
    ("https://example.invalid/vexfs.git@v1.2", ("https://example.invalid/vexfs.git", "v1.2")),
    ("file:///srv/vexfs", ("file:///srv/vexfs", None)),
    ("git@host:team/vexfs.git@abc123", ("git@host:team/vexfs.git", "abc123")),
])
def test_source_spec_split(spec, expected):
    assert vexfs.split_ref(spec) == expected


@pytest.mark.parametrize("log, expected", [
    ("make: Entering\n  CC [M]  core/file.o\n/tmp/v/kernel_module/core/file.c:120:5: error: "
     "implicit declaration of function 'grab_cache_page_write_begin'\n",
     "core/file.c:120:5: error: implicit declaration of function "
     "'grab_cache_page_write_begin'"),
    ("cc1: some warnings\n", "cc1: some warnings"),
    ("  LEX     scripts/kconfig/lexer.lex.c\n/bin/sh: 1: flex: not found\nmake[3]: *** "
     "[scripts/Makefile.host:9: lexer.lex.c] Error 127\nmake: Leaving directory '/x'\n",
     "/bin/sh: 1: flex: not found"),
])
def test_first_compiler_error(log, expected):
    assert kbuild.first_compiler_error(log).endswith(expected)


LEVELS = sorted(glob.glob(os.path.join(REPO, "cfg", "*.cfg")))


@pytest.mark.parametrize("cfg", LEVELS, ids=os.path.basename)
@pytest.mark.parametrize("quick", ["no", "yes"])
def test_every_shipped_variant_passes_validation(cfg, quick):
    """A cfg key added without a declaration in cfgkeys.py fails here, not in a guest."""
    for params in cartesian.variants(cfg, extra_params=[f"quick={quick}"]):
        cfgkeys.validate(params)


def test_only_words_are_anded_as_the_run_does(repo):
    """check-cfg --only "a b" keeps what --vt-only-filter "a b" keeps: a AND b."""
    from virttest import cartesian_config
    level1 = f"{repo}/cfg/level1.cfg"
    parser = cartesian_config.Parser()
    parser.parse_file(level1)
    for word in "ext4 boot".split(" "):  # avocado_vt.options._process_only_filter
        parser.only_filter(word)
    run = [d["shortname"] for d in parser.get_dicts()]
    assert run == ["ext4.linux_6_12.boot"]
    assert avocado_setup.check_cfg(level1, only=["ext4 boot"]) == len(run)
    assert avocado_setup.check_cfg(level1, only=["ext4", "boot"]) == len(run)


def test_check_cfg_takes_the_run_arguments(repo):
    result = _cli("check-cfg", f"{repo}/cfg/level1.cfg", "--run-args", "--vt-only-filter",
                  "ext4 boot", "--vt-extra-params", "vcpus=1", "--job-results-dir", "/x")
    assert result.returncode == 0, result.stderr
    assert "1 test variants" in result.stdout


def test_quick_keys_and_avocado_vt_keys_are_accepted():
    cfgkeys.validate({"name": "x", "shortname": "x", "dep": [], "vm_type": "qemu",
                      "_name_map_file": {}, "lifecycle_cycles": "3",
                      "lifecycle_cycles_quick": "1", "bench_seq_write_fio": "rw=write"})


@pytest.mark.parametrize("params, key, value", [
    ({}, "lifecycle_cycles", 10),
    ({"lifecycle_cycles": "4", "lifecycle_cycles_quick": "2"}, "lifecycle_cycles", 4),
    ({"quick": "yes", "lifecycle_cycles": "4", "lifecycle_cycles_quick": "2"},
     "lifecycle_cycles", 2),
    ({"scratch_disks_mb": "32 16 32"}, "scratch_disks_mb", [32, 16, 32]),
    ({"console_check": "no"}, "console_check", False),
    ({}, "statfs_magic", 0),
    ({"statfs_magic": "0xef53"}, "statfs_magic", 0xEF53),
])
def test_get_gives_typed_values_with_defaults(params, key, value):
    assert cfgkeys.get(params, key) == value


def test_get_of_an_undeclared_key():
    with pytest.raises(ConfigError, match="unknown cfg key mount_cylces .*mount_cycles"):
        cfgkeys.get({}, "mount_cylces")


@pytest.mark.parametrize("key", ["lifecycle_cycles", "mount_cycles"])
def test_a_count_of_zero_is_refused_where_it_is_read(key):
    with pytest.raises(ConfigError, match=f"{key} = 0: expected an integer >= 1"):
        quick_int({key: "0"}, key, 10)


@pytest.mark.parametrize("params, want", [
    ({"mount_cycles": "10", "mount_cycles_quick": "3"}, 10),
    ({"quick": "yes", "mount_cycles": "10", "mount_cycles_quick": "3"}, 3),
    ({"quick": "yes", "mount_cycles": "10", "mount_cycles_quick": ""}, 10),
])
def test_one_quick_rule_for_counts_and_bench_params(params, want):
    """quick_int and bench's spec.param read the same key: the rule lives in params.py."""
    assert quick_int(params, "mount_cycles", 1) == want
    assert spec.param(params, "mount_cycles") == str(want)


@pytest.mark.parametrize("make_args, present, absent", [
    (["QUICK=0"], [], ["quick=yes"]),
    (["QUICK=no"], [], ["quick=yes"]),
    (["QUICK=1"], ["quick=yes"], []),
    (["QUICK=yes"], ["quick=yes"], []),
    (["DEBUG=0"], [], ["VEXFS_TEST_DEBUG"]),
    (["DEBUG=1"], ["VEXFS_TEST_DEBUG=1"], []),
    (["PARALLEL=0"], ["check-make-vars \"PARALLEL=0\""], []),
])
def test_make_variables_mean_what_they_say(repo, make_args, present, absent):
    """make -n prints the commands only; -o image keeps the image target out of it."""
    done = subprocess.run(["make", "-n", "-o", "image", "level1", *make_args], cwd=repo,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    check_line = [line for line in done.stdout.splitlines() if "check-make-vars" in line]
    assert check_line and "check-cfg" in check_line[0]
    for word in present:
        assert word in done.stdout
    for word in absent:
        assert word not in done.stdout


def test_bad_cache_dir_is_one_line_not_a_traceback(monkeypatch):
    monkeypatch.setenv("AVOCADO_VEXFS_CACHE", "/etc/passwd/cache")
    with pytest.raises(ConfigError, match=r"AVOCADO_VEXFS_CACHE='/etc/passwd/cache': .*"
                                          r"expected a writable directory"):
        host.cache_dir()


@pytest.mark.parametrize("config, message", [
    ({"vt.config": "cfg/nope.cfg"}, "cfg file 'cfg/nope.cfg' does not exist"),
    ({"vt.config": "cfg/level1.cfg", "vt.extra_params": ["mount_cylces=3"]},
     "unknown cfg key mount_cylces = 3: did you mean mount_cycles?"),
    ({"vt.config": "cfg/level1.cfg", "vt.only_filter": "ext4 nosuch"},
     "no test variant matches the filters ext4 nosuch"),
    ({"vt.config": "cfg/level1.cfg", "vt.extra_params": ["vcpus"]},
     "--vt-extra-params 'vcpus': expected KEY=VALUE"),
])
def test_job_plugin_refuses_bad_vt_inputs(repo, monkeypatch, config, message):
    monkeypatch.chdir(repo)
    with pytest.raises(ConfigError) as err:
        config_plugin.check(dict(config, subcommand="run"))
    assert message in str(err.value)


def test_job_plugin_counts_good_inputs_and_ignores_other_commands(repo, monkeypatch):
    monkeypatch.chdir(repo)
    config = {"subcommand": "run", "vt.config": "cfg/level1.cfg",
              "vt.only_filter": "ext4", "resolver.references": ["boot"]}
    assert config_plugin.check(config) == 1
    assert config_plugin.check(dict(config, subcommand="list")) == 0
    assert config_plugin.check({"subcommand": "run"}) == 0


def test_avocado_run_on_a_missing_cfg_says_our_line(repo, tmp_path):
    """Only bad inputs here: the plugin stops avocado before any suite or guest."""
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "avocado"), "run",
                           "--dry-run", "--job-results-dir", str(tmp_path), "--vt-config",
                           "cfg/nope.cfg"], cwd=repo, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2
    assert "avocado-vexfs: error: cfg file 'cfg/nope.cfg' does not exist" in done.stderr
    assert "Test Suite could not be created" not in done.stdout + done.stderr


def _job_with(tmp_path, tests, log_lines):
    path = tmp_path / "job-2026-01-01T00.00-abcdef0"
    for test in tests:
        logdir = path / "test-results" / test["name"]
        logdir.mkdir(parents=True)
        (logdir / "debug.log").write_text("\n".join(log_lines.get(test["name"], [])) + "\n")
        test.update(logdir=str(logdir), logfile=str(logdir / "debug.log"))
    (path / "results.json").write_text(json.dumps({"job_id": "abcdef0" + "0" * 33,
                                                   "tests": tests}))
    (path / "jobdata").mkdir()
    (path / "jobdata" / "args.json").write_text(json.dumps(
        {"vt.config": "cfg/level1.cfg"}))
    return str(path)


def test_a_config_error_gets_no_repro(tmp_path):
    reason = "cfg key vcpus = abc: expected an integer >= 1 and <= 64 (vCPUs of the guest)"
    job = _job_with(tmp_path, [{"name": "ext4.linux_6_12.boot", "status": "ERROR",
                                "fail_reason": reason}],
                    {"ext4.linux_6_12.boot": [
                        "[stdlog] 2026 avocado.test stacktrace L0045 ERROR| Traceback",
                        "[stdlog] 2026 avocado.test stacktrace L0045 ERROR| "
                        f"avocado_vexfs.errors.ConfigError: {reason}"]})
    test = jobdir.Job(job).tests[0]
    assert repro.is_config_error(test)
    assert repro.write_for_job(job) == {"tests": {}}
    assert not os.path.exists(os.path.join(job, repro.REPRO_FILE))
    result = _cli("repro", "--job", job, "--test", "ext4.linux_6_12.boot")
    assert result.returncode == 2
    assert "ended on a config error (cfg key vcpus = abc" in result.stderr


@pytest.mark.parametrize("test, expected", [
    ({"fail_class": "ConfigError", "status": "ERROR"}, True),
    ({"fail_class": "BaselineError", "status": "ERROR"}, True),
    ({"fail_class": "GuestCommandError", "status": "ERROR"}, False),
    ({"fail_class": "TestFail", "status": "FAIL"}, False),
    ({"status": "ERROR", "fail_reason": "x", "logfile": "/nonexistent"}, False),
])
def test_config_errors_are_told_by_their_class(test, expected):
    import avocado_vexfs.bench.baseline  # noqa: F401  (registers BaselineError)
    assert repro.is_config_error(test) is expected

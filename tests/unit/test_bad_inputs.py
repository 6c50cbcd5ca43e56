"""Every bad input of tests/data/bad-inputs.txt gives one line with the expected words.

The table is data so that a new bad input is one line; each kind is checked the way the
user meets it, in-process where that is the same code path (check-cfg, check-make-vars,
settings) and through the real command line for the `cli` rows.
"""
import os
import shlex
import subprocess
import sys

import pytest

from avocado_vexfs import makevars, settings
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vt import avocado_setup

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(REPO, "tests", "data", "bad-inputs.txt")
LEVEL1 = os.path.join(REPO, "cfg", "level1.cfg")


def _cases():
    cases = []
    with open(TABLE, encoding="utf-8") as table:
        for number, line in enumerate(table, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            kind, given, fragment = line.rstrip("\n").split(" | ", 2)
            cases.append(pytest.param(kind.strip(), given.rstrip(), fragment.strip(),
                                      id=f"{number}-{kind.strip()}-{given.strip()}"))
    return cases


CASES = _cases()


def test_the_table_tries_at_least_40_bad_inputs():
    assert len(CASES) >= 40


def _cfg(given):
    avocado_setup.check_cfg(LEVEL1, extra_params=[given])


def _filter(given):
    avocado_setup.check_cfg(LEVEL1, only=[given])


def _make(given):
    makevars.check([given])


def _env(given):
    name, _, value = given.partition("=")
    settings.check_environment(environ={name: value})


def _setting(given, tmp_path):
    conf = tmp_path / "zz-local.conf"
    conf.write_text(f"[vexfs]\n{given}\n", encoding="utf-8")
    settings.load(paths=[str(conf)], environ={})


def _cli(given):
    done = subprocess.run([sys.executable, "-m", "avocado_vexfs.cli", *shlex.split(given)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("kind, given, fragment", CASES)
def test_bad_input_gives_one_line(kind, given, fragment, tmp_path):
    if kind == "cli":
        line = _cli(given)
    else:
        check = {"cfg": _cfg, "filter": _filter, "make": _make, "env": _env,
                 "setting": lambda g: _setting(g, tmp_path)}[kind]
        with pytest.raises(ConfigError) as err:
            check(given)
        line = str(err.value)
    assert "\n" not in line
    assert fragment in line

import pytest

from avocado_vexfs import params as cfgparams
from avocado_vexfs.checks import lifecycle
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import fixture

O, E, W, D = 1 << 12, 1 << 13, 1 << 9, 1 << 7


@pytest.mark.parametrize("before, after, new", [
    (0, O | E, 0),              # loading an out-of-tree, unsigned module
    (O, O | E | W, W),          # a WARN_ON during the cycle
    (W, W | O, 0),              # a warning from before the test is not ours
    (0, D | W, D | W),
])
def test_unexpected_taint(before, after, new):
    assert lifecycle.unexpected_taint(before, after) == new


def test_describe_taint_names_letters():
    assert lifecycle.describe_taint(D | W) == "D kernel died (oops), W warning"
    assert lifecycle.describe_taint(0) == "none"


def test_module_name_from_ko():
    assert lifecycle.module_name("/x/vexfs-deadlock_fix.ko") == "vexfs_deadlock_fix"


def test_module_src_must_be_a_module_dir(tmp_path):
    with pytest.raises(ConfigError, match="expected a kernel module source"):
        fixture.fixture_source({"module_src": str(tmp_path)})


@pytest.mark.parametrize("params, want", [
    ({"n": "10", "n_quick": "3"}, 10),
    ({"n": "10", "n_quick": "3", "quick": "yes"}, 3),
    ({"n": "10", "quick": "yes"}, 10),
    ({}, 7),
])
def test_quick_int(params, want):
    assert cfgparams.quick_int(params, "n", 7) == want


def test_quick_int_rejects_words():
    with pytest.raises(ConfigError, match=r"n = 'ten': expected an integer"):
        cfgparams.quick_int({"n": "ten"}, "n", 1)

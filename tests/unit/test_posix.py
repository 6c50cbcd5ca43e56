"""The host side of the POSIX checks: result parsing, check names, level 2's selection."""
import pytest

from avocado_vexfs.checks import posix
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vt import avocado_setup


def test_result_line_is_parsed():
    output = "noise\nAVX-RESULT [\"unsupported: link: EPERM (x)\", \"bad\"]\n"
    problems = posix.parse_result("links", 0, output)
    assert problems == ["unsupported: link: EPERM (x)", "bad"]
    assert posix.unsupported(problems) == ["unsupported: link: EPERM (x)"]


def test_empty_result_is_a_pass():
    assert posix.parse_result("sync", 0, "AVX-RESULT []") == []


def test_script_without_result_is_a_problem():
    problems = posix.parse_result("attrs", 1, "Traceback\n  x\nTypeError: nope\n")
    assert problems == ["attrs: check script exited 1 without a result: "
                        "Traceback |   x | TypeError: nope"]


def test_unknown_check_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown functional check 'nope'.*basic_io"):
        posix.run_named(None, "nope", "/mnt", {})


def test_guest_script_knows_every_host_check():
    import importlib.util  # pylint: disable=import-outside-toplevel
    spec = importlib.util.spec_from_file_location("posix_checks", posix.SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(posix.CHECKS) == set(module.CHECKS)


def test_level2_leaves_out_the_dangerous_checks(repo):
    count = avocado_setup.check_cfg(f"{repo}/cfg/level2.cfg")
    assert count >= 28  # level 2 grows as suites join it; the dangerous ones never do
    with pytest.raises(ConfigError, match="dangerous"):
        avocado_setup.check_cfg(f"{repo}/cfg/level2.cfg", only=["dangerous"])

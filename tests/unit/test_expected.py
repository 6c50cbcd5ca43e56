"""cfg/expected/<fs>.txt: the parser, the lookup, and the verdict it turns into."""
import pytest

from avocado_vexfs import expected
from avocado_vexfs.errors import ConfigError


def test_parse_skips_comments_and_blank_lines():
    text = "# header\n\nfunctional.links  link returns EPERM  # upstream\n"
    assert expected.parse(text) == [("functional.links", "link returns EPERM")]


def test_reason_keeps_inner_spaces():
    entries = expected.parse("persistence\tsubdirs lose  contents\n")
    assert entries == [("persistence", "subdirs lose  contents")]


def test_line_without_reason_names_file_and_line():
    with pytest.raises(ConfigError, match=r"x.txt:2: 'functional.sizes'"):
        expected.parse("a b\nfunctional.sizes\n", source="x.txt")


def test_lookup_is_by_fragment_first_match_wins():
    entries = expected.parse("functional.links first\nfunctional second\n")
    name = "linux_6_12.vexfs.functional.links"
    assert expected.reason_for(entries, name) == "first"
    assert expected.reason_for(entries, "linux_6_12.vexfs.functional.sync") == "second"
    assert expected.reason_for(entries, "linux_6_12.vexfs.boot") is None


def test_missing_file_expects_nothing(tmp_path):
    assert expected.load(str(tmp_path / "none.txt")) == []


def test_repo_files_parse(repo):
    for fs_type in ("ext4", "vexfs"):
        path = expected.path_for({"fs_type": fs_type})
        assert path.startswith(str(repo))
        expected.load(path)
    assert expected.load(expected.path_for({"fs_type": "ext4"})) == []


class FakeTest:
    class Log:
        def __init__(self):
            self.warnings = []

        def info(self, *args):
            return args

        def warning(self, fmt, *args):
            self.warnings.append(fmt % args)

    class Verdict(Exception):
        pass

    def __init__(self):
        self.log = self.Log()

    def cancel(self, message):
        raise self.Verdict(("cancel", message))

    def fail(self, message):
        raise self.Verdict(("fail", message))


@pytest.fixture
def params(tmp_path):
    (tmp_path / "vexfs.txt").write_text("functional.links  EPERM upstream\n")
    return {"fs_type": "vexfs", "expected_failures_dir": str(tmp_path)}


def test_listed_failure_is_cancelled(params):
    params["shortname"] = "linux_6_12.vexfs.functional.links"
    test = FakeTest()
    with pytest.raises(FakeTest.Verdict) as verdict:
        expected.report(test, params, ["links: unsupported: link: EPERM"])
    kind, message = verdict.value.args[0]
    assert kind == "cancel"
    assert message.startswith("expected failure: EPERM upstream: links: unsupported")


def test_unlisted_failure_fails(params):
    params["shortname"] = "linux_6_12.vexfs.functional.sync"
    with pytest.raises(FakeTest.Verdict) as verdict:
        expected.report(FakeTest(), params, ["sync: fsync: EIO"])
    assert verdict.value.args[0][0] == "fail"


def test_listed_pass_warns(params):
    params["shortname"] = "linux_6_12.vexfs.functional.links"
    test = FakeTest()
    expected.report(test, params, [])
    assert test.log.warnings and "listed as expected failure but passed" in \
        test.log.warnings[0]

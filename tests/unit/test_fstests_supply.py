"""fstests supply: FSTESTS_SRC forms and their one-line errors, the test index of the
pinned tarball, selection and order, and the cached build into a disk image.

The pinned tarball (../shared/sut from the repository) gives the real index; the build
tests use a tiny tree whose Makefile stands in for fstests' own, so they take seconds.
"""
import hashlib
import io
import json
import logging
import os
import shutil
import stat
import subprocess
import tarfile
import threading

import pytest

from avocado_vexfs.errors import ConfigError, HostError
from avocado_vexfs.fstests import build, groups, source
from avocado_vexfs.module import gitsource, kbuild

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PINNED = os.path.join(REPO, "..", "shared", "sut", "fstests-63a2972.tar.xz")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
       "-c", "init.defaultBranch=main"]


@pytest.fixture(scope="session")
def pinned_tree(tmp_path_factory):
    if not os.path.isfile(PINNED):
        pytest.skip(f"pinned fstests tarball not at {PINNED}")
    return source.prepare(PINNED, str(tmp_path_factory.mktemp("pinned")))


@pytest.fixture(scope="session")
def pinned_index(pinned_tree):
    return groups.index(pinned_tree)


def _tree(path, makefile="default:\n\t@echo Building src\n", tests=("001",)):
    """A minimal fstests tree: check, common/rc, tests/generic/<NNN> and a Makefile."""
    (path / "common").mkdir(parents=True)
    (path / "tests" / "generic").mkdir(parents=True)
    (path / "check").write_text("#!/bin/bash\necho check\n")
    (path / "common" / "rc").write_text("# rc\n")
    (path / "Makefile").write_text(makefile)
    for number in tests:
        (path / "tests" / "generic" / number).write_text(
            f"#! /bin/bash\n. ./common/preamble\n_begin_fstest auto quick\n# {number}\n")
        (path / "tests" / "generic" / f"{number}.out").write_text(f"QA output {number}\n")
    return str(path)


def _tarball(path, members):
    """A .tar.gz with ``members``: {name: text, or a TarInfo for links and dirs}."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            if isinstance(content, tarfile.TarInfo):
                archive.addfile(content)
                continue
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def _git_repo(path):
    _tree(path)
    subprocess.run(GIT + ["init", "-q", str(path)], check=True)
    subprocess.run(GIT + ["-C", str(path), "add", "-A"], check=True)
    subprocess.run(GIT + ["-C", str(path), "commit", "-q", "-m", "one"], check=True)
    subprocess.run(GIT + ["-C", str(path), "tag", "v1"], check=True)
    (path / "common" / "rc").write_text("# rc two\n")
    subprocess.run(GIT + ["-C", str(path), "commit", "-q", "-am", "two"], check=True)
    return {ref: subprocess.run(["git", "-C", str(path), "rev-parse", f"{ref}^{{commit}}"],
                                capture_output=True, text=True, check=True).stdout.strip()
            for ref in ("v1", "main")}


@pytest.mark.parametrize("params, environ, expected", [
    ({"fstests_src": "/cfg/fstests"}, {"FSTESTS_SRC": "/env/fstests"}, "/cfg/fstests"),
    ({"fstests_src": ""}, {"FSTESTS_SRC": "/env/fstests"}, "/env/fstests"),
    ({}, {"FSTESTS_SRC": "/env/fstests"}, "/env/fstests"),
    ({}, {}, ""),
])
def test_fstests_src_comes_from_the_cfg_first_then_the_environment(params, environ,
                                                                   expected):
    assert source.source_from(params, environ=environ) == expected


# The spec is built in tmp_path by the named maker; {tmp} in the fragment is tmp_path.
BAD_SOURCES = [
    ("", "FSTESTS_SRC is not set: expected an fstests tree"),
    ("/nonexistent/fstests", "FSTESTS_SRC=/nonexistent/fstests does not exist: expected "
                             "an fstests tree (a directory or tarball with check, "
                             "common/rc, tests/) or a git URL"),
    ("/etc/passwd", "FSTESTS_SRC=/etc/passwd is neither a directory nor a tarball"),
    ("empty-dir", "is not an fstests tree: check is missing"),
    ("no-rc", "is not an fstests tree: common/rc is missing"),
    ("no-generic", "is not an fstests tree: tests/generic/ is missing"),
    ("two-tops.tar.gz", "is not an fstests tree: expected one top directory in the "
                        "tarball, found a, b"),
    ("flat.tar.gz", "is not an fstests tree: expected one top directory in the tarball"),
    ("garbage.tar.xz", "cannot be unpacked"),
    ("escaping-link.tar.gz", "cannot be unpacked"),
    ("tarball-without-check.tgz", "is not an fstests tree: check is missing"),
    ("file:///nonexistent/fstests.git", "'/nonexistent/fstests.git' does not appear to be "
                                        "a git repository"),
]


def _bad_spec(name, tmp_path):
    if name.startswith("/") or "://" in name or not name:
        return name
    target = tmp_path / name
    if name == "empty-dir":
        target.mkdir()
    elif name in ("no-rc", "no-generic"):
        _tree(target)
        os.remove(target / "common" / "rc") if name == "no-rc" else \
            shutil.rmtree(target / "tests" / "generic")
    elif name == "two-tops.tar.gz":
        _tarball(target, {"a/check": "x", "b/check": "x"})
    elif name == "flat.tar.gz":
        _tarball(target, {"check": "x"})
    elif name == "garbage.tar.xz":
        target.write_bytes(b"not a tarball at all")
    elif name == "escaping-link.tar.gz":
        link = tarfile.TarInfo("fstests/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        _tarball(target, {"fstests/check": "x", "fstests/passwd": link})
    elif name == "tarball-without-check.tgz":
        _tarball(target, {"fstests/common/rc": "x"})
    return str(target)


@pytest.mark.parametrize("name, fragment", BAD_SOURCES)
def test_a_bad_fstests_src_gives_one_line(name, fragment, tmp_path):
    spec = _bad_spec(name, tmp_path)
    (tmp_path / "work").mkdir()
    with pytest.raises(ConfigError) as err:
        source.prepare(spec, str(tmp_path / "work"))
    line = str(err.value)
    assert "\n" not in line
    assert fragment in line
    assert f"FSTESTS_SRC={spec}" in line or not spec
    if not source.is_tarball(spec):  # a tarball's digest reads its bytes, not its tree
        with pytest.raises(ConfigError) as again:
            source.digest(spec)
        assert fragment in str(again.value) and "\n" not in str(again.value)


def test_the_pinned_tarball_unpacks_to_a_tree_with_check_at_its_top(pinned_tree):
    assert os.path.basename(pinned_tree) == "fstests"
    for need in ("check", "common/rc", "tests/generic/001", "Makefile", "configure.ac"):
        assert os.path.exists(os.path.join(pinned_tree, need)), need


def test_a_directory_is_copied_without_git_and_build_outputs(tmp_path):
    src = _tree(tmp_path / "src")
    for junk in (".git/HEAD", "src/fsx.o", "lib/.libs/libtest.a", "results/generic/001.full"):
        os.makedirs(os.path.dirname(os.path.join(src, junk)), exist_ok=True)
        (tmp_path / "src" / junk).write_text("junk")
    (tmp_path / "src" / "src" / "prog").write_bytes(b"\x7fELF compiled")
    tree = source.prepare(src, str(tmp_path / "work"))
    copied = sorted(os.path.relpath(os.path.join(root, name), tree)
                    for root, _, files in os.walk(tree) for name in files)
    assert copied == ["Makefile", "check", "common/rc", "tests/generic/001",
                      "tests/generic/001.out"]
    assert os.listdir(tmp_path / "src" / ".git") == ["HEAD"]


def test_a_directory_digest_follows_sources_not_build_outputs(tmp_path):
    src = _tree(tmp_path / "src")
    first = source.digest(src)
    (tmp_path / "src" / "lib.o").write_text("object")
    (tmp_path / "src" / "configure").write_text("generated")
    (tmp_path / "src" / "tests" / "generic" / "group.list").write_text("001 auto\n")
    assert source.digest(src) == first
    (tmp_path / "src" / "common" / "rc").write_text("# changed\n")
    assert source.digest(src) != first
    assert len(first) == 16


def test_a_tarball_digest_is_the_hash_of_its_bytes(tmp_path):
    tarball = _tarball(tmp_path / "f.tar.gz", {"fstests/check": "x"})
    with open(tarball, "rb") as data:
        assert source.digest(tarball) == hashlib.sha256(data.read()).hexdigest()[:16]


def test_a_git_url_at_a_ref_is_cloned_and_its_digest_is_the_commit(tmp_path):
    commits = _git_repo(tmp_path / "repo")
    url = f"file://{tmp_path}/repo"
    for spec, commit in ((f"{url}@v1", commits["v1"]), (url, commits["main"]),
                         (f"{url}@main", commits["main"]),
                         (f"{tmp_path}/repo@v1", commits["v1"]),
                         (f"{url}@{commits['v1']}", commits["v1"])):
        assert source.digest(spec) == commit[:16], spec
        work = tmp_path / f"work-{commit[:6]}-{len(spec)}"
        work.mkdir()
        tree = source.prepare(spec, str(work))
        rc = (tmp_path / tree / "common" / "rc").read_text()
        assert rc == ("# rc\n" if commit == commits["v1"] else "# rc two\n"), spec
        assert not os.path.exists(os.path.join(tree, ".git"))
    with pytest.raises(ConfigError, match=r"git ref 'nosuch' does not exist in file://"):
        source.digest(f"{url}@nosuch")


@pytest.mark.parametrize("spec, expected", [
    ("{tmp}/repo@v1", ("{tmp}/repo", "v1")),
    ("{tmp}/plain@v1", ("{tmp}/plain@v1", None)),
    ("{tmp}/repo", ("{tmp}/repo", None)),
])
def test_a_local_git_checkout_takes_an_at_ref(spec, expected, tmp_path):
    _git_repo(tmp_path / "repo")
    (tmp_path / "plain").mkdir()
    tmp = str(tmp_path)
    assert gitsource.split_ref(spec.format(tmp=tmp)) == tuple(
        e.format(tmp=tmp) if e else e for e in expected)


def test_the_pinned_index_counts(pinned_index):
    """Measured on fstests 63a2972; a new pin changes these numbers on purpose."""
    assert len(pinned_index) == 2129
    assert len(groups.select(pinned_index, ["generic"])) == 787
    assert len(groups.select(pinned_index, ["generic"], groups=["quick"])) == 633
    assert len(groups.select(pinned_index, ["ext4"])) == 71
    assert pinned_index["generic/001"] == ["rw", "dir", "udf", "auto", "quick"]
    assert not any("." in name for name in pinned_index)


@pytest.mark.parametrize("kwargs, expected", [
    ({"dirs": ["generic"], "tests": ["generic/001", "generic/002"]},
     ["generic/001", "generic/002"]),
    ({"dirs": ["generic"], "tests": ["ext4/001"], "exclude": ["ext4/001"]}, []),
    ({"dirs": ["ext4"], "groups": ["quick"], "tests": ["generic/001"],
      "exclude": ["ext4/003"]}, "generic/001 plus ext4 quick without ext4/003"),
    ({"dirs": ["generic", "ext4"], "groups": ["quick"]}, "generic and ext4 quick"),
])
def test_select(pinned_index, kwargs, expected):
    chosen = groups.select(pinned_index, **kwargs)
    assert chosen == sorted(chosen)
    if expected == "generic/001 plus ext4 quick without ext4/003":
        quick = [n for n, g in pinned_index.items() if n.startswith("ext4/") and "quick" in g]
        assert "ext4/003" in quick
        assert chosen == sorted({"generic/001", *quick} - {"ext4/003"})
    elif expected == "generic and ext4 quick":
        assert len(chosen) == len([n for n, g in pinned_index.items()
                                   if n.split("/")[0] in ("generic", "ext4")
                                   and "quick" in g])
    else:
        assert chosen == expected


@pytest.mark.parametrize("kwargs, fragment", [
    ({"dirs": ["generic"], "tests": ["generic/9999"]},
     "fstests test generic/9999 does not exist in FSTESTS_SRC=pinned.tar.xz"),
    ({"dirs": ["generic"], "exclude": ["generic/01"]},
     "fstests test generic/01 does not exist in FSTESTS_SRC=pinned.tar.xz"),
    ({"dirs": ["vexfs"]}, "fstests directory 'vexfs' does not exist in "
                          "FSTESTS_SRC=pinned.tar.xz: expected one of btrfs,"),
    ({"dirs": ["generic"], "groups": ["quik"]},
     "fstests group 'quik' is on no _begin_fstest line in FSTESTS_SRC=pinned.tar.xz: "
     "expected a group such as auto or quick (did you mean quick?)"),
])
def test_select_refuses_unknown_names_in_one_line(pinned_index, kwargs, fragment):
    with pytest.raises(ConfigError) as err:
        groups.select(pinned_index, src="pinned.tar.xz", **kwargs)
    assert "\n" not in str(err.value)
    assert fragment in str(err.value)


@pytest.mark.parametrize("tests, runtimes, expected", [
    (["a", "b", "c"], {"a": 1, "b": 30, "c": 5}, ["b", "c", "a"]),
    (["z", "b", "a", "c"], {"c": 2}, ["c", "a", "b", "z"]),
    (["b", "a"], {"a": 3, "b": 3}, ["a", "b"]),
    ([], {"a": 1}, []),
])
def test_order_is_longest_first_then_unknown_by_name(tests, runtimes, expected):
    assert groups.order(tests, runtimes) == expected


@pytest.fixture
def no_package_check(monkeypatch):
    monkeypatch.setattr(build, "missing_packages", lambda packages=(): [])


def _image_root(image):
    done = subprocess.run(["debugfs", "-R", "ls -p /", image], capture_output=True,
                          text=True, check=True)
    return {line.split("/")[5] for line in done.stdout.splitlines() if line.count("/") > 5}


def test_ensure_builds_once_into_a_read_only_image_with_the_tree_at_its_root(
        tmp_path, no_package_check):
    if shutil.which("mkfs.ext4") is None or shutil.which("debugfs") is None:
        pytest.skip("mkfs.ext4 and debugfs (e2fsprogs) are needed")
    count = tmp_path / "makes"
    src = _tree(tmp_path / "src", makefile=f"default:\n\t@echo Building src\n"
                                           f"\t@sleep 0.5\n\t@echo made >> {count}\n")
    built = []
    jobs = [threading.Thread(target=lambda: built.append(
        build.ensure(src, "img0123", cache=str(tmp_path / "cache")))) for _ in range(2)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    again = build.ensure(src, "img0123", cache=str(tmp_path / "cache"))
    assert count.read_text() == "made\n"
    assert {b.directory for b in built} == {again.directory}
    assert os.path.basename(again.directory) == f"{source.digest(src)}-img0123"
    assert stat.S_IMODE(os.stat(again.image).st_mode) == 0o444
    assert {"check", "common", "tests", "Makefile"} <= _image_root(again.image)
    manifest = again.manifest
    assert (manifest["source"], manifest["digest"], manifest["image_digest"],
            manifest["tests"]) == (src, source.digest(src), "img0123", 1)
    assert manifest["build_seconds"] >= 0.5 and manifest["built"].endswith("Z")
    with open(os.path.join(again.directory, "manifest.json"), encoding="utf-8") as data:
        assert json.load(data) == manifest
    assert not [n for n in os.listdir(tmp_path / "cache" / "fstests")
                if n.startswith(".fstests-src-") or n.endswith(".tmp")]


def test_a_failed_build_is_one_line_with_the_first_error_and_the_log_kept(
        tmp_path, no_package_check):
    src = _tree(tmp_path / "src", makefile="default:\n\t@echo Building src\n"
                                           "\t@echo 'fsx.c:12:3: error: boom'\n"
                                           "\t@echo 'later.c:1:1: error: other'\n"
                                           "\t@exit 1\n")
    with pytest.raises(kbuild.BuildError) as err:
        build.ensure(src, "img", cache=str(tmp_path / "cache"))
    assert str(err.value) == "fstests build failed: fsx.c:12:3: error: boom"
    with open(err.value.log_path, encoding="utf-8") as log:
        assert "later.c:1:1: error: other" in log.read()
    assert not os.path.exists(build.build_dir(source.digest(src), "img",
                                              str(tmp_path / "cache")))


def test_missing_build_packages_are_one_line_naming_them(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "missing_packages",
                        lambda packages=(): ["xfslibs-dev", "liburing-dev"])
    with pytest.raises(HostError) as err:
        build.ensure(_tree(tmp_path / "src"), "img", cache=str(tmp_path / "cache"))
    assert str(err.value) == ("missing host packages to build fstests: xfslibs-dev "
                              "liburing-dev (expected installed; run 'make host' to "
                              "install them)")


def test_missing_packages_asks_dpkg():
    if shutil.which("dpkg-query") is None:
        pytest.skip("not a Debian host")
    assert build.missing_packages(("dpkg", "no-such-package-avocado-vexfs")) == [
        "no-such-package-avocado-vexfs"]


def test_host_and_guest_package_lists_name_what_fstests_needs():
    with open(os.path.join(REPO, "scripts", "install-host.sh"), encoding="utf-8") as sh:
        host_pkgs = sh.read().split('PKGS="', 1)[1].split('"', 1)[0].split()
    assert set(build.HOST_PACKAGES) <= set(host_pkgs)
    with open(os.path.join(REPO, "guest-os", "debian-12", "recipe.json"),
              encoding="utf-8") as recipe:
        guest_pkgs = json.load(recipe)["packages"]
    assert {"xfsprogs", "bc", "psmisc", "gawk", "attr", "acl", "libaio1",
            "liburing2", "uuid-runtime"} <= set(guest_pkgs)


def test_run_logged_reports_progress_while_the_command_runs(tmp_path):
    log = tmp_path / "out" / "build.log"
    log.parent.mkdir()
    calls = []
    kbuild.run_logged(["sh", "-c", "echo Building a; sleep 0.5"], str(log), "x",
                      progress=calls.append, every=0.1)
    assert len(calls) >= 2 and calls == sorted(calls)


def test_progress_line_names_the_last_directory_and_the_time(tmp_path, caplog):
    log = tmp_path / "build.log"
    log.write_text("checking for gcc... gcc\nBuilding include\ncc -c x.c\nBuilding lib\n")
    with caplog.at_level(logging.INFO, logger=build.LOG.name):
        build._progress(str(log), 31.4)
    assert caplog.messages == ["fstests build: Building lib, 31s"]


@pytest.mark.parametrize("files, expected", [
    ({}, "64M"),
    ({"a": 1}, "65M"),
    ({"big": 10 << 20}, "84M"),
])
def test_image_size_is_twice_the_tree_plus_a_margin(tmp_path, files, expected):
    for name, size in files.items():
        (tmp_path / name).write_bytes(b"x" * size)
    assert build.image_size(str(tmp_path)) == expected

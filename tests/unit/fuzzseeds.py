"""Real seed images for the fuzz tests, made by the real mkfs programs in tmp.

mkfs.vexfs is compiled from the pinned VexFS tree the way module/vexfs.py compiles it
(gcc on tools/mkfs.vexfs.c, 0.4 s here) and run on a regular file of 100 blocks, its
minimum; mkfs.ext4 makes a 4 MiB image with 1 KiB blocks, populated from a small tree
with -d so it has directories and files. Both only ever write regular files in tmp.
"""
import os
import shutil
import subprocess

import pytest

from avocado_vexfs.module import vexfs
from avocado_vexfs.paths import from_repo

VEXFS_TREE = from_repo(os.environ.get("VEXFS_SRC") or "../shared/sut/vexfs")
MKFS_SOURCE = os.path.join(VEXFS_TREE, vexfs.MKFS_SOURCE)
VEXFS_BLOCKS = 100
# What the ext4 seed holds: (path, content or None for a directory).
EXT4_TREE = (("a.txt", "hello\n"), ("sub", None), ("sub/b", "x\n"),
             ("sub/deeper", None), ("sub/deeper/c", "c" * 3000))


def need(*tools):
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{', '.join(missing)} needed to make real seed images")


@pytest.fixture(scope="session")
def mkfs_vexfs(tmp_path_factory):
    """mkfs.vexfs built from the pinned tree, in a session tmp directory."""
    need("gcc")
    if not os.path.isfile(MKFS_SOURCE):
        pytest.skip(f"pinned VexFS tree not at {VEXFS_TREE} (set VEXFS_SRC)")
    out = str(tmp_path_factory.mktemp("mkfs") / "mkfs.vexfs")
    subprocess.run(["gcc", "-O0", "-w", "-o", out, MKFS_SOURCE], check=True)
    return out


def make_vexfs(mkfs, path, blocks=VEXFS_BLOCKS):
    with open(path, "wb") as image:
        image.truncate(blocks * 4096)
    subprocess.run([mkfs, "-f", path], check=True, capture_output=True)
    return path


def make_ext4(path, tree_dir, size="4M"):
    need("mkfs.ext4")
    os.makedirs(tree_dir, exist_ok=True)
    for name, content in EXT4_TREE:
        target = os.path.join(tree_dir, name)
        if content is None:
            os.makedirs(target)
        else:
            with open(target, "w", encoding="utf-8") as out:
                out.write(content)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-b", "1024", "-d", tree_dir, path, size],
                   check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def vexfs_seed(mkfs_vexfs, tmp_path_factory):
    """A fresh VexFS image (path) as mkfs.vexfs makes it."""
    return make_vexfs(mkfs_vexfs, str(tmp_path_factory.mktemp("seed") / "vexfs.img"))


@pytest.fixture(scope="session")
def ext4_seed(tmp_path_factory):
    """An ext4 image (path) with a few directories and files."""
    base = tmp_path_factory.mktemp("seed")
    return make_ext4(str(base / "ext4.img"), str(base / "tree"))


@pytest.fixture(params=["vexfs", "ext4"])
def seed_path(request):
    """Each real seed in turn."""
    return request.getfixturevalue(f"{request.param}_seed")

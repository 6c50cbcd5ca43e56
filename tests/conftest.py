"""Shared pytest set-up: the repo root and the venv's tools on PATH."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
os.environ["PATH"] = BIN + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("VIRTUAL_ENV", os.path.dirname(BIN))


@pytest.fixture
def repo():
    return REPO

"""End-to-end tests boot real libvirt guests; they need root and the built image."""
import os

import pytest

from avocado_vexfs.vm import domain, host
from leftovers import leaked


@pytest.fixture(scope="session", autouse=True)
def libvirt_up():
    if os.geteuid() != 0:
        pytest.skip("end-to-end guests need root (libvirt qemu:///system)")
    host.ensure_libvirtd()


@pytest.fixture
def no_leftovers():
    """Assert, after the test, that it left no avocado-vexfs domain behind."""
    before = set(domain.leftover_domains(host.DEFAULT_URI))
    yield
    assert leaked(before) == set()

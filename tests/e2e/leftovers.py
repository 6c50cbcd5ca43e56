"""Which avocado-vexfs domains a test left behind."""
import os
import re
import time

from avocado_vexfs.vm import domain, host
from avocado_vexfs.vm.guest import _pid_alive


def leaked(before, settle=3.0):
    """Domains that appeared since ``before`` and whose owner is this process or dead.

    A domain of a live other process belongs to a job still running on the same host
    (names carry the owner's pid); one whose owner has exited is a leak, whoever made it,
    once it outlived ``settle`` seconds: libvirt destroys an autodestroy domain a moment
    after its owner exits, and another test's job (a parallel pytest worker) may have
    just ended.
    """
    found = _suspects(before)
    if found and settle:
        time.sleep(settle)
        found &= _suspects(before)
    return found


def _suspects(before):
    found = set()
    for name in set(domain.leftover_domains(host.DEFAULT_URI)) - before:
        match = re.match(re.escape(domain.NAME_PREFIX) + r"(\d+)-", name)
        owner = int(match.group(1)) if match else None
        if owner is None or owner == os.getpid() or not _pid_alive(owner):
            found.add(name)
    return found

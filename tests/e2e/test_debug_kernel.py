"""The debug kernel sees what Debian's cannot: each sanitizer trigger of the fixture gives
its exact title, in guests whose checkers are proven live first.

The kernel is built once from Debian's linux-source (guest-os/kernels/debug.config) and
cached; the first run here builds it (about 25 minutes on 2 cores). Triggers that leave
the kernel running share a guest (kasan_multi_shot keeps KASAN reporting after its first
report); lockdep turns itself off after its first report, and after any KASAN report, so
each lockdep trigger comes first in its guest. A debug guest boots in about 15 s under TCG;
this file boots two. Set AVX_CAPTURE_LOGS=DIR to keep each console as a golden log for
tests/data/console/.
"""
import os
import time

import pytest

from avocado_vexfs import console
from avocado_vexfs.kernel import features, flavours
from avocado_vexfs.module import kbuild
from avocado_vexfs.vm import images
from avocado_vexfs.vm.guest import Guest, GuestConfig

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIGGER = "/sys/kernel/debug/avocado_vexfs_crash/trigger"
# as base.cfg: Debian builds KFENCE with its sampling off until the command line sets it
CMDLINE = "kasan_multi_shot kfence.sample_interval=100"

# (guest, trigger word, exact title); triggers of one guest run in this order
CASES = [
    # lockdep first: a KASAN report marks lockdep unreliable and switches it off
    ("kasan", "lockdep-abba", "possible deadlock in crashmod_lockdep_abba"),
    ("kasan", "kasan-uaf", "KASAN: slab-use-after-free Read in crashmod_kasan_uaf"),
    ("kasan", "kasan-oob", "KASAN: slab-out-of-bounds Write in crashmod_kasan_oob"),
    ("kasan", "ubsan-shift", "UBSAN: shift-out-of-bounds in crashmod_ubsan_shift"),
    ("kasan", "kmemleak", "memory leak in crashmod_kmemleak"),
    ("unlock", "lockdep-unlock", "WARNING: bad unlock balance in crashmod_bad_unlock"),
]
GUESTS = sorted({case[0] for case in CASES})


@pytest.fixture(scope="module")
def debug_kernel():
    return flavours.for_guest(images.ensure("debian-12"), "6.12", "debug")


@pytest.fixture(scope="module")
def crashmod(debug_kernel):
    return kbuild.build_cached(os.path.join(REPO, "tests", "fixtures", "crashmod"),
                               debug_kernel["release"], what="crashmod")[0]


def _capture(name, title, crash_type, text):
    out = os.environ.get("AVX_CAPTURE_LOGS")
    if out:
        with open(os.path.join(out, f"real-6.12-debug-{name}.log"), "w",
                  encoding="utf-8") as log:
            log.write(f"TITLE: {title}\nTYPE: {crash_type}\n\n{text}")


def _fire(guest, word):
    guest.mark_step(f"trigger-{word}")
    guest.cmd(f"echo {word} > {TRIGGER}", timeout=120)
    if word == "kmemleak":
        time.sleep(6)  # kmemleak reports only objects older than 5 s
        assert guest.kmemleak_scan(f"trigger-{word}")


def _crashes_by_step(text):
    found = {}
    for crash in console.parse(text).crashes:
        found.setdefault(crash.step, crash)
    return found


@pytest.mark.parametrize("group", GUESTS)
def test_sanitizer_triggers_give_their_titles(group, debug_kernel, crashmod, tmp_path):
    cases = [case for case in CASES if case[0] == group]
    config = GuestConfig(name_hint=f"debug-{group}", flavour="debug", vcpus=1,
                         cmdline_extra=CMDLINE, scratch_disks_mb=())
    with Guest(config, logdir=str(tmp_path)) as guest:
        assert guest.kernel["release"] == debug_kernel["release"]
        for name in ("kasan", "lockdep", "kmemleak", "ubsan", "kfence"):
            assert name in guest.kernel["features"], guest.kernel["features"]
            assert guest.status_output(features.probe(name))[0] == 0, f"{name} not live"
        guest.put_file(crashmod, "/root/crashmod.ko")
        guest.cmd("insmod /root/crashmod.ko")
        for _, word, _ in cases:
            _fire(guest, word)
        text = guest.settled_console_text()
    found = _crashes_by_step(text)
    for _, word, title in cases:
        crash = found.get(f"trigger-{word}")
        assert crash is not None, f"{word}: no report on the console"
        _capture(word, crash.title, crash.type, text)
        assert crash.title == title, f"{word}: {crash.title!r}"


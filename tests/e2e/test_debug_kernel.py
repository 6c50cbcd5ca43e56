"""The debug kernel sees what Debian's cannot: each sanitizer trigger of the fixture gives
its exact title, and a test run on it through Avocado proves its checkers live.

The kernel is built once from Debian's linux-source (guest-os/kernels/debug.config) and
cached; the first run here builds it (about 40 minutes on 2 cores). Triggers that leave
the kernel running share a guest (kasan_multi_shot keeps KASAN reporting after the first
report); lockdep turns itself off after its first report, so each lockdep trigger gets a
guest of its own. Set AVX_CAPTURE_LOGS=DIR to keep each console as a golden log for
tests/data/console/.
"""
import json
import os
import time

import pytest

from avocado_vexfs import console
from avocado_vexfs.kernel import flavours
from avocado_vexfs.module import kbuild
from avocado_vexfs.vm import images
from avocado_vexfs.vm.guest import Guest, GuestConfig

from test_level1 import _avocado, _status

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIGGER = "/sys/kernel/debug/avocado_vexfs_crash/trigger"
CMDLINE = "kfence.sample_interval=0 kasan_multi_shot"

# (guest, trigger word, exact title); triggers of one guest run in this order
CASES = [
    ("kasan", "kasan-uaf", "KASAN: slab-use-after-free Read in crashmod_kasan_uaf"),
    ("kasan", "kasan-oob", "KASAN: slab-out-of-bounds Write in crashmod_kasan_oob"),
    ("kasan", "ubsan-shift", "UBSAN: shift-out-of-bounds in crashmod_ubsan_shift"),
    ("kasan", "kmemleak", "memory leak in crashmod_kmemleak"),
    ("abba", "lockdep-abba", "possible deadlock in crashmod_lockdep_abba"),
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


def test_boot_on_the_debug_kernel_proves_its_checkers(tmp_path):
    """The product's path: an Avocado job on the debug flavour; its boot test checks that
    KASAN, lockdep, kmemleak, UBSAN and KFENCE are live, and the test ends with a
    kmemleak scan that finds nothing of ours."""
    run = _avocado(REPO, tmp_path, "--vt-only-filter", "ext4 boot",
                   "--vt-extra-params", "guest_kernel_flavour=debug")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    with open(os.path.join(tmp_path, "latest", "results.json"), encoding="utf-8") as out:
        results = json.load(out)
    assert _status(results, "ext4.linux_6_12.boot") == "PASS"
    logs = [os.path.join(root, name) for root, _, names in os.walk(tmp_path)
            for name in names if name == "debug.log"]
    text = "".join(open(path, encoding="utf-8", errors="replace").read() for path in logs)
    assert "kernel checkers: kasan lockdep kmemleak ubsan kfence" in text
    assert "kmemleak scan at the end of the test" in text

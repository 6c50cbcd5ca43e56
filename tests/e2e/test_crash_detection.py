"""Every fixture trigger, on a real guest, gives the right crash type and title.

The fixture module (tests/fixtures/crashmod) is built on the host against the guest
kernel's headers and loaded in a fresh guest per trigger. Set AVX_CAPTURE_LOGS=DIR to
keep each console as a golden log (header + log) for tests/data/console/.
"""
import os
import time

import pytest

from avocado_vexfs import console
from avocado_vexfs.errors import GuestError
from avocado_vexfs.module import kbuild
from avocado_vexfs.vm import images
from avocado_vexfs.vm.guest import Guest, GuestConfig

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# watchdog_thresh=5: a soft lockup is reported after 10 s, before TCG's RCU stall at 21 s
CMDLINE = ("kfence.sample_interval=100 sysctl.kernel.hung_task_timeout_secs=10 "
           "sysctl.kernel.softlockup_panic=0 watchdog_thresh=5")
TRIGGER = "/sys/kernel/debug/avocado_vexfs_crash/trigger"

CASES = [
    ("null", "null-ptr-deref", "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"),
    ("bug", "kernel-bug-at", "kernel BUG in crashmod_bug"),
    ("warn", "warning", "WARNING in crashmod_warn"),
    ("list", "list-corruption", "BUG: corrupted list in crashmod_list_corrupt"),
    ("refcount", "refcount", "WARNING: refcount bug in crashmod_refcount_underflow"),
    ("kfence", "kfence-uaf", "KFENCE: use-after-free read in crashmod_kfence_uaf"),
    ("doublefree", "kfence-invalid-free", "KFENCE: invalid free in crashmod_kfence_double_free"),
    ("softlockup", "soft-lockup", "BUG: soft lockup in crashmod_softlockup"),
    ("hang", "hung-task", "INFO: task hung in crashmod_hang"),
    ("panic", "panic", "kernel panic: avocado-vexfs fixture panic"),
]


@pytest.fixture(scope="module")
def crashmod():
    release = images.ensure("debian-12").kernel("6.12")["release"]
    return kbuild.build_cached(os.path.join(REPO, "tests", "fixtures", "crashmod"),
                               release, what="crashmod")[0]


def _boot(name, tmp_path):
    # one vCPU: under TCG a 2-vCPU guest once took an "Oops: int3" in get_random_u32 at
    # boot (a static key patched while the other vCPU ran it) and rebooted, which this
    # file's verdicts read as a crash of the test (see test_level1._avocado)
    return Guest(GuestConfig(name_hint=name, cmdline_extra=CMDLINE, scratch_disks_mb=(),
                             vcpus=1),
                 logdir=str(tmp_path))


def _load(guest, module):
    guest.put_file(module, "/root/crashmod.ko")
    guest.cmd("insmod /root/crashmod.ko softlockup_secs=25")


def _capture(word, crash_type, title, text):
    out = os.environ.get("AVX_CAPTURE_LOGS")
    if out:
        with open(os.path.join(out, f"real-6.12-{word}.log"), "w", encoding="utf-8") as log:
            log.write(f"TITLE: {title}\nTYPE: {crash_type}\n\n{text}")


@pytest.mark.parametrize("word, crash_type, title", CASES, ids=[c[0] for c in CASES])
def test_trigger_gives_verdict(word, crash_type, title, crashmod, tmp_path):
    with _boot(f"crash-{word}", tmp_path) as guest:
        _load(guest, crashmod)
        guest.mark_step(f"trigger-{word}")
        guest.send(f"setsid sh -c 'echo {word} > {TRIGGER}' >/dev/null 2>&1 &")
        deadline = time.monotonic() + 90
        report = console.parse(guest.console_text())
        while not report.crashed and time.monotonic() < deadline:
            time.sleep(1)
            report = console.parse(guest.console_text())
        time.sleep(2)  # let the rest of the report reach the console
        text = guest.console_text()
    report = console.parse(text)
    assert report.crashed, f"no crash found for trigger {word}"
    lead = report.crashes[0]
    _capture(word, lead.type, lead.title, text)
    assert (lead.type, lead.title) == (crash_type, title)
    assert lead.step == f"trigger-{word}"


def test_clean_module_load_and_leak_are_no_crash(crashmod, tmp_path):
    with _boot("crash-clean", tmp_path) as guest:
        _load(guest, crashmod)
        guest.cmd(f"echo leak > {TRIGGER}")
        guest.cmd("rmmod avocado_vexfs_crash")
        text = guest.console_text()
    assert not console.parse(text).crashed
    _capture("clean-load-leak", "", "", text)


def test_silent_hang_is_recovered_with_sysrq_dumps(crashmod, tmp_path):
    """A command that never returns: SysRq dumps kept, verdict within timeout + 30 s."""
    with _boot("crash-silent", tmp_path) as guest:
        _load(guest, crashmod)
        guest.mark_step("silent-hang")
        started = time.monotonic()
        with pytest.raises(GuestError) as err:
            guest.cmd(f"echo hang > {TRIGGER}", timeout=20)
        assert guest.session_lost(err.value)
        text = guest.recover_hang()
        report = console.parse(text, lost_connection=True)
        elapsed = time.monotonic() - started
    print(f"hang to verdict: {elapsed:.1f}s")
    assert elapsed < 20 + 30
    assert "sysrq: Show Blocked State" in text
    assert report.crashed
    assert report.crashes[0].step == "silent-hang"


@pytest.mark.parametrize("command, reason", [
    (f"echo panic > {TRIGGER}", "guest kernel panicked: Kernel panic - not syncing"),
    ("echo b > /proc/sysrq-trigger", "guest rebooted unasked (boot 2, expected 1)"),
], ids=["panic", "reboot"])
def test_command_ends_at_once_when_the_guest_goes_down(command, reason, crashmod, tmp_path):
    """With panic=-1 the guest restarts and the console socket stays: the command must
    not wait out its timeout for a shell that no longer exists."""
    with _boot("down-during-cmd", tmp_path) as guest:
        _load(guest, crashmod)
        started = time.monotonic()
        with pytest.raises(GuestError) as err:
            guest.cmd(f"{command}; sleep 600", timeout=600)
        waited = time.monotonic() - started
    assert str(err.value).startswith(reason), str(err.value)
    assert waited < 90, f"the command waited {waited:.0f}s after the guest went down"

import pytest

from avocado_vexfs.vm.console_watch import fatal_reason

READY = "avocado-vexfs: guest ready"
BOOT = f"[    8.5] {READY} 6.12\n"
PANIC = "[   22.7] Kernel panic - not syncing: Fatal exception in interrupt\n"


@pytest.mark.parametrize("text, boots, want", [
    (BOOT, 1, None),
    (BOOT + "[ 20.0] WARNING: CPU: 0 PID: 1 at x\n", 1, None),   # a warning: shell lives
    (BOOT + PANIC, 1, "guest kernel panicked: Kernel panic - not syncing: Fatal exception"),
    (BOOT + BOOT, 1, "guest rebooted unasked (boot 2, expected 1)"),
    (BOOT + BOOT, 2, None),                                     # a reboot the test asked for
])
def test_fatal_reason(text, boots, want):
    reason = fatal_reason(text, READY, boots)
    assert reason == want if want is None else reason.startswith(want)


def test_an_oops_ends_the_shell_only_where_the_caller_watches():
    before = "avocado-vexfs: guest ready\n[ 5.0] BUG: kernel NULL pointer dereference\n"
    after = "[ 74.8] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
    text = before + after
    assert fatal_reason(text, "guest ready", 5) is None  # not watched: the verdict's job
    assert fatal_reason(text, "guest ready", 5, watched="[ 9.0] sh: ok\n") is None
    assert fatal_reason(text, "guest ready", 5, watched=after) == (
        "guest kernel oopsed: BUG: kernel NULL pointer dereference, address: "
        "0000000000000000")

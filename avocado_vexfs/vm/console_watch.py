"""Notice a guest that panicked or rebooted behind the back of a running command.

With panic=-1 a panicking guest restarts at once, and the control console's socket
outlives the reboot: a command waiting for its prompt would wait its whole timeout (15
minutes for a functional check) for a shell that no longer exists. A thread tails the
console and, on a panic or a boot nobody asked for, kills the session's socat, so the
command fails now with "guest shell died" and the console verdict names the crash.
"""
import contextlib
import os
import re
import signal
import threading

PANIC = "Kernel panic - not syncing"
# an oops leaves the kernel running, but often a lock held by the killed task, so the
# command that triggered it (an fstests test, a umount) can wait its whole timeout
OOPS = re.compile(r"\bOops: |\bBUG: |general protection fault|kernel BUG at")


def fatal_reason(text, ready_marker, expected_boots, watched=None):
    """Why the guest's shell is gone, from the console text; None while it is alive.

    :param watched: the part of the console where an oops also ends the shell (a
        caller whose command may wait forever on what the oopsed task held)
    """
    match = OOPS.search(watched) if watched else None
    if match:
        return f"guest kernel oopsed: {watched[match.start():].splitlines()[0].strip()}"
    if PANIC in text:
        line = text[text.index(PANIC):].splitlines()[0]
        return f"guest kernel panicked: {line.strip()}"
    boots = text.count(ready_marker)
    if boots > expected_boots:
        return f"guest rebooted unasked (boot {boots}, expected {expected_boots})"
    return None


class ConsoleWatch:
    """Poll ``console_log`` every ``interval`` s; call ``on_fatal(reason)`` once."""

    def __init__(self, console_log, ready_marker, expected_boots, on_fatal, interval=0.5,
                 oops_from=None):
        self.console_log = console_log
        self.ready_marker = ready_marker
        self.expected_boots = expected_boots
        self.on_fatal = on_fatal
        self.oops_from = oops_from  # byte offset: end on an oops printed after it
        self.interval = interval
        self.reason = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="avocado-vexfs-console-watch")

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                with open(self.console_log, "rb") as log:
                    data = log.read()
            except FileNotFoundError:
                return
            text = data.decode("utf-8", errors="replace")
            watched = (data[self.oops_from:].decode("utf-8", errors="replace")
                       if self.oops_from is not None else None)
            reason = fatal_reason(text, self.ready_marker, self.expected_boots, watched)
            if reason:
                self.reason = reason
                self.on_fatal(reason)
                return


def kill_session(session):
    """End the session's socat so a pending read fails at once (shell process died)."""
    pid = session.shell.get_pid() if session else None
    if pid:
        # a socat that already exited makes the pending read fail the same way
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

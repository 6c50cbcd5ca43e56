"""A shell in the guest over a virtio-serial port, driven by aexpect.

The kernel console (ttyS0) stays a pure log; commands and their output travel on the
port (org.avocado-vexfs.control), so an oops printed in the middle of a command never
garbles the shell's output. A port, not a virtio console: qemu drops console output a
busy host reads too slowly (20000 lines of seq lost ~700 under load), a port waits.
"""
import base64
import os
import shlex
import shutil
import sys
import time

import aexpect

from avocado_vexfs.errors import GuestCommandError, GuestError

PROMPT = "@avx@# "
PROMPT_RE = r"@avx@# $"
RESEND_SECONDS = 3
# aexpect reads until the shell has been silent this long (its default: 0.1 s), twice a
# command (the command, then `echo $?`): 0.2 s of every command were spent waiting on a
# prompt that had already come. The prompt regex decides when output is complete.
READ_QUIET = 0.005


def _ensure_helper_on_path():
    """aexpect execs aexpect_helper by name: find it beside our interpreter (the venv)."""
    if shutil.which("aexpect_helper") is None:
        os.environ["PATH"] = (os.path.dirname(sys.executable) + os.pathsep +
                              os.environ.get("PATH", ""))


class Session:
    """One interactive /bin/sh in the guest."""

    def __init__(self, socket_path, log_file=None, timeout=30, settle=0.0, setup=True):
        """:param settle: seconds to read the shell's output before typing (a client
        taking over a running guest's port)
        :param setup: False connects only: ``setup()`` is called once the guest's shell
        runs (a guest still booting: the client's start overlaps the boot)"""
        self.socket_path = socket_path
        _ensure_helper_on_path()
        self.shell = aexpect.ShellSession(
            f"socat -,raw,echo=0 UNIX-CONNECT:{shlex.quote(socket_path)}",
            auto_close=True, prompt=PROMPT_RE, status_test_command="echo $?",
            output_func=self._log if log_file else None)
        self._log_file = open(log_file, "a", encoding="utf-8") if log_file else None
        if setup:
            self.setup(timeout, settle)

    def _log(self, line):
        self._log_file.write(line + "\n")
        self._log_file.flush()

    def setup(self, timeout=30, settle=0.0):
        """Make the guest's shell predictable: our prompt, no echo, no continuation prompt.

        The line is sent again every few seconds until the prompt answers: a client that
        connects while the guest's shell loop is between two shells (the previous client
        just left, as when a pooled guest changes hands) can lose what it typed first.
        """
        deadline = time.monotonic() + timeout
        if settle:
            # what the shell printed before we came (its banner and prompt) first
            self.shell.read_nonblocking(internal_timeout=settle, timeout=settle)
        sent = 0
        while True:
            self.shell.sendline(f"stty -echo 2>/dev/null; PS2=''; PS1='{PROMPT}'")
            sent += 1
            wait = min(RESEND_SECONDS, deadline - time.monotonic())
            try:
                self.shell.read_until_last_line_matches([PROMPT_RE], timeout=wait,
                                                        internal_timeout=READ_QUIET)
                break
            except aexpect.ExpectError as err:
                if time.monotonic() >= deadline - 0.01:
                    raise GuestError(f"no shell prompt on the guest's control console "
                                     f"{self.socket_path} within {timeout}s") from err
        if sent > 1:
            self._resync(deadline)

    def _resync(self, deadline):
        """Swallow the prompts of setup lines sent more than once (a slow guest, such as
        a sanitizer kernel under TCG, answers them all late): read up to a token's echo,
        so the next command's output and status are its own."""
        token = f"avx-sync-{os.getpid()}-{time.monotonic_ns()}"
        self.shell.sendline(f"echo {token}")
        try:
            self.shell.read_until_output_matches(
                [rf"{token}\s*[\r\n]+(?:.*[\r\n]+)*?{PROMPT_RE}"],
                timeout=max(deadline - time.monotonic(), 30))
        except aexpect.ExpectError as err:
            raise GuestError(f"the guest's shell on {self.socket_path} did not echo "
                             f"{token} back") from err

    def status_output(self, command, timeout=60):
        """Run ``command``; return (exit status, output)."""
        try:
            return self.shell.cmd_status_output(command, timeout=timeout,
                                                internal_timeout=READ_QUIET)
        except aexpect.ShellTimeoutError as err:
            raise GuestError(f"guest command {command!r} gave no prompt within "
                             f"{timeout}s") from err
        except aexpect.ShellProcessTerminatedError as err:
            raise GuestError(f"guest shell died during {command!r}") from err
        except aexpect.ShellError as err:
            raise GuestError(f"guest shell stopped answering during {command!r}") from err

    def send(self, command):
        """Type ``command`` and do not wait: for commands that may take the guest down."""
        self.shell.sendline(command)

    def cmd(self, command, timeout=60, ok_status=(0,)):
        """Run ``command``; return its output; raise GuestCommandError on a bad status."""
        status, output = self.status_output(command, timeout=timeout)
        if status not in ok_status:
            raise GuestCommandError(command, status, output)
        return output

    def put_file(self, local, remote, mode=None, timeout=120):
        """Copy a small file into the guest as base64 lines (the tty limits line length)."""
        with open(local, "rb") as source:
            encoded = base64.encodebytes(source.read()).decode()
        self.cmd(f"mkdir -p {shlex.quote(os.path.dirname(remote) or '/')}")
        heredoc = f"base64 -d > {shlex.quote(remote)} <<'AVX_EOF'\n{encoded}AVX_EOF"
        self.cmd(heredoc, timeout=timeout)
        if mode is not None:
            self.cmd(f"chmod {mode:o} {shlex.quote(remote)}")

    def close(self):
        self.shell.close()
        if self._log_file:
            self._log_file.close()


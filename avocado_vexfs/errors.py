"""Errors that end a step with one line a user can act on.

Every error raised for bad input or a broken host names the bad value and what was
expected, so the command line tools can print ``str(err)`` alone, with no traceback.
"""


class VexfsError(Exception):
    """Base class: the message is the whole user-facing explanation."""


class ConfigError(VexfsError):
    """A cfg value, variant or environment variable is wrong."""


class HostError(VexfsError):
    """The host lacks a tool or a daemon that the run needs."""


class ImageError(VexfsError):
    """A guest image could not be built or found."""


class GuestError(VexfsError):
    """A guest failed to boot or stopped answering."""


class GuestCommandError(GuestError):
    """A command in the guest exited non-zero."""

    def __init__(self, command, status, output):
        self.command = command
        self.status = status
        self.output = output
        last = output.strip().splitlines()[-1] if output.strip() else "no output"
        super().__init__(f"guest command {command!r} exited {status}: {last}")

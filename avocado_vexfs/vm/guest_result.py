"""What a script run in the guest answered: the JSON on its last ``AVX-RESULT`` line.

The scripts shipped into the guest (checks/guest/, bench/metadata_guest.py) and the small
programs typed into it print their answer last, as one line: a fixed prefix, then JSON.
Everything before it (warnings, a traceback's start) is chatter. One reader for all.
"""
import json

RESULT_PREFIX = "AVX-RESULT "


class NoResult(ValueError):
    """The output holds no result line: the script crashed, was killed or never ran."""

    def __init__(self, output, prefix):
        super().__init__(f"no {prefix.strip()} line in the guest's output: {tail(output)}")
        self.output = output


def tail(output, lines=3):
    """The last ``lines`` lines of ``output`` joined on one line, for an error message."""
    return " | ".join(output.strip().splitlines()[-lines:]) or "no output"


def read(output, prefix=RESULT_PREFIX):
    """The JSON value of the last line of ``output`` that starts with ``prefix``.

    :raises NoResult: when no line does
    """
    for line in reversed(output.splitlines()):
        if line.startswith(prefix):
            return json.loads(line[len(prefix):])
    raise NoResult(output, prefix)

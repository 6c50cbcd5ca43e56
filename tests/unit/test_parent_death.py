"""A test process whose parent dies is told so (SIGTERM), as when Avocado stops an
interrupted task's runner but not the child process the avocado-vt runner runs the test
in: the guest cleanup runs on that SIGTERM (vm/guest.py)."""
import os
import signal
import subprocess
import sys
import time

CHILD = """
import signal, sys, time
from avocado_vexfs.vm import guest
def on_term(signum, frame):
    with open(sys.argv[1], "w") as out:
        out.write("terminated")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
guest._term_with_parent()
with open(sys.argv[1] + ".ready", "w"):
    pass
time.sleep(60)
"""

PARENT = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
time.sleep(60)
"""


def test_child_gets_sigterm_when_its_parent_dies(tmp_path):
    mark = str(tmp_path / "child")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, mark])
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(mark + ".ready"):
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while not os.path.exists(mark):
            assert time.monotonic() < deadline, "the orphaned child was not terminated"
            time.sleep(0.05)
        with open(mark, encoding="utf-8") as text:
            assert text.read() == "terminated"
    finally:
        if parent.poll() is None:
            parent.kill()

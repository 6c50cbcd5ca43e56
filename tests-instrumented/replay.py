"""Re-play one saved case on a fresh guest: the failure a generator found, alone again."""
import os

from avocado_vexfs.instrumented import replay
from avocado_vexfs.instrumented.base import FilesystemTest

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "replay.py.data")


class ReplayWorkload(FilesystemTest):
    """
    Re-play the crash-consistency workload of crashcons_workload (default: a rename
    made durable by directory fsyncs, replay.py.data/rename-fsync.txt): every crash
    state checked as the provider's crash_consistency test checks it, under its suite,
    so cfg/expected/<fs>.txt applies. A saved workload of a failed run is
    ``<logdir>/workloads/<name>.txt``:
    ``avocado run tests-instrumented/replay.py -p crashcons_workload=<file>``.
    Another kind of saved case gets a class of its own here (see instrumented/replay.py).

    :avocado: tags=ext4,vexfs,crashcons,destructive,level2
    """

    SUITE = "crash_consistency"
    PROVIDER_VARIANT = "crash_consistency.quick"
    DEFAULTS = {"crashcons_workload": os.path.join(DATA, "rename-fsync.txt")}
    MOUNT = False

    def test(self):
        replay.crashcons(self)

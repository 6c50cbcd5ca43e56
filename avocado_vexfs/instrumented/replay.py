"""Saved cases re-played in a guest, with the verdict of the test that found them.

A failure found by a generator (the crash-consistency explorer today, a fuzzer later)
is kept as a file; re-playing that one file on a fresh guest is how a developer checks a
fix. Each kind of saved case is named by the cfg key that holds its file and is
re-played by one function here, which fills the test's checks under the suite of the
test that found it, so the same signatures and known failures apply.

Kinds today: ``crashcons_workload``, a crash-consistency workload (the text format of
crashcons/workload.py, as a crash_consistency run keeps each one in
``<logdir>/workloads/``).

Adding a kind (the fuzzer's case format, once it exists): declare its cfg key in
cfgkeys (kind ``path``), write ``def <kind>(test)`` here that runs the case in
``test.guest`` and adds its problems to ``test.results``, and add a class to
tests-instrumented/replay.py with that suite, provider variant and a default case.
"""
import logging
import os

from avocado_vexfs.crashcons import check, explorer

LOG = logging.getLogger(__name__)

REPLAY_TEST = os.path.join("tests-instrumented", "replay.py")


def rerun_command(filesystem, key, test_file=REPLAY_TEST):
    """The command that re-plays one saved case alone; ``{path}`` stands for the file."""
    return (f"{filesystem.rerun_env()}avocado run {test_file} -p fs_type={filesystem.name} "
            f"-p {key}={{path}}")


def crashcons(test):
    """Re-play the workload of crashcons_workload in ``test.guest`` (module loaded, the
    three scratch disks of the crash_consistency variant): every crash state is checked
    and the failures become the ``crash_states`` check of ``test.results``.

    Cancels with the reason when the guest kernel lacks dm-log-writes, dm-snapshot or
    loop, as the provider's crash_consistency test does.
    """
    workloads = explorer.workloads_for(test.cfg)
    options, unsupported = explorer.ready(test.guest, test.filesystem, test.cfg)
    if unsupported:
        test.cancel(unsupported)
    test.guest.mark_step("crash consistency")
    summary = explorer.explore(test.guest, workloads, options, test.logdir,
                               rerun_command(test.filesystem, "crashcons_workload"))
    LOG.info("numbers: %s", summary.numbers())
    for line in check.report(summary.failures):
        LOG.info("%s", line)
    check.add_to(test.results, summary)
    # one workload: a known failure it does not hit is no sign of a fix
    test.results.cover_part("crash_states")

"""Progress of long library steps reaches a CLI user on stderr, as it did before loggers."""
import logging

from avocado_vexfs.cli import main


def test_a_command_shows_our_loggers_info_lines_on_stderr_then_leaves_logging_alone(capsys):
    tree, images = logging.getLogger("avocado_vexfs"), logging.getLogger(
        "avocado_vexfs.vm.images")
    level, handlers = tree.level, list(tree.handlers)
    with main.progress_on_stderr():
        images.info("building guest image %s (takes a few minutes)", "debian-12")
        images.debug("guest image debian-12: cached")
    images.info("after the command")
    assert capsys.readouterr().err == ("avocado-vexfs: building guest image debian-12 "
                                       "(takes a few minutes)\n")
    assert (tree.level, tree.handlers) == (level, handlers)

"""Avocado CLI plugin: check ``avocado run --vt-config`` inputs before the job exists.

With a missing or broken cfg, Avocado-VT's loader swallows the cause and Avocado says only
"Test Suite could not be created"; a cfg key typo or a bad --vt-extra-params value runs
on the default or fails inside every test. CLI plugins run after the command line is
parsed and before the subcommand builds its suite, so this one parses the cfg as
Avocado-VT will (filters and extra params included), validates every variant's keys
(cfgkeys), the [vexfs] settings and our environment variables, and on the first problem
prints our one line and ends avocado with exit code 2 (Avocado's "job failed").

Registered in setup.py as ``avocado.plugins.cli`` "vexfs_vtconfig".
"""
import logging
import sys

from avocado.core.plugin_interfaces import CLI

from avocado_vexfs import settings
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vt import avocado_setup

LOG = logging.getLogger(__name__)
EXIT_CONFIG_ERROR = 2
SUBCOMMANDS = ("run",)


def check(config):
    """Validate the Avocado-VT inputs of a parsed avocado ``config``; ConfigError if bad.

    :returns: the number of variants checked (0 when the command has no --vt-config)
    """
    cfg = config.get("vt.config")
    if config.get("subcommand") not in SUBCOMMANDS or not cfg:
        return 0
    settings.check_environment()
    only = [config.get("vt.only_filter") or ""]
    no = [config.get("vt.no_filter") or ""]
    extra = list(config.get("vt.extra_params") or [])
    references = [ref for ref in config.get("resolver.references") or [] if ref]
    count = 0
    for reference in references or [None]:
        words = only + ([reference] if reference else [])
        try:
            count += avocado_setup.check_cfg(cfg, words, extra, no)
        except ConfigError as err:
            if reference and "no test variant matches" in str(err):
                continue  # another resolver may own this reference
            raise
    return count


class VtConfigCheck(CLI):
    """Stop `avocado run --vt-config` with one line when its cfg or inputs are bad."""

    name = "vexfs_vtconfig"
    description = "avocado-vexfs: validate --vt-config, its keys and settings first"

    def configure(self, parser):
        """No options of its own: it checks the options Avocado-VT already has."""

    def run(self, config):
        try:
            count = check(config)
        except ConfigError as err:
            sys.stderr.write(f"avocado-vexfs: error: {err}\n")
            sys.stderr.flush()
            sys.exit(EXIT_CONFIG_ERROR)
        if count:
            LOG.debug("avocado-vexfs: %d variants of %s validated", count,
                      config.get("vt.config"))

"""The kernel's checkers a test relies on: which a kernel has, and how a guest proves it.

A kernel is read from its config, not from the flavour's name, so Debian's own KFENCE
counts too. The probes run in the booted guest: the boot test on a debug kernel fails if
one is missing, instead of every later test passing on a kernel that cannot see the bugs
it was built to see.
"""
from avocado_vexfs.kernel import config

# feature -> (config option, shell test that holds in a guest running with it)
FEATURES = {
    "kasan": ("CONFIG_KASAN", "dmesg | grep -q 'KernelAddressSanitizer initialized'"),
    "lockdep": ("CONFIG_PROVE_LOCKING", "test -e /proc/lockdep_chains"),
    "kmemleak": ("CONFIG_DEBUG_KMEMLEAK", "test -w /sys/kernel/debug/kmemleak"),
    "ubsan": ("CONFIG_UBSAN",
              "grep -q ' __ubsan_handle_shift_out_of_bounds$' /proc/kallsyms"),
    "kfence": ("CONFIG_KFENCE", "test -e /sys/kernel/debug/kfence/stats"),
}


def of_config(config_text):
    """The features a kernel config turns on, in FEATURES order."""
    options = config.parse(config_text)
    return [name for name, (option, _) in FEATURES.items() if options.get(option) == "y"]


def probe(name):
    return FEATURES[name][1]

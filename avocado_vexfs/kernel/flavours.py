"""The one place that turns a guest's (series, flavour) into the kernel it boots.

The guest, the module builds and the boot test ask here, so they agree on the release:
"stock" is Debian's cloud kernel from the image; any other name is a fragment in
guest-os/kernels/ built by ``kernel.build``.
"""
import os

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.kernel import build, features
from avocado_vexfs.vm import initramfs

STOCK = "stock"
# KASAN, lockdep and kmemleak make a TCG guest boot about 4x slower (measured: about a
# minute to the shell here, where Debian's kernel takes 10-15 s); a built flavour's boot
# may take that much longer before it counts as a hang
BOOT_FACTOR = 5


def names():
    """The flavours a cfg may name: stock plus every guest-os/kernels/<name>.config."""
    return (STOCK, *sorted(n[:-len(".config")] for n in os.listdir(build.FRAGMENTS_DIR)
                           if n.endswith(".config")))


def for_guest(image, series, flavour=STOCK, cache=None):
    """The kernel entry (release, vmlinuz, vmlinux, initramfs, config, features) a
    guest boots.

    A built flavour is built here when missing: before any guest boots, like the image
    and the module builds. The initramfs is packed for the image's guest init.
    """
    stock = image.kernel(series)
    if flavour in (None, "", STOCK):
        stock["initramfs"] = initramfs.packed(image.directory, stock["release"],
                                              image.busybox, image.recipe.init,
                                              staged_modules=stock["modules"])
        return _with_features(stock, os.path.join(image.directory, stock["config"]))
    if flavour not in names():
        raise ConfigError(f"guest_kernel_flavour = {flavour!r}: expected one of "
                          f"{', '.join(names())}")
    entry = build.ensure(series, flavour,
                         base_config=os.path.join(image.directory, stock["config"]),
                         cache=cache)
    # the kernel has no modules of its own but the ones its fragment builds as modules
    # (scsi_debug); modprobe of a built-in driver still needs modules.builtin*: the
    # initramfs carries the modules directory as /kmods into the guest's root overlay
    entry["initramfs"] = initramfs.packed(os.path.dirname(entry["build"]), entry["release"],
                                          image.busybox, image.recipe.init,
                                          extra_tree=(entry["modules"], "kmods"))
    entry["cmdline"] = cmdline(flavour)
    entry["boot_factor"] = BOOT_FACTOR
    return _with_features(entry, entry["config"])


def _with_features(entry, config_path):
    with open(config_path, encoding="utf-8") as config_text:
        entry["features"] = features.of_config(config_text.read())
    return entry


def cmdline(flavour):
    """What a flavour adds to the kernel command line (guest-os/kernels/<name>.cmdline).

    Read at boot, not built in: kmemleak.verbose=1 puts each leak report on the
    console, where the classifier titles it like any other crash.
    """
    path = os.path.join(build.FRAGMENTS_DIR, f"{flavour}.cmdline")
    if not os.path.isfile(path):
        return ""
    with open(path, encoding="utf-8") as text:
        return " ".join(line.strip() for line in text
                        if line.strip() and not line.startswith("#"))

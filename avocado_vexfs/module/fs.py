"""The filesystem-under-test seam: mkfs, mount and umount, the same calls for every fs.

Tests never spell a filesystem's commands; they ask for ``for_type(params)`` and call
these methods, so the functional suite runs unchanged on ext4 (the reference) and VexFS.
"""
import shlex

from avocado_vexfs.errors import ConfigError


class Filesystem:
    """A filesystem type as the guest sees it."""

    name = None
    mkfs_command = None

    def __init__(self, mkfs_options="", mount_options=""):
        self.mkfs_options = mkfs_options
        self.mount_options = mount_options

    @property
    def fstype(self):
        """The name the kernel knows (what mount -t takes)."""
        return self.name

    def mkfs(self, guest, device, options=None, timeout=300):
        opts = self.mkfs_options if options is None else options
        return guest.cmd(f"{self.mkfs_command} {opts} {shlex.quote(device)}",
                         timeout=timeout)

    def mount(self, guest, device, mountpoint, options=None, timeout=120):
        opts = self.mount_options if options is None else options
        flag = f"-o {shlex.quote(opts)}" if opts else ""
        guest.cmd(f"mkdir -p {shlex.quote(mountpoint)} && "
                  f"mount -t {self.fstype} {flag} {shlex.quote(device)} "
                  f"{shlex.quote(mountpoint)}", timeout=timeout)

    def umount(self, guest, mountpoint, timeout=120):
        guest.cmd(f"umount {shlex.quote(mountpoint)}", timeout=timeout)


class Ext4(Filesystem):
    name = "ext4"
    mkfs_command = "mkfs.ext4"


class Vexfs(Filesystem):
    """VexFS: its fs type name is learnt at insmod time (upstream says vexfs_fixed)."""

    name = "vexfs"
    mkfs_command = "mkfs.vexfs"

    def __init__(self, mkfs_options="", mount_options="", fstype=None):
        super().__init__(mkfs_options, mount_options)
        self._fstype = fstype
        self.build = None

    @property
    def fstype(self):
        return self._fstype or "vexfs"

    def set_fstype(self, name):
        self._fstype = name


FILESYSTEMS = {"ext4": Ext4, "vexfs": Vexfs}


def for_params(params):
    """The Filesystem that the cfg's fs_type names."""
    fs_type = params.get("fs_type", "ext4")
    if fs_type not in FILESYSTEMS:
        raise ConfigError(f"fs_type = {fs_type!r}: expected one of "
                          f"{', '.join(sorted(FILESYSTEMS))}")
    return FILESYSTEMS[fs_type](mkfs_options=params.get("mkfs_options", ""),
                                mount_options=params.get("mount_options", ""))

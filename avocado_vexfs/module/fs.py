"""The filesystem-under-test seam: everything that differs between filesystems.

Tests and the Avocado glue never spell a filesystem's commands nor branch on its name;
they ask for ``for_params(params)`` and call these methods, so every suite runs unchanged
on ext4 (the reference) and VexFS. A filesystem owns its source (resolved from the cfg
once), its build, its load (insmod, and learning the fs type name), its mkfs, mount and
umount, and the file of its known failures.
"""
import contextlib
import os
import shlex

from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.module import vexfs


class Filesystem:
    """A filesystem type as the guest sees it; built into the guest kernel."""

    name = None
    mkfs_command = None
    has_module = False  # True: built for the guest kernel, loaded, reloadable
    fstests_dirs = ("generic",)  # fstests test folders that apply to it
    block_sizes = ()  # the block sizes (bytes) its mkfs makes and its kernel mounts
    block_size_option = None  # the mkfs option that picks one; None: the size is fixed

    def __init__(self, mkfs_options="", mount_options="", block_size=0):
        """:param block_size: fs_block_size; 0 leaves it to mkfs, any other value
        becomes part of mkfs_options, so every mkfs of the test makes that size
        :raises ConfigError: a block size the filesystem does not take"""
        if block_size and block_size not in self.block_sizes:
            raise ConfigError(f"cfg key fs_block_size = {block_size}: {self.name} takes "
                              f"{', '.join(map(str, self.block_sizes))}")
        self.block_size = block_size
        if block_size and self.block_size_option:
            mkfs_options = f"{mkfs_options} {self.block_size_option} {block_size}".strip()
        self.mkfs_options = mkfs_options
        self.mount_options = mount_options

    @classmethod
    def from_params(cls, params):
        return cls(mkfs_options=params.get("mkfs_options", ""),
                   mount_options=params.get("mount_options", ""),
                   block_size=cfgkeys.get(params, "fs_block_size"))

    @property
    def fstype(self):
        """The name the kernel knows (what mount -t takes)."""
        return self.name

    def known_failures(self, directory):
        """Its known-failure file in ``directory`` (cfg/expected/<name>.txt)."""
        return os.path.join(directory, f"{self.name}.txt")

    def missing_source(self):
        """Why it cannot be built (one line), or None; a built-in fs needs nothing."""
        return None

    def build_for(self, release, cache=None):
        """Build its module for kernel ``release``; a built-in fs has nothing to build."""
        return None

    def install(self, guest):
        """Copy its module into the guest; return the path there (None: built in)."""
        return None

    def build_id(self):
        """What tells two builds of it apart ("" for a built-in fs)."""
        return ""

    def load(self, guest):
        """Install and insmod its module, learning its fs type name; return the module's
        name, or None for a built-in fs (nothing to do)."""
        return None

    def unload(self, guest):
        """rmmod its module (nothing for a built-in fs)."""

    @contextlib.contextmanager
    def registering(self, guest, what):
        """Around an insmod of its module by someone else: learn the fs type it
        registers (nothing for a built-in fs)."""
        yield

    def rerun_env(self):
        """Environment words a rerun command needs before ``avocado run`` ("" or "X=y ")."""
        return ""

    def hold_command(self, device, mountpoint):
        """A shell command that pins its module: mkfs ``device`` and mount it."""
        return (f"{self.mkfs_command} {self.mkfs_options} {device} >/dev/null && "
                f"mkdir -p {mountpoint} && mount -t {self.fstype} {device} {mountpoint}")

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

    def fstests_plugin(self, guest):
        """Let fstests mkfs, mount and fsck it as FSTYP (after load); return FSTYP.

        fstests runs ``mkfs -t $FSTYP`` and ``fsck -t $FSTYP``, which find
        mkfs.<FSTYP> and fsck.<FSTYP>: a filesystem whose tools have other names
        installs them under these.
        """
        return self.fstype


class Ext4(Filesystem):
    name = "ext4"
    mkfs_command = "mkfs.ext4"
    fstests_dirs = ("generic", "ext4")
    # mke2fs makes up to 65536, but the kernel mounts no block larger than a page
    block_sizes = (1024, 2048, 4096)
    block_size_option = "-b"


class Vexfs(Filesystem):
    """VexFS from VEXFS_SRC (+ VEXFS_PATCHES): built on the host, loaded in the guest.

    Its fs type name is learnt at insmod time (upstream says vexfs_fixed).
    """

    name = "vexfs"
    mkfs_command = "mkfs.vexfs"
    has_module = True
    # VEXFS_BLOCK_SIZE, in mkfs.vexfs.c and the superblock code alike: no option
    block_sizes = (4096,)

    def __init__(self, mkfs_options="", mount_options="", block_size=0, fstype=None,
                 source="", patches=""):
        super().__init__(mkfs_options, mount_options, block_size)
        self._fstype = fstype
        self.source = source
        self.patches = patches
        self.build = None

    @classmethod
    def from_params(cls, params):
        filesystem = super().from_params(params)
        filesystem.source, filesystem.patches = vexfs.source_from(params)
        return filesystem

    @property
    def fstype(self):
        return self._fstype or "vexfs"

    def set_fstype(self, name):
        self._fstype = name

    def missing_source(self):
        if not self.source:
            return ("fs_type vexfs needs VEXFS_SRC (a VexFS tree path, or git URL[@ref]); "
                    "it is not set")
        return None

    def build_for(self, release, cache=None):
        """The module and mkfs.vexfs for ``release`` (cached); raises kbuild.BuildError."""
        self.build = vexfs.build(self.source, self.patches, release, cache=cache)
        return self.build

    def install(self, guest):
        return vexfs.install(guest, self.build)

    def build_id(self):
        return self.build.directory if self.build else ""

    def load(self, guest):
        """:raises vexfs.ModuleLoadError: insmod refused, or not exactly one fs type"""
        module_path = self.install(guest)
        guest.mark_step("insmod")
        self.set_fstype(vexfs.only_one(vexfs.load(guest, module_path),
                                       os.path.basename(module_path)))
        return self.build.module_name

    def unload(self, guest):
        vexfs.unload(guest, self.build.module_name)

    @contextlib.contextmanager
    def registering(self, guest, what):
        """:raises vexfs.ModuleLoadError: the insmod registered not exactly one fs type"""
        before = vexfs.filesystems(guest)
        yield
        self.set_fstype(vexfs.only_one(sorted(vexfs.filesystems(guest) - before), what))

    def rerun_env(self):
        return f"VEXFS_SRC={self.source} VEXFS_PATCHES={self.patches} "

    def fstests_plugin(self, guest):
        """mkfs.<fstype> is mkfs.vexfs; fsck.<fstype> checks the superblock.

        VexFS has no fsck. fstests fscks TEST_DEV and SCRATCH_DEV after every test and
        fails the test when fsck fails or is missing; a superblock check (magic and
        block size, as mkfs.vexfs verifies them) is the consistency check there is.
        """
        guest.cmd(f"ln -sf {vexfs.GUEST_DIR}/mkfs.vexfs /sbin/mkfs.{self.fstype}")
        # one command per call: the session reads one prompt per command
        guest.cmd(f"cat > /sbin/fsck.{self.fstype} <<'AVX_EOF'\n{vexfs.FSCK_SCRIPT}AVX_EOF")
        guest.cmd(f"chmod 755 /sbin/fsck.{self.fstype}")
        return self.fstype


FILESYSTEMS = {"ext4": Ext4, "vexfs": Vexfs}


def for_params(params):
    """The Filesystem that the cfg's fs_type names."""
    fs_type = params.get("fs_type", "ext4")
    if fs_type not in FILESYSTEMS:
        raise ConfigError(f"fs_type = {fs_type!r}: expected one of "
                          f"{', '.join(sorted(FILESYSTEMS))}")
    return FILESYSTEMS[fs_type].from_params(params)

"""mkfs block sizes and mount options: each combination mounts as asked and keeps data."""
from avocado_vexfs.checks import datacheck, mountcheck
from avocado_vexfs.instrumented.base import FilesystemTest


class MountMatrix(FilesystemTest):
    """
    mkfs with fs_block_size and mount with mount_options (the matrix is Avocado's
    variants file mount_matrix.py.data/variants.yml), then: the mount shows every
    option asked for, statfs shows the block size asked for, and files of
    smoke_file_kb written in the root read back the same after umount/mount.

    :avocado: tags=fast,ext4,vexfs,mount,level1
    """

    def test(self):
        self.guest.mark_step("options and block size")
        self.results.add("options", mountcheck.options_problems(
            self.guest, self.mountpoint, self.filesystem.mount_options))
        self.results.add("block_size", mountcheck.block_size_problems(
            self.guest, self.mountpoint, self.filesystem.block_size))
        self.guest.mark_step("write")
        want = datacheck.write_tree(self.guest, self.mountpoint, self.value("smoke_file_kb"))
        self.remount()
        found = datacheck.read_tree(self.guest, self.mountpoint)
        self.results.add("remount", datacheck.compare(want, found))

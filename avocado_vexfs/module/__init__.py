"""The module under test: filesystems as the guest sees them and how their modules get built.

fs (the filesystem objects: all that differs between ext4 and VexFS, from source, build
and load to mkfs, mount and the known-failure file, so no test branches on a name),
vexfs (VEXFS_SRC / VEXFS_PATCHES resolved once, the tree copied, patched, built and
loaded), fixture (our crash-on-demand module, or module_src)
and kbuild (out-of-tree builds against the guest kernel's headers, for both).
"""

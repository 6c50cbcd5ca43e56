"""The module under test: filesystems as the guest sees them and how their modules get built.

fs (the mkfs/mount/umount seam every test goes through), vexfs (a user's VexFS tree
copied, patched, built and loaded), fixture (our crash-on-demand module, or module_src)
and kbuild (out-of-tree builds against the guest kernel's headers, for both).
"""

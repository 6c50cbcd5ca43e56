"""fstests (xfstests) for our guests: where its tree comes from, how it is built once on
the host into a read-only disk image the guest mounts at /fstests, and which tests run."""

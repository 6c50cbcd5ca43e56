"""The host-side half of the mount-path image fuzzer (issue 18).

Seed images are made by mkfs (and small workloads) inside a guest and copied out as
regular files; here they are parsed with the on-disk layouts written down as data
(``layout``, ``imagemap``), mutated reproducibly (``mutate``), stored as small deltas from
their seed (``delta``) and, when a guest run crashes, kept once per crash title with a
one-command reproducer (``findings``). Nothing here boots a guest or touches a block
device: every image is a regular file or bytes in memory (``imagefile``).
"""

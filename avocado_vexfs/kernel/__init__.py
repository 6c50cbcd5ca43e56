"""Guest kernels we build ourselves, beside Debian's own in the guest image.

config (Debian's cloud config, modules dropped, a flavour's fragment on top: text in,
text out), build (linux-source unpacked, built once per source and config, cached with
a tree out-of-tree modules build against) and flavours (a guest's series and flavour
turned into the kernel it boots).
"""

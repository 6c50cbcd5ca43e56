"""Seed images: a fresh mkfs plus small workloads, made by the real tools in a guest.

The fuzzer mutates what mkfs and the module really write, so seeds are made in a guest
on a scratch disk (mkfs.vexfs and the module under test, or mkfs.ext4) and the scratch
disk's backing file is copied out on the host: a regular file, never a device. mkfs
stamps times and UUIDs, so seeds are kept (a finding names its seed by path and digest).
"""
import logging
import os
import shlex
import shutil

LOG = logging.getLogger(__name__)

# name -> shell run in the mounted filesystem ($M); sizes stay under VexFS's 48 KiB
# file limit and its one-block directories, so the seed holds what it should
WORKLOADS = {
    "empty": "",
    "files": ("for s in 0 1 100 4096 5000 40000; do head -c $s /dev/urandom > $M/f$s; done; "
              "mkdir -p $M/a/b/c && echo deep > $M/a/b/c/leaf && echo mid > $M/a/m"),
    "churn": ("for i in 1 2 3 4 5 6 7 8; do head -c $((i * 3000)) /dev/urandom > $M/c$i; "
              "done; rm -f $M/c2 $M/c5; mv $M/c3 $M/renamed; mkdir $M/d && mv $M/c7 $M/d/; "
              "rmdir $M/d 2>/dev/null; echo tail > $M/after-delete"),
}


def make(guest, filesystem, device, backing_file, out_dir, mountpoint="/mnt/seed"):
    """Write one seed per workload to ``out_dir/<fs>-<workload>.img``; return the paths.

    :param device: the guest's scratch disk, backed on the host by ``backing_file``
    """
    os.makedirs(out_dir, exist_ok=True)
    seeds = []
    for name, workload in WORKLOADS.items():
        guest.mark_step(f"fuzz seed {name}")
        filesystem.mkfs(guest, device)
        filesystem.mount(guest, device, mountpoint)
        if workload:
            guest.cmd(f"M={shlex.quote(mountpoint)}; {workload}", timeout=120)
        filesystem.umount(guest, mountpoint)
        guest.cmd(f"sync; blockdev --flushbufs {shlex.quote(device)}")
        path = os.path.join(out_dir, f"{filesystem.name}-{name}.img")
        shutil.copyfile(backing_file, path)
        os.chmod(path, 0o444)
        seeds.append(path)
        LOG.info("seed %s: %s", name, path)
    return seeds

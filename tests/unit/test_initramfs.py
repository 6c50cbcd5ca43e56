"""The initramfs builder: module closure from modules.dep, a cpio that cpio can read."""
import gzip
import lzma
import subprocess

from avocado_vexfs.vm import initramfs


def _modules_dir(tmp_path):
    mods = tmp_path / "lib" / "modules" / "6.99"
    (mods / "kernel").mkdir(parents=True)
    (mods / "modules.dep").write_text(
        "kernel/virtio_blk.ko.xz: kernel/virtio_ring.ko.xz kernel/virtio.ko.xz\n"
        "kernel/virtio_ring.ko.xz: kernel/virtio.ko.xz\n"
        "kernel/virtio.ko.xz:\n"
        "kernel/ext4.ko.xz: kernel/jbd2.ko.xz\n"
        "kernel/jbd2.ko.xz:\n")
    for name in ("virtio_blk", "virtio_ring", "virtio", "ext4", "jbd2"):
        (mods / "kernel" / f"{name}.ko.xz").write_bytes(lzma.compress(name.encode()))
    return mods


def test_closure_puts_dependencies_first(tmp_path):
    order = initramfs.module_closure(str(_modules_dir(tmp_path)), ["virtio_blk", "ext4"])
    assert order == ["kernel/virtio.ko.xz", "kernel/virtio_ring.ko.xz",
                     "kernel/virtio_blk.ko.xz", "kernel/jbd2.ko.xz", "kernel/ext4.ko.xz"]


def test_builtin_module_needs_nothing(tmp_path):
    assert initramfs.module_closure(str(_modules_dir(tmp_path)), ["virtio_pci"]) == []


def test_archive_lists_init_busybox_and_plain_modules(tmp_path):
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake")
    out = tmp_path / "initrd.gz"
    staged = initramfs.stage_modules(str(_modules_dir(tmp_path)), ["virtio_blk"],
                                     str(tmp_path / "staged"))
    initramfs.build(str(out), str(busybox), "#!/bin/sh\necho hi\n", staged_modules=staged,
                    files={"guest-init": b"#!/bin/sh\n"})
    raw = gzip.decompress(out.read_bytes())
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=raw, capture_output=True,
                             check=True).stdout.decode().split()
    assert {"init", "guest-init", "bin/busybox", "modules.order",
            "lib/modules/virtio_blk.ko"} <= set(listing)
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], input=raw, cwd=extracted, check=True)
    assert (extracted / "modules.order").read_text().split() == [
        "virtio.ko", "virtio_ring.ko", "virtio_blk.ko"]
    assert (extracted / "lib/modules/virtio_blk.ko").read_bytes() == b"virtio_blk"
    assert (extracted / "init").stat().st_mode & 0o111


def test_packed_once_per_init_text(tmp_path):
    """A new guest init is a new initramfs (the next boot takes it); the same one is
    packed once."""
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"\x7fELF fake")
    staged = initramfs.stage_modules(str(_modules_dir(tmp_path)), ["virtio_blk"],
                                     str(tmp_path / "staged"))
    guest_init = tmp_path / "init"
    guest_init.write_text("#!/bin/sh\necho one\n")
    first = initramfs.packed(str(tmp_path), "6.99", str(busybox), str(guest_init), staged)
    assert initramfs.packed(str(tmp_path), "6.99", str(busybox), str(guest_init),
                            staged) == first
    guest_init.write_text("#!/bin/sh\necho two\n")
    second = initramfs.packed(str(tmp_path), "6.99", str(busybox), str(guest_init), staged)
    assert second != first
    raw = gzip.decompress(open(second, "rb").read())
    assert b"echo two" in raw and b"switch_root /newroot /bin/sh /run/guest-init" in raw


GUEST_MOUNTS = """/dev/vda / ext4 rw,relatime 0 0
devtmpfs /dev devtmpfs rw,relatime 0 0
devpts /dev/pts devpts rw,gid=5,mode=620 0 0
tmpfs /dev/shm tmpfs rw 0 0
proc /proc proc rw 0 0
sysfs /sys sysfs rw 0 0
debugfs /sys/kernel/debug debugfs rw 0 0
tmpfs /run tmpfs rw,mode=755 0 0
tmpfs /tmp tmpfs rw 0 0
"""


def test_a_complete_guest_set_up_has_no_problem():
    assert initramfs.setup_problems(GUEST_MOUNTS, "0x9\n", "/proc/self/fd\n") == []


def test_each_missing_piece_of_the_set_up_is_named():
    mounts = GUEST_MOUNTS.replace("debugfs /sys/kernel/debug debugfs rw 0 0\n", "")
    mounts = mounts.replace("tmpfs /tmp tmpfs", "/dev/vda /tmp ext4")
    assert initramfs.setup_problems(mounts, "0x8", "") == [
        "/sys/kernel/debug: not mounted, expected debugfs", "/tmp: ext4, expected tmpfs",
        "lo is down, expected up", "/dev/fd -> nothing, expected /proc/self/fd"]

"""A tiny busybox initramfs for direct kernel boot, carrying the guest's init.

Debian's initramfs-tools image runs udev and a dozen scripts; under TCG that is seconds
of every boot, and level 1 boots several guests. Ours loads the few modules the root disk
needs, mounts it and hands over to the image's init, so boot time stays near the
kernel's own floor. The same builder makes the KVM probe's initramfs.
"""
import gzip
import hashlib
import io
import lzma
import os
import stat

from avocado_vexfs.errors import ImageError

try:
    import zstandard
except ImportError:  # optional: only guests whose modules are zstd-compressed need it
    zstandard = None

# The initramfs mounts the root and makes the guest's mounts itself with busybox, then
# hands over to the guest init it carries (guest-os/<recipe>/init, copied to /run): the
# init is a boot file, not part of the image, so changing it rebuilds no image.
# Under TCG every process costs ~15 ms (fork, exec, first touch of its pages), so the
# script starts as few as it can: the pseudo filesystems come up in one `mount -a` from
# ROOT_FSTAB, the guest init is copied and the host name set with shell builtins, and /dev
# and /proc move to the new root with what is mounted on them. Once /proc has moved,
# busybox is named by path (an applet would be re-executed through /proc/self/exe).
ROOT_INIT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
while read -r m; do
    insmod /lib/modules/$m || echo "initramfs: insmod $m failed" >/dev/kmsg
done </modules.order
ip link set lo up
i=0
while [ ! -b {root} ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i+1)); done
if ! mount -t {rootfstype} -o rw {root} /newroot; then
    echo "avocado-vexfs: initramfs could not mount {root}" >/dev/kmsg
    poweroff -f
fi
[ -d /kmods ] && mkdir -p /newroot/lib/modules && cp -a /kmods/. /newroot/lib/modules/
mkdir /dev/pts /dev/shm
ln -s /proc/self/fd /dev/fd
mount -a
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
echo avocado-vexfs >/newroot/proc/sys/kernel/hostname
while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\\n' "$line"
done </guest-init >/newroot/run/guest-init
exec /bin/busybox switch_root /newroot /bin/sh /run/guest-init
"""
# /dev/pts and /dev/shm are mounted on the initramfs's devtmpfs and move with it
ROOT_FSTAB = """devpts /dev/pts devpts gid=5,mode=620 0 0
tmpfs /dev/shm tmpfs defaults 0 0
sysfs /newroot/sys sysfs defaults 0 0
debugfs /newroot/sys/kernel/debug debugfs defaults 0 0
tmpfs /newroot/run tmpfs mode=755 0 0
tmpfs /newroot/tmp tmpfs mode=1777 0 0
"""
PACKER_VERSION = "2"


def setup_problems(mounts_text, lo_flags, fd_link, rootfstype="ext4"):
    """What a booted guest lacks of the set-up ROOT_INIT promises, one line each.

    :param mounts_text: the guest's /proc/self/mounts
    :param lo_flags: the guest's /sys/class/net/lo/flags (hex; IFF_UP is bit 0)
    :param fd_link: the target of the guest's /dev/fd
    """
    want = {"/": rootfstype, "/proc": "proc", "/dev": "devtmpfs"}
    for line in ROOT_FSTAB.splitlines():
        _, point, fstype = line.split()[:3]
        want[point.removeprefix("/newroot") or "/"] = fstype
    have = {}
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            have[fields[1]] = fields[2]
    problems = [f"{point}: {have[point] if point in have else 'not mounted'}, "
                f"expected {fstype}" for point, fstype in want.items()
                if have.get(point) != fstype]
    try:
        if not int(lo_flags.strip(), 16) & 1:
            problems.append("lo is down, expected up")
    except ValueError:
        problems.append(f"lo flags {lo_flags.strip()!r}: expected a hex number")
    if fd_link.strip() != "/proc/self/fd":
        problems.append(f"/dev/fd -> {fd_link.strip() or 'nothing'}, expected /proc/self/fd")
    return problems

PROBE_INIT = """#!/bin/busybox sh
/bin/busybox mkdir -p /proc
/bin/busybox mount -t proc proc /proc
echo "{marker}" > /dev/console
/bin/busybox poweroff -f
"""


def module_closure(modules_dir, names):
    """Return the module files needed for ``names``, dependencies first.

    Reads modules.dep, so a kernel that builds a driver in (no entry) simply needs none.
    """
    deps = {}
    with open(os.path.join(modules_dir, "modules.dep"), encoding="utf-8") as dep_file:
        for line in dep_file:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
    by_name = {}
    for path in deps:
        base = os.path.basename(path).split(".ko")[0].replace("-", "_")
        by_name[base] = path
    ordered = []

    def visit(path):
        for dep in deps.get(path, []):
            visit(dep)
        if path not in ordered:
            ordered.append(path)

    for name in names:
        path = by_name.get(name.replace("-", "_"))
        if path:
            visit(path)
    return ordered


def _read_module(path):
    """Modules ship xz- or zstd-compressed; busybox insmod wants them plain."""
    with open(path, "rb") as module_file:
        data = module_file.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".zst"):
        if zstandard is None:
            raise ImageError(f"{path} is zstd-compressed: install the Python package "
                             f"zstandard to unpack it")
        return zstandard.ZstdDecompressor().decompress(data)
    return data


class _Cpio:
    """Just enough of the newc format to write files, directories and symlinks."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b""):
        name_b = name.encode() + b"\0"
        header = "070701" + "".join(f"{v:08x}" for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        self.ino += 1
        self.buf.write(header.encode() + name_b)
        self.buf.write(b"\0" * (-(110 + len(name_b)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def add_dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def add_file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def _add_tree(cpio, directory, name):
    cpio.add_dir(name)
    for root, dirs, files in sorted(os.walk(directory)):
        rel = os.path.relpath(root, directory)
        prefix = name if rel == "." else f"{name}/{rel}"
        for sub in sorted(dirs):
            cpio.add_dir(f"{prefix}/{sub}")
        for file_name in sorted(files):
            with open(os.path.join(root, file_name), "rb") as content:
                cpio.add_file(f"{prefix}/{file_name}", content.read())


def packed(directory, release, busybox, guest_init, staged_modules=None, extra_tree=None):
    """The root initramfs of ``release`` for today's ROOT_INIT and guest init, packed
    into ``directory`` once per their text (about a second), so that a change to either
    takes effect at the next boot without rebuilding an image or a kernel.

    :param guest_init: path of the guest's init (guest-os/<recipe>/init)
    """
    init = ROOT_INIT.format(root="/dev/vda", rootfstype="ext4")
    with open(guest_init, "rb") as src:
        guest = src.read()
    sha = hashlib.sha256(PACKER_VERSION.encode())
    for part in (init.encode(), ROOT_FSTAB.encode(), guest, repr(extra_tree).encode()):
        sha.update(part + b"\0")
    path = os.path.join(directory, f"initramfs-{release}-{sha.hexdigest()[:12]}.gz")
    if not os.path.isfile(path):
        build(path, busybox, init, staged_modules=staged_modules,
              files={"guest-init": guest, "etc/fstab": ROOT_FSTAB.encode()},
              extra_tree=extra_tree)
    return path


def stage_modules(modules_dir, names, out_dir):
    """Copy the modules ``names`` need from a kernel's modules directory into
    ``out_dir``, plain (busybox insmod takes no compressed module), with their load
    order in ``out_dir/modules.order``: what ``build`` packs, kept beside the image."""
    os.makedirs(out_dir, exist_ok=True)
    order = []
    for rel in module_closure(modules_dir, names):
        plain = os.path.basename(rel).split(".ko")[0] + ".ko"
        with open(os.path.join(out_dir, plain), "wb") as out:
            out.write(_read_module(os.path.join(modules_dir, rel)))
        order.append(plain)
    with open(os.path.join(out_dir, "modules.order"), "w", encoding="utf-8") as out:
        out.write("".join(f"{name}\n" for name in order))
    return out_dir


def build(output, busybox, init_script, staged_modules=None, files=None, extra_tree=None):
    """Write a gzip-compressed initramfs to ``output``.

    :param busybox: path to a static busybox binary
    :param init_script: text of /init
    :param staged_modules: a directory from ``stage_modules``: loaded in its order
    :param files: {name: bytes} of further executables at the archive's root
    :param extra_tree: (host directory, name) to carry the directory as /<name>
    """
    cpio = _Cpio()
    for directory in ("bin", "etc", "lib", "lib/modules", "dev", "proc", "sys", "newroot"):
        cpio.add_dir(directory)
    with open(busybox, "rb") as busybox_file:
        cpio.add_file("bin/busybox", busybox_file.read(), 0o755)
    cpio.add_file("init", init_script.encode(), 0o755)
    for name, data in sorted((files or {}).items()):
        cpio.add_file(name, data, 0o755)
    order = []
    if staged_modules:
        with open(os.path.join(staged_modules, "modules.order"), encoding="utf-8") as text:
            order = text.read().split()
        for plain in order:
            with open(os.path.join(staged_modules, plain), "rb") as module:
                cpio.add_file(f"lib/modules/{plain}", module.read())
    if extra_tree:
        _add_tree(cpio, *extra_tree)
    cpio.add_file("modules.order", "".join(f"{name}\n" for name in order).encode())
    # a private temporary name: two jobs may pack the same initramfs at once
    tmp = f"{output}.{os.getpid()}.tmp"
    with gzip.open(tmp, "wb", compresslevel=6) as out:
        out.write(cpio.finish())
    os.replace(tmp, output)
    return output

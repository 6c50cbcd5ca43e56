"""The kernel's ELF from a bzImage, for a PVH boot.

qemu boots an uncompressed vmlinux that carries a PVH entry note straight into 64-bit
code: no real-mode setup and, above all, no decompression of the bzImage's payload,
which under TCG is a second or more of every boot. Debian's cloud kernels are built with
CONFIG_PVH; the payload's position is in the bzImage's setup header (boot protocol
2.08+: payload_offset and payload_length, relative to the protected-mode code).
"""
import logging
import lzma
import os
import struct
import subprocess
import zlib

from avocado_vexfs.errors import ImageError

LOG = logging.getLogger(__name__)
XEN_ELFNOTE_PHYS32_ENTRY = 18
_MAGIC = {b"\x28\xb5\x2f\xfd": "zstd", b"\xfd7zXZ": "xz", b"\x1f\x8b": "gzip",
          b"\x02\x21\x4c\x18": "lz4"}
# compressions Python has no module for here: their Debian tools (zstd, lz4 packages)
_TOOLS = {"zstd": ["zstd", "-d", "-c", "-q"], "lz4": ["lz4", "-d", "-c", "-q"]}


def payload(bzimage_bytes):
    """(compression, compressed payload) of a bzImage; ImageError if it is none."""
    if bzimage_bytes[0x202:0x206] != b"HdrS":
        raise ImageError("not a bzImage: no HdrS setup header")
    setup_sects = bzimage_bytes[0x1f1] or 4
    start = (setup_sects + 1) * 512
    offset, length = struct.unpack_from("<II", bzimage_bytes, 0x248)
    data = bzimage_bytes[start + offset:start + offset + length]
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind, data
    raise ImageError(f"bzImage payload compression not known (magic {data[:4].hex()})")


def decompress(kind, data):
    """The payload's ELF. The kernel's build may append the uncompressed size (4 bytes):
    gzip and xz stop at their stream's end, zstd and lz4 are given the stream alone."""
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    if kind == "xz":
        return lzma.LZMADecompressor().decompress(data)
    try:
        result = subprocess.run(_TOOLS[kind], input=data[:-4], capture_output=True,
                                check=False)
    except FileNotFoundError as err:
        raise ImageError(f"no {_TOOLS[kind][0]} tool to unpack the kernel") from err
    if result.returncode != 0:
        raise ImageError(f"{kind} could not unpack the kernel: "
                         f"{result.stderr.decode(errors='replace').strip()[:200]}")
    return result.stdout


def has_pvh_note(elf):
    """True when the ELF has a Xen PHYS32_ENTRY note: qemu can boot it through PVH."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:  # 64-bit ELF only
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for index in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + index * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, note_type = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and note_type == XEN_ELFNOTE_PHYS32_ENTRY:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def extract(bzimage, output):
    """Write the ELF of ``bzimage`` to ``output`` and return it; None (with a log line)
    when the kernel cannot boot through PVH, so the guest boots the bzImage."""
    with open(bzimage, "rb") as src:
        data = src.read()
    try:
        elf = decompress(*payload(data))
    except ImageError as err:
        LOG.info("%s boots as a bzImage: %s", os.path.basename(bzimage), err)
        return None
    if not has_pvh_note(elf):
        LOG.info("%s boots as a bzImage: its ELF has no PVH entry note (CONFIG_PVH off)",
                 os.path.basename(bzimage))
        return None
    tmp = f"{output}.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        out.write(elf)
    os.replace(tmp, output)
    return output

"""crc32c as ext4 computes it, to keep a mutated ext4 superblock's checksum valid.

With metadata_csum (mkfs.ext4's default) a superblock whose checksum does not match is
refused before any field is looked at, so a mutation of the ext4 control would never get
past the first check. ext4 stores ``ext4_chksum(~0, sb, offsetof(s_checksum))``: the
Castagnoli CRC with seed ~0 and no final inversion (fs/ext4/super.c,
ext4_superblock_csum). Pure Python: it runs over one kilobyte per case.
"""
_POLY = 0x82F63B78


def _table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def update(crc, data):
    """The raw (not inverted) crc32c of ``data`` continued from ``crc``."""
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def ext4(data):
    """ext4's checksum of ``data``: seed ~0, no final inversion."""
    return update(0xFFFFFFFF, data)

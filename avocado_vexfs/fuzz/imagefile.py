"""Image files on the host: regular files only, never a block device.

A fuzzer writes garbage into filesystem images; pointed by mistake at /dev/sdb (or at a
symlink to it) it would destroy a disk. So every path the fuzzer reads or writes goes
through here, and anything that is not a regular file, or that lies under /dev, is
refused before it is opened.
"""
import hashlib
import logging
import os
import stat
import tempfile

from avocado_vexfs.errors import ConfigError

LOG = logging.getLogger(__name__)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def _refuse_device_path(path, what):
    real = os.path.realpath(path)
    if real == "/dev" or real.startswith("/dev/"):
        raise ConfigError(f"{what} {path} is under /dev: the fuzzer works on image files "
                          f"only, never on devices")
    return real


def check_regular(path, what="image"):
    """The real path of ``path`` if it is an existing regular file outside /dev.

    :raises ConfigError: for a missing path, a device, a directory, a fifo ...
    """
    real = _refuse_device_path(path, what)
    try:
        mode = os.stat(real).st_mode
    except OSError as err:
        raise ConfigError(f"{what} {path} cannot be read: {err.strerror}") from err
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{what} {path} is not a regular file: the fuzzer works on "
                          f"image files only, never on devices")
    return real


def read_image(path, what="image"):
    """The bytes of the regular file ``path``; re-checked on the open descriptor."""
    real = check_regular(path, what)
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as image:
        if not stat.S_ISREG(os.fstat(image.fileno()).st_mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        return image.read()


def load(seed, what="seed image"):
    """(bytes, path or None) of ``seed``: bytes as they are, or a regular file's path."""
    if isinstance(seed, (bytes, bytearray, memoryview)):
        return bytes(seed), None
    return read_image(seed, what), os.path.abspath(os.fspath(seed))


def write_regular(path, data, patches=(), what="image"):
    """Write ``data``, with the (offset, bytes) ``patches`` laid over it, to ``path``, a
    new or existing regular file; returns the path.

    Written beside and renamed into place, so a reader never sees half a file (a job
    interrupted keeps the last whole one).
    """
    real = _refuse_device_path(path, what)
    if os.path.lexists(real):
        check_regular(real, what)
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(real),
                                prefix=f".{os.path.basename(real)}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            for offset, run in patches:
                out.seek(offset)
                out.write(run)
        os.chmod(temp, 0o644)
        os.replace(temp, real)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    LOG.debug("wrote %d bytes to %s", len(data), real)
    return real


def overwrite(path, data, patches=(), what="attached image"):
    """Write ``data`` (with ``patches`` laid over it) into the existing regular file
    ``path`` in place: the same inode, the same size.

    For the disk a running guest has attached: qemu keeps its file open, so a file
    renamed into place would never be seen. The guest has the filesystem unmounted and
    its buffers dropped while this writes.
    """
    real = check_regular(path, what)
    if os.path.getsize(real) != len(data):
        raise ConfigError(f"{what} {path} is {os.path.getsize(real)} bytes: the case image "
                          f"is {len(data)} bytes; expected equal sizes")
    fd = os.open(real, os.O_WRONLY | os.O_NOFOLLOW | os.O_NOCTTY)
    with os.fdopen(fd, "wb") as out:
        if not stat.S_ISREG(os.fstat(out.fileno()).st_mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        out.write(data)
        for offset, run in patches:
            out.seek(offset)
            out.write(run)
        out.flush()
        os.fsync(out.fileno())
    return real

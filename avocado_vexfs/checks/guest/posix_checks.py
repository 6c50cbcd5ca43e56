"""POSIX checks that run INSIDE the guest (python3 from the guest image, stdlib only).

Copied into the guest by avocado_vexfs.checks.posix and run as
``python3 posix_checks.py CHECK DIRECTORY [KEY=VALUE ...]``. One check is one guest
command, so a check costs one round trip over the slow TCG console whatever it does.
The last line printed is ``AVX-RESULT <json list of problem strings>``; an empty list is
a pass. An errno that means "this filesystem does not implement that operation" becomes
an ``unsupported: ...`` problem, so the host can tell a missing feature from wrong data.
"""
import errno
import hashlib
import json
import mmap
import os
import stat
import sys
import time

RESULT_PREFIX = "AVX-RESULT "
UNSUPPORTED_ERRNOS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTTY, errno.ENOSYS,
                      getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}
BLOCK = 4096


class Problems(list):
    """Problem strings of one check; ``step`` names the operation being tried."""

    def run(self, what, func, *args):
        """Call func; turn an OSError into a problem (unsupported or failed); return
        (ok, value)."""
        try:
            return True, func(*args)
        except OSError as err:
            name = errno.errorcode.get(err.errno, str(err.errno))
            kind = "unsupported" if err.errno in UNSUPPORTED_ERRNOS else "failed"
            self.append(f"{kind}: {what}: {name} ({err.strerror})")
            return False, None

    def expect(self, condition, text):
        if not condition:
            self.append(text)


def pattern(size, seed):
    """Deterministic bytes that differ per offset and per seed (catches shifted blocks)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def write_file(path, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    fd = os.open(path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            done = os.write(fd, view)
            view = view[done:]
    finally:
        os.close(fd)


def read_file(path):
    with open(path, "rb") as handle:
        return handle.read()


def drop_caches():
    """Make the next read come from the disk, not the page cache."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as handle:
        handle.write("3\n")


def same(problems, what, found, expected):
    if found != expected:
        first = next((i for i, (a, b) in enumerate(zip(found, expected)) if a != b),
                     min(len(found), len(expected)))
        problems.append(f"{what}: read {len(found)} bytes, expected {len(expected)}, "
                        f"first difference at offset {first}")


def created(p, d, name, data):
    """Create ``name`` in ``d`` holding ``data``: its path, or None when that failed
    (the failure is already a problem of the check)."""
    path = os.path.join(d, name)
    ok, _ = p.run("create", write_file, path, data)
    return path if ok else None


def check_basic_io(d, args, p):
    path = os.path.join(d, "basic")
    data = pattern(3 * BLOCK + 100, "basic")
    ok, _ = p.run("create+write", write_file, path, data)
    if not ok:
        return
    ok, found = p.run("read", read_file, path)
    if ok:
        same(p, "read after write", found, data)
    extra = pattern(5000, "append")
    ok, _ = p.run("append", write_file, path, extra, os.O_WRONLY | os.O_APPEND)
    if ok:
        data += extra
    patch = pattern(BLOCK, "overwrite")
    def overwrite():
        fd = os.open(path, os.O_WRONLY)
        try:
            os.pwrite(fd, patch, 1000)
        finally:
            os.close(fd)
    ok, _ = p.run("overwrite at offset 1000", overwrite)
    if ok:
        data = data[:1000] + patch + data[1000 + len(patch):]
    drop_caches()
    ok, found = p.run("read after append/overwrite", read_file, path)
    if ok:
        same(p, "after append+overwrite+drop_caches", found, data)
    short = pattern(10, "short")
    ok, _ = p.run("rewrite with O_TRUNC", write_file, path, short)
    if ok:
        ok, found = p.run("read after O_TRUNC", read_file, path)
        if ok:
            same(p, "after O_TRUNC rewrite", found, short)
    p.run("unlink", os.unlink, path)


def check_unlink(d, args, p):
    data = pattern(2 * BLOCK, "victim")
    path = created(p, d, "victim", data)
    if path is None:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        ok, _ = p.run("unlink", os.unlink, path)
        if ok:
            p.expect(not os.path.lexists(path), "unlink: name still exists")
            p.expect(os.path.basename(path) not in os.listdir(d),
                     "unlink: name still listed by readdir")
            ok, found = p.run("read unlinked open file", os.pread, fd, len(data), 0)
            if ok:
                same(p, "open file after unlink", found, data)
    finally:
        os.close(fd)


def check_sizes(d, args, p):
    """Sizes at and around block boundaries, up to max_kb: the classic off-by-one zone."""
    max_bytes = int(args.get("max_kb", "1024")) * 1024
    sizes = sorted({0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK - 1, 2 * BLOCK,
                    2 * BLOCK + 1, 12 * BLOCK, 12 * BLOCK + 1, max_bytes - 1, max_bytes})
    written = {}
    for size in sizes:
        if size < 0 or size > max_bytes:
            continue
        path = os.path.join(d, f"size_{size}")
        data = pattern(size, f"size{size}")
        ok, _ = p.run(f"write {size} bytes", write_file, path, data)
        if ok:
            written[path] = data
    drop_caches()
    for path, data in written.items():
        ok, found = p.run(f"read {os.path.basename(path)}", read_file, path)
        if ok:
            same(p, os.path.basename(path), found, data)
            st = os.stat(path)
            p.expect(st.st_size == len(data),
                     f"{os.path.basename(path)}: st_size {st.st_size} != {len(data)}")
    for path in list(written):
        p.run(f"unlink {os.path.basename(path)}", os.unlink, path)


def check_truncate(d, args, p):
    data = pattern(3 * BLOCK + 123, "trunc")
    path = created(p, d, "trunc", data)
    if path is None:
        return
    for new_size in (BLOCK + 7, 100, 5 * BLOCK + 9, 0, BLOCK):
        ok, _ = p.run(f"truncate to {new_size}", os.truncate, path, new_size)
        if not ok:
            continue
        data = data[:new_size] + bytes(max(0, new_size - len(data)))
        drop_caches()
        p.expect(os.stat(path).st_size == new_size,
                 f"truncate to {new_size}: st_size {os.stat(path).st_size}")
        ok, found = p.run(f"read after truncate to {new_size}", read_file, path)
        if ok:
            same(p, f"after truncate to {new_size} (growth must read as zeros)", found, data)
    p.run("unlink", os.unlink, path)


def rename_and_read(p, names, src, dst, data):
    """Rename ``src`` to ``dst``: the old name must be gone, the new one hold ``data``.

    ``names`` = (the rename step, the check's label, what the old name is called, the
    read step), so each kind of rename keeps its own problem texts.
    """
    step, label, old, read_step = names
    ok, _ = p.run(step, os.rename, src, dst)
    if ok:
        p.expect(not os.path.lexists(src), f"{label}: {old} still exists")
        ok, found = p.run(read_step, read_file, dst)
        if ok:
            same(p, label, found, data)


def check_rename(d, args, p):
    a, b = os.path.join(d, "ren_a"), os.path.join(d, "ren_b")
    sub = os.path.join(d, "ren_dir")
    ok, _ = p.run("mkdir", os.mkdir, sub)
    data = pattern(BLOCK + 1, "ren")
    p.run("create", write_file, a, data)
    rename_and_read(p, ("rename in same dir", "rename same dir", "old name", "read renamed"),
                    a, b, data)
    moved = os.path.join(sub, "moved")
    rename_and_read(p, ("rename across dirs", "rename across dirs", "old name", "read moved"),
                    b, moved, data)
    target = os.path.join(d, "ren_target")
    p.run("create target", write_file, target, pattern(10, "old target"))
    rename_and_read(p, ("rename over existing", "rename over existing", "source",
                        "read replaced target"), moved, target, data)
    sub2 = os.path.join(d, "ren_dir2")
    ok, _ = p.run("rename a directory", os.rename, sub, sub2)
    if ok:
        p.expect(os.path.isdir(sub2) and not os.path.lexists(sub),
                 "rename directory: wrong names afterwards")
    drop_caches()
    names = set(os.listdir(d))
    p.expect({"ren_target", "ren_dir2"} <= names and not names & {"ren_a", "ren_b"},
             f"readdir after renames lists {sorted(names)}")
    p.run("cleanup target", os.unlink, target)
    p.run("cleanup dir", os.rmdir, sub2 if os.path.isdir(sub2) else sub)


def check_dirs(d, args, p):
    top = os.path.join(d, "dirs")
    nested = os.path.join(top, "a", "b", "c")
    ok, _ = p.run("mkdir nested", os.makedirs, nested)
    if not ok:
        return
    data = pattern(BLOCK + 5, "nested")
    ok, _ = p.run("create file in nested dir", write_file, os.path.join(nested, "f"), data)
    drop_caches()
    if ok:
        ok, found = p.run("read nested file", read_file, os.path.join(nested, "f"))
        if ok:
            same(p, "nested file", found, data)
    p.expect(os.stat(top).st_nlink == 3,
             f"directory with one subdirectory has nlink {os.stat(top).st_nlink}, not 3")
    try:
        os.rmdir(os.path.join(top, "a"))
        p.append("rmdir of a non-empty directory succeeded")
    except OSError as err:
        p.expect(err.errno in (errno.ENOTEMPTY, errno.EEXIST),
                 f"rmdir non-empty: {errno.errorcode.get(err.errno)} instead of ENOTEMPTY")
    try:
        os.mkdir(os.path.join(top, "a"))
        p.append("mkdir of an existing name succeeded")
    except OSError as err:
        p.expect(err.errno == errno.EEXIST,
                 f"mkdir existing: {errno.errorcode.get(err.errno)} instead of EEXIST")
    p.run("unlink nested file", os.unlink, os.path.join(nested, "f"))
    for path in (nested, os.path.dirname(nested), os.path.join(top, "a"), top):
        p.run(f"rmdir {os.path.relpath(path, d)}", os.rmdir, path)
    p.expect(not os.path.lexists(top), "rmdir: directory still exists")


def check_many_entries(d, args, p):
    count = int(args.get("count", "1000"))
    top = os.path.join(d, "many")
    ok, _ = p.run("mkdir", os.mkdir, top)
    if not ok:
        return
    created = 0
    for index in range(count):
        ok, _ = p.run(f"create entry {index + 1} of {count}", write_file,
                      os.path.join(top, f"entry_{index:06d}"), f"{index}\n".encode())
        if not ok:
            break
        created += 1
    drop_caches()
    names = os.listdir(top)
    p.expect(len(names) == created, f"readdir lists {len(names)} entries, created {created}")
    wrong = [n for n in names if read_file(os.path.join(top, n)) !=
             f"{int(n.split('_')[1])}\n".encode()]
    p.expect(not wrong, f"{len(wrong)} entries have wrong contents, e.g. {wrong[:3]}")
    for name in names:
        p.run(f"unlink {name}", os.unlink, os.path.join(top, name))
    p.run("rmdir", os.rmdir, top)


def check_links(d, args, p):
    src = os.path.join(d, "link_src")
    data = pattern(100, "link")
    ok, _ = p.run("create", write_file, src, data)
    if not ok:
        return
    hard = os.path.join(d, "link_hard")
    ok, _ = p.run("link", os.link, src, hard)
    if ok:
        p.expect(os.stat(src).st_nlink == 2, f"hard link: nlink {os.stat(src).st_nlink} != 2")
        p.expect(os.stat(src).st_ino == os.stat(hard).st_ino, "hard link: different inode")
        p.run("unlink one name", os.unlink, src)
        ok, found = p.run("read via remaining link", read_file, hard)
        if ok:
            same(p, "hard link after unlinking the first name", found, data)
        p.run("restore", os.rename, hard, src)
    sym = os.path.join(d, "link_sym")
    ok, _ = p.run("symlink", os.symlink, "link_src", sym)
    if ok:
        p.expect(os.readlink(sym) == "link_src", f"readlink gives {os.readlink(sym)!r}")
        ok, found = p.run("read through symlink", read_file, sym)
        if ok:
            same(p, "read through symlink", found, data)
        p.run("unlink symlink", os.unlink, sym)
    fifo = os.path.join(d, "link_fifo")
    ok, _ = p.run("mkfifo", os.mkfifo, fifo)
    if ok:
        p.expect(stat.S_ISFIFO(os.lstat(fifo).st_mode), "mkfifo: not a FIFO")
        p.run("unlink fifo", os.unlink, fifo)
    p.run("unlink", os.unlink, src)


def check_attrs(d, args, p):
    path = created(p, d, "attrs", b"x")
    if path is None:
        return
    ok, _ = p.run("chmod 0640", os.chmod, path, 0o640)
    if ok:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        p.expect(mode == 0o640, f"chmod: mode {mode:o} != 640")
    ok, _ = p.run("chown 1234:5678", os.chown, path, 1234, 5678)
    if ok:
        st = os.stat(path)
        p.expect((st.st_uid, st.st_gid) == (1234, 5678),
                 f"chown: owner {st.st_uid}:{st.st_gid} != 1234:5678")
    ok, _ = p.run("utime", lambda: os.utime(path, ns=(1_000_000_000_000_000_000,
                                                      1_100_000_000_000_000_000)))
    if ok:
        st = os.stat(path)
        p.expect(int(st.st_mtime) == 1_100_000_000,
                 f"utime: mtime {st.st_mtime} != 1100000000")
        p.expect(int(st.st_atime) == 1_000_000_000,
                 f"utime: atime {st.st_atime} != 1000000000")
    before = os.stat(path).st_mtime
    time.sleep(1.1)
    p.run("write updates mtime", write_file, path, b"yy", os.O_WRONLY)
    p.expect(os.stat(path).st_mtime > before, "write did not advance mtime")
    drop_caches()
    st = os.stat(path)
    p.expect(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 1234,
             f"attributes lost after drop_caches: mode {stat.S_IMODE(st.st_mode):o} "
             f"uid {st.st_uid}")
    p.run("unlink", os.unlink, path)


def check_xattrs(d, args, p):
    path = created(p, d, "xattrs", b"x")
    if path is None:
        return
    value = pattern(200, "xattr")
    ok, _ = p.run("setxattr user.avx", os.setxattr, path, "user.avx", value)
    if ok:
        ok, found = p.run("getxattr user.avx", os.getxattr, path, "user.avx")
        if ok:
            same(p, "xattr value", found, value)
        ok, names = p.run("listxattr", os.listxattr, path)
        if ok:
            p.expect("user.avx" in names, f"listxattr gives {names}")
        p.run("removexattr", os.removexattr, path, "user.avx")
        try:
            os.getxattr(path, "user.avx")
            p.append("xattr still readable after removexattr")
        except OSError as err:
            p.expect(err.errno == errno.ENODATA,
                     f"getxattr after remove: {errno.errorcode.get(err.errno)} not ENODATA")
    p.run("unlink", os.unlink, path)


def check_sync(d, args, p):
    path = os.path.join(d, "sync")
    data = pattern(3 * BLOCK, "sync")
    fd = None
    ok, fd = p.run("open", os.open, path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    if not ok:
        return
    try:
        p.run("write", os.write, fd, data)
        p.run("fsync", os.fsync, fd)
        p.run("pwrite", os.pwrite, fd, b"z" * 10, 5)
        p.run("fdatasync", os.fdatasync, fd)
    finally:
        os.close(fd)
    dfd = os.open(d, os.O_RDONLY)
    try:
        p.run("fsync on directory", os.fsync, dfd)
    finally:
        os.close(dfd)
    p.run("sync", os.sync)
    drop_caches()
    ok, found = p.run("read back", read_file, path)
    if ok:
        same(p, "after fsync/fdatasync", found, data[:5] + b"z" * 10 + data[15:])
    p.run("unlink", os.unlink, path)


def free_counts(d):
    os.sync()
    st = os.statvfs(d)
    return st.f_bfree, st.f_ffree


def check_leaks(d, args, p):
    """Free blocks and inodes must come back after create+delete and after truncate."""
    files = int(args.get("files", "20"))
    size = int(args.get("file_kb", "40")) * 1024
    blocks_before, inodes_before = free_counts(d)
    top = os.path.join(d, "leak")
    ok, _ = p.run("mkdir", os.mkdir, top)
    if not ok:
        return
    for index in range(files):
        p.run(f"create file {index}", write_file, os.path.join(top, f"f{index}"),
              pattern(size, index))
    for name in os.listdir(top):
        p.run(f"unlink {name}", os.unlink, os.path.join(top, name))
    p.run("rmdir", os.rmdir, top)
    blocks_after, inodes_after = free_counts(d)
    p.expect(blocks_after >= blocks_before,
             f"create+delete of {files} files leaked {blocks_before - blocks_after} blocks")
    p.expect(inodes_after >= inodes_before,
             f"create+delete of {files} files leaked {inodes_before - inodes_after} inodes")
    path = os.path.join(d, "leak_trunc")
    p.run("create for truncate", write_file, path, pattern(size, "t"))
    blocks_full, _ = free_counts(d)
    ok, _ = p.run("truncate to 0", os.truncate, path, 0)
    blocks_truncated, _ = free_counts(d)
    if ok:
        p.expect(blocks_truncated > blocks_full,
                 f"truncate of a {size // 1024} KiB file to 0 freed no blocks")
    p.run("unlink", os.unlink, path)
    blocks_end, inodes_end = free_counts(d)
    p.expect(blocks_end >= blocks_before,
             f"write+truncate+unlink leaked {blocks_before - blocks_end} blocks")


def check_mmap_write(d, args, p):
    path = os.path.join(d, "mmap")
    p.run("create", write_file, path, bytes(2 * BLOCK))
    data = pattern(2 * BLOCK, "mmap")
    def mmap_write():
        with open(path, "r+b") as handle:
            with mmap.mmap(handle.fileno(), 2 * BLOCK) as mapped:
                mapped[:] = data
                mapped.flush()
    ok, _ = p.run("shared writable mmap", mmap_write)
    drop_caches()
    if ok:
        same(p, "after mmap write", read_file(path), data)
    p.run("unlink", os.unlink, path)


def check_fallocate(d, args, p):
    path = os.path.join(d, "falloc")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        ok, _ = p.run("posix_fallocate 64 KiB", os.posix_fallocate, fd, 0, 16 * BLOCK)
        if ok:
            p.expect(os.fstat(fd).st_size == 16 * BLOCK,
                     f"fallocate: st_size {os.fstat(fd).st_size}")
    finally:
        os.close(fd)
    p.run("unlink", os.unlink, path)


def check_direct_io(d, args, p):
    path = os.path.join(d, "direct")
    buf = mmap.mmap(-1, BLOCK)  # page aligned, as O_DIRECT wants
    buf[:] = pattern(BLOCK, "direct")
    def direct_write():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
        try:
            os.write(fd, buf)
        finally:
            os.close(fd)
    ok, _ = p.run("O_DIRECT write", direct_write)
    if ok:
        drop_caches()
        same(p, "after O_DIRECT write", read_file(path), bytes(buf))
    p.run("unlink", os.unlink, path)


CHECKS = {name[len("check_"):]: func for name, func in globals().items()
          if name.startswith("check_")}


def main(argv):
    check, directory = argv[1], argv[2]
    args = dict(item.split("=", 1) for item in argv[3:])
    problems = Problems()
    if check not in CHECKS:
        problems.append(f"unknown check {check!r}: expected one of {sorted(CHECKS)}")
    else:
        try:
            CHECKS[check](directory, args, problems)
        except OSError as err:
            name = errno.errorcode.get(err.errno, str(err.errno))
            problems.append(f"failed: {check}: {name} ({err.strerror}) on {err.filename}")
    print(RESULT_PREFIX + json.dumps(list(problems)))


if __name__ == "__main__":
    main(sys.argv)

"""Crash-consistency record, replay and observe, run INSIDE the guest (python3 only).

``python3 crashcons.py run WORKLOAD --data DEV --log DEV --replay DEV --fstype T
--mkfs CMD [--mount-options O] [--fsck CMD] [--control none|drop_writes]``
formats DEV, puts it under dm-log-writes (log on the second disk), runs the workload
(one operation a line, see avocado_vexfs/crashcons/workload.py) and writes a log mark
``L<line>`` after every persistence call. Then it replays the log onto the replay disk
(a copy of the freshly made filesystem) mark by mark; at each mark it mounts a dm-snapshot
of the replayed disk (so the replay itself is never changed by the mount), records the
tree it finds, umounts, runs the fsck command, and drops the snapshot. It prints one line
``AVX-RESULT {json}``: per workload line "ok" or the errno name, and per mark the mount
error, the tree and the fsck verdict. The host decides what is right (crashcons/check.py).

``python3 crashcons.py replay LOG TARGET MARK`` replays a log up to MARK onto TARGET and
``python3 crashcons.py entries LOG`` lists a log's entries: for a person reproducing one
crash state by hand.

The log format is the kernel's (drivers/md/dm-log-writes.c): a super sector (magic,
version, nr_entries, sectorsize), then per entry one sector holding (sector, nr_sectors,
flags, data_len) and, for a mark, its name; then nr_sectors of written data (none for a
discard or a flush). Writes are logged only once a flush covered them, so replaying up
to a mark gives the disk as a power cut right after the mark could have left it.
"""
import errno
import hashlib
import json
import os
import shlex
import stat
import struct
import subprocess
import sys
import time

RESULT_PREFIX = "AVX-RESULT "
MAGIC = 0x6a736677736872
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")
FLUSH, FUA, DISCARD, MARK, METADATA = 1, 2, 4, 8, 16
PERSIST = ("fsync", "fdatasync", "sync")
LW, FLAKEY, SNAP = "avx-cc-lw", "avx-cc-flakey", "avx-cc-snap"
MNT = "/mnt/avx-cc"
COW_FILE = "/tmp/avx-cc-cow.img"
MAX_RUNS = 12


class LogError(Exception):
    """The log device does not hold a dm-log-writes log we can read."""


def read_log(handle):
    """(sectorsize, [entry dicts]) of a dm-log-writes log read from a binary file.

    An entry: index, sector and nr_sectors (in sectorsize units, on the logged device),
    flags, mark (the name, for a mark) and data_offset (bytes into the log).
    """
    handle.seek(0)
    head = handle.read(SUPER.size)
    if len(head) < SUPER.size:
        raise LogError("log is shorter than its super block")
    magic, version, count, sectorsize = SUPER.unpack(head)
    if magic != MAGIC:
        raise LogError(f"log magic {magic:#x}: expected {MAGIC:#x} (not a log-writes log)")
    if version != 1 or sectorsize not in (512, 1024, 2048, 4096):
        raise LogError(f"log version {version} sectorsize {sectorsize}: expected 1 and "
                       f"a power of two from 512 to 4096")
    entries, offset = [], sectorsize
    for index in range(count):
        handle.seek(offset)
        raw = handle.read(sectorsize)
        if len(raw) < sectorsize:
            raise LogError(f"log ends inside entry {index} of {count}")
        sector, nr_sectors, flags, data_len = ENTRY.unpack_from(raw)
        entry = {"index": index, "sector": sector, "nr_sectors": nr_sectors,
                 "flags": flags, "data_offset": offset + sectorsize}
        if flags & MARK:
            entry["mark"] = raw[ENTRY.size:ENTRY.size + data_len].decode(errors="replace")
            entry["nr_sectors"] = 0
        entries.append(entry)
        offset += sectorsize
        if not flags & (MARK | DISCARD):
            offset += nr_sectors * sectorsize
    return sectorsize, entries


def marks(entries):
    """Mark names in log order."""
    return [entry["mark"] for entry in entries if "mark" in entry]


def apply(log, target, sectorsize, entries):
    """Write ``entries`` (writes and discards; marks and flushes carry no data) to target."""
    for entry in entries:
        length = entry["nr_sectors"] * sectorsize
        if not length:
            continue
        if entry["flags"] & DISCARD:
            data = bytes(length)
        else:
            log.seek(entry["data_offset"])
            data = log.read(length)
        os.pwrite(target.fileno(), data, entry["sector"] * sectorsize)


def replay_until(log, target, upto):
    """Replay from the start of the log onto ``target`` up to (not past) mark ``upto``."""
    sectorsize, entries = read_log(log)
    names = marks(entries)
    if upto not in names:
        raise LogError(f"mark {upto!r} not in the log; it has {names}")
    stop = next(e["index"] for e in entries if e.get("mark") == upto)
    apply(log, target, sectorsize, entries[:stop])
    target.flush()
    os.fsync(target.fileno())


def sh(command, check=True, timeout=300):
    """Run a shell command; return (status, output)."""
    proc = subprocess.run(command, shell=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          check=False)
    if check and proc.returncode:
        raise RuntimeError(f"{command!r} exited {proc.returncode}: "
                           f"{proc.stdout.strip()[-400:]}")
    return proc.returncode, proc.stdout.strip()


def dm_create(name, table):
    """Create a device-mapper device; return its node (made by hand: no udev here)."""
    sh(f"dmsetup create {name} --table '{table}' && dmsetup mknodes {name}")
    return f"/dev/mapper/{name}"


def dm_remove(name, check=True):
    status = sh(f"dmsetup remove --retry {name}", check=check)[0]
    sh("dmsetup mknodes", check=False)
    return status


def sectors(device):
    return int(sh(f"blockdev --getsz {shlex.quote(device)}")[1])


def runs(data):
    """Run-length description of file content: [[byte, count], ...] (at most MAX_RUNS)."""
    out = []
    for byte in data:
        if out and out[-1][0] == byte:
            out[-1][1] += 1
        elif len(out) == MAX_RUNS:
            out.append(["...", 0])
            break
        else:
            out.append([byte, 1])
    return out


def observe(root):
    """{relative path: facts} of every entry under ``root``, and the entries we could not
    stat or read (a corrupt entry is a finding, not a crash of this script)."""
    tree, errors = {}, []
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            names = sorted(os.listdir(os.path.join(root, rel)))
        except OSError as err:
            errors.append(f"{rel or '/'}: listdir: {errno.errorcode.get(err.errno, err)}")
            continue
        for name in names:
            path = f"{rel}/{name}" if rel else name
            if path == "lost+found":
                continue
            full = os.path.join(root, path)
            try:
                info = os.lstat(full)
                if stat.S_ISDIR(info.st_mode):
                    tree[path] = {"type": "dir", "nlink": info.st_nlink}
                    stack.append(path)
                elif stat.S_ISLNK(info.st_mode):
                    tree[path] = {"type": "symlink", "target": os.readlink(full)}
                elif stat.S_ISREG(info.st_mode):
                    with open(full, "rb") as handle:
                        data = handle.read()
                    tree[path] = {"type": "file", "size": info.st_size,
                                  "nlink": info.st_nlink, "runs": runs(data),
                                  "sha256": hashlib.sha256(data).hexdigest()}
                    if len(data) != info.st_size:
                        errors.append(f"{path}: read {len(data)} bytes, size "
                                      f"{info.st_size}")
                else:
                    tree[path] = {"type": "other"}
            except OSError as err:
                errors.append(f"{path}: {errno.errorcode.get(err.errno, str(err))}")
    return tree, errors


def execute(line, root):
    """Run one workload line under ``root``; "ok" or the errno name."""
    words = line.split()
    op, args = words[0], words[1:]
    path = lambda arg: os.path.join(root, arg)  # noqa: E731
    try:
        if op == "create":
            os.close(os.open(path(args[0]), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        elif op in ("write", "overwrite"):
            fd = os.open(path(args[0]), os.O_WRONLY)
            try:
                os.pwrite(fd, args[3].encode() * int(args[2]), int(args[1]))
            finally:
                os.close(fd)
        elif op == "append":
            fd = os.open(path(args[0]), os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, args[2].encode() * int(args[1]))
            finally:
                os.close(fd)
        elif op == "truncate":
            os.truncate(path(args[0]), int(args[1]))
        elif op == "fallocate":
            fd = os.open(path(args[0]), os.O_WRONLY)
            try:
                os.posix_fallocate(fd, int(args[1]), int(args[2]))
            finally:
                os.close(fd)
        elif op == "link":
            os.link(path(args[0]), path(args[1]))
        elif op == "symlink":
            os.symlink(args[0], path(args[1]))
        elif op == "rename":
            os.rename(path(args[0]), path(args[1]))
        elif op == "unlink":
            os.unlink(path(args[0]))
        elif op == "mkdir":
            os.mkdir(path(args[0]))
        elif op == "rmdir":
            os.rmdir(path(args[0]))
        elif op in ("fsync", "fdatasync"):
            fd = os.open(path(args[0]) if args else root, os.O_RDONLY)
            try:
                (os.fsync if op == "fsync" else os.fdatasync)(fd)
            finally:
                os.close(fd)
        elif op == "sync":
            os.sync()
        else:
            return "EINVAL"
    except OSError as err:
        return errno.errorcode.get(err.errno, str(err.errno))
    return "ok"


def lines_of(text):
    """[(line number, line)] of the operations (comments and blank lines skipped)."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


def teardown():
    """Leave nothing mapped or mounted, whatever state a failed run stopped in."""
    for name in (FLAKEY, LW):
        sh(f"dmsetup resume {name} 2>/dev/null", check=False)
    for target in (MNT, MNT + "-check"):
        sh(f"umount {target} 2>/dev/null", check=False)
    for name in (SNAP, FLAKEY, LW):
        sh(f"dmsetup remove --retry {name} 2>/dev/null", check=False)
    sh("dmsetup mknodes", check=False)
    status, loops = sh(f"losetup -j {COW_FILE}", check=False)
    for line in loops.splitlines():
        sh(f"losetup -d {line.split(':', 1)[0]}", check=False)
    if os.path.exists(COW_FILE):
        os.unlink(COW_FILE)


def record(text, opts):
    """mkfs, map, run the workload with marks, unmap; return per-line results."""
    data_sectors = sectors(opts["data"])
    if sectors(opts["replay"]) < data_sectors:
        raise RuntimeError(f"replay disk {opts['replay']} is smaller than data disk")
    sh(f"{opts['mkfs']} {shlex.quote(opts['data'])}")
    sh(f"dd if={opts['data']} of={opts['replay']} bs=1M count={data_sectors // 2048 + 1} "
       f"conv=fsync status=none")
    sh(f"dd if=/dev/zero of={opts['log']} bs=4096 count=1 conv=fsync status=none")
    device = dm_create(LW, f"0 {data_sectors} log-writes {opts['data']} {opts['log']}")
    if opts["control"] == "drop_writes":
        device = dm_create(FLAKEY, f"0 {data_sectors} linear {device} 0")
    mount_opts = f"-o {shlex.quote(opts['mount_options'])}" if opts["mount_options"] else ""
    sh(f"mkdir -p {MNT} && mount -t {opts['fstype']} {mount_opts} {device} {MNT}")
    results, written = {}, {}
    start = disk_sectors_written(opts["data"])
    setup_done = False
    for number, line in lines_of(text):
        results[number] = execute(line, MNT)
        if line.split()[0] in PERSIST:
            sh(f"dmsetup message {LW} 0 mark L{number}")
            written[f"L{number}"] = disk_sectors_written(opts["data"]) - start
            if opts["control"] == "drop_writes" and not setup_done:
                # The positive control: from the first persistence point on, every write
                # is acknowledged and thrown away above the log, so nothing later is on
                # the "disk" the replay rebuilds.
                sh(f"dmsetup suspend --nolockfs --noflush {FLAKEY} && dmsetup load "
                   f"{FLAKEY} --table '0 {data_sectors} flakey /dev/mapper/{LW} 0 0 3600 1 "
                   f"drop_writes' && dmsetup resume {FLAKEY}")
            setup_done = True
    status = sh(f"dmsetup status {LW}")[1]
    sh(f"umount {MNT}")
    if opts["control"] == "drop_writes":
        dm_remove(FLAKEY)
    dm_remove(LW)
    if "logging_disabled" in status:
        raise RuntimeError(f"dm-log-writes stopped logging (log disk {opts['log']} too "
                           f"small?): {status}")
    return results, written


def disk_sectors_written(device):
    """Sectors written to a disk since boot (flushed or not): /sys/block/X/stat."""
    with open(f"/sys/block/{os.path.basename(device)}/stat", encoding="ascii") as stat_file:
        return int(stat_file.read().split()[6])


def check_mark(opts, size):
    """Mount a snapshot of the replayed disk, observe it, umount, fsck; the mark's record."""
    found = {"mount_error": None, "tree": {}, "errors": [], "fsck": None}
    sh(f"truncate -s 64M {COW_FILE}")
    loop = sh(f"losetup -f --show {COW_FILE}")[1]
    try:
        device = dm_create(SNAP, f"0 {size} snapshot {opts['replay']} {loop} N 8")
        mount_opts = f"-o {shlex.quote(opts['mount_options'])}" if opts["mount_options"] else ""
        status, output = sh(f"mkdir -p {MNT}-check && mount -t {opts['fstype']} "
                            f"{mount_opts} {device} {MNT}-check", check=False, timeout=120)
        if status:
            found["mount_error"] = output or f"mount exited {status}"
        else:
            found["tree"], found["errors"] = observe(f"{MNT}-check")
            umount_status, output = sh(f"umount {MNT}-check", check=False)
            if umount_status:
                found["errors"].append(f"umount: {output}")
        if opts["fsck"]:
            status, output = sh(f"{opts['fsck']} {device}", check=False, timeout=120)
            found["fsck"] = {"status": status, "output": output[-1500:]}
    finally:
        dm_remove(SNAP, check=False)
        sh(f"losetup -d {loop}", check=False)
        os.unlink(COW_FILE)
    return found


def run(workload_path, opts):
    started = time.monotonic()
    with open(workload_path, encoding="utf-8") as handle:
        text = handle.read()
    result = {"lines": {}, "marks": [], "seconds": {}}
    try:
        result["lines"], written = record(text, opts)
        result["seconds"]["record"] = round(time.monotonic() - started, 2)
        size = sectors(opts["data"])
        with open(opts["log"], "rb") as log, open(opts["replay"], "r+b") as target:
            sectorsize, entries = read_log(log)
            result["log_entries"] = len(entries)
            done, writes, flushes = 0, 0, 0
            for entry in entries:
                name = entry.get("mark")
                writes += bool(entry["nr_sectors"] and not entry["flags"] & DISCARD)
                flushes += bool(entry["flags"] & (FLUSH | FUA))
                if not name or not name.startswith("L"):
                    continue
                apply(log, target, sectorsize, entries[done:entry["index"]])
                done = entry["index"]
                target.flush()
                os.fsync(target.fileno())
                found = check_mark(opts, size)
                found["mark"] = name
                found["log"] = {"writes": writes, "flushes": flushes,
                                "disk_sectors": written.get(name)}
                result["marks"].append(found)
    except (RuntimeError, LogError, OSError, subprocess.TimeoutExpired) as err:
        result["error"] = str(err)
    finally:
        teardown()
    result["seconds"]["total"] = round(time.monotonic() - started, 2)
    return result


def main(argv):
    if len(argv) >= 2 and argv[0] == "entries":
        with open(argv[1], "rb") as log:
            sectorsize, entries = read_log(log)
        print(json.dumps({"sectorsize": sectorsize, "entries": entries}))
        return 0
    if len(argv) == 4 and argv[0] == "replay":
        with open(argv[1], "rb") as log, open(argv[2], "r+b") as target:
            replay_until(log, target, argv[3])
        return 0
    if len(argv) >= 2 and argv[0] == "run":
        opts = {"data": None, "log": None, "replay": None, "fstype": None, "mkfs": None,
                "mount_options": "", "fsck": "", "control": "none"}
        rest = argv[2:]
        for key, value in zip(rest[::2], rest[1::2]):
            name = key.lstrip("-").replace("-", "_")
            if name not in opts:
                print(f"unknown option {key}: expected one of "
                      f"{', '.join('--' + k.replace('_', '-') for k in opts)}")
                return 2
            opts[name] = value
        missing = [k for k, v in opts.items() if v is None]
        if missing:
            print(f"missing options: {', '.join(missing)}")
            return 2
        print(RESULT_PREFIX + json.dumps(run(argv[1], opts)))
        return 0
    print(__doc__.split("\n\n")[1])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

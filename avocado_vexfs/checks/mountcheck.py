"""mkfs and mount checks: options, mount cycles, remount, statfs, and negative mounts.

Each check returns a list of problems (strings) instead of raising, so one run reports
everything a filesystem gets wrong, and cfg/expected can name the known ones. A crash is
not a problem string: the console verdict of vt.steps.booted_guest catches it, and the step
marks say which check it happened in. Numbers come from cfg; the defaults are the ones
subtests.cfg documents.
"""
import shlex

from avocado_vexfs.errors import ConfigError, GuestCommandError
from avocado_vexfs.params import quick_int

LABEL = "avxlabel1"
PROBE = "avx-probe"


def _q(text):
    return shlex.quote(str(text))


def _mount_status(guest, filesystem, device, mountpoint, options=""):
    """(status, output) of one mount attempt; never raises on a refused mount."""
    flag = f"-o {_q(options)}" if options else ""
    return guest.status_output(f"mkdir -p {_q(mountpoint)} && mount -t {filesystem.fstype} "
                               f"{flag} {_q(device)} {_q(mountpoint)}", timeout=120)


def _write_probe(guest, path, kb):
    guest.cmd(f"head -c {kb * 1024} /dev/urandom > {_q(path)} && sync")
    return _md5(guest, path)


def _md5(guest, path):
    status, output = guest.status_output(f"md5sum {_q(path)} | cut -d' ' -f1")
    return output.strip() if status == 0 else None


def _loop_of(guest, image, size_kb):
    """A loop device over a file of ``size_kb`` in the guest's tmpfs."""
    guest.cmd(f"modprobe loop; truncate -s {size_kb}K {_q(image)}")
    return guest.cmd(f"losetup -f --show {_q(image)}").strip()


def _drop_loop(guest, loop, image):
    guest.cmd(f"losetup -d {_q(loop)}; rm -f {_q(image)}", ok_status=(0, 1))


def check_label(guest, filesystem, device, mountpoint, params):
    """mkfs with the label option writes the label into the filesystem's first blocks."""
    option = params.get("mkfs_label_option", "-L")
    filesystem.mkfs(guest, device, f"{filesystem.mkfs_options} {option} {LABEL}")
    found = guest.cmd(f"head -c 65536 {_q(device)} | grep -c -a {LABEL}",
                      ok_status=(0, 1)).strip()
    return [] if found != "0" else [f"label: mkfs {option} {LABEL} wrote no '{LABEL}' "
                                    f"in the first 64 KiB of {device}"]


def check_force(guest, filesystem, device, mountpoint, params):
    """mkfs with the force option over an existing filesystem makes a fresh, empty one."""
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    _write_probe(guest, f"{mountpoint}/{PROBE}", 4)
    filesystem.umount(guest, mountpoint)
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    left = guest.cmd(f"ls -A {_q(mountpoint)} | grep -c -x {PROBE}", ok_status=(0, 1))
    filesystem.umount(guest, mountpoint)
    return [] if left.strip() == "0" else [
        f"force: mkfs {filesystem.mkfs_options} over an existing filesystem kept "
        f"{PROBE}: expected a fresh filesystem"]


def check_too_small(guest, filesystem, device, mountpoint, params):
    """mkfs on a device below the filesystem's minimum fails with a message, no crash."""
    size_kb = int(params.get("mkfs_too_small_kb", "8"))
    loop = _loop_of(guest, "/tmp/too-small.img", size_kb)
    try:
        status, output = guest.status_output(
            f"{filesystem.mkfs_command} {filesystem.mkfs_options} {loop}", timeout=120)
    finally:
        _drop_loop(guest, loop, "/tmp/too-small.img")
    if status == 0:
        return [f"too small: mkfs on a {size_kb} KiB device succeeded: expected a refusal"]
    if not output.strip():
        return [f"too small: mkfs on a {size_kb} KiB device failed without a message"]
    return []


def check_cycles(guest, filesystem, device, mountpoint, params):
    """A file written before the first of N mount/umount cycles reads back after each."""
    count = quick_int(params, "mount_cycles", 10)
    kb = int(params.get("mount_cycle_file_kb", "16"))
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    want = _write_probe(guest, f"{mountpoint}/{PROBE}", kb)
    filesystem.umount(guest, mountpoint)
    for number in range(1, count + 1):
        status, output = _mount_status(guest, filesystem, device, mountpoint)
        if status != 0:
            return [f"cycles: mount {number}/{count} failed: {output.strip()}"]
        found = _md5(guest, f"{mountpoint}/{PROBE}")
        filesystem.umount(guest, mountpoint)
        if found != want:
            return [f"cycles: after mount {number}/{count} {PROBE} has md5 {found}: "
                    f"expected {want}"]
    return []


def check_remount(guest, filesystem, device, mountpoint, params):
    """remount,ro refuses writes and keeps data; remount,rw writes again."""
    problems = []
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    want = _write_probe(guest, f"{mountpoint}/{PROBE}", 4)
    try:
        guest.cmd(f"mount -o remount,ro {_q(mountpoint)}")
        status, output = guest.status_output(f"touch {_q(mountpoint)}/ro-write")
        if status == 0:
            problems.append("remount: a file was created on a read-only remount")
        elif "Read-only" not in output:
            problems.append(f"remount: write on read-only mount failed with "
                            f"{output.strip()!r}: expected EROFS")
        if _md5(guest, f"{mountpoint}/{PROBE}") != want:
            problems.append("remount: data changed across remount,ro")
        guest.cmd(f"mount -o remount,rw {_q(mountpoint)}")
        status, output = guest.status_output(f"echo rw > {_q(mountpoint)}/rw-write && sync")
        if status != 0:
            problems.append(f"remount: write after remount,rw failed: {output.strip()}")
    except GuestCommandError as err:
        problems.append(f"remount: {err.command!r} failed: {err.output.strip()}")
    filesystem.umount(guest, mountpoint)
    return problems


def statfs(guest, mountpoint):
    """The mount's statfs numbers by name (stat -f)."""
    keys = ("type", "bsize", "blocks", "bfree", "bavail", "files", "ffree")
    values = guest.cmd(f"stat -f -c '%t %S %b %f %a %c %d' {_q(mountpoint)}").split()
    numbers = [int(values[0], 16)] + [int(v) for v in values[1:]]
    return dict(zip(keys, numbers))


def options_problems(guest, mountpoint, options):
    """Mount options asked for that the mount does not show (findmnt): an option the
    filesystem dropped or ignored. Each option is looked for as written (noatime,
    data=journal), so ask for options in the form the kernel shows them."""
    shown = guest.cmd(f"findmnt -n -o OPTIONS --mountpoint {_q(mountpoint)}").strip()
    missing = [option for option in options.split(",")
               if option and option not in shown.split(",")]
    return [f"options: {','.join(missing)} asked for, the mount shows {shown}"] \
        if missing else []


def block_size_problems(guest, mountpoint, block_size):
    """The mounted filesystem's block size (statfs f_bsize) against the one mkfs was
    asked for; nothing to check when mkfs chose (0)."""
    if not block_size:
        return []
    bsize = statfs(guest, mountpoint)["bsize"]
    return [] if bsize == block_size else [f"block_size: f_bsize {bsize}, mkfs was "
                                           f"asked for {block_size}"]


def statfs_problems(stats, device_bytes, magic, min_fraction):
    """What is wrong with one statfs answer, for a fresh filesystem on ``device_bytes``."""
    problems = []
    if stats["type"] != magic:
        problems.append(f"statfs: f_type {stats['type']:#x}: expected {magic:#x}")
    size = stats["blocks"] * stats["bsize"]
    if not min_fraction * device_bytes <= size <= device_bytes:
        problems.append(f"statfs: f_blocks*f_bsize = {size} for a {device_bytes}-byte "
                        f"device: expected {min_fraction:.0%}-100% of it")
    if not stats["bavail"] <= stats["bfree"] <= stats["blocks"]:
        problems.append(f"statfs: bavail {stats['bavail']} <= bfree {stats['bfree']} <= "
                        f"blocks {stats['blocks']} does not hold")
    if not 0 <= stats["ffree"] <= stats["files"] or stats["files"] == 0:
        problems.append(f"statfs: ffree {stats['ffree']} of files {stats['files']}: "
                        f"expected 0 <= ffree <= files, files > 0")
    return problems


def check_statfs(guest, filesystem, device, mountpoint, params):
    """f_type, sizes and counts of a fresh filesystem are sane, and a write uses space."""
    try:
        magic = int(params.get("statfs_magic", "0"), 16)
        min_fraction = float(params.get("statfs_min_fraction", "0.5"))
    except ValueError:
        raise ConfigError(f"statfs_magic = {params.get('statfs_magic')!r}, "
                          f"statfs_min_fraction = {params.get('statfs_min_fraction')!r}: "
                          f"expected a hex number and a fraction") from None
    device_bytes = int(guest.cmd(f"blockdev --getsize64 {_q(device)}"))
    filesystem.mkfs(guest, device)
    filesystem.mount(guest, device, mountpoint)
    before = statfs(guest, mountpoint)
    problems = statfs_problems(before, device_bytes, magic, min_fraction)
    kb = int(params.get("statfs_write_kb", "40"))
    _write_probe(guest, f"{mountpoint}/{PROBE}", kb)
    after = statfs(guest, mountpoint)
    if after["bfree"] >= before["bfree"]:
        problems.append(f"statfs: f_bfree {before['bfree']} -> {after['bfree']} after "
                        f"writing {kb} KiB: expected it to drop")
    if after["ffree"] >= before["ffree"]:
        problems.append(f"statfs: f_ffree {before['ffree']} -> {after['ffree']} after "
                        f"creating a file: expected it to drop")
    filesystem.umount(guest, mountpoint)
    return problems


def _corrupt_zeroed(guest, filesystem, device):
    guest.cmd(f"dd if=/dev/zero of={_q(device)} bs=1M count=4 conv=fsync 2>/dev/null")
    return device, None


def _corrupt_garbage(guest, filesystem, device):
    filesystem.mkfs(guest, device)
    guest.cmd(f"dd if=/dev/urandom of={_q(device)} bs=64K count=1 conv=fsync,notrunc "
              f"2>/dev/null")
    return device, None


def _corrupt_truncated(guest, filesystem, device, keep_kb=1024):
    filesystem.mkfs(guest, device)
    image = "/tmp/truncated.img"
    guest.cmd(f"dd if={_q(device)} of={image} bs=1K count={keep_kb} 2>/dev/null")
    loop = guest.cmd(f"modprobe loop; losetup -f --show {image}").strip()
    return loop, image


def _corrupt_wrong_type(guest, filesystem, device):
    guest.cmd(f"wipefs -a -q {_q(device)} && mkswap -q {_q(device)}")
    return device, None


NEGATIVE = {
    "zeroed": _corrupt_zeroed,
    "garbage": _corrupt_garbage,
    "truncated": _corrupt_truncated,
    "wrong_type": _corrupt_wrong_type,
}


def check_negative(guest, filesystem, device, mountpoint, params):
    """Each broken device must be refused by mount, and the guest must stay usable.

    A mount that succeeds anyway is umounted (listing the root first, which is where a
    bad superblock usually bites) and reported.
    """
    problems = []
    cases = params.get("negative_mounts", " ".join(NEGATIVE)).split()
    for case in cases:
        if case not in NEGATIVE:
            raise ConfigError(f"negative_mounts: {case!r}: expected names from "
                              f"{', '.join(NEGATIVE)}")
        guest.mark_step(f"negative mount {case}")
        target, image = NEGATIVE[case](guest, filesystem, device)
        try:
            status, output = _mount_status(guest, filesystem, target, mountpoint)
            if status == 0:
                guest.status_output(f"ls -la {_q(mountpoint)}", timeout=60)
                guest.cmd(f"umount {_q(mountpoint)}", timeout=60)
                problems.append(f"negative {case}: mount of a {case} device succeeded: "
                                f"expected a refusal")
        finally:
            if image:
                _drop_loop(guest, target, image)
    return problems


CHECKS = {
    "label": check_label,
    "force": check_force,
    "too_small": check_too_small,
    "cycles": check_cycles,
    "remount": check_remount,
    "statfs": check_statfs,
    "negative": check_negative,
}


def checks_for(params):
    names = params.get("mkfs_mount_checks", " ".join(CHECKS)).split()
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        raise ConfigError(f"mkfs_mount_checks: {' '.join(unknown)}: expected names from "
                          f"{', '.join(CHECKS)}")
    return [(name, CHECKS[name]) for name in names]

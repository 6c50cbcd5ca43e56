"""I/O fault injection under the filesystem under test: dm-flakey and scsi_debug.

The filesystem sits on a dm-flakey device (a linear map until a fault is injected) or on
a scsi_debug disk. A fault is switched on for ``seconds`` while the guest keeps writing
and fsyncing new files (and reading an old one with the page cache dropped), then
switched off. What the filesystem must do: return errors, never oops, hang, or report
success for data it lost; and after the fault, umount and a fresh mount must work or
fail cleanly (a console crash is caught by vt.steps.booted_guest, a hang by the timeout).

Faults (dm-flakey feature names): ``error_writes`` (writes fail, reads work),
``drop_writes`` (writes are acknowledged and thrown away: no fs can notice, so only
"no crash, usable after" is asked), ``error_io`` (every read and write fails), and
``medium_error`` (scsi_debug answers reads of the whole disk with MEDIUM ERROR).
"""
import shlex

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.vm import guest_result

FLAKEY = "avx-fault"
FAULTS = ("error_writes", "drop_writes", "error_io", "medium_error")

# Runs in the guest: write+fsync new files and read the old one until the deadline;
# print per attempt what the kernel answered.
IO_LOOP = r"""
import errno, json, os, sys, time
root, seconds, size, old = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def err(e): return errno.errorcode.get(e.errno, str(e.errno))
out, deadline, n = [], time.monotonic() + seconds, 0
while time.monotonic() < deadline and n < 200:
    n += 1
    name, rec = f"fault{n:03d}", {}
    try:
        fd = os.open(os.path.join(root, name), os.O_CREAT | os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, bytes([n % 251 + 1]) * size); rec["write"] = "ok"
            os.fsync(fd); rec["fsync"] = "ok"
        finally:
            os.close(fd)
    except OSError as e:
        rec.setdefault("fsync" if "write" in rec else "write", err(e))
    with open("/proc/sys/vm/drop_caches", "w") as dc:
        dc.write("1")
    try:
        with open(os.path.join(root, old), "rb") as f:
            rec["read_old"] = "ok:%d" % len(f.read())
    except OSError as e:
        rec["read_old"] = err(e)
    rec["name"] = name
    out.append(rec)
    time.sleep(0.2)
print("AVX-RESULT " + json.dumps(out))
"""

# Runs in the guest after the fault: which files are there, with which content.
VERIFY = r"""
import json, os, sys
root, out = sys.argv[1], {}
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name)
    if os.path.isfile(path):
        try:
            data = open(path, "rb").read()
            out[name] = [len(data), sorted(set(data))[:3]]
        except OSError as e:
            out[name] = str(e)
print("AVX-RESULT " + json.dumps(out))
"""


def _python(guest, program, args, timeout):
    """Run a python3 program text in the guest; its AVX-RESULT json."""
    quoted = " ".join(shlex.quote(str(a)) for a in args)
    output = guest.cmd(f"python3 - {quoted} <<'AVX_EOF'\n{program}\nAVX_EOF",
                       timeout=timeout)
    try:
        return guest_result.read(output)
    except guest_result.NoResult:
        raise ValueError(f"guest program printed no result: {output[-300:]}") from None


def flakey_table(device, sectors, fault):
    """dm-flakey table: down for an hour from load (we switch it off ourselves)."""
    features = {"error_writes": " 1 error_writes", "drop_writes": " 1 drop_writes",
                "error_io": ""}[fault]
    return f"0 {sectors} flakey {device} 0 0 3600{features}"


def _load(guest, table):
    guest.cmd(f"dmsetup suspend --nolockfs --noflush {FLAKEY} && dmsetup load {FLAKEY} "
              f"--table {shlex.quote(table)} && dmsetup resume {FLAKEY}")


class FaultRun:
    """One injected fault and what the filesystem answered."""

    def __init__(self, fault, device):
        self.fault, self.device = fault, device
        self.attempts = []
        self.after = {}
        self.problems = []
        self.file_size = 0

    def summary(self):
        counts = {}
        for rec in self.attempts:
            for key in ("write", "fsync", "read_old"):
                if key in rec:
                    value = rec[key].split(":")[0]
                    counts[f"{key} {value}"] = counts.get(f"{key} {value}", 0) + 1
        after = {k: v for k, v in self.after.items() if k != "files"}
        synced = [r for r in self.attempts if r.get("fsync") == "ok"]
        intact = [r for r in synced if self.intact(r)]
        after["fsynced files intact"] = f"{len(intact)} of {len(synced)}"
        return (f"{self.fault} on {self.device}: {len(self.attempts)} attempts "
                f"({', '.join(f'{k} x{v}' for k, v in sorted(counts.items()))}); after: "
                + ", ".join(f"{k} {v}" for k, v in after.items()))


    def intact(self, attempt):
        """True when the attempt's file reads back with its size and fill byte."""
        found = self.after.get("files", {}).get(attempt["name"])
        number = int(attempt["name"][len("fault"):])
        return (isinstance(found, list) and found[0] == self.file_size
                and found[1] == [number % 251 + 1])


ERRNOS_OK = ("ok", "EIO", "EROFS")


def judge(run, old_size):
    """Problems of a fault run: no error while every write failed, success claimed for a
    file that is lost, an error other than EIO/EROFS, a short read without an error,
    unusable after the fault."""
    failed = [r for r in run.attempts if r.get("write") != "ok" or r.get("fsync") != "ok"]
    if run.fault in ("error_writes", "error_io") and not failed:
        run.problems.append(f"{run.fault}: every write and fsync succeeded while every "
                            f"write to the disk failed")
    for rec in run.attempts:
        odd = {k: rec[k] for k in ("write", "fsync") if rec.get(k, "ok") not in ERRNOS_OK}
        if odd:
            run.problems.append(f"{run.fault}: {rec['name']}: {odd} (expected EIO)")
        if rec.get("fsync") == "ok" and run.fault != "drop_writes" and not run.intact(rec):
            found = run.after.get("files", {}).get(rec["name"])
            run.problems.append(f"{run.fault}: {rec['name']} fsync returned success "
                                f"during the fault but after it the file is {found}")
        read = rec.get("read_old", "")
        if read.startswith("ok:") and int(read[3:]) != old_size:
            run.problems.append(f"{run.fault}: reading the old file gave {read[3:]} bytes "
                                f"of {old_size} without an error")
    if run.after.get("mount") != "ok":
        run.problems.append(f"{run.fault}: mount after the fault: {run.after.get('mount')}")
    elif run.after.get("new write") != "ok":
        run.problems.append(f"{run.fault}: not usable after the fault: write+sync "
                            f"{run.after.get('new write')}")
    return run.problems


def _status(guest, command, timeout=120):
    status, output = guest.status_output(command, timeout=timeout)
    return "ok" if status == 0 else f"exit {status}: {output.strip()[-200:]}"


def built_in(guest, module):
    """True when ``module`` is built into the guest kernel (modprobe succeeds but takes
    no parameters: the debug kernel builds scsi_debug in)."""
    return guest.status_output(f"grep -q '/{module}.ko$' /lib/modules/$(uname -r)/"
                               f"modules.builtin")[0] == 0


def scsi_debug_disk(guest, size_mb):
    """Load scsi_debug with one disk; return its /dev node."""
    guest.cmd(f"modprobe scsi_debug dev_size_mb={int(size_mb)} && modprobe sd_mod && "
              f"udevadm settle 2>/dev/null; sleep 1")
    name = guest.cmd("ls /sys/bus/pseudo/drivers/scsi_debug/adapter0/host*/target*/*/"
                     "block/").split()[0]
    return f"/dev/{name}"


def run_fault(guest, filesystem, fault, params, mountpoint="/mnt/avx-fault"):
    """Inject one fault under a fresh filesystem; return the judged FaultRun."""
    if fault not in FAULTS:
        raise ConfigError(f"fault_kind = {fault!r}: expected one of {', '.join(FAULTS)}")
    seconds = float(params.get("fault_seconds", 5))
    size = int(params.get("fault_file_kb", 16)) * 1024
    old_size = int(params.get("fault_old_kb", 40)) * 1024
    fsck = params.get("fault_fsck", "")
    if seconds <= 0 or size <= 0 or old_size <= 0:
        raise ConfigError(f"fault_seconds/fault_file_kb/fault_old_kb = {seconds}/{size}/"
                          f"{old_size}: expected positive numbers")
    if fault == "medium_error":
        device = scsi_debug_disk(guest, params.get("fault_scsi_debug_mb", 64))
    else:
        disk = guest.scratch[0]
        sectors = int(guest.cmd(f"blockdev --getsz {disk}"))
        guest.cmd(f"dmsetup create {FLAKEY} --table '0 {sectors} linear {disk} 0' && "
                  f"dmsetup mknodes {FLAKEY}")
        device = f"/dev/mapper/{FLAKEY}"
    run = FaultRun(fault, device)
    run.file_size = size
    try:
        filesystem.mkfs(guest, device)
        filesystem.mount(guest, device, mountpoint)
        guest.cmd(f"head -c {old_size} /dev/urandom > {mountpoint}/old && sync")
        guest.mark_step(f"fault {fault} on")
        if fault == "medium_error":
            guest.cmd("cd /sys/bus/pseudo/drivers/scsi_debug && echo 0 > "
                      "/sys/module/scsi_debug/parameters/medium_error_start && echo "
                      "1000000000 > /sys/module/scsi_debug/parameters/medium_error_count "
                      "&& echo 2 > opts")
        else:
            _load(guest, flakey_table(guest.scratch[0], sectors, fault))
        run.attempts = _python(guest, IO_LOOP, [mountpoint, seconds, size, "old"],
                               timeout=seconds + 600)
        guest.mark_step(f"fault {fault} off")
        if fault == "medium_error":
            guest.cmd("echo 0 > /sys/bus/pseudo/drivers/scsi_debug/opts")
        else:
            _load(guest, f"0 {sectors} linear {guest.scratch[0]} 0")
        run.after["umount"] = _status(guest, f"umount {mountpoint}")
        if fsck:
            status, _ = guest.status_output(f"{fsck} {device}", timeout=300)
            run.after["fsck"] = f"exit {status}"
        run.after["mount"] = _status(guest, f"mount -t {filesystem.fstype} {device} "
                                            f"{mountpoint}")
        if run.after["mount"] == "ok":
            run.after["files"] = _python(guest, VERIFY, [mountpoint], timeout=300)
            run.after["new write"] = _status(
                guest, f"head -c 4096 /dev/zero > {mountpoint}/after && sync")
    finally:
        guest.status_output(f"umount {mountpoint} 2>/dev/null; dmsetup resume {FLAKEY} "
                            f"2>/dev/null; dmsetup remove {FLAKEY} 2>/dev/null; "
                            f"dmsetup mknodes; rmmod scsi_debug 2>/dev/null", timeout=120)
    judge(run, old_size)
    return run

"""Where a guest's boot spends its seconds, phase by phase, as data.

The host knows when it asked libvirt for the domain, when the ready marker appeared on
the console and when the shell answered; the guest's printk timestamps say when, since
the kernel started, it ran /init, mounted its root and printed the marker. Together they
split a boot into phases a developer can act on:

- ``prepare``: overlay, scratch disks, accelerator choice, domain XML (host);
- ``qemu``: libvirt starting the qemu process (host);
- ``firmware``: from qemu's start to the kernel's first instruction: firmware, kernel
  and initramfs loading, decompression (host time minus the guest's clock);
- ``kernel``: the kernel's own boot, to ``Run /init`` (guest clock);
- ``initramfs``: modules and the root mount (guest clock);
- ``init``: the guest's init, to the ready marker (guest clock);
- ``shell``: from the marker to a shell that answers on the control port (host).

The guest's clock runs in step with the host's (TCG and KVM both take it from the host),
so the two halves add up to the boot's wall time within the console poll's interval.
"""
import re

_STAMP = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$", re.MULTILINE)
RUN_INIT = "Run /init as init process"
ROOT_MOUNTED = re.compile(r"EXT4-fs \(vda\): mounted filesystem")
PHASES = ("prepare", "qemu", "firmware", "kernel", "initramfs", "init", "shell")


def guest_marks(console_text, ready_marker):
    """Guest-clock seconds of ``Run /init``, the root mount and the ready marker, from
    the first boot on the console; a mark not (yet) printed is None."""
    marks = {"run_init": None, "root_mounted": None, "ready": None}
    for match in _STAMP.finditer(console_text):
        stamp, message = float(match.group(1)), match.group(2)
        if marks["run_init"] is None and RUN_INIT in message:
            marks["run_init"] = stamp
        elif (marks["root_mounted"] is None and marks["run_init"] is not None
              and ROOT_MOUNTED.search(message)):
            marks["root_mounted"] = stamp
        elif ready_marker in message:
            marks["ready"] = stamp
            break
    return marks


def phases(host_marks, console_text, ready_marker):
    """{phase: seconds} of one boot, in boot order, rounded to 10 ms.

    :param host_marks: monotonic host times ``begin``, ``qemu_start``, ``qemu_started``,
        ``ready_seen`` and ``shell`` (the shell answered)
    A phase whose marks are missing (a console without timestamps) is left out, so the
    phases present always add up to what they claim.
    """
    guest = guest_marks(console_text, ready_marker)
    out = {"prepare": host_marks["qemu_start"] - host_marks["begin"],
           "qemu": host_marks["qemu_started"] - host_marks["qemu_start"]}
    if guest["ready"] is not None:
        kernel_start = host_marks["ready_seen"] - guest["ready"]
        out["firmware"] = max(0.0, kernel_start - host_marks["qemu_started"])
        if guest["run_init"] is not None:
            out["kernel"] = guest["run_init"]
            root = guest["root_mounted"] if guest["root_mounted"] is not None \
                else guest["run_init"]
            out["initramfs"] = root - guest["run_init"]
            out["init"] = guest["ready"] - root
        else:
            out["kernel"] = guest["ready"]
    out["shell"] = host_marks["shell"] - host_marks["ready_seen"]
    return {name: round(out[name], 2) for name in PHASES if name in out}

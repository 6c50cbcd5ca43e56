"""KVM or TCG: decided by a probe guest, never by the presence of /dev/kvm.

On some hosts /dev/kvm exists but a KVM guest pauses at its first instruction; a tiny
probe guest that must print a marker within a few seconds tells the truth. The answer
is cached per host kernel and qemu so it costs one boot, once.
"""
import json
import logging
import os
import platform
import subprocess
import time

from avocado_vexfs.vm import domain as domain_mod
from avocado_vexfs.vm import host, initramfs

PROBE_MARKER = "AVOCADO-VEXFS-PROBE-OK"
LOG = logging.getLogger(__name__)


def _host_key(uri):
    qemu = subprocess.run(["virsh", "-c", uri, "version"], capture_output=True, text=True,
                          check=False).stdout
    return f"{platform.release()}|{uri}|{' '.join(qemu.split())}"


def choose(config, image):
    """Domain type for a guest: the cfg's choice, or the cached probe's answer."""
    if config.accel != "auto":
        return config.accel
    cache_file = os.path.join(host.cache_dir(config.cache), "accel.json")
    key = _host_key(config.uri)
    cached = {}
    if os.path.exists(cache_file):
        with open(cache_file, encoding="utf-8") as cache:
            cached = json.load(cache)
    if cached.get("key") == key:
        return cached["domain_type"]
    domain_type, reason = probe(config.uri, image, config.kernel)
    LOG.info("accelerator: %s (%s)", domain_type, reason)
    tmp = cache_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as cache:
        json.dump({"key": key, "domain_type": domain_type, "reason": reason}, cache)
    os.replace(tmp, cache_file)
    return domain_type


def probe(uri, image, kernel_variant, timeout=15.0):
    """Boot a probe guest under KVM; return ("kvm"|"qemu", one-line reason)."""
    if uri.startswith("qemu:///") and not os.path.exists("/dev/kvm"):
        return "qemu", "no /dev/kvm on this host, using TCG"
    caps = domain_mod.connect(uri).getDomainCapabilities(None, "x86_64", None, "kvm", 0) \
        if _kvm_listed(uri) else None
    if caps is None:
        return "qemu", "libvirt lists no kvm domain type, using TCG"
    kernel = image.kernel(kernel_variant)
    workdir = os.path.join(host.run_dir(), f"{domain_mod.NAME_PREFIX}{os.getpid()}-probe")
    os.makedirs(workdir, mode=0o755, exist_ok=True)
    try:
        initrd = initramfs.build(
            os.path.join(workdir, "probe.gz"),
            busybox=os.path.join(image.directory, "busybox"),
            init_script=initramfs.PROBE_INIT.format(marker=PROBE_MARKER))
        console = os.path.join(workdir, "console.log")
        xml = domain_mod.render_xml(
            domain_type="kvm", name=os.path.basename(workdir), memory_mb=256, vcpus=1,
            machine="pc", tcg_cpu_model="qemu64", kernel=kernel["vmlinuz"], initrd=initrd,
            cmdline="console=ttyS0 panic=-1 quiet", emulator=domain_mod.emulator_path(uri),
            disks=[], console_log=console,
            control_socket=os.path.join(workdir, "control.sock"))
        started = time.monotonic()
        try:
            dom = domain_mod.Domain(uri, xml)
        except Exception as err:  # any refusal means KVM is unusable here
            first = str(err).splitlines()[0][:160]
            return "qemu", f"KVM guest refused to start ({first}), using TCG"
        try:
            while time.monotonic() - started < timeout:
                if os.path.exists(console):
                    with open(console, "rb") as log:
                        if PROBE_MARKER.encode() in log.read():
                            return "kvm", (f"probe guest printed under KVM in "
                                           f"{time.monotonic() - started:.1f}s")
                if dom.state() in ("paused", "crashed"):
                    return "qemu", (f"KVM probe guest {dom.state()} after "
                                    f"{time.monotonic() - started:.1f}s, using TCG")
                time.sleep(0.2)
            return "qemu", f"KVM probe guest printed nothing in {timeout:.0f}s, using TCG"
        finally:
            dom.destroy()
    finally:
        subprocess.run(["rm", "-rf", workdir], check=False)


def _kvm_listed(uri):
    caps = domain_mod.connect(uri).getCapabilities()
    return "<domain type='kvm'" in caps or "<domain type=\"kvm\"" in caps

"""The libvirt domain XML: what a test guest is made of."""
import xml.etree.ElementTree as ET

from avocado_vexfs.vm import domain


def _render(**over):
    values = dict(domain_type="qemu", name="avocado-vexfs-1-t-abc", memory_mb=1024, vcpus=2,
                  machine="pc", tcg_cpu_model="qemu64", kernel="/c/vmlinuz",
                  initrd="/c/initrd.gz", cmdline="console=ttyS0 a=<b>",
                  emulator="/usr/bin/qemu-system-x86_64",
                  disks=[{"path": "/r/root.qcow2", "format": "qcow2", "target": "vda"},
                         {"path": "/r/s0.raw", "format": "raw", "target": "vdb",
                          "readonly": True}],
                  console_log="/r/console.log", control_socket="/r/control.sock")
    values.update(over)
    return ET.fromstring(domain.render_xml(**values))


def test_tcg_guest_shape():
    root = _render()
    assert root.get("type") == "qemu"
    assert root.findtext("name") == "avocado-vexfs-1-t-abc"
    assert root.findtext("memory") == "1024" and root.findtext("vcpu") == "2"
    assert root.findtext("os/cmdline") == "console=ttyS0 a=<b>"
    assert root.find("cpu/model").text == "qemu64"


def test_kvm_guest_passes_host_cpu():
    assert _render(domain_type="kvm").find("cpu").get("mode") == "host-passthrough"


def test_tcg_guest_ram_is_a_memfd_without_huge_pages():
    backing = _render().find("memoryBacking")
    assert backing.find("source").get("type") == "memfd"
    assert backing.find("access").get("mode") == "shared"
    assert _render(domain_type="kvm").find("memoryBacking") is None


def test_disks_in_order_with_readonly_flag():
    disks = _render().findall("devices/disk")
    assert [d.find("target").get("dev") for d in disks] == ["vda", "vdb"]
    assert [d.find("driver").get("type") for d in disks] == ["qcow2", "raw"]
    assert disks[0].find("readonly") is None and disks[1].find("readonly") is not None


def test_console_is_logged_and_control_is_a_virtio_serial_port():
    devices = _render().find("devices")
    assert devices.find("serial/source").get("path") == "/r/console.log"
    assert devices.find("console") is None  # a virtio console drops what it cannot send
    channel = devices.find("channel")
    assert channel.get("type") == "unix"
    assert channel.find("target").get("type") == "virtio"
    assert channel.find("target").get("name") == "org.avocado-vexfs.control"
    assert channel.find("source").get("path") == "/r/control.sock"


def test_guest_gets_entropy_at_boot():
    """crng must be ready before the shell: its late static-key patch raced under TCG."""
    rng = _render().find("devices/rng")
    assert rng.get("model") == "virtio"
    assert rng.find("backend").text == "/dev/urandom"

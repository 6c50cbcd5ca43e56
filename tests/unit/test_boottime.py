"""Boot phases from real consoles (tests/data/boot/<name>.log with the guest-clock marks
expected in <name>.json): adding a case means adding the two files."""
import glob
import gzip
import json
import os
import struct

import pytest

from avocado_vexfs.vm import boottime, pvh
from avocado_vexfs.vm.guest import READY_MARKER

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "boot")
CASES = sorted(glob.glob(os.path.join(DATA, "*.log")))


@pytest.mark.parametrize("log", CASES, ids=os.path.basename)
def test_guest_marks(log):
    with open(log, encoding="utf-8") as text, \
            open(log[:-len(".log")] + ".json", encoding="utf-8") as expected:
        assert boottime.guest_marks(text.read(), READY_MARKER) == json.load(expected)


def test_phases_add_up_to_the_wall_time():
    with open(CASES[0], encoding="utf-8") as text:
        console = text.read()
    marks = boottime.guest_marks(console, READY_MARKER)
    host = {"begin": 100.0, "qemu_start": 100.1, "qemu_started": 100.6,
            "ready_seen": 100.6 + 0.4 + marks["ready"], "shell": 105.0}
    phases = boottime.phases(host, console, READY_MARKER)
    assert list(phases) == list(boottime.PHASES)
    assert phases["firmware"] == pytest.approx(0.4, abs=0.01)
    assert phases["kernel"] == pytest.approx(marks["run_init"], abs=0.01)
    assert sum(phases.values()) == pytest.approx(host["shell"] - host["begin"], abs=0.05)


def test_a_console_without_the_marker_gives_host_phases_only():
    host = {"begin": 0.0, "qemu_start": 0.1, "qemu_started": 0.5, "ready_seen": 3.0,
            "shell": 3.2}
    assert set(boottime.phases(host, "no timestamps here\n", READY_MARKER)) == {
        "prepare", "qemu", "shell"}


def _elf_with_note(note_type):
    """A 64-bit ELF whose only program header is a PT_NOTE holding one Xen note."""
    desc = b"\0" * 8
    note = struct.pack("<III", 4, len(desc), note_type) + b"Xen\0" + desc
    phoff, phentsize = 64, 56
    note_off = phoff + phentsize
    header = bytearray(64)
    header[:5] = b"\x7fELF\x02"
    struct.pack_into("<Q", header, 0x20, phoff)
    struct.pack_into("<HH", header, 0x36, phentsize, 1)
    phdr = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(note), len(note), 4)
    return bytes(header) + phdr + note


def _bzimage(payload):
    setup = bytearray(2 * 512)  # setup_sects = 1
    setup[0x1f1] = 1
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<II", setup, 0x248, 16, len(payload))
    return bytes(setup) + b"\0" * 16 + payload


@pytest.mark.parametrize("note_type, boots_pvh", [(pvh.XEN_ELFNOTE_PHYS32_ENTRY, True),
                                                  (5, False)])
def test_pvh_elf_from_a_gzip_bzimage(tmp_path, note_type, boots_pvh):
    elf = _elf_with_note(note_type)
    payload = gzip.compress(elf) + struct.pack("<I", len(elf))
    image = tmp_path / "vmlinuz"
    image.write_bytes(_bzimage(payload))
    out = pvh.extract(str(image), str(tmp_path / "vmlinux"))
    assert (out is not None) == boots_pvh
    if boots_pvh:
        assert (tmp_path / "vmlinux").read_bytes() == elf


def test_unknown_payload_boots_the_bzimage(tmp_path):
    image = tmp_path / "vmlinuz"
    image.write_bytes(_bzimage(b"BZh9 not a kernel compression we unpack"))
    assert pvh.extract(str(image), str(tmp_path / "vmlinux")) is None

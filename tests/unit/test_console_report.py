"""The console classifier against golden logs and hostile input.

Each tests/data/console/*.log starts with header lines (syzkaller style):

    TITLE: <expected title>          one per expected crash, in log order
    TYPE: <type>                     applies to the TITLE above it
    FRAME: <guilty function>         optional
    STEP: <step name>                optional
    CORRUPTED: Y                     optional, default N

then a blank line, then the raw console log. A file without TITLE lines must
produce no crash. Adding a case means adding a file.
"""

import json
import os
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from avocado_vexfs.console import formats, guest_crash, parse, parse_file
from avocado_vexfs.console.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "console"
LOGS = sorted(DATA.glob("*.log"))
REPO = Path(__file__).resolve().parents[2]


def load_case(path):
    """Split a golden file into (expected crashes, raw log bytes)."""
    lines = path.read_bytes().split(b"\n")
    expected = []
    i = 0
    while i < len(lines) and lines[i].strip():
        key, sep, value = lines[i].decode().partition(": ")
        assert sep, "%s: header line %d is not 'KEY: value'" % (path.name, i + 1)
        if key == "TITLE":
            expected.append({"title": value, "corrupted": False})
        else:
            assert expected, "%s: %s before any TITLE" % (path.name, key)
            if key == "TYPE":
                expected[-1]["type"] = value
            elif key == "FRAME":
                expected[-1]["frame"] = value
            elif key == "STEP":
                expected[-1]["step"] = value
            elif key == "CORRUPTED":
                expected[-1]["corrupted"] = value == "Y"
            else:
                raise AssertionError("%s: unknown header %s" % (path.name, key))
        i += 1
    return expected, b"\n".join(lines[i + 1:])


def summary(crash, keys):
    return {k: getattr(crash, k) for k in keys}


def test_golden_files_exist():
    names = [p.name for p in LOGS]
    assert len(names) >= 10
    assert any(n.startswith("synthetic-clean") for n in names)


@pytest.mark.parametrize("path", LOGS, ids=[p.name for p in LOGS])
def test_golden_log(path):
    expected, log = load_case(path)
    report = parse(log)
    got = [summary(c, sorted(e)) for c, e in zip(report.crashes, expected)]
    assert len(report.crashes) == len(expected), [c.title for c in report.crashes]
    assert got == expected
    assert report.crashed == bool(expected)
    for crash in report.crashes:
        if crash.type in ("lost-connection", "no-output"):
            continue
        first = crash.text.split("\n", 1)[0].encode()
        assert log[crash.start:crash.start + len(first)] == first
        assert log.count(b"\n", 0, crash.start) + 1 == crash.line
        assert crash.title and "{" not in crash.title


@pytest.mark.parametrize("chunk_size", [7, 4096, 1 << 20])
@pytest.mark.parametrize("path", LOGS, ids=[p.name for p in LOGS])
def test_golden_log_streamed(path, chunk_size, tmp_path):
    """Reading in chunks of any size finds exactly what parse() finds."""
    _, log = load_case(path)
    target = tmp_path / "console.log"
    target.write_bytes(log)
    whole = parse(log)
    streamed = parse_file(str(target), chunk_size=chunk_size)
    assert [c.to_dict() for c in streamed.crashes] == [c.to_dict() for c in whole.crashes]


def crash_of(name, index=0):
    return parse(load_case(DATA / name)[1]).crashes[index]


def test_taint_and_module_are_reported():
    crash = crash_of("synthetic-null-deref.log")
    assert crash.taint == "G           OE"
    assert crash.module == "avocado_vexfs_crash"
    stall = crash_of("synthetic-soft-lockup-and-rcu-stall.log", 1)
    assert stall.taint == "G           OEL"
    gpf = crash_of("synthetic-vexfs-gpf.log")
    assert gpf.module == "vexfs_deadlock_fix"


def test_panic_after_oops_is_part_of_the_oops():
    crash = crash_of("synthetic-kernel-bug-panic-on-oops.log")
    assert "Kernel panic - not syncing: Fatal exception" in crash.text
    assert crash.text.rstrip().endswith("---[ end Kernel panic - not syncing: Fatal exception ]---")
    assert crash.text.startswith("[") and "[ cut here ]" in crash.text.split("\n")[0]


def test_report_text_is_cut_out_not_the_whole_log():
    _, log = load_case(DATA / "synthetic-warn.log")
    crash = parse(log).crashes[0]
    assert "avocado-vexfs: step after-warn" not in crash.text
    assert "leaked 16 objects" not in crash.text
    assert crash.text.split("\n")[-1].endswith("---[ end trace 0000000000000000 ]---")


def test_lone_consequence_panic_is_a_corrupted_panic():
    log = (
        "[   50.000001] Kernel panic - not syncing: Fatal exception\n"
        "[   50.000002] Kernel Offset: 0x2b200000 from 0xffffffff81000000\n"
        "[   50.000003] ---[ end Kernel panic - not syncing: Fatal exception ]---\n"
    )
    crashes = parse(log).crashes
    assert [(c.type, c.title, c.corrupted) for c in crashes] == [
        ("panic", "kernel panic: Fatal exception", True)
    ]


def test_panic_titles_drop_numbers_that_change_between_runs():
    log = stamp("""
Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b
CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 6.12.117+deb12-cloud-amd64 #1
---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b ]---
Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(254,3)
---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(254,3) ]---
""")
    assert [c.title for c in parse(log).crashes] == [
        "kernel panic: Attempted to kill init!",
        "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)",
    ]


def test_oom_is_information_unless_asked():
    _, log = load_case(DATA / "synthetic-clean-oom.log")
    report = parse(log)
    assert not report.crashed
    assert [c.title for c in report.oom_kills] == ["out of memory: killed stress-ng-vm"]
    crashes = parse(log, oom_is_crash=True).crashes
    assert [(c.type, c.title, c.step) for c in crashes] == [
        ("oom", "out of memory: killed stress-ng-vm", "memory-pressure")
    ]


def test_expected_reboot_is_not_a_crash():
    _, log = load_case(DATA / "synthetic-unexpected-reboot.log")
    report = parse(log, expected_reboots=1)
    assert report.boots == 2
    assert not report.crashed


def test_reboot_after_a_crash_is_explained_by_the_crash():
    _, oops = load_case(DATA / "synthetic-kernel-bug-panic-on-oops.log")
    _, boot = load_case(DATA / "synthetic-clean-boot.log")
    crashes = parse(oops + b"\n" + boot).crashes
    assert [c.type for c in crashes] == ["kernel-bug-at"]


def test_lost_connection_and_no_output():
    _, log = load_case(DATA / "synthetic-clean-boot.log")
    report = parse(log, lost_connection=True)
    assert [(c.type, c.title, c.step) for c in report.crashes] == [
        ("lost-connection", "lost connection to test machine", "boot-check")
    ]
    assert [c.type for c in parse(b"", lost_connection=True).crashes] == ["no-output"]
    assert [c.type for c in parse(b" \n\r\n", lost_connection=True).crashes] == ["no-output"]
    _, hang = load_case(DATA / "synthetic-hung-task.log")
    crashes = parse(hang, lost_connection=True).crashes
    assert [c.type for c in crashes] == ["hung-task", "lost-connection"]


def test_guest_crash():
    crash = guest_crash("unexpected-reboot", step="mount", text="boot banner")
    assert (crash.type, crash.title, crash.step, crash.text) == (
        "unexpected-reboot", "unexpected kernel reboot", "mount", "boot banner")
    with pytest.raises(ValueError):
        guest_crash("exploded")


def test_empty_input_is_no_crash(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    for report in (parse(""), parse(b""), parse_file(str(empty))):
        assert not report.crashed
        assert report.boots == 0


def test_binary_garbage_is_no_crash(tmp_path):
    rng = random.Random(5)
    junk = tmp_path / "junk.log"
    junk.write_bytes(rng.randbytes(3 << 20) + b"\x00" * 100000 + b"\xff\xfe" * 70000)
    report = parse_file(str(junk))
    assert not report.crashed
    assert report.oom_kills == []


def test_crash_after_garbage_and_an_endless_line_is_found(tmp_path):
    _, log = load_case(DATA / "synthetic-warn.log")
    rng = random.Random(6)
    junk = rng.randbytes(1 << 20).replace(b"\n", b"x")
    target = tmp_path / "mixed.log"
    target.write_bytes(junk + b"\n" + log)
    crashes = parse_file(str(target), chunk_size=64 * 1024).crashes
    assert [c.title for c in crashes] == ["WARNING in crashmod_warn"]
    assert crashes[0].line == log.count(b"\n", 0, log.find(b"[ cut here ]")) + 2


def test_crlf_line_endings():
    _, log = load_case(DATA / "synthetic-null-deref.log")
    crashes = parse(log.replace(b"\n", b"\r\n")).crashes
    assert [(c.title, c.frame) for c in crashes] == [
        ("BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref", "crashmod_null_deref")
    ]


def test_log_without_timestamps():
    """printk.time=0: reports are still found from the bare lines."""
    _, log = load_case(DATA / "synthetic-refcount-underflow.log")
    bare = b"\n".join(line.split(b"] ", 1)[-1] for line in log.split(b"\n"))
    crashes = parse(bare).crashes
    assert [(c.type, c.frame) for c in crashes] == [("refcount", "crashmod_refcount_underflow")]


def test_user_space_lookalikes_are_ignored_in_a_kernel_log():
    _, boot = load_case(DATA / "synthetic-clean-boot.log")
    noise = (
        b"WARNING: CPU: 0 PID: 1 at fake.c:1 not_the_kernel+0x1/0x2\n"
        b"BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        b"Kernel panic - not syncing: printed by a test script\n"
    )
    assert not parse(boot + noise).crashed


def test_several_crashes_in_one_log_are_all_reported():
    names = ["synthetic-warn.log", "synthetic-kfence-use-after-free.log", "synthetic-hung-task.log"]
    log = b"\n".join(load_case(DATA / n)[1] for n in names)
    crashes = parse(log, expected_reboots=2).crashes
    assert [c.type for c in crashes] == ["warning", "kfence-uaf", "hung-task"]
    assert crashes[0].line < crashes[1].line < crashes[2].line


def test_every_format_can_be_found_by_its_keyword():
    for fmt in formats.FORMATS:
        assert fmt.header is not None and fmt.keyword, fmt
        assert fmt.type and fmt.title
    assert {f.type for f in formats.GUEST_FORMATS} == {
        "lost-connection", "no-output", "unexpected-reboot"}
    types = {f.type for f in formats.FORMATS}
    for needed in ("null-ptr-deref", "paging-request", "gpf", "bug", "warning", "list-corruption",
                   "refcount", "kfence-uaf", "kfence-oob", "kfence-invalid-free", "soft-lockup",
                   "hard-lockup", "rcu-stall", "hung-task", "panic", "lockdep", "kasan", "ubsan",
                   "kernel-bug-at"):
        assert needed in types


def stamp(text, start=100.0):
    """Give each line of a snippet a console timestamp."""
    lines = text.strip("\n").split("\n")
    return "".join("[%12.6f] %s\n" % (start + i * 0.0001, line) for i, line in enumerate(lines))


# Reports from kernels other than Debian's (debug options, older releases):
# too small to deserve a golden file each, but every row must be exercised.
SNIPPETS = [
    ("lockdep", "possible deadlock in vexfs_alloc_block", "vexfs_alloc_block", """
======================================================
WARNING: possible circular locking dependency detected
6.12.0-debug #1 Tainted: G           OE
------------------------------------------------------
sync/705 is trying to acquire lock:
ffff88800a1b2c30 (&sbi->alloc_lock){+.+.}-{4:4}, at: vexfs_alloc_block+0x3c/0x180 [vexfs_deadlock_fix]

but task is already holding lock:
ffff88800a1b2d08 (&type->s_umount_key#45){++++}-{4:4}, at: iterate_supers+0x6e/0xf0

stack backtrace:
CPU: 0 UID: 0 PID: 705 Comm: sync Tainted: G           OE      6.12.0-debug #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 print_circular_bug+0x26a/0x340
 check_noncircular+0x14f/0x170
 __lock_acquire+0x1428/0x2240
 lock_acquire+0xd2/0x2f0
 __mutex_lock+0x99/0xc40
 vexfs_alloc_block+0x3c/0x180 [vexfs_deadlock_fix]
 </TASK>
"""),
    ("kasan", "KASAN: slab-use-after-free Read in vexfs_evict_inode", "vexfs_evict_inode", """
==================================================================
BUG: KASAN: slab-use-after-free in vexfs_evict_inode+0x4e/0x130 [vexfs_deadlock_fix]
Read of size 8 at addr ffff888012345678 by task rm/702

CPU: 1 UID: 0 PID: 702 Comm: rm Tainted: G           OE      6.12.0-kasan #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 print_report+0xcf/0x630
 kasan_report+0xb8/0xf0
 vexfs_evict_inode+0x4e/0x130 [vexfs_deadlock_fix]
 evict+0x10f/0x2a0
 </TASK>

Allocated by task 690:
 kasan_save_stack+0x33/0x60
 vexfs_iget+0x4a/0x2c0 [vexfs_deadlock_fix]
==================================================================
"""),
    ("ubsan", "UBSAN: array-index-out-of-bounds in vexfs_add_entry", "vexfs_add_entry", """
UBSAN: array-index-out-of-bounds in fs/vexfs/dir.c:88:17
index 12 is out of range for type '__u32 [12]'
CPU: 0 UID: 0 PID: 600 Comm: touch Not tainted 6.12.0-ubsan #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 __ubsan_handle_out_of_bounds+0xa3/0xe0
 vexfs_add_entry+0x1e2/0x230 [vexfs_deadlock_fix]
 vexfs_create+0x80/0x120 [vexfs_deadlock_fix]
 </TASK>
---[ end trace ]---
"""),
    ("paging-request", "BUG: unable to handle kernel paging request in vexfs_zero_block", "vexfs_zero_block", """
BUG: unable to handle page fault for address: ffffc90000a3f000
#PF: supervisor write access in kernel mode
#PF: error_code(0x0002) - not-present page
Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI
CPU: 0 UID: 0 PID: 650 Comm: dd Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
RIP: 0010:memset_orig+0x72/0xb0
Call Trace:
 <TASK>
 ? page_fault_oops+0x174/0x450
 ? memset_orig+0x72/0xb0
 vexfs_zero_block+0x2a/0x50 [vexfs_deadlock_fix]
 vexfs_get_block+0x1b4/0x300 [vexfs_deadlock_fix]
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("hard-lockup", "BUG: hard lockup in vexfs_free_block", "vexfs_free_block", """
watchdog: Watchdog detected hard LOCKUP on cpu 1
Modules linked in: vexfs_deadlock_fix(OE)
CPU: 1 UID: 0 PID: 710 Comm: fsstress Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
RIP: 0010:native_queued_spin_lock_slowpath+0x6e/0x2c0
Call Trace:
 <NMI>
 ? watchdog_hardlockup_check+0x1a0/0x260
 </NMI>
 <TASK>
 _raw_spin_lock_irqsave+0x3d/0x50
 vexfs_free_block+0x28/0xc0 [vexfs_deadlock_fix]
 </TASK>
"""),
    ("bug", "BUG: scheduling while atomic in vexfs_writeback_work", "vexfs_writeback_work", """
BUG: scheduling while atomic: kworker/0:1/33/0x00000002
Modules linked in: vexfs_deadlock_fix(OE)
CPU: 0 UID: 0 PID: 33 Comm: kworker/0:1 Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 __schedule_bug+0x54/0x70
 __schedule+0x8a0/0xbf0
 schedule+0x27/0xf0
 vexfs_writeback_work+0x6c/0x120 [vexfs_deadlock_fix]
 process_one_work+0x177/0x330
 </TASK>
"""),
    ("null-ptr-deref", "BUG: unable to handle kernel NULL pointer dereference in vexfs_lookup", "vexfs_lookup", """
BUG: kernel NULL pointer dereference, address: 0000000000000000
#PF: supervisor read access in kernel mode
#PF: error_code(0x0000) - not-present page
PGD 0 P4D 0
Oops: 0000 [#1] PREEMPT SMP NOPTI
CPU: 0 PID: 612 Comm: ls Tainted: G           OE      6.1.0-28-cloud-amd64 #1  Debian 6.1.119-1
RIP: 0010:vexfs_lookup+0x21/0x90 [vexfs]
Call Trace:
 <TASK>
 ? __die+0x23/0x70
 ? page_fault_oops+0x171/0x4e0
 __lookup_slow+0x81/0x130
 walk_component+0xdb/0x150
 </TASK>
Modules linked in: vexfs(OE)
CR2: 0000000000000000
---[ end trace 0000000000000000 ]---
"""),
    ("kfence-oob", "KFENCE: out-of-bounds write in vexfs_fill_super", "vexfs_fill_super", """
==================================================================
BUG: KFENCE: out-of-bounds write in vexfs_fill_super+0x1c4/0x3a0 [vexfs]

Out-of-bounds write at 0x00000000a1b2c3d4 (32B right of kfence-#3):
 vexfs_fill_super+0x1c4/0x3a0 [vexfs]
 mount_bdev+0xf3/0x130

kfence-#3: 0x000000001234abcd-0x00000000dcba4321, size=32, cache=kmalloc-32

CPU: 0 UID: 0 PID: 640 Comm: mount Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
==================================================================
"""),
    ("rcu-stall", "INFO: rcu detected stall in vexfs_find_free_block", "vexfs_find_free_block", """
rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
rcu: \t1-...0: (1 GPs behind) idle=3f4c/1/0x4000000000000000 softirq=5010/5011 fqs=2480
rcu: \t(detected by 0, t=5252 jiffies, g=12345, q=50 ncpus=2)
Sending NMI from CPU 0 to CPUs 1:
NMI backtrace for cpu 1
CPU: 1 UID: 0 PID: 710 Comm: fsstress Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
RIP: 0010:vexfs_find_free_block+0x40/0x90 [vexfs_deadlock_fix]
Call Trace:
 <TASK>
 vexfs_alloc_block+0x60/0x180 [vexfs_deadlock_fix]
 vexfs_get_block+0x1b4/0x300 [vexfs_deadlock_fix]
 </TASK>
"""),
    ("hung-task", "INFO: task hung in vexfs_sync_fs", "vexfs_sync_fs", """
INFO: task sync:705 blocked for more than 30 seconds.
      Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
task:sync            state:D stack:0     pid:705   tgid:705   ppid:598    flags:0x00004002
Call Trace:
 <TASK>
 __schedule+0x403/0xbf0
 ? vexfs_stale_helper+0x10/0x40 [vexfs_deadlock_fix]
 schedule+0x27/0xf0
 ? __pfx_vexfs_sync_fs+0x10/0x10 [vexfs_deadlock_fix]
 schedule_preempt_disabled+0x15/0x30
 __mutex_lock.constprop.0+0x3a9/0x6c0
 vexfs_sync_fs+0x2c/0xa0 [vexfs_deadlock_fix]
 iterate_supers+0x7e/0xf0
 </TASK>
"""),
]


SNIPPETS += [
    ("warning", "WARNING in func", "func", """
WARNING: CPU: 0 PID: 1 at fs/foo.c:12 func+0x1/0x2
Call Trace:
 <TASK>
 func+0x1/0x2
 do_one_initcall+0x5e/0x2e0
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("warning", "WARNING in vexfs_put_super", "vexfs_put_super", """
------------[ cut here ]------------
WARNING: fs/vexfs/super.c:88 at vexfs_put_super+0x9c/0xe0 [vexfs], CPU#1: umount/700
Modules linked in: vexfs(OE)
RIP: 0010:vexfs_put_super+0x9c/0xe0 [vexfs]
Call Trace:
 <TASK>
 generic_shutdown_super+0x7c/0x180
 kill_block_super+0x1a/0x40
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("refcount", "WARNING: refcount bug in vexfs_put_inode", "vexfs_put_inode", """
------------[ cut here ]------------
refcount_t: underflow; use-after-free.
WARNING: lib/refcount.c:28 at refcount_warn_saturate+0xba/0x110, CPU#0: rm/702
RIP: 0010:refcount_warn_saturate+0xba/0x110
Call Trace:
 <TASK>
 vexfs_put_inode+0x4e/0x60 [vexfs]
 evict+0x10f/0x2a0
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("warning", "WARNING in crashmod_uninit_mutex", "crashmod_uninit_mutex", """
------------[ cut here ]------------
DEBUG_LOCKS_WARN_ON(lock->magic != lock)
WARNING: CPU: 0 PID: 446 at kernel/locking/mutex.c:587 __mutex_lock+0xd0e/0x1450
Modules linked in: avocado_vexfs_crash(OE)
RIP: 0010:__mutex_lock+0xd0e/0x1450
Call Trace:
 <TASK>
 ? __warn+0xcc/0x270
 ? __mutex_lock+0xd0e/0x1450
 ? report_bug+0x2ad/0x460
 ? handle_bug+0x5d/0xa0
 ? exc_invalid_op+0x18/0x50
 ? asm_exc_invalid_op+0x1a/0x20
 mutex_lock_nested+0x1b/0x30
 crashmod_uninit_mutex+0x2d/0x60 [avocado_vexfs_crash]
 crashmod_trigger_write+0x10e/0x1a0 [avocado_vexfs_crash]
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("kasan", "KASAN: invalid-free in vexfs_evict_inode", "vexfs_evict_inode", """
==================================================================
BUG: KASAN: double-free or invalid-free in kfree+0x10e/0x470
CPU: 1 PID: 702 Comm: rm Tainted: G           OE      5.15.0-kasan #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 print_address_description.constprop.0+0x1f/0x140
 kasan_report_invalid_free+0x51/0x80
 ____kasan_slab_free+0x153/0x180
 kfree+0x10e/0x470
 vexfs_evict_inode+0x6e/0x130 [vexfs]
 evict+0x10f/0x2a0
 </TASK>
==================================================================
"""),
    ("ubsan", "UBSAN: undefined-behaviour in vexfs_hash", "vexfs_hash", """
================================================================================
UBSAN: Undefined behaviour in fs/vexfs/dir.c:40:18
shift exponent 40 is too large for 32-bit type 'unsigned int'
CPU: 0 PID: 600 Comm: touch Not tainted 4.19.0-ubsan #1
Call Trace:
 dump_stack+0x9a/0xeb
 ubsan_epilogue+0x9/0x7a
 __ubsan_handle_shift_out_of_bounds+0x1b5/0x20b
 vexfs_hash+0x5c/0x70 [vexfs]
 vexfs_add_entry+0x1e2/0x230 [vexfs]
================================================================================
"""),
    ("bug", "stack segment fault in vexfs_read_block", "vexfs_read_block", """
stack segment: 0000 [#1] SMP NOPTI
CPU: 0 PID: 650 Comm: cat Tainted: G           OE      5.10.0-28-amd64 #1
RIP: 0010:vexfs_read_block+0x3c/0x90 [vexfs]
Call Trace:
 vexfs_readpage+0x60/0x120 [vexfs]
 filemap_read_page+0x45/0xf0
---[ end trace 0000000000000000 ]---
"""),
    ("bug", "BUG: Bad rss-counter state", "", """
BUG: Bad rss-counter state mm:00000000a1b2c3d4 type:MM_FILEPAGES val:-1
"""),
    ("lockdep", "WARNING: suspicious RCU usage in vexfs_lookup_rcu", "vexfs_lookup_rcu", """
=============================
WARNING: suspicious RCU usage
6.12.117 #1 Tainted: G           OE
-----------------------------
fs/vexfs/namei.c:51 suspicious rcu_dereference_check() usage!

other info that might help us debug this:

rcu_scheduler_active = 2, debug_locks = 1
no locks held by ls/612.

stack backtrace:
CPU: 0 UID: 0 PID: 612 Comm: ls Tainted: G           OE      6.12.117 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x77/0xb0
 lockdep_rcu_suspicious+0x163/0x1b0
 vexfs_lookup_rcu+0x8a/0xc0 [vexfs]
 vexfs_lookup+0x21/0x90 [vexfs]
 </TASK>
"""),
    ("lockdep", "possible deadlock in vexfs_end_io", "vexfs_end_io", """
=====================================================
WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected
6.12.117 #1 Tainted: G           OE
-----------------------------------------------------
kworker/0:2/88 [HC0[0]:SC0[0]:HE1:SE1] is trying to acquire:
ffff88800a1b2c30 (&sbi->alloc_lock){+.+.}-{3:3}, at: vexfs_end_io+0x2c/0x90 [vexfs]

and this task is already holding:
ffff88800a1b2d08 (&sbi->io_lock){+.-.}-{3:3}, at: vexfs_end_io+0x1a/0x90 [vexfs]

stack backtrace:
CPU: 0 UID: 0 PID: 88 Comm: kworker/0:2 Tainted: G           OE      6.12.117 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x77/0xb0
 __lock_acquire+0x1428/0x2240
 lock_acquire+0x1b1/0x560
 _raw_spin_lock+0x2b/0x40
 vexfs_end_io+0x2c/0x90 [vexfs]
 </TASK>
"""),
    ("null-ptr-deref", "BUG: unable to handle kernel NULL pointer dereference in vexfs_lookup", "vexfs_lookup", """
Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008
Mem abort info:
  ESR = 0x0000000096000006
Internal error: Oops: 0000000096000006 [#1] PREEMPT SMP
Modules linked in: vexfs(OE)
CPU: 1 UID: 0 PID: 612 Comm: ls Tainted: G           OE      6.12.117 #1
pstate: 60400005 (nZCv daif +PAN -UAO -TCO -DIT -SSBS BTYPE=--)
pc : vexfs_lookup+0x24/0x90 [vexfs]
lr : __lookup_slow+0x88/0x130
Call trace:
 vexfs_lookup+0x24/0x90 [vexfs]
 __lookup_slow+0x88/0x130
 walk_component+0xdc/0x150
Code: f9400260 b4000080 f9400400 (f9400401)
---[ end trace 0000000000000000 ]---
"""),
    ("panic", "kernel panic: stack is corrupted in vexfs_readdir", "vexfs_readdir", """
Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: vexfs_readdir+0x1a2/0x1b0 [vexfs]
CPU: 0 UID: 0 PID: 612 Comm: ls Tainted: G           OE      6.12.117 #1
Call Trace:
 <TASK>
 dump_stack_lvl+0x5d/0x80
 panic+0x118/0x2f0
 __stack_chk_fail+0x14/0x20
 vexfs_readdir+0x1a2/0x1b0 [vexfs]
 </TASK>
Kernel Offset: 0x2b200000 from 0xffffffff81000000
---[ end Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: vexfs_readdir+0x1a2/0x1b0 [vexfs] ]---
"""),
    ("bug", "BUG: stack guard page was hit in vexfs_recurse_dir", "vexfs_recurse_dir", """
BUG: TASK stack guard page was hit at 00000000f00ba4c3 (stack is 00000000abcd1234..00000000ef015678)
Oops: stack guard page: 0000 [#1] PREEMPT SMP NOPTI
CPU: 0 UID: 0 PID: 612 Comm: ls Tainted: G           OE      6.12.117 #1
RIP: 0010:vexfs_recurse_dir+0x19/0x50 [vexfs]
Call Trace:
 <#DF>
 ? die+0x36/0x90
 ? handle_stack_overflow+0x4d/0x60
 ? exc_double_fault+0x127/0x1a0
 ? asm_exc_double_fault+0x1f/0x30
 </#DF>
 <TASK>
 vexfs_recurse_dir+0x2e/0x50 [vexfs]
 vexfs_recurse_dir+0x2e/0x50 [vexfs]
 </TASK>
---[ end trace 0000000000000000 ]---
"""),
    ("kcsan", "KCSAN: data-race in vexfs_inc_nlink", "vexfs_inc_nlink", """
==================================================================
BUG: KCSAN: data-race in vexfs_inc_nlink+0x1c/0x40 [vexfs]

race at unknown origin, with read to 0xffff88800a1b2c30 of 4 bytes by task 612 on cpu 0:
 vexfs_inc_nlink+0x1c/0x40 [vexfs]
 vexfs_link+0x5a/0xa0 [vexfs]

value changed: 0x00000002 -> 0x00000003

Reported by Kernel Concurrency Sanitizer on:
CPU: 0 UID: 0 PID: 612 Comm: ln Not tainted 6.12.117 #1
==================================================================
"""),
]


@pytest.mark.parametrize("kind,title,frame,text", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_format_rows(kind, title, frame, text):
    crashes = parse(stamp(text)).crashes
    assert [(c.type, c.title, c.frame, c.corrupted) for c in crashes] == [(kind, title, frame, False)]


# Frames a report is raised through but that are never the culprit, by kind.
GENERIC_FRAMES = [
    # objects, lists, reference counts
    "kobject_put", "__list_add_valid_or_report", "__list_del_entry_valid_or_report", "list_del",
    "refcount_warn_saturate", "kref_put", "atomic_dec_and_test",
    # sanitizer report printers, compiler-inserted checks, coverage hooks
    "kasan_report", "print_address_description", "__asan_load8", "__asan_report_store1_noabort",
    "____kasan_slab_free", "__ubsan_handle_out_of_bounds", "kmsan_report", "__msan_warning",
    "__sanitizer_cov_trace_pc", "kcsan_setup_watchpoint", "kfence_report_error",
    # preemption checks, BUG/WARN traps
    "check_preemption_disabled", "debug_smp_processor_id", "do_invalid_op", "exc_invalid_op", "handle_bug",
    # usercopy
    "__check_object_size", "__check_heap_object", "copy_from_user", "_copy_from_user", "_copy_to_user",
    "copy_to_user", "__copy_from_user_inatomic", "strncpy_from_user",
    # lockdep and lock primitives
    "lock_acquire", "__lock_acquire", "lock_release", "mark_lock", "validate_chain", "print_circular_bug",
    "_raw_spin_lock", "_raw_spin_lock_irqsave", "do_raw_spin_lock", "mutex_lock_nested", "__mutex_lock",
    "down_write", "down_read_killable", "up_write", "rwsem_down_write_slowpath",
    # allocation and freeing
    "kmemleak_alloc", "__kmalloc_noprof", "__kmalloc_cache_noprof", "kmalloc_trace", "kmalloc_trace_noprof",
    "kmem_cache_alloc_noprof", "kmem_cache_alloc_lru_noprof", "slab_post_alloc_hook", "kvmalloc_node_noprof",
    "kzalloc", "kfree", "kmem_cache_free", "kstrdup",
    # string and memory functions
    "memcpy_orig", "__memset", "strscpy_pad", "strlen",
]
CULPRIT_FRAMES = ["vexfs_sync_fs", "atomic_open", "list_lru_add", "kthread_worker_fn", "update_time",
                  "strict_strtoul_scaled", "upcall_notify", "downgrade_ref", "vfs_write"]


def kernel_bug_with_top_frame(top, culprit="vexfs_sync_fs"):
    """A BUG() without a RIP line, so that the title comes from the stack."""
    return stamp("""
kernel BUG at fs/vexfs/super.c:120!
Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI
Call Trace:
 <TASK>
 %s+0x10/0x20
 %s+0x2c/0xa0 [vexfs]
 iterate_supers+0x7e/0xf0
 </TASK>
---[ end trace 0000000000000000 ]---
""" % (top, culprit))


@pytest.mark.parametrize("helper", GENERIC_FRAMES)
def test_generic_helpers_are_never_guilty(helper):
    crashes = parse(kernel_bug_with_top_frame(helper)).crashes
    assert [(c.title, c.frame) for c in crashes] == [("kernel BUG in vexfs_sync_fs", "vexfs_sync_fs")]


@pytest.mark.parametrize("culprit", CULPRIT_FRAMES)
def test_look_alike_names_are_culprits(culprit):
    crashes = parse(kernel_bug_with_top_frame(culprit, culprit="vexfs_caller")).crashes
    assert [c.frame for c in crashes] == [culprit]


STALL_FRAMES = ["rcu_sched_clock_irq", "rcu_pending", "check_cpu_stall", "print_cpu_stall", "rcu_dump_cpu_stacks",
                "update_process_times", "tick_nohz_handler", "tick_sched_handle", "__hrtimer_run_queues",
                "hrtimer_interrupt", "__sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
                "nmi_cpu_backtrace", "dump_cpu_task", "native_queued_spin_lock_slowpath"]


@pytest.mark.parametrize("helper", STALL_FRAMES)
def test_stall_interrupt_frames_are_never_guilty(helper):
    log = stamp("""
rcu: INFO: rcu_preempt self-detected stall on CPU
rcu: \t0-....: (21002 ticks this GP) idle=3f4c/1/0x4000000000000000 softirq=5010/5010 fqs=5250
Call Trace:
 <IRQ>
 %s+0x10/0x20
 </IRQ>
 <TASK>
 vexfs_find_free_block+0x40/0x90 [vexfs]
 vexfs_alloc_block+0x60/0x180 [vexfs]
 </TASK>
""" % helper)
    crashes = parse(log).crashes
    assert [c.title for c in crashes] == ["INFO: rcu detected stall in vexfs_find_free_block"]


@pytest.mark.parametrize("wrapper,name", [
    ("__x64_sys_fsync", "fsync"), ("__se_sys_fsync", "fsync"), ("__do_sys_fsync", "fsync"),
    ("SyS_fsync", "fsync"), ("sys_fsync", "fsync"), ("__ia32_compat_sys_ioctl", "ioctl"),
    ("__arm64_sys_openat", "openat"),
])
def test_syscall_wrappers_are_titled_by_the_syscall(wrapper, name):
    crashes = parse(kernel_bug_with_top_frame("mutex_lock_nested", culprit=wrapper)).crashes
    assert [(c.title, c.frame) for c in crashes] == [("kernel BUG in %s" % name, name)]


def test_odebug_report_starts_at_its_message():
    crash = crash_of("synthetic-odebug.log")
    assert "ODEBUG: free active (active state 0)" in crash.text.split("\n")[1]
    assert "[ cut here ]" in crash.text.split("\n")[0]


def test_kmemleak_reports_end_with_their_backtrace():
    _, log = load_case(DATA / "synthetic-kmemleak.log")
    first, second = parse(log).crashes
    assert first.text.split("\n")[-1].endswith("entry_SYSCALL_64_after_hwframe+0x76/0x7e")
    assert "unreferenced object" not in first.text.split("\n", 1)[1]
    assert "avocado-vexfs: step unload-fixture" not in second.text


def test_lockdep_report_runs_to_its_own_stack():
    """Lockdep prints chains and held locks for longer than QUIET_LINES before its stack."""
    crash = crash_of("synthetic-lockdep-circular.log")
    assert crash.text.split("\n")[-1].endswith("</TASK>")
    assert "print_circular_bug" in crash.text


def test_panic_on_warn_keeps_the_warning_whole():
    """With panic_on_warn the panic cuts in before "end trace": still one clean WARNING."""
    _, log = load_case(DATA / "synthetic-warn.log")
    end = b"[   12.999999] ---[ end trace 0000000000000000 ]---"
    lines = [l for l in log.split(b"\n") if b"---[ end trace" not in l]
    cut = next(i for i, l in enumerate(lines) if b"</TASK>" in l)
    panic = [
        b"[   13.000001] Kernel panic - not syncing: kernel: panic_on_warn set ...",
        b"[   13.000002] CPU: 0 UID: 0 PID: 615 Comm: bash Tainted: G           OE      6.12.117+deb12-cloud-amd64 #1",
        b"[   13.000003] Call Trace:",
        b"[   13.000004]  <TASK>",
        b"[   13.000005]  dump_stack_lvl+0x5d/0x80",
        b"[   13.000006]  panic+0x118/0x2f0",
        b"[   13.000007]  check_panic_on_warn+0x4f/0x60",
        b"[   13.000008]  </TASK>",
        b"[   13.000009] Kernel Offset: 0x2b200000 from 0xffffffff81000000",
        b"[   13.000010] ---[ end Kernel panic - not syncing: kernel: panic_on_warn set ... ]---",
    ]
    assert end not in log
    crashes = parse(b"\n".join(lines[:cut + 1] + panic)).crashes
    assert [(c.title, c.corrupted) for c in crashes] == [("WARNING in crashmod_warn", False)]
    assert "panic_on_warn set" in crashes[0].text


def test_panic_after_other_output_still_belongs_to_the_report():
    """hung_task_panic: CPU backtraces come between the report and the panic."""
    _, log = load_case(DATA / "synthetic-hung-task.log")
    more = stamp("""
Sending NMI from CPU 0 to CPUs 1:
NMI backtrace for cpu 1 skipped: idling at default_idle+0x9/0x20
Kernel panic - not syncing: hung_task: blocked tasks
Kernel Offset: 0x2b200000 from 0xffffffff81000000
---[ end Kernel panic - not syncing: hung_task: blocked tasks ]---
""", start=200.0).encode()
    crashes = parse(log + more).crashes
    assert [(c.type, c.corrupted) for c in crashes] == [("hung-task", False)]
    assert "Kernel panic - not syncing: hung_task: blocked tasks" in crashes[0].text


def test_lines_of_other_tasks_stay_out_of_the_report():
    crash = crash_of("synthetic-caller-id-interleaved-hung-task.log")
    assert "vexfs_sync_fs+0x2c/0xa0" in crash.text
    assert "pos 16384" not in crash.text
    assert all("[   T40] " in line for line in crash.text.split("\n"))


def test_warning_flood_is_capped():
    one = stamp("""
------------[ cut here ]------------
WARNING: CPU: 0 PID: 700 at fs/vexfs/inode.c:120 vexfs_write_inode+0x9c/0xe0 [vexfs]
Call Trace:
 <TASK>
 write_inode+0x3c/0xa0
 </TASK>
---[ end trace 0000000000000000 ]---
""")
    report = parse(one * 150)
    assert len(report.crashes) == 100
    assert report.dropped == 50
    assert {c.title for c in report.crashes} == {"WARNING in vexfs_write_inode"}


def make_big_log(path, size_mb):
    """A size_mb console log of realistic chatter with two crashes in it.

    :returns: the 1-based line numbers of the two crash headers.
    """
    _, warn = load_case(DATA / "synthetic-warn.log")
    _, hang = load_case(DATA / "synthetic-hung-task.log")
    warn = warn[warn.index(b"avocado-vexfs: step trigger-warn") - 15:].rstrip(b"\n") + b"\n"
    hang = hang[hang.index(b"avocado-vexfs: step trigger-hang") - 15:].rstrip(b"\n") + b"\n"
    rows = []
    for i in range(4000):
        t = 100 + i * 0.0007
        rows.append(b"[%12.6f] vexfs_write_begin: called with pos=%d, len=4096" % (t, i * 4096))
        rows.append(b"[%12.6f] vexfs_get_block: ENTRY - block=%d, create=1, inode=000000003a1b2c4d" % (t, i % 12))
        rows.append(b"[%12.6f] vexfs_alloc_file_block: allocated block %d, storing in vi->i_blocks[%d]" % (t, 300 + i, i % 12))
        if i % 20 == 0:
            rows.append(b"[%12.6f] VexFS: DEBUG: sync flushed %d blocks, no corruption, no stall" % (t, i))
        if i % 50 == 0:
            rows.append(b"Jobs: 1 (f=1): [w(1)][%d.0%%][w=11.2MiB/s][w=2867 IOPS][eta 00m:05s]" % (i % 100))
            rows.append(b"[%12.6f] avocado-vexfs: step soak-%d" % (t, i))
        if i % 400 == 0:
            rows.append(b"WARNING: apt does not have a stable CLI interface. Use with caution in scripts.")
    block = b"\n".join(rows) + b"\n"
    block_lines = block.count(b"\n")
    blocks = max(2, -(-(size_mb << 20) // len(block)))
    lines = 0
    headers = []
    with open(path, "wb") as out:
        for n in range(blocks):
            if n == blocks // 2:
                headers.append(lines + warn[:warn.index(b"[ cut here ]")].count(b"\n") + 1)
                out.write(warn)
                lines += warn.count(b"\n")
            out.write(block)
            lines += block_lines
        headers.append(lines + hang[:hang.index(b"INFO: task")].count(b"\n") + 1)
        out.write(hang)
    return headers


def test_big_log_bounded_memory_and_speed(tmp_path):
    path = tmp_path / "big.log"
    lines = make_big_log(path, 100)
    size_mb = path.stat().st_size / (1 << 20)
    assert size_mb >= 100

    began = time.perf_counter()
    report = parse_file(str(path))
    elapsed = time.perf_counter() - began
    print("\nclassifier: %.0f MB in %.2f s = %.0f MB/s" % (size_mb, elapsed, size_mb / elapsed))
    assert [(c.title, c.line) for c in report.crashes] == [
        ("WARNING in crashmod_warn", lines[0]),
        ("INFO: task hung in crashmod_hang", lines[1]),
    ]
    assert report.crashes[0].step == "trigger-warn"

    tracemalloc.start()
    try:
        again = parse_file(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print("classifier: peak traced memory %.1f MB" % (peak / (1 << 20)))
    assert len(again.crashes) == 2
    assert peak < 64 << 20


def test_cli_prints_one_json_line_per_file(capsys):
    crashed = DATA / "synthetic-null-deref.log"
    clean = DATA / "synthetic-clean-boot.log"
    assert main([str(crashed), str(clean)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == [str(crashed), str(clean)]
    first, second = rows
    assert first["crashed"] is True
    assert first["type"] == "null-ptr-deref"
    assert first["title"] == "BUG: unable to handle kernel NULL pointer dereference in crashmod_null_deref"
    assert first["frame"] == "crashmod_null_deref"
    assert first["corrupted"] is False
    assert len(first["crashes"]) == 1 and "text" not in first["crashes"][0]
    assert first["crashes"][0]["step"] == "trigger-null"
    assert (second["crashed"], second["type"], second["crashes"]) == (False, "", [])


def test_cli_text_flag_includes_report_text(capsys):
    assert main(["--text", str(DATA / "synthetic-panic.log")]) == 0
    row = json.loads(capsys.readouterr().out)
    assert "Kernel panic - not syncing: avocado-vexfs fixture panic" in row["crashes"][0]["text"]


def test_cli_unreadable_file_exits_2_with_one_line(capsys, tmp_path):
    missing = tmp_path / "missing.log"
    good = DATA / "synthetic-warn.log"
    assert main([str(missing), str(good), str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(good)]
    errors = err.splitlines()
    assert len(errors) == 2
    assert str(missing) in errors[0] and "cannot read" in errors[0]
    assert str(tmp_path) in errors[1]


def test_python_dash_m(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "avocado_vexfs.console", str(DATA / "synthetic-hung-task.log")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == "INFO: task hung in crashmod_hang"
    missing = subprocess.run(
        [sys.executable, "-m", "avocado_vexfs.console", str(tmp_path / "nope.log")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1

"""The table of kernel report formats the classifier knows.

Formats are data, as in syzkaller's pkg/report: adding a kind of crash means
adding a row here and a log under tests/data/console/, not new code. Each row
says how to recognise the first line of a report, what to call it, where the
guilty function is found and which frames are plumbing rather than culprits.

Rows are tried in order, so specific rows (a WARNING raised from
lib/refcount.c) come before general ones (any WARNING).
"""

import re
from dataclasses import dataclass
from typing import Optional, Pattern, Tuple

# Markers shared by many rows.
END_TRACE = re.compile(r"---\[ end trace(?: [0-9a-f]+)? \]---")
# With panic=-1 (reboot at once) panic() resets before its "end Kernel panic" line;
# "Kernel Offset:" comes from the panic notifier after the stack, so it ends one too.
END_PANIC = re.compile(r"---\[ end Kernel panic - not syncing|Kernel Offset: ")
END_KFENCE = re.compile(r"={20,}\s*$")
# UBSAN ends with "end trace" in current kernels (a "cut here" opens it), with
# a rule of '=' in older ones.
END_UBSAN = re.compile(END_TRACE.pattern + "|" + END_KFENCE.pattern)
CALL_TRACE = re.compile(r"Call [Tt]race:")
KFENCE_STACK = re.compile(r"(Use-after-free|Out-of-bounds|Invalid|Corrupted memory)\b")

# A frame name as printed by %pS, without offset: letters, digits, '_', and
# '.' for compiler clones (foo.cold, foo.isra.0, foo.constprop.0).
FUNC = r"[A-Za-z_][A-Za-z0-9_.$]*"


@dataclass(frozen=True)
class Format:
    """One kind of kernel (or guest-level) report.

    :param type: short stable name of the kind, e.g. ``"warning"``.
    :param title: title template in syzkaller style; ``{func}`` is the guilty
        function, other ``{names}`` come from named groups of ``header`` or
        ``extra``. When a name is missing the title falls back to
        ``fallback`` (or to the template without its `` in {func}`` part).
    :param header: matched with ``re.match`` against a console line whose
        timestamp/caller prefix was removed; ``None`` for guest-level kinds
        that no log line can show (they come from flags of ``parse``).
    :param keyword: a literal every header line contains; all keywords form
        one pre-filter so that most lines of a big log are never looked at.
        Few, short and shared keywords keep that pre-filter fast: ``BUG``
        covers every ``BUG:`` row, ``[#`` every oops counter (``[#1]``).
    :param frame_from: where to look for the guilty function, in order:
        ``"header"`` (group ``func`` of the header), ``"rip"`` (where the CPU
        was: x86's ``RIP:``, arm's ``PC is at``), ``"stack"`` (reliable frames
        after ``stack_start``),
        ``"lock"`` (the first ``at: func+0x...`` of a lockdep report: the
        lock it is about).
    :param skip: extra regexes (full match on the frame name) of frames that
        are machinery, added to ``COMMON_SKIP``.
    :param end: the line that closes the report; a report cut off before it
        (log ended, next report started) is marked corrupted. ``None`` means
        the report ends after its stack (``</TASK>``) or at a length cap.
    :param needs_stack: a report without any stack frame is corrupted.
    :param absorbs: follow-on headers that belong to this report rather than
        starting a new one (``kernel BUG at lib/list_debug.c`` after a
        ``list_del corruption`` line).
    :param extra: searched in the report body; its named groups fill the title.
    :param fallback: title used when a template name is missing.
    :param stack_start: the line after which stack frames are read.
    :param corrupted: rows that match only the remains of a report.
    :param info: not a crash unless the caller says so (the OOM killer).
    :param line_prefix: what the kernel's ``pr_fmt`` puts before every line of
        the report (``"kmemleak: "``); it is dropped before the lines are read.
    """

    type: str
    title: str
    header: Optional[Pattern] = None
    keyword: str = ""
    frame_from: Tuple[str, ...] = ("rip", "stack")
    skip: Tuple[str, ...] = ()
    end: Optional[Pattern] = END_TRACE
    needs_stack: bool = True
    absorbs: Tuple[Pattern, ...] = ()
    extra: Optional[Pattern] = None
    fallback: str = ""
    stack_start: Pattern = CALL_TRACE
    corrupted: bool = False
    info: bool = False
    line_prefix: str = ""


def _re(pattern: str) -> Pattern:
    """Compile a header regex in which {FUNC} stands for a frame name."""
    return re.compile(pattern.replace("{FUNC}", FUNC))


def _warning_at(source: str) -> Pattern:
    """A WARNING raised in `source`, in either order the kernel prints it
    ("WARNING: CPU: 0 PID: 1 at lib/refcount.c:25 ..." or, in newer kernels,
    "WARNING: lib/refcount.c:25 at ...")."""
    return re.compile(r"WARNING: (?:CPU: \d+ PID: \d+ at )?%s:\d+ " % re.escape(source))


# Frames that are never the culprit, by what they are. Each list is a tuple
# of regexes matched in full against a frame name without its .suffix; the
# skip list of a format is COMMON_SKIP plus its own ``skip``.

# The reporting machinery, and the exception, interrupt and syscall entry
# code a report is raised through.
REPORT_SKIP: Tuple[str, ...] = (
    r"__pfx_.*",
    r"dump_stack(_lvl)?|show_stack|show_regs.*|__show_regs|show_trace_log_lvl|dump_backtrace",
    r"__warn|__warn_printk|warn_slowpath.*|report_bug|handle_bug|fixup_bug|warn_alloc",
    r"die|die_addr|__die|__die_body|oops_end|do_trap|do_error_trap|do_int3.*|do_invalid_op|invalid_op",
    r"handle_invalid_op|exc_.*|asm_exc_.*|asm_sysvec_.*|sysvec_.*|__sysvec_.*",
    r"page_fault_oops|kernelmode_fixup_or_oops|no_context|__bad_area.*|bad_area.*",
    r"do_user_addr_fault|do_kern_addr_fault|spurious_kernel_fault|fixup_exception",
    r"irq_exit_rcu|__irq_exit_rcu|handle_softirqs|__do_softirq|do_softirq.*",
    r"do_syscall_64|do_syscall_.*|entry_SYSCALL.*|x64_sys_call",
    r"ret_from_fork.*|kthread",
    r"panic|vpanic|nmi_panic|check_panic_on_warn",
    r"print_report|print_address_description.*|print_error_description|print_tainted|print_modules",
    r"print_hex_dump.*|printk|_printk|vprintk.*|_?_?dev_(?:printk|emerg|alert|crit|err|warn|notice|info)",
    r"__stack_chk_fail|__fortify_.*|fortify_panic",
    r"check_preemption_disabled|debug_smp_processor_id|__this_cpu_preempt_check",
    r"debug_print_object|debug_object_.*|__debug_object_.*|debug_check_no_obj_freed|__debug_check_no_obj_freed",
)

# The sanitizers' own frames: their report printers, the checks the compiler
# inserts (``__asan_load8``, ``__ubsan_handle_*``) and coverage hooks.
SANITIZER_SKIP: Tuple[str, ...] = (
    r"_*(?:kasan|kmsan|kcsan|kfence|kmemleak|ubsan)_.*|__(?:asan|hwasan|msan|tsan|sanitizer_cov|kcov)_.*",
    r"check_memory_region.*|check_slab_allocation|write_comp_data|create_object.*|__create_object",
    r"instrument_.*",
)

# Lockdep and the lock primitives: the culprit takes, holds or drops the lock.
LOCK_SKIP: Tuple[str, ...] = (
    r"lockdep_.*|__lockdep_.*|lock_acquire.*|lock_release|lock_acquired|lock_contended|__lock_acquire.*",
    r"__lock_release|lock_is_held.*|lock_set_class|lock_downgrade|lock_sync|debug_locks_off.*",
    r"mark_lock.*|mark_held_locks|mark_usage|validate_chain|check_prevs?_add|check_noncircular|check_path.*",
    r"check_irq_usage|check_deadlock|check_flags|__bfs.*|hlock_class|register_lock_class|look_up_lock_class",
    r"reacquire_held_locks|find_held_lock|debug_check_no_locks_.*|print_.*_bug.*|print_lock.*|print_held_locks.*",
    r"print_bad_irq_dependency|print_irqtrace_events|print_deadlock_scenario|print_circular_lock_scenario",
    r"_raw_(?:spin|read|write)_.*|__raw_(?:spin|read|write)_.*|do_raw_(?:spin|read|write)_.*",
    r"native_queued_spin_lock_slowpath|queued_(?:spin|read|write)_lock.*|__pv_queued_spin_.*",
    r"(?:__)?mutex_(?:lock|unlock|trylock).*|__mutex_.*|ww_mutex_.*|__ww_mutex_.*|rt_mutex_.*|__rt_mutex_.*",
    r"down|up|down_(?:read|write|trylock|interruptible|killable|timeout).*|up_(?:read|write)|__down.*|__up_.*",
    r"rwsem_.*|__rwsem_.*|percpu_(?:down|up)_.*|osq_(?:lock|unlock)|spin_(?:lock|unlock).*",
)

# Allocation and freeing: a leak or a bad free is the caller's.
ALLOC_SKIP: Tuple[str, ...] = (
    r"(?:__)*k[mzc]alloc.*|kmalloc_trace.*|krealloc.*|kv[mzc]alloc.*|__kvmalloc.*|kmalloc_large.*|__do_kmalloc.*",
    r"(?:__)*kmem_cache_(?:alloc|zalloc|free).*|slab_(?:post_alloc_hook|alloc|free).*|__?slab_alloc.*|__slab_free",
    r"___slab_alloc|allocate_slab|new_slab|alloc_slab_page|do_slab_free|kfree|kvfree|kfree_sensitive",
    r"(?:__)?v[mz]alloc.*|__vmalloc.*|vfree|__vfree|kstrn?dup.*|kmemdup.*|k?v?asprintf|kvasprintf.*",
    r"(?:__)?alloc_pages.*|__get_free_pages|get_zeroed_page.*|__?free_pages.*|pcpu_alloc.*|__alloc_percpu.*",
    r"mempool_alloc.*|mempool_free",
)

# Copies to and from user space, and the hardened-usercopy checks in them.
USERCOPY_SKIP: Tuple[str, ...] = (
    r"__check_object_size|check_object_size|__check_heap_object|check_heap_object|usercopy_.*",
    r"_?_?copy_(?:from|to)_user.*|raw_copy_(?:from|to)_user|copy_user_.*|rep_movs_alternative",
    r"_?copy_(?:page_)?(?:from|to)_iter.*|copy_folio_to_iter|strncpy_from_user|strnlen_user",
    r"__?(?:get|put)_user.*|(?:get|put)_user|might_fault|__might_fault|__might_sleep|__might_resched",
)

# Data-structure helpers a report is raised from: lists, trees, reference
# counts, atomics and the string and memory functions.
HELPER_SKIP: Tuple[str, ...] = (
    r"__list_add_valid.*|__list_del_entry_valid.*|list_(?:add|del|move|replace|splice).*|__list_(?:add|del).*",
    r"hlist_.*|rb_.*|__rb_.*|klist_.*|kobject_.*",
    r"refcount_.*|__refcount_.*|kref_.*|percpu_ref_.*",
    r"(?:arch_|raw_)?atomic(?:64|_long)?_(?:dec|inc|read|set|or|xor|and|andnot|add|sub|fetch|xchg|cmpxchg|try).*",
    r"(?:__)?(?:set|clear|change|test)_bit.*",
    r"(?:__)?(?:mem(?:cpy|move|set|cmp|chr)|str(?:n?cpy|scpy|n?len|n?cmp|chr|n?str))(?:_\w+)?",
)

COMMON_SKIP: Tuple[str, ...] = (
    REPORT_SKIP + SANITIZER_SKIP + LOCK_SKIP + ALLOC_SKIP + USERCOPY_SKIP + HELPER_SKIP
)

# Blocking machinery a hung task sleeps in; the culprit is the caller.
HANG_SKIP: Tuple[str, ...] = (
    r"__schedule|schedule|schedule_.*|preempt_schedule.*|io_schedule.*|__cond_resched",
    r"__switch_to.*|context_switch|finish_task_switch.*",
    r".*wait_for_completion.*|__wait_for_common|wait_for_common.*|do_wait_for_common",
    r"__wait_on_bit.*|out_of_line_wait_on_bit.*|bit_wait.*|folio_wait.*|wait_on_page.*|__?folio_lock.*",
    r"__?lock_page.*|__?filemap_get_folio.*|pagecache_get_page|find_or_create_page|grab_cache_page.*",
    r"synchronize_.*|__synchronize_.*|__wait_rcu_gp|rcu_barrier|__flush_work.*|flush_work|flush_workqueue",
    r"__cancel_work.*|cancel_(?:delayed_)?work_sync|kthread_stop",
    r"msleep|usleep_range.*|schedule_hrtimeout.*|prepare_to_wait.*|finish_wait",
)

# Busy-wait helpers a soft lockup or stall is caught spinning in, and the
# timer interrupt and NMI frames that report the stall.
SPIN_SKIP: Tuple[str, ...] = (
    r"delay_tsc|delay_halt.*|__const_udelay|__udelay|__delay|udelay|mdelay",
    r"cpu_relax|rep_nop|ktime_get.*|read_tsc|native_read_tsc|read_hpet|acpi_pm_read.*|clocksource_.*",
    r"watchdog.*|__hrtimer_run_queues|hrtimer_interrupt|tick_.*|update_process_times",
    r"rcu_.*|print_cpu_stall.*|check_cpu_stall|nmi_.*|arch_trigger_cpumask_backtrace|smp_call_function.*",
    r"dump_cpu_task|sched_show_task|local_apic_timer_interrupt|(?:smp_)?apic_timer_interrupt",
)

# The timer and work-item helpers that check a debug object on behalf of
# their caller (del_timer_sync on a freed timer, ...).
ODEBUG_SKIP: Tuple[str, ...] = (
    r"(?:__)?(?:hr)?timer_.*|__?del_timer.*|(?:__)?(?:init|queue|cancel|flush)_work.*|work_.*",
)

# Syscall wrappers: a frame named __x64_sys_x, __se_sys_x, __do_sys_x, SyS_x
# or sys_x is titled x, the name the syscall has in every architecture.
SYSCALL_WRAPPER = re.compile(
    r"(?:__(?:x64|ia32|arm64|riscv|s390x?)_|__se_|__do_|)(?:compat_)?sys_(?=\w)|(?:compat_)?(?:SyS|SYSC)_(?=\w)"
)

WARNING_HEADER = r"WARNING: CPU: \d+ PID: \d+ at (?:(?P<src>\S+:\d+) )?(?P<func>{FUNC})\+0x"
# Newer kernels put the location first: "WARNING: fs/foo.c:12 at func+0x1/0x2, CPU#0: comm/1".
WARNING_HEADER_SRC_FIRST = r"WARNING: (?P<src>\S+:\d+) at (?P<func>{FUNC})\+0x"
LEAK_BACKTRACE = re.compile(r"^\s*backtrace(?: \(crc [0-9a-f]+\))?:")
KCSAN_STACK = re.compile(r"bytes by (?:task \d+|interrupt) on cpu \d+:")

FORMATS: Tuple[Format, ...] = (
    # Memory safety reports from KFENCE (Debian kernels have it).
    Format(
        type="kfence-uaf",
        title="KFENCE: use-after-free {access} in {func}",
        header=_re(r"BUG: KFENCE: use-after-free (?P<access>read|write) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KFENCE_STACK,
    ),
    Format(
        type="kfence-oob",
        title="KFENCE: out-of-bounds {access} in {func}",
        header=_re(r"BUG: KFENCE: out-of-bounds (?P<access>read|write) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KFENCE_STACK,
    ),
    Format(
        type="kfence-invalid-free",
        title="KFENCE: invalid free in {func}",
        header=_re(r"BUG: KFENCE: invalid free in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KFENCE_STACK,
    ),
    Format(
        type="kfence-corruption",
        title="KFENCE: memory corruption in {func}",
        header=_re(r"BUG: KFENCE: memory corruption in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KFENCE_STACK,
    ),
    Format(
        type="kfence-invalid-access",
        title="KFENCE: invalid {access} in {func}",
        header=_re(r"BUG: KFENCE: invalid (?P<access>read|write) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KFENCE_STACK,
    ),
    # KASAN, KMSAN, KCSAN and UBSAN: not in Debian kernels, but in the debug
    # flavour and in kernels users bring. The kind is the sanitizer's word for
    # it; KASAN's access (Read, Write) comes from the line after the header.
    Format(
        type="kasan",
        title="KASAN: {kind} in {func}",
        header=_re(r"BUG: KASAN: (?:double-free or )?(?P<kind>double-free|invalid-free) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
    ),
    Format(
        type="kasan",
        title="KASAN: {kind} {access} in {func}",
        header=_re(r"BUG: KASAN: (?P<kind>[a-z\-]+) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        extra=re.compile(r"(?P<access>Read|Write) (?:of size \d+ )?at addr"),
        fallback="KASAN: {kind} in {func}",
        end=END_KFENCE,
    ),
    Format(
        type="kasan",
        title="KASAN: {kind} in {func}",
        header=re.compile(r"BUG: KASAN: (?P<kind>[a-z\-]+)"),
        keyword="BUG",
        frame_from=("stack",),
        end=END_KFENCE,
        corrupted=True,
    ),
    Format(
        type="kmsan",
        title="KMSAN: {kind} in {func}",
        header=_re(r"BUG: KMSAN: (?P<kind>[a-z\-]+) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=re.compile(r"BUG: KMSAN: "),
    ),
    # KCSAN names both racing functions, without offsets and already sorted.
    Format(
        type="kcsan",
        title="KCSAN: {kind} in {first} / {second}",
        header=_re(r"BUG: KCSAN: (?P<kind>data-race|assert: race) in (?P<first>{FUNC}) / (?P<second>{FUNC})\s*$"),
        keyword="BUG",
        frame_from=("stack",),
        end=END_KFENCE,
        stack_start=KCSAN_STACK,
    ),
    Format(
        type="kcsan",
        title="KCSAN: {kind} in {func}",
        header=_re(r"BUG: KCSAN: (?P<kind>data-race|assert: race) in (?P<func>{FUNC})\+"),
        keyword="BUG",
        frame_from=("header", "stack"),
        end=END_KFENCE,
        stack_start=KCSAN_STACK,
    ),
    Format(
        type="ubsan",
        title="UBSAN: {kind} in {func}",
        header=_re(r"UBSAN: (?P<kind>[a-z\-]+) in "),
        keyword="UBSAN:",
        frame_from=("stack",),
        end=END_UBSAN,
    ),
    Format(
        type="ubsan",
        title="UBSAN: undefined-behaviour in {func}",
        header=re.compile(r"UBSAN: Undefined behaviour in "),
        keyword="UBSAN:",
        frame_from=("stack",),
        end=None,
    ),
    # kmemleak, from the console (kmemleak.verbose=1 puts "kmemleak: " before
    # every line) or from /sys/kernel/debug/kmemleak. The report has no end
    # marker and no </TASK>: it ends with its backtrace.
    Format(
        type="memory-leak",
        title="memory leak in {func}",
        header=re.compile(r"(?:kmemleak: )?unreferenced object 0x[0-9a-f]+ \(size \d+\):"),
        keyword="unreferenced object",
        frame_from=("stack",),
        end=None,
        stack_start=LEAK_BACKTRACE,
        line_prefix="kmemleak: ",
    ),
    # Page faults in kernel mode.
    Format(
        type="null-ptr-deref",
        title="BUG: unable to handle kernel NULL pointer dereference in {func}",
        header=re.compile(r"BUG: (?:kernel NULL pointer dereference|unable to handle kernel NULL pointer dereference)"),
        keyword="BUG",
    ),
    Format(
        type="paging-request",
        title="BUG: unable to handle kernel paging request in {func}",
        header=re.compile(r"BUG: unable to handle (?:page fault for address|kernel paging request)"),
        keyword="BUG",
    ),
    Format(
        type="paging-request",
        title="BUG: unable to handle kernel",
        header=re.compile(r"BUG: unable to handle kernel"),
        keyword="BUG",
        corrupted=True,
    ),
    Format(
        type="gpf",
        title="general protection fault in {func}",
        header=re.compile(r"(?:Oops: )?general protection fault"),
        keyword="[#",
    ),
    # 32-bit arm and arm64: the fault line, then "Internal error: ... [#1]".
    Format(
        type="unhandled-fault",
        title="Unhandled fault in {func}",
        header=re.compile(r"Unhandled fault: "),
        keyword="Unhandled fault",
    ),
    Format(
        type="null-ptr-deref",
        title="BUG: unable to handle kernel NULL pointer dereference in {func}",
        header=re.compile(r"Unable to handle kernel NULL pointer dereference"),
        keyword="Unable to handle kernel",
    ),
    Format(
        type="paging-request",
        title="BUG: unable to handle kernel {what} in {func}",
        header=re.compile(r"Unable to handle kernel (?P<what>paging request|access to user memory)"),
        keyword="Unable to handle kernel",
    ),
    Format(
        type="bug",
        title="Internal error in {func}",
        header=re.compile(r"Internal error: .*\[#\d+\]"),
        keyword="[#",
    ),
    # Lockups, stalls and hangs.
    Format(
        type="soft-lockup",
        title="BUG: soft lockup in {func}",
        header=re.compile(r"(?:watchdog: )?BUG: soft lockup - CPU#\d+ stuck for \d+s!"),
        keyword="BUG",
        skip=SPIN_SKIP,
        end=None,
    ),
    Format(
        type="hard-lockup",
        title="BUG: hard lockup in {func}",
        header=re.compile(r"(?:(?:NMI )?watchdog: )?(?:CPU\d+: )?Watchdog detected hard LOCKUP on cpu \d+"),
        keyword="LOCKUP",
        skip=SPIN_SKIP,
        end=None,
        needs_stack=False,
    ),
    Format(
        type="rcu-stall",
        title="INFO: rcu detected stall in {func}",
        header=re.compile(r"(?:rcu: )?INFO: rcu_(?:preempt|sched|bh|tasks\w*) (?:self-)?detected (?:expedited )?stalls?"),
        keyword="INFO: ",
        skip=SPIN_SKIP,
        end=None,
    ),
    Format(
        type="hung-task",
        title="INFO: task hung in {func}",
        header=re.compile(r"INFO: task (?P<comm>.+):(?P<pid>\d+) blocked (?:in I/O wait )?for more than \d+ seconds"),
        keyword="INFO: ",
        frame_from=("stack",),
        skip=HANG_SKIP,
        end=None,
    ),
    # Data structure checks (DEBUG_LIST, refcount_t, debug objects, hardened usercopy).
    Format(
        type="list-corruption",
        title="BUG: corrupted list in {func}",
        header=re.compile(r"(?:list_add|list_del) corruption"),
        keyword=" corruption",
        absorbs=(
            re.compile(r"kernel BUG at lib/list_debug\.c"),
            _warning_at("lib/list_debug.c"),
        ),
    ),
    Format(
        type="list-corruption",
        title="BUG: corrupted list in {func}",
        header=re.compile(r"kernel BUG at lib/list_debug\.c"),
        keyword="BUG",
    ),
    Format(
        type="refcount",
        title="WARNING: refcount bug in {func}",
        header=re.compile(r"refcount_t: (?P<what>[a-z ]+)"),
        keyword="refcount_t:",
        absorbs=(_warning_at("lib/refcount.c"),),
    ),
    Format(
        type="refcount",
        title="WARNING: refcount bug in {func}",
        header=_warning_at("lib/refcount.c"),
        keyword="WARNING:",
    ),
    Format(
        type="odebug",
        title="WARNING: ODEBUG bug in {func}",
        header=re.compile(r"ODEBUG: (?P<what>\w+) "),
        keyword="ODEBUG:",
        skip=ODEBUG_SKIP,
        absorbs=(_warning_at("lib/debugobjects.c"),),
    ),
    Format(
        type="odebug",
        title="WARNING: ODEBUG bug in {func}",
        header=_warning_at("lib/debugobjects.c"),
        keyword="WARNING:",
        skip=ODEBUG_SKIP,
    ),
    Format(
        type="usercopy",
        title="BUG: bad usercopy in {func}",
        header=re.compile(r"kernel BUG at mm/usercopy\.c"),
        keyword="BUG",
    ),
    Format(
        type="usercopy",
        title="WARNING: bad usercopy in {func}",
        header=_warning_at("mm/usercopy.c"),
        keyword="WARNING:",
    ),
    # BUG() and WARN().
    Format(
        type="kernel-bug-at",
        title="kernel BUG in {func}",
        header=re.compile(r"kernel BUG at (?P<src>\S+?):\d+!"),
        keyword="BUG",
        skip=(r"skb_.*",),
    ),
    Format(
        type="warning",
        title="WARNING in {func}",
        header=_re(WARNING_HEADER),
        keyword="WARNING:",
        frame_from=("header", "rip", "stack"),
    ),
    Format(
        type="warning",
        title="WARNING in {func}",
        header=_re(WARNING_HEADER_SRC_FIRST),
        keyword="WARNING:",
        frame_from=("header", "rip", "stack"),
    ),
    # Lockdep (debug kernels only). Each report names the lock it is about
    # first ("at: func+0x..."), then lists stacks and ends with the current
    # task's stack; "lock" reads that first "at:", "stack" the last stack.
    Format(
        type="lockdep",
        title="possible deadlock in {func}",
        header=re.compile(r"WARNING: (?:possible (?:circular locking dependency|recursive locking|irq lock inversion dependency)"
                          r"|\S+-safe -> \S+-unsafe lock order) detected"),
        keyword="WARNING:",
        frame_from=("lock", "stack"),
        end=None,
    ),
    Format(
        type="lockdep",
        title="inconsistent lock state in {func}",
        header=re.compile(r"WARNING: inconsistent lock state"),
        keyword="WARNING:",
        frame_from=("stack", "lock"),
        end=None,
    ),
    Format(
        type="lockdep",
        title="WARNING: {what} in {func}",
        header=re.compile(r"WARNING: (?P<what>bad unlock balance|held lock freed|bad contention"
                          r"|lock held when returning to user space)"),
        keyword="WARNING:",
        frame_from=("lock", "stack"),
        end=None,
    ),
    Format(
        type="lockdep",
        title="WARNING: still has locks held in {func}",
        header=re.compile(r"WARNING: \S+/\d+ still has locks held!"),
        keyword="WARNING:",
        frame_from=("lock", "stack"),
        end=None,
    ),
    Format(
        type="lockdep",
        title="WARNING: {what} in {func}",
        header=re.compile(r"WARNING: (?P<what>suspicious RCU usage|nested lock was not taken)", re.IGNORECASE),
        keyword="WARNING:",
        frame_from=("stack",),
        skip=(r"rcu_.*|__rcu_.*",),
        end=None,
    ),
    # Other BUG: lines (scheduling while atomic, sleeping in atomic context, ...).
    Format(
        type="bug",
        title="BUG: {what} in {func}",
        header=re.compile(r"BUG: (?P<what>(?:spinlock|rwlock) (?:lockup suspected|already unlocked|cpu recursion"
                          r"|recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP))"),
        keyword="BUG",
        frame_from=("stack",),
        end=None,
    ),
    Format(
        type="bug",
        title="BUG: using {what}() in preemptible code in {func}",
        header=re.compile(r"BUG: using (?P<what>\w+)\(\) in preemptible"),
        keyword="BUG",
        frame_from=("stack",),
        end=None,
    ),
    Format(
        type="bug",
        title="BUG: stack guard page was hit in {func}",
        header=re.compile(r"BUG: (?:\w+ )?stack guard page was hit at"),
        keyword="BUG",
        absorbs=(re.compile(r"(?:Oops: )?stack guard page: "),),
    ),
    Format(
        type="bug",
        title="BUG: {what}",
        header=re.compile(r"BUG: (?P<what>Bad rss-counter state|non-zero nr_(?:ptes|pmds) on freeing mm|workqueue lockup)"),
        keyword="BUG",
        frame_from=(),
        end=None,
        needs_stack=False,
    ),
    Format(
        type="bug",
        title="BUG: {what} in {func}",
        header=re.compile(r"BUG: (?P<what>[A-Za-z][^:!\[\]]*?)(?: at | in |:|!| - |$)"),
        keyword="BUG",
        frame_from=("stack",),
        skip=HANG_SKIP + (r"__schedule_bug",),
        end=None,
        needs_stack=False,
    ),
    Format(
        type="bug",
        title="PANIC: double fault in {func}",
        header=re.compile(r"PANIC: double fault"),
        keyword="PANIC:",
        frame_from=("rip",),
        needs_stack=False,
    ),
    Format(
        type="bug",
        title="stack segment fault in {func}",
        header=re.compile(r"(?:Oops: )?stack segment: "),
        keyword="[#",
    ),
    Format(
        type="bug",
        title="{what} in {func}",
        header=re.compile(r"(?:Oops: )?(?P<what>invalid opcode|divide error|int3): "),
        keyword="[#",
    ),
    Format(
        type="bug",
        title="Oops in {func}",
        header=re.compile(r"Oops: (?:Oops: )?[0-9a-f]{4} \[#\d+\]"),
        keyword="[#",
        corrupted=True,
    ),
    # panic() itself. Panics that only repeat an earlier report ("Fatal
    # exception") are folded into that report, see CONSEQUENCE_PANIC.
    Format(
        type="panic",
        title="kernel panic: Attempted to kill init!",
        header=re.compile(r"Kernel panic - not syncing: Attempted to kill init!"),
        keyword="Kernel panic",
        frame_from=(),
        end=END_PANIC,
        needs_stack=False,
    ),
    Format(
        type="panic",
        title="kernel panic: stack is corrupted in {func}",
        header=_re(r"Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: (?P<func>{FUNC})"),
        keyword="Kernel panic",
        frame_from=("header", "stack"),
        end=END_PANIC,
        needs_stack=False,
    ),
    Format(
        type="panic",
        title="kernel panic: {msg}",
        header=re.compile(r"Kernel panic - not syncing: (?P<msg>.*?)\s*$"),
        keyword="Kernel panic",
        frame_from=("stack",),
        end=END_PANIC,
        needs_stack=False,
    ),
    # The OOM killer: information, unless the caller counts it as a crash.
    Format(
        type="oom",
        title="out of memory: killed {victim}",
        header=re.compile(r"(?P<comm>.+?) invoked oom-killer: "),
        keyword="oom-killer",
        frame_from=(),
        end=re.compile(r"(?:Memory cgroup )?[Oo]ut of memory(?: \(oom_kill_allocating_task\))?: Killed process"),
        needs_stack=False,
        extra=re.compile(r"Killed process \d+ \((?P<victim>[^)]*)\)"),
        fallback="out of memory",
        info=True,
    ),
    Format(
        type="oom",
        title="out of memory: killed {victim}",
        header=re.compile(r"(?:Memory cgroup )?[Oo]ut of memory(?: \(oom_kill_allocating_task\))?: Killed process \d+ \((?P<victim>[^)]*)\)"),
        keyword="Killed process",
        frame_from=(),
        end=None,
        needs_stack=False,
        info=True,
    ),
)

# Guest-level kinds: a log cannot show that the guest went silent, only the
# caller (which waited) knows; an unexpected reboot shows as a second banner.
LOST_CONNECTION = Format(type="lost-connection", title="lost connection to test machine")
NO_OUTPUT = Format(type="no-output", title="no output from test machine")
UNEXPECTED_REBOOT = Format(type="unexpected-reboot", title="unexpected kernel reboot")
GUEST_FORMATS: Tuple[Format, ...] = (LOST_CONNECTION, NO_OUTPUT, UNEXPECTED_REBOOT)

# Lines that never open a report of their own while one is open: the second
# half of an oops, and panics that merely follow from the report before them.
CONTINUATIONS: Tuple[Pattern, ...] = (
    re.compile(r"Oops: (?:Oops: )?[0-9a-f]{4} \[#\d+\]"),
    re.compile(r"(?:Oops: )?invalid opcode: [0-9a-f]{4} \[#\d+\]"),
    re.compile(r"#PF: "),
    re.compile(r"Internal error: "),
    re.compile(r"NMI backtrace for cpu"),
    re.compile(r"Sending NMI from CPU"),
)
CONSEQUENCE_PANIC = re.compile(
    r"Kernel panic - not syncing: (?:Fatal exception(?: in interrupt)?|(?:[\w-]+: )?panic_on_warn set|"
    r"hung_task: blocked tasks|softlockup: hung tasks|[Hh]ard LOCKUP|RCU Stall|"
    r"Fatal Machine check|Machine halted\.|kasan\.fault=panic(?:_on_write)? set|kmsan\.panic set)"
)

# Lines that may follow a finished report and still belong to it: the
# register summary x86 prints after "end trace", notes about the dying task,
# and the tail of a panic that followed from the report.
TAIL = re.compile(
    r"(?:RIP|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR0|DR3|PKRU|Code): |"
    r"note: |Kernel Offset: |---\[ end |"
    r"Rebooting in \d+ seconds|Fixing recursive fault|Future hung task reports|"
    r"irq event stamp:|hardirqs last|softirqs last|"
    r"\s*</?(?:TASK|IRQ|NMI|SOFTIRQ)>|Disabling lock debugging"
)

# Everything else the scanner must notice. STEP_PREFIX is what vm/guest.py writes to
# /dev/kmsg before each test step: the one definition of the step marker.
STEP_PREFIX = "avocado-vexfs: step "
STEP = re.compile(re.escape(STEP_PREFIX) + r"(?P<name>\S.*?)\s*$")
BOOT_BANNER = re.compile(r"Linux version \d")


def keywords() -> Tuple[str, ...]:
    """All literals a line must contain to be worth a closer look.

    A keyword that starts with a letter only counts at the start of a word
    (``BUG`` in ``BUG:`` but not in ``DEBUG``).
    """
    words = {f.keyword for f in FORMATS if f.keyword}
    words.update(("Kernel panic", STEP_PREFIX.strip(), "Linux version"))
    # A keyword that another keyword contains adds nothing to the pre-filter.
    return tuple(sorted(w for w in words if not any(o != w and _covers(o, w) for o in words)))


def _covers(short: str, long: str) -> bool:
    """Every line the pre-filter lets through for `long` it lets through for `short`.

    ``BUG`` covers ``BUG:`` but not ``ODEBUG:``: in the latter it does not
    start a word, so the pre-filter would pass the line over.
    """
    at = long.find(short)
    while at >= 0:
        if not short[:1].isalpha() or at == 0 or not long[at - 1].isalpha():
            return True
        at = long.find(short, at + 1)
    return False

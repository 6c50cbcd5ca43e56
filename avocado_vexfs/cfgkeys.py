"""Every cfg key the provider and the library read, declared once, and checked before boot.

A cfg typo (``mount_cylces = 3``) used to pass the parser and leave the run on the key's
default; a count of zero skipped the checks it counts and passed. Here each key has a
type, a range or a set of choices, a default and a one-line meaning, so that
``validate(params)`` turns every unknown key, wrong type, out-of-range count or
non-finite number into one line naming the key, the value and what was expected, before
any guest boots. ``avocado-vexfs check-cfg`` and our Avocado job plugin run it over every
variant; the provider runs it at the start of every test.

A key ``<key>_quick`` (the value used with quick = yes) is checked as ``<key>``. Keys that
Avocado-VT and the cartesian parser add themselves (name, shortname, dep, ...) are
accepted as they are. A new cfg key must be added to KEYS (or PATTERNS) in this file.
"""
import difflib
import importlib
import logging
import math
import os
import re
from dataclasses import dataclass

from avocado_vexfs.bench import fio
from avocado_vexfs.bench.base import WorkloadError
from avocado_vexfs.bench.stats import MIN_REPEATS
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import REPO, is_git_url

LOG = logging.getLogger(__name__)
QUICK_SUFFIX = "_quick"

# Set by Avocado-VT, the cartesian parser (variant names, maps) or kept in base.cfg for
# Avocado-VT's own machinery; never read by our library, so accepted without a type.
VT_KEYS = frozenset({
    "name", "shortname", "dep", "id", "_name_map_file", "_short_name_map_file", "vms",
    "vm_type", "provider", "env", "env_cleanup", "job_env_cleanup", "malloc_perturb",
    "kvm_userspace_ver_cmd", "enable_kvm", "disable_kvm", "verify_host_dmesg",
    "take_regular_screendumps", "store_vm_info", "run_tcpdump", "qemu_binary",
    "qemu_img_binary", "qemu_io_binary", "qemu_dst_binary", "nettype", "netdst",
    "monitor_type", "vhost", "qemu_sandbox", "defconfig", "kill_vm",
    "backup_image_before_testing", "restore_image_after_testing", "test_pre_hook",
    "test_post_hook", "other_tests_dirs", "abort_on_error", "test_passed", "start_vm",
    "main_vm", "images", "image_name", "image_format", "libvirtd_debug_file",
})


@dataclass(frozen=True)
class Key:
    """One cfg key: what it holds and what it means.

    kind: int, float, bool (yes|no), str, choice, words (space-separated, from choices
    when given), ints (space-separated integers), hex, path (must exist when set, relative
    to the repo), source (a path or a git URL[@ref]), fio (fio option words), metadata.
    ``low``/``high`` bound numbers (``low_open``: strictly above ``low``); ``choices`` is a
    tuple or "module:ATTR" read when first needed (the module owns the list).
    """
    name: str
    kind: str
    default: object
    meaning: str
    low: float = None
    high: float = None
    low_open: bool = False
    choices: object = None
    empty: bool = False
    pattern: str = None

    def choice_list(self):
        if isinstance(self.choices, str):
            module, _, attr = self.choices.partition(":")
            value = getattr(importlib.import_module(module), attr)
            return tuple(value() if callable(value) else value)
        if callable(self.choices):
            return tuple(self.choices())
        return tuple(self.choices or ())

    def expected(self):
        """What a good value looks like, for the error line."""
        bounds = self._bounds()
        if self.kind == "int":
            text = f"an integer{bounds}"
        elif self.kind == "float":
            text = f"a finite number{bounds}"
        elif self.kind == "bool":
            text = "yes or no"
        elif self.kind == "choice":
            text = "one of " + ", ".join(self.choice_list())
        elif self.kind == "words":
            text = ("space-separated words from " + ", ".join(self.choice_list())
                    if self.choices else "one or more space-separated words")
        elif self.kind == "ints":
            text = f"space-separated integers{bounds}"
        elif self.kind == "hex":
            text = "a hexadecimal number such as 0x56455846"
        elif self.kind == "path":
            text = "an existing path (absolute, or relative to the repository)"
        elif self.kind == "source":
            text = "an existing VexFS tree directory or a git URL[@ref]"
        elif self.kind == "fio":
            text = "fio option=value words with rw=, such as rw=write bs=64k"
        elif self.kind == "metadata":
            text = "files=N file_bytes=N with N > 0"
        elif self.pattern:
            text = f"a value matching {self.pattern}"
        else:
            text = "a string"
        return text + (" or empty" if self.empty and self.kind not in ("str",) else "")

    def _bounds(self):
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        return " " + " and ".join(parts) if parts else ""


def _k(name, kind, default, meaning, **extra):
    return Key(name, kind, default, meaning, **extra)


def _guest_os_recipes():
    directory = os.path.join(REPO, "guest-os")
    return sorted(d for d in os.listdir(directory)
                  if os.path.isfile(os.path.join(directory, d, "recipe.json")))


def _provider_tests():
    directory = os.path.join(REPO, "test-providers", "vexfs", "tests")
    return sorted(f[:-3] for f in os.listdir(directory)
                  if f.endswith(".py") and not f.startswith("_"))


_KEYS = [
    # guest shape
    _k("guest_os", "choice", "debian-12", "guest image recipe in guest-os/",
       choices=_guest_os_recipes),
    _k("guest_kernel", "str", "6.12", "guest kernel series of the recipe",
       pattern=r"^\d+\.\d+$"),
    _k("guest_kernel_variant", "str", None, "variant name of the guest kernel (cfg)"),
    _k("guest_kernel_flavour", "choice", "stock",
       "stock (Debian's kernel) or a kernel built from guest-os/kernels/<name>.config",
       choices="avocado_vexfs.kernel.flavours:names"),
    _k("vcpus", "int", 2, "vCPUs of the guest", low=1, high=64),
    _k("mem", "int", 2048, "guest memory in MB", low=128),
    _k("accel", "choice", "auto", "kvm, TCG (qemu) or a probe (auto)",
       choices=("auto", "kvm", "qemu")),
    _k("connect_uri", "str", "qemu:///system", "libvirt connection URI",
       pattern=r"^[a-z+]+://"),
    _k("boot_timeout", "float", 120, "seconds for a guest to boot", low=0, low_open=True),
    _k("scratch_disks_mb", "ints", "512", "sizes of the scratch disks in MB", low=1),
    _k("kernel_cmdline_extra", "str", "", "guest kernel command line additions",
       empty=True),
    _k("tcg_cpu_model", "str", "qemu64", "CPU model under TCG"),
    _k("kernel_entry", "choice", "pvh",
       "pvh (boot the kernel's ELF: no decompression) or bzimage",
       choices=("pvh", "bzimage")),
    _k("image_cache_dir", "str", "", "guest image cache (default: AVOCADO_VEXFS_CACHE)",
       empty=True),
    _k("quick", "bool", "no", "QUICK=1: <key>_quick values win over <key>"),
    _k("mountpoint", "str", "/mnt/test", "where the filesystem under test is mounted",
       pattern=r"^/"),
    # console verdict
    _k("console_check", "bool", "yes", "fail the test on a kernel crash on the console"),
    _k("console_ignore_types", "str", "", "crash types the console verdict ignores",
       empty=True),
    _k("oom_is_crash", "bool", "no", "an OOM kill fails the test"),
    # filesystem under test
    _k("fs", "str", None, "variant name of the filesystem (cfg)"),
    _k("fs_type", "choice", "ext4", "filesystem under test",
       choices="avocado_vexfs.module.fs:FILESYSTEMS"),
    _k("type", "choice", None, "provider test module (test-providers/vexfs/tests)",
       choices=_provider_tests),
    _k("vexfs_src", "source", "", "VexFS tree (path or git URL[@ref]); else VEXFS_SRC",
       empty=True),
    _k("vexfs_patches", "path", "", "directory of patches for the VexFS copy",
       empty=True),
    _k("fstests_src", "str", "", "fstests source: a directory, a tarball or a git "
       "URL[@ref]", empty=True),
    _k("mkfs_options", "str", "", "options of mkfs", empty=True),
    _k("mount_options", "str", "", "options of mount", empty=True),
    _k("fs_block_size", "int", 0, "block size mkfs makes in bytes (0: the filesystem's "
       "default; each filesystem says which it takes)", low=0),
    _k("fs_max_file_kb", "int", 0, "largest file the fs takes in KiB (0: no limit)", low=0),
    _k("expected_failures_dir", "path", "", "directory of known-failure files",
       empty=True),
    # smoke, functional
    _k("smoke_file_kb", "ints", "4 40", "file sizes of the smoke test in KiB", low=1),
    _k("functional_checks", "words", "", "functional checks to run",
       choices="avocado_vexfs.checks.posix:CHECKS"),
    _k("functional_check_timeout", "float", 600, "seconds for one functional check",
       low=0, low_open=True),
    _k("functional_max_kb", "int", 1024, "largest file of the sizes check in KiB", low=1),
    _k("functional_dir_entries", "int", 1000, "entries of the many_entries check", low=1),
    _k("functional_leak_files", "int", 20, "files of the leaks check", low=1),
    _k("functional_leak_file_kb", "int", 40, "file size of the leaks check in KiB", low=1),
    # mount-path fuzzing
    _k("fuzz_minutes", "float", 5, "time budget of a fuzz run in minutes", low=0,
       low_open=True),
    _k("fuzz_case_timeout", "int", 20, "seconds a case's walk may take in the guest",
       low=5),
    _k("fuzz_rng_seed", "int", 0, "first case's random seed (case N uses seed + N)",
       low=0),
    _k("fuzz_replay", "path", "", "a finding directory: re-run its case in a fresh guest",
       empty=True),
    # module lifecycle
    _k("lifecycle_cycles", "int", 10, "insmod/rmmod cycles", low=1),
    _k("lifecycle_module", "choice", "fs", "module cycled: our fixture or the fs's",
       choices=("fixture", "fs")),
    _k("module_src", "path", "", "fixture module source directory", empty=True),
    _k("module_args", "str", "", "insmod arguments", empty=True),
    _k("lifecycle_hold", "str", "", "guest command that pins the module", empty=True),
    _k("lifecycle_release", "str", "", "guest command that unpins the module",
       empty=True),
    # mkfs and mount
    _k("mkfs_mount_checks", "words", "", "mkfs/mount checks, in order",
       choices="avocado_vexfs.checks.mountcheck:CHECKS"),
    _k("mkfs_label_option", "str", "-L", "mkfs option that sets a label"),
    _k("mkfs_too_small_kb", "int", 8, "device size below the fs's minimum in KiB", low=1),
    _k("mount_cycles", "int", 10, "mount/umount cycles", low=1),
    _k("mount_cycle_file_kb", "int", 16, "file written per mount cycle in KiB", low=1),
    _k("statfs_write_kb", "int", 40, "file written before statfs in KiB", low=1),
    _k("statfs_min_fraction", "float", 0.5, "least f_blocks*f_bsize / device size",
       low=0, low_open=True, high=1),
    _k("statfs_magic", "hex", "0", "expected statfs f_type"),
    _k("negative_mounts", "words", "", "bad devices a mount must refuse",
       choices="avocado_vexfs.checks.mountcheck:NEGATIVE"),
    # persistence, vector ioctls
    _k("persistence_file_kb", "ints", "4 16 40", "file sizes kept across remounts in KiB",
       low=1),
    _k("persistence_subdir", "str", "sub", "subdirectory of the persistence tree",
       pattern=r"^[^/\s]+$"),
    _k("persistence_reboot", "bool", "yes", "reboot the guest as a persistence step"),
    _k("vexfs_ioc_add_vector", "hex", "0x41185601", "VEXFS_IOC_ADD_VECTOR number"),
    _k("vexfs_ioc_search", "hex", "0xC1285602", "VEXFS_IOC_SEARCH number"),
    _k("vector_dimensions", "int", 4, "dimensions of the test vectors", low=1,
       high=4096),  # vector.MAX_DIMENSIONS
    _k("vector_count", "int", 16, "vectors added before the search", low=2, high=100000),
    _k("vector_k", "int", 4, "nearest neighbours asked for (<= vector_count)", low=1),
    _k("vector_distance_metric", "choice", "euclidean", "distance of the search",
       choices="avocado_vexfs.checks.vector:METRICS"),
    _k("vector_distance_scale", "float", 1000, "fixed-point scale of returned distances",
       low=0, low_open=True),
    _k("vector_distance_tolerance", "float", 0.01, "allowed distance error (fraction)",
       low=0, high=1),
    # benchmarks
    _k("bench_regression", "choice", "check", "compare with, record or skip the baseline",
       choices=("check", "record", "off")),
    _k("bench_baseline_file", "str", "results/baselines/bench.json", "baseline store"),
    _k("bench_baseline_runs", "int", 3, "baseline runs kept per metric", low=1),
    _k("bench_threshold", "float", 0.10, "slowdown fraction that is a regression",
       low=0, low_open=True, high=1),
    _k("bench_check_metrics", "str", "*_bw *_rate", "metric name patterns checked"),
    _k("bench_repeats", "int", 5, "repetitions of every workload", low=1),
    _k("bench_runtime", "int", 2, "seconds per fio run", low=1),
    _k("bench_timeout", "float", 600, "seconds for one workload run", low=0,
       low_open=True),
    _k("bench_workloads", "words", "", "workloads, each with bench_<name>_fio or "
       "bench_<name>_metadata"),
    # stress
    _k("stress_duration", "int", 60, "seconds of each stressor", low=1),
    _k("stress_tree_kb", "ints", "4 16 40", "checksummed tree file sizes in KiB", low=1),
    _k("stress_leak_tolerance_kb", "int", 512, "space allowed to differ after cleanup",
       low=0),
    _k("stress_file_kb", "int", 0, "largest file the stressor writes in KiB", low=0),
    _k("stress_args", "str", "", "stress-ng arguments", empty=True),
    _k("stress_dbench_clients", "int", 2, "dbench clients", low=1),
    _k("stress_writers", "int", 4, "concurrent writers on one directory", low=1),
    _k("stress_writers_file_kb", "int", 16, "file size of each writer in KiB", low=1),
    # power cuts
    _k("powercut_file_kb", "ints", "4 16 40", "files written and fsynced one by one",
       low=1),
    _k("powercut_points", "ints", "1", "fsyncs after which the power is cut", low=0),
    _k("powercut_inflight_kb", "int", 40, "unsynced write in flight at the cut", low=1),
    _k("powercut_fsck", "str", "", "fsck command after the cut", empty=True),
    # crash consistency
    _k("crashcons_ops", "words", "", "operations of generated workloads",
       choices="avocado_vexfs.crashcons.workload:OPS"),
    _k("crashcons_persist", "words", "", "persistence operations of workloads",
       choices="avocado_vexfs.crashcons.workload:PERSIST_KINDS"),
    _k("crashcons_write_sizes", "ints", "4096", "write sizes in bytes", low=1),
    _k("crashcons_dirs", "words", "A B", "directory names of workloads"),
    _k("crashcons_names", "words", "foo bar", "file names of workloads"),
    _k("crashcons_setup_bytes", "int", 8192, "setup file size in bytes", low=1),
    _k("crashcons_seed", "int", 1, "seed of the workload sampler", low=0),
    _k("crashcons_seq_len", "int", 1, "operations per workload", low=1, high=3),
    _k("crashcons_samples", "int", 10, "sampled workloads (seq_len > 1)", low=1),
    _k("crashcons_limit", "int", 0, "most workloads run (0: all)", low=0),
    _k("crashcons_workload_timeout", "float", 300, "seconds for one workload", low=0,
       low_open=True),
    _k("crashcons_fsck", "str", "", "fsck command on every crash state", empty=True),
    _k("crashcons_control", "choice", "none", "positive control mode",
       choices=("none", "drop_writes")),
    _k("crashcons_expect_failures", "bool", "no", "a positive control: failures expected"),
    _k("crashcons_workload", "path", "", "one workload file instead of generated ones",
       empty=True),
    # fault injection
    _k("fault_kinds", "words", "error_writes", "faults injected",
       choices="avocado_vexfs.checks.faults:FAULTS"),
    _k("fault_seconds", "float", 5, "seconds each fault stays on", low=0, low_open=True),
    _k("fault_file_kb", "int", 16, "file written under the fault in KiB", low=1),
    _k("fault_old_kb", "int", 40, "file written before the fault in KiB", low=1),
    _k("fault_scsi_debug_mb", "int", 64, "scsi_debug disk size in MB", low=1),
    _k("fault_fsck", "str", "", "fsck command after the faults", empty=True),
    # bisect
    _k("bisect_repeats", "int", 1, "runs per bisect step", low=1),
    _k("bisect_step_timeout", "int", 3600, "seconds per bisect step", low=1),
    # fstests (fstests_src is with the other sources)
    _k("fstests_case", "str", None, "name of the fstests_case variant (cartesian sets it)"),
    _k("fstests_test", "str", None, "the fstests test of the variant, such as generic/001",
       pattern=r"^[a-z0-9]+/[0-9]{3,4}$"),
    _k("fstests_timeout", "float", 900, "seconds one fstests test may run before it is "
       "a hang", low=0, low_open=True),
    _k("fstests_fresh_test_dev", "bool", "yes", "mkfs TEST_DEV before every fstests test "
       "(no: it ages from test to test, as fstests does)"),
    _k("fstests_share_guests", "bool", "yes", "fstests tests of a job share a guest per "
       "parallel slot while it stays healthy"),
]
KEYS = {key.name: key for key in _KEYS}

# Families of keys named after a workload: (regex, declaration).
PATTERNS = [
    (re.compile(r"^bench_(\w+?)_fio$"),
     Key("bench_<name>_fio", "fio", None, "fio job of benchmark workload <name>")),
    (re.compile(r"^bench_(\w+?)_metadata$"),
     Key("bench_<name>_metadata", "metadata", None, "metadata workload <name>")),
]


def declaration(name):
    """The Key of ``name`` (``<key>_quick`` gives ``<key>``'s), or None when unknown."""
    if name in KEYS:
        return KEYS[name]
    for regex, key in PATTERNS:
        if regex.match(name):
            return key
    if name.endswith(QUICK_SUFFIX):
        return declaration(name[:-len(QUICK_SUFFIX)])
    return None


def known_names():
    return sorted(set(KEYS) | VT_KEYS)


def unknown_key_message(name, value):
    """One line for an undeclared key, with the closest declared name when one is near."""
    base, suffix = name, ""
    if name.endswith(QUICK_SUFFIX):
        base, suffix = name[:-len(QUICK_SUFFIX)], QUICK_SUFFIX
    close = [match + suffix for match in
             difflib.get_close_matches(base, sorted(KEYS), n=1, cutoff=0.6)]
    if not suffix:
        close = difflib.get_close_matches(name, known_names(), n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]}?" if close else
            "expected a key declared in avocado_vexfs/cfgkeys.py")
    return f"unknown cfg key {name} = {_show(value)}: {hint}"


def _show(value):
    """The value as a cfg line would hold it; quoted only when blank or padded."""
    text = value if isinstance(value, str) else str(value)
    if text == "" or text != text.strip() or "\n" in text:
        return repr(text)
    return text


def _bad(name, value, key):
    return ConfigError(f"cfg key {name} = {_show(value)}: expected {key.expected()} "
                       f"({key.meaning})")


def _in_range(number, key):
    if key.low is not None and (number <= key.low if key.low_open else number < key.low):
        return False
    return key.high is None or number <= key.high


def _int(text):
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(text)
    return int(text)


def convert(name, value, key=None):
    """The typed value of ``name = value``; ConfigError with one line when it is bad."""
    key = key or declaration(name)
    if key is None:
        raise ConfigError(unknown_key_message(name, value))
    text = str(value).strip()
    if text == "":
        if key.empty:
            return [] if key.kind in ("words", "ints") else ""
        raise _bad(name, value, key)
    try:
        return _CONVERTERS[key.kind](name, text, key)
    except (ValueError, OverflowError):
        raise _bad(name, value, key) from None


def _conv_int(_name, text, key):
    number = _int(text)
    if not _in_range(number, key):
        raise ValueError(text)
    return number


def _conv_float(_name, text, key):
    number = float(text)
    if not math.isfinite(number) or not _in_range(number, key):
        raise ValueError(text)
    return number


def _conv_bool(_name, text, _key):
    if text not in ("yes", "no"):
        raise ValueError(text)
    return text == "yes"


def _conv_str(_name, text, key):
    if key.pattern and not re.search(key.pattern, text):
        raise ValueError(text)
    return text


def _conv_choice(_name, text, key):
    if text not in key.choice_list():
        raise ValueError(text)
    return text


def _conv_words(_name, text, key):
    words = text.split()
    if key.choices and any(word not in key.choice_list() for word in words):
        raise ValueError(text)
    return words


def _conv_ints(_name, text, key):
    numbers = [_int(word) for word in text.split()]
    if not all(_in_range(number, key) for number in numbers):
        raise ValueError(text)
    return numbers


def _conv_hex(_name, text, _key):
    return int(text, 16)


def _repo_path(text):
    path = os.path.expanduser(text)
    if not os.path.isabs(path) and not os.path.exists(path):
        path = os.path.join(REPO, path)
    return path


def _conv_path(_name, text, _key):
    path = _repo_path(text)
    if not os.path.exists(path):
        raise ValueError(text)
    return path


def _conv_source(_name, text, _key):
    if is_git_url(text):
        return text
    path = _repo_path(text)
    if not os.path.isdir(path):
        raise ValueError(text)
    return path


def _conv_fio(name, text, _key):
    try:
        return fio.parse_options(text, where=name)
    except WorkloadError:
        raise ValueError(text) from None


def _conv_metadata(_name, text, _key):
    options = {}
    for word in text.split():
        option, _, number = word.partition("=")
        if option not in ("files", "file_bytes") or not number.isdigit():
            raise ValueError(text)
        options[option] = int(number)
    if options.get("files", 0) <= 0:
        raise ValueError(text)
    return options


_CONVERTERS = {"int": _conv_int, "float": _conv_float, "bool": _conv_bool,
               "str": _conv_str, "choice": _conv_choice, "words": _conv_words,
               "ints": _conv_ints, "hex": _conv_hex, "path": _conv_path,
               "source": _conv_source, "fio": _conv_fio, "metadata": _conv_metadata}


def _cross_checks(params):
    """Rules between keys, on the values the run will use (quick-aware)."""
    names = str(params.get("bench_workloads", "")).split()
    quick = str(params.get("bench_workloads_quick", "")).split()
    for workload in names + quick:
        if not (params.get(f"bench_{workload}_fio") or
                params.get(f"bench_{workload}_metadata")):
            raise ConfigError(f"cfg key bench_workloads names {workload!r}: expected "
                              f"bench_{workload}_fio or bench_{workload}_metadata in cfg")
    if "bench_repeats" in params and get(params, "bench_regression") == "check":
        if get(params, "bench_repeats") < MIN_REPEATS:
            raise ConfigError(f"cfg key bench_repeats = {_show(params['bench_repeats'])}: "
                              f"expected >= {MIN_REPEATS} when bench_regression = check "
                              f"(fewer repeats cannot show a regression)")
    if "vector_k" in params and get(params, "vector_k") > get(params, "vector_count"):
        raise ConfigError(f"cfg key vector_k = {_show(params['vector_k'])}: expected at "
                          f"most vector_count = {get(params, 'vector_count')}")
    if "powercut_points" in params:
        files = len(get(params, "powercut_file_kb"))
        for point in get(params, "powercut_points"):
            if point > files:
                raise ConfigError(f"cfg key powercut_points = "
                                  f"{_show(params['powercut_points'])}: expected cut "
                                  f"points between 0 and {files} (powercut_file_kb files)")


def validate(params):
    """Check every key of a variant's params; raise ConfigError with one line.

    Called once per variant before any guest boots (check-cfg, our job plugin, and the
    provider's vt glue at the start of every test). Keys are checked in sorted order so
    the same cfg always names the same first problem.
    """
    for name in sorted(params):
        if name in VT_KEYS:
            continue
        convert(name, params[name])
    _cross_checks(params)


def get(params, key):
    """The typed value of ``key`` for this variant: quick-aware, the default when unset."""
    declared = KEYS.get(key) or declaration(key)
    if declared is None:
        raise ConfigError(unknown_key_message(key, params.get(key, "")))
    name = key
    if str(params.get("quick", "")).strip() == "yes" and \
            str(params.get(key + QUICK_SUFFIX, "")).strip() != "":
        name = key + QUICK_SUFFIX
    value = params.get(name)
    if value is None or (str(value).strip() == "" and not declared.empty):
        value = declared.default
        if value is None:
            return None
    return convert(name, value, declared)

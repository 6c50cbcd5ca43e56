"""Benchmark workloads as cfg data: which workloads, their options, repeats, limits.

cfg keys (test-providers/vexfs/tests/cfg/subtests.cfg, bench block):
  bench_workloads = seq_write rand_read metadata      names, run in this order
  bench_<name>_fio = rw=write bs=64k size=16m         a fio job (fio option words)
  bench_<name>_metadata = files=64 file_bytes=4096    the metadata-rate script
  bench_runtime = 2                                   seconds per fio run (time_based)
  bench_repeats = 5                                   repetitions of every workload
  fs_max_file_kb = 48                                 the fs's file size limit (0: none)
With quick=yes, a key ``<key>_quick`` wins over ``<key>`` (QUICK=1 shrinks counts).
"""
from avocado_vexfs.bench import stats
from avocado_vexfs.bench import fio, metadata
from avocado_vexfs.bench.base import WorkloadError
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.params import param  # the quick rule; spec.param is its name here


def int_param(params, key, default, minimum=0):
    value = param(params, key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        raise ConfigError(f"{key} = {value!r}: expected a whole number >= {minimum}")
    return number


class Spec:
    """One workload: its name, kind (fio or metadata) and options."""

    def __init__(self, name, kind, options):
        self.name = name
        self.kind = kind
        self.options = options

    @property
    def params_text(self):
        """Canonical options string: part of the baseline key, shown in reports."""
        return " ".join(k if v is None else f"{k}={v}" for k, v in sorted(self.options.items()))

    def file_kb(self):
        if self.kind == "fio":
            return fio.file_kb(self.options)
        return int(self.options.get("file_bytes", 0)) / 1024.0

    def skip_reason(self, max_file_kb):
        """Why this workload cannot run on a fs with files of at most ``max_file_kb``."""
        size = self.file_kb()
        if max_file_kb and size and size > max_file_kb:
            return (f"{self.name}: files of {size:g} KiB exceed the filesystem's limit of "
                    f"{max_file_kb} KiB (fs_max_file_kb)")
        return None

    def run(self, guest, directory, timeout=600):
        if self.kind == "fio":
            return fio.run(guest, self.name, directory, self.options, timeout=timeout)
        return metadata.run(guest, directory, self.options["files"],
                            self.options.get("file_bytes", 0), timeout=timeout)

    def cleanup_command(self, directory):
        """Shell command removing what the workload leaves in ``directory``."""
        pattern = f"{self.name}.*" if self.kind == "fio" else "meta*"
        return f"rm -f {directory}/{pattern}"


def _metadata_options(name, text):
    options = {}
    for word in text.split():
        key, _, value = word.partition("=")
        if key not in ("files", "file_bytes") or not value.isdigit():
            raise ConfigError(f"bench_{name}_metadata: {word!r}: expected files=N "
                              f"file_bytes=N")
        options[key] = value
    if int(options.get("files", 0)) <= 0:
        raise ConfigError(f"bench_{name}_metadata = {text!r}: expected files=N with N > 0")
    return options


def from_params(params):
    """The Specs of bench_workloads, each with its options; ConfigError on bad cfg."""
    names = str(param(params, "bench_workloads", "")).split()
    if not names:
        raise ConfigError("bench_workloads is empty: expected workload names such as "
                          "seq_write rand_read metadata")
    runtime = int_param(params, "bench_runtime", 2, minimum=1)
    specs = []
    for name in names:
        fio_text = params.get(f"bench_{name}_fio")
        meta_text = params.get(f"bench_{name}_metadata")
        if fio_text:
            try:
                options = fio.parse_options(fio_text, where=f"bench_{name}_fio")
            except WorkloadError as err:
                raise ConfigError(str(err)) from err
            if "runtime" not in options:
                options.update(runtime=str(runtime), time_based=None)
            specs.append(Spec(name, "fio", options))
        elif meta_text:
            specs.append(Spec(name, "metadata", _metadata_options(name, meta_text)))
        else:
            raise ConfigError(f"workload {name!r} in bench_workloads has neither "
                              f"bench_{name}_fio nor bench_{name}_metadata in cfg")
    return specs


def repeats(params, regression_check=True):
    """bench_repeats; at least stats.MIN_REPEATS when a regression check needs them."""
    minimum = stats.MIN_REPEATS if regression_check else 1
    return int_param(params, "bench_repeats", stats.MIN_REPEATS, minimum=minimum)

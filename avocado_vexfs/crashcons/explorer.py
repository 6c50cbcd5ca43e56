"""Run crash-consistency workloads in a booted guest and turn the results into a report.

The guest needs three scratch disks: the filesystem's (data), the dm-log-writes log and
the replay target (at least as big as the data disk). Everything heavy happens in the
guest (checks/guest/crashcons.py); this module copies the script and each workload in,
runs it, and checks the answer against the model on the host.
"""
import json
import logging
import os
import shlex
import time

from avocado_vexfs import cfgkeys
from avocado_vexfs.crashcons import check, workload
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import guest_script
from avocado_vexfs.vm import guest_result

SCRIPT = guest_script("crashcons.py")
GUEST_DIR = "/opt/avocado-vexfs/crashcons"
MODULES = ("dm-log-writes", "dm-snapshot", "loop")
MIN_LOG_MB = 8
LOG = logging.getLogger(__name__)


def missing_modules(guest, modules):
    """Kernel modules of ``modules`` the guest cannot load (a user's kernel may lack one)."""
    return [m for m in modules
            if guest.status_output(f"modprobe {shlex.quote(m)}", timeout=60)[0] != 0]


class Options:
    """How the guest runs a workload: disks, filesystem commands, control mode."""

    def __init__(self, guest, filesystem, params):
        if len(guest.scratch) < 3:
            raise ConfigError(f"crash consistency needs 3 scratch disks (data, log, "
                              f"replay); scratch_disks_mb = "
                              f"{params.get('scratch_disks_mb')!r}")
        sizes = [int(s) for s in str(params.get("scratch_disks_mb")).split()]
        if sizes[1] < MIN_LOG_MB or sizes[2] < sizes[0]:
            raise ConfigError(f"scratch_disks_mb = {params.get('scratch_disks_mb')!r}: "
                              f"expected data, log (>= {MIN_LOG_MB} MB) and replay "
                              f"(>= data) sizes")
        self.control = params.get("crashcons_control", "none")
        if self.control not in ("none", "drop_writes"):
            raise ConfigError(f"crashcons_control = {self.control!r}: expected none or "
                              f"drop_writes")
        self.args = {"data": guest.scratch[0], "log": guest.scratch[1],
                     "replay": guest.scratch[2], "fstype": filesystem.fstype,
                     "mkfs": f"{filesystem.mkfs_command} {filesystem.mkfs_options}",
                     "mount-options": filesystem.mount_options,
                     "fsck": params.get("crashcons_fsck", ""), "control": self.control}
        self.timeout = float(params.get("crashcons_workload_timeout", 300))

    def command(self, remote_workload):
        words = [f"--{key} {shlex.quote(str(value))}" for key, value in self.args.items()]
        return (f"python3 {GUEST_DIR}/crashcons.py run {shlex.quote(remote_workload)} "
                + " ".join(words))


def install(guest):
    guest.put_file(SCRIPT, f"{GUEST_DIR}/crashcons.py")


def ready(guest, filesystem, params):
    """(Options, None) with the guest script installed, or (Options, the reason to
    cancel) when the guest kernel lacks a device-mapper target or loop it needs."""
    options = Options(guest, filesystem, params)
    modules = MODULES + (("dm-flakey",) if options.control != "none" else ())
    missing = missing_modules(guest, modules)
    if missing:
        return options, (f"guest kernel {guest.kernel['release']} lacks "
                         f"{', '.join(missing)}: crash consistency needs them")
    install(guest)
    return options, None


def run_one(guest, name, text, options):
    """(lines, guest result) of one workload."""
    lines = workload.parse(text, source=name)
    remote = f"{GUEST_DIR}/{name}.txt"
    guest.cmd(f"cat > {remote} <<'AVX_EOF'\n{text}AVX_EOF")
    status, output = guest.status_output(options.command(remote), timeout=options.timeout)
    try:
        return lines, guest_result.read(output)
    except guest_result.NoResult:
        return lines, {"error": f"guest script exited {status} without a result: "
                                f"{guest_result.tail(output)}"}


class Summary:
    """Numbers and failures of one exploration."""

    def __init__(self):
        self.workloads = 0
        self.marks = 0
        self.seconds = []
        self.failures = []

    def numbers(self):
        per = sum(self.seconds) / len(self.seconds) if self.seconds else 0.0
        return {"workloads": self.workloads, "marks_checked": self.marks,
                "failures": len(self.failures),
                "signatures": len(check.group(self.failures)),
                "seconds_per_workload": round(per, 1),
                "workloads_per_minute": round(60 / per, 1) if per else 0.0}


def explore(guest, workloads, options, outdir, rerun):
    """Run every (name, text) workload; write each file and result under ``outdir``.

    ``rerun`` is a format string with ``{path}`` (the workload file on the host): the
    one-line command that re-runs one failure alone. Progress (one line per workload)
    goes to this module's logger, which reaches the test's debug.log.
    """
    os.makedirs(os.path.join(outdir, "workloads"), exist_ok=True)
    summary = Summary()
    for name, text in workloads:
        path = os.path.join(outdir, "workloads", f"{name}.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        started = time.monotonic()
        lines, result = run_one(guest, name, text, options)
        summary.seconds.append(time.monotonic() - started)
        with open(os.path.join(outdir, "workloads", f"{name}.json"), "w",
                  encoding="utf-8") as handle:
            json.dump(result, handle)
        failures = check.check(name, lines, result)
        for failure in failures:
            failure.rerun = rerun.format(path=path)
        summary.workloads += 1
        summary.marks += len(result.get("marks", []))
        summary.failures += failures
        LOG.info("%s: %d crash states, %d failures, %.1fs", name, len(result.get("marks", [])),
            len(failures), summary.seconds[-1])
    with open(os.path.join(outdir, "crashcons-report.txt"), "w", encoding="utf-8") as out:
        out.write(json.dumps(summary.numbers()) + "\n")
        out.write("\n".join(check.report(summary.failures, limit=1000)) + "\n")
    return summary


def recheck(outdir):
    """Summary of a finished run's saved workloads and guest results, checked again
    (after a checker change, or to read an old run's report) without a guest."""
    summary = Summary()
    folder = os.path.join(outdir, "workloads")
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".json"):
            continue
        name = entry[:-len(".json")]
        with open(os.path.join(folder, name + ".txt"), encoding="utf-8") as handle:
            lines = workload.parse(handle.read(), source=name)
        with open(os.path.join(folder, entry), encoding="utf-8") as handle:
            result = json.load(handle)
        summary.workloads += 1
        summary.marks += len(result.get("marks", []))
        summary.seconds.append(result.get("seconds", {}).get("total", 0.0))
        summary.failures += check.check(name, lines, result)
    return summary


def workloads_for(params):
    """The workloads a variant asks for: one file (crashcons_workload) or generated."""
    path = cfgkeys.get(params, "crashcons_workload")  # relative: to the repository
    if path:
        if not os.path.isfile(path):
            raise ConfigError(f"crashcons_workload = {path!r}: no such file")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        workload.parse(text, source=path)
        return [(os.path.splitext(os.path.basename(path))[0], text)]
    return workload.generate(workload.Bounds.from_params(params))

"""`make debug-bundle`: one tarball a user attaches to a bug report.

It holds host facts and tool versions (run here, now), the job's whole directory (logs,
console logs, results), the cfg tree and the guest image recipe the job used, and the
avocado-vexfs settings in effect. Nothing from the guest image itself: it is large and
rebuilt from the recipe.
"""
import datetime
import io
import os
import subprocess
import tarfile

from avocado_vexfs import settings as settings_mod
from avocado_vexfs.errors import VexfsError

FACTS = (("uname", ["uname", "-a"]), ("os-release", ["cat", "/etc/os-release"]),
         ("cpu", ["lscpu"]), ("memory", ["free", "-m"]), ("disk", ["df", "-h", "/var", "/tmp"]),
         ("load", ["cat", "/proc/loadavg"]), ("kvm", ["ls", "-l", "/dev/kvm"]),
         ("libvirt", ["virsh", "-c", "qemu:///system", "version"]),
         ("domains", ["virsh", "-c", "qemu:///system", "list", "--all"]),
         ("qemu", ["qemu-system-x86_64", "--version"]), ("python", ["python3", "--version"]),
         ("pip", ["pip", "freeze"]), ("git", ["git", "log", "-1", "--format=%H %s"]),
         ("git-status", ["git", "status", "--short"]),
         ("processes", ["ps", "-eo", "pid,etime,args", "--sort=start_time"]))


def _run(argv, cwd):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd,
                              check=False)
        return f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}exit {done.returncode}\n"
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"$ {' '.join(argv)}\nnot run: {err}\n"


def _add_text(tar, name, text):
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _settings_text():
    try:
        return settings_mod.describe() + "\n\nconfig files read:\n" + "\n".join(
            settings_mod.config_paths())
    except VexfsError as err:
        return f"settings not valid: {err}\n"


def create(job_dir, repo, out_dir):
    """Write ``debug-bundle-<job>.tar.gz`` in ``out_dir``; return its path."""
    name = f"debug-bundle-{os.path.basename(job_dir.rstrip(os.sep))}"
    out = os.path.join(out_dir, f"{name}.tar.gz")
    with tarfile.open(out + ".tmp", "w:gz") as tar:
        facts = "\n".join(_run(argv, repo) for _label, argv in FACTS)
        _add_text(tar, f"{name}/host-facts.txt", facts)
        _add_text(tar, f"{name}/settings.txt", _settings_text())
        tar.add(job_dir, arcname=f"{name}/job", recursive=True,
                filter=lambda info: None if info.name.endswith(".qcow2") else info)
        for part in ("cfg", "test-providers/vexfs/tests/cfg", "guest-os"):
            path = os.path.join(repo, part)
            if os.path.isdir(path):
                tar.add(path, arcname=f"{name}/{part}")
    os.replace(out + ".tmp", out)
    return out

"""Out-of-tree kernel modules built on the host against a guest kernel's headers.

The headers come from the same Debian package as the guest kernel, so the module's
vermagic matches the guest; gcc on the host is an order of magnitude faster than gcc
in a TCG guest. Used for VexFS and for our own fixture module.
"""
import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import time

from avocado_vexfs.errors import HostError, VexfsError
from avocado_vexfs.vm import host


class BuildError(VexfsError):
    """A compile failed; the message names the kernel and the first compiler error."""

    def __init__(self, message, log_path):
        super().__init__(message)
        self.log_path = log_path


def ensure_headers(release, cache=None):
    """Kernel build directory for ``release``; installs Debian's headers when missing.

    A kernel we built ourselves (a debug flavour, avocado_vexfs/kernel) keeps its build
    tree in the cache, found by its release; nothing is installed on the host for it.
    """
    built = os.path.join(host.cache_dir(cache), "kernels", release, "build")
    if os.path.isdir(built):
        return built
    build_dir = f"/lib/modules/{release}/build"
    if os.path.isdir(build_dir):
        return build_dir
    package = f"linux-headers-{release}"
    if os.geteuid() != 0:
        raise HostError(f"no kernel headers for {release}: expected {build_dir} "
                        f"(apt-get install {package})")
    result = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                             package], capture_output=True, text=True, check=False,
                            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if result.returncode != 0 or not os.path.isdir(build_dir):
        raise HostError(f"cannot install {package} for guest kernel {release}: "
                        f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")
    return build_dir


def first_compiler_error(log_text):
    """The first 'error:' line of a build log, trimmed to file:line: message; else the
    first missing tool ("/bin/sh: 1: flex: not found"); else the last line."""
    for line in log_text.splitlines():
        if re.search(r"\berror:", line):
            return re.sub(r"^.*?(?=[\w.-]+/[\w./-]*\.[ch]:\d+)", "", line.strip())[:300]
    for line in log_text.splitlines():
        if re.search(r": not found$|: command not found$", line.strip()):
            return line.strip()[:300]
    lines = [line for line in log_text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def run_logged(cmd, log_path, failure, cwd=None, progress=None, every=15):
    """Run ``cmd`` appending to the log; raise BuildError "<failure>: <first error>".

    ``progress(elapsed_seconds)`` is called every ``every`` seconds while it runs, so a
    build of a minute or more shows it is alive.
    """
    with open(log_path, "a", encoding="utf-8") as log:
        log.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        log.flush()
        started = time.monotonic()
        with subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd) as proc:
            while True:
                try:
                    returncode = proc.wait(timeout=every if progress else None)
                    break
                except subprocess.TimeoutExpired:
                    progress(time.monotonic() - started)
    if returncode != 0:
        kept = os.path.join(os.path.dirname(os.path.dirname(log_path)),
                            os.path.basename(os.path.dirname(log_path)) + ".failed.log")
        shutil.copy(log_path, kept)
        with open(kept, encoding="utf-8", errors="replace") as text:
            first = first_compiler_error(text.read())
        shutil.rmtree(os.path.dirname(log_path), ignore_errors=True)
        raise BuildError(f"{failure}: {first}", kept)


def build_module(module_dir, release, out_dir, log_path, what="module", jobs=2, cache=None):
    """make modules in ``module_dir`` against ``release``; copy the .ko files to out_dir."""
    headers = ensure_headers(release, cache)
    run_logged(["make", "-C", headers, f"M={module_dir}", f"-j{jobs}", "modules"], log_path,
               failure=f"{what} build failed against {release}")
    modules = [n for n in os.listdir(module_dir) if n.endswith(".ko")]
    if not modules:
        raise BuildError(f"{what} build against {release} produced no .ko", log_path)
    for name in modules:
        shutil.copy(os.path.join(module_dir, name), out_dir)
    return [os.path.join(out_dir, name) for name in modules]


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def replace_dir(staging, final):
    """Publish a finished build atomically: a cache entry is whole or absent."""
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    return final


@contextlib.contextmanager
def build_lock(out):
    """Hold ``<out>.lock``: tests running in parallel build one module once, not into
    the same staging directory at the same time."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_cached(module_dir, release, cache=None, what="module"):
    """Build a module dir (cached by its sources and the release); return the .ko paths."""
    sha = hashlib.sha256(release.encode())
    for name in sorted(os.listdir(module_dir)):
        if name.endswith((".c", ".h")) or name in ("Kbuild", "Makefile"):
            with open(os.path.join(module_dir, name), "rb") as source:
                sha.update(name.encode() + source.read())
    out = os.path.join(host.cache_dir(cache), "module-builds",
                       f"{what}-{sha.hexdigest()[:16]}")
    with build_lock(out):
        if not os.path.isdir(out):
            work = fresh_dir(out + ".src")
            try:
                for name in os.listdir(module_dir):
                    if name.endswith((".c", ".h")) or name in ("Kbuild", "Makefile"):
                        shutil.copy(os.path.join(module_dir, name), work)
                staging = fresh_dir(out + ".tmp")
                build_module(work, release, staging, os.path.join(staging, "build.log"),
                             what=what, cache=cache)
                replace_dir(staging, out)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return sorted(os.path.join(out, n) for n in os.listdir(out) if n.endswith(".ko"))

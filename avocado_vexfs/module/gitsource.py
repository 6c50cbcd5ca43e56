"""Sources given as git URL[@ref]: split the spec, clone privately, name the commit.

VEXFS_SRC and FSTESTS_SRC accept the same forms; the error lines name the variable the
user set, so each caller passes it.
"""
import os
import re
import shutil
import subprocess

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import is_git_url

COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")


def split_ref(spec):
    """'URL@ref' -> (URL, ref); a path or a URL without @ref -> (spec, None).

    A local git directory takes @ref too ('/src/fstests@v2025.01.01'), but only when the
    part before the @ is a git checkout, so a directory whose name holds an @ stays whole.
    """
    if is_git_url(spec) and "@" in spec.rsplit("/", 1)[-1]:
        url, _, ref = spec.rpartition("@")
        return url, ref
    if not os.path.exists(spec) and "@" in os.path.basename(spec):
        path, _, ref = spec.rpartition("@")
        if ref and os.path.isdir(os.path.join(path, ".git")):
            return path, ref
    return spec, None


def is_clone_source(url, ref):
    """True when (url, ref) from split_ref is cloned rather than copied."""
    return is_git_url(url) or bool(ref and os.path.isdir(os.path.join(url, ".git")))


def clone(url, ref, tree, variable, spec):
    """Clone ``url`` into ``tree`` at ``ref``; the clone's .git is dropped."""
    result = subprocess.run(["git", "clone", "-q", url, tree], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(f"{variable}={spec}: git clone failed: {_reason(result.stderr)}")
    if ref:
        result = subprocess.run(["git", "-C", tree, "checkout", "-q", ref],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ConfigError(f"{variable}={spec}: git ref {ref!r} does not exist in {url}")
    shutil.rmtree(os.path.join(tree, ".git"), ignore_errors=True)


def resolve(url, ref, variable, spec):
    """The commit id ``ref`` (HEAD when None) names in ``url``, without cloning."""
    if ref and COMMIT_ID.match(ref):
        return ref
    if not is_git_url(url):
        result = subprocess.run(["git", "-C", url, "rev-parse", "--verify", "-q",
                                 f"{ref or 'HEAD'}^{{commit}}"],
                                capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return result.stdout.strip()
        raise ConfigError(f"{variable}={spec}: git ref {ref!r} does not exist in {url}")
    result = subprocess.run(["git", "ls-remote", url, ref or "HEAD"], capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(f"{variable}={spec}: git ls-remote failed: "
                          f"{_reason(result.stderr)}")
    commits = _ls_remote_commit(result.stdout, ref)
    if commits is None:
        raise ConfigError(f"{variable}={spec}: git ref {ref!r} does not exist in {url} "
                          f"(a commit id must be given in full, 40 hex digits)")
    return commits


def _ls_remote_commit(output, ref):
    """The commit of ``ref`` in ls-remote output: a peeled tag (^{}) wins over the tag."""
    found = {}
    for line in output.splitlines():
        sha, _, name = line.partition("\t")
        found[name] = sha
    for name in (f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}",
                 ref or "HEAD"):
        if name in found:
            return found[name]
    return next(iter(found.values()), None)


def _reason(stderr):
    """git's reason: its first fatal:/error: line; the advice that follows is generic."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    reasons = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (reasons or lines or ["no output"])[0]

"""Boot a guest and check it runs the kernel its variant asked for."""
from virttest import error_context

from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest


@error_context.context_aware
def run(test, params, env):
    """
    1) boot a guest from the cached image (overlay on the read-only base)
    2) check uname -r against the release the variant's kernel package installed
    3) the console verdict (no oops, BUG, WARNING, panic) is checked on the way out
    """
    with booted_guest(test, params) as guest:
        error_context.context("check the guest kernel release", test.log.info)
        running = guest.cmd("uname -r").strip()
        want = guest.kernel["release"]
        results = checks.Checks("boot")
        results.add("kernel_release", [] if running == want else [
            f"guest runs kernel {running}, variant {params['guest_kernel']} expects {want}"])
        test.log.info("boot to shell: %.1fs", guest.boot_seconds)
    known.report(test, params, results, release=want)

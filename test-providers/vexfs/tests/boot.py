"""Boot a guest and check it runs the kernel its variant asked for."""
from virttest import error_context

from avocado_vexfs.kernel import features
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vm import initramfs
from avocado_vexfs.vt.steps import booted_guest


@error_context.context_aware
def run(test, params, env):
    """
    1) boot a guest from the cached image (overlay on the read-only base)
    2) check uname -r against the release the variant's kernel package installed, and
       that the guest runs on every vCPU the cfg gave it (a boot option that lost the
       I/O APIC once left guests a single CPU, silently: SMP races went untested)
    3) check the set-up the initramfs promises: the pseudo filesystems, /dev/fd, lo up
       (it starts as few processes as it can, so a lost line would go unnoticed)
    4) check each checker the kernel was built with (KASAN, lockdep, kmemleak, UBSAN,
       KFENCE) is live in the guest: a debug kernel that lost one would pass everything
    5) the console verdict (no oops, BUG, WARNING, panic) is checked on the way out
    """
    with booted_guest(test, params) as guest:
        error_context.context("check the guest kernel release", test.log.info)
        running = guest.cmd("uname -r").strip()
        want = guest.kernel["release"]
        results = checks.Checks("boot")
        results.add("kernel_release", [] if running == want else [
            f"guest runs kernel {running}, variant {params['guest_kernel']} expects {want}"])
        online = int(guest.cmd("getconf _NPROCESSORS_ONLN").strip())
        results.add("vcpus", [] if online == guest.config.vcpus else [
            f"guest runs {online} CPU(s), the cfg gave it vcpus = {guest.config.vcpus}"])
        results.add("guest_setup", initramfs.setup_problems(
            guest.cmd("cat /proc/self/mounts"), guest.cmd("cat /sys/class/net/lo/flags"),
            guest.status_output("readlink /dev/fd")[1]))
        error_context.context("check the kernel's checkers are live", test.log.info)
        results.add("kernel_features", [
            f"{name}: built in ({features.FEATURES[name][0]}=y) but not live in the guest"
            for name in guest.kernel["features"]
            if guest.status_output(features.probe(name))[0] != 0])
        test.log.info("boot to shell: %.1fs; kernel checkers: %s", guest.boot_seconds,
                      " ".join(guest.kernel["features"]) or "none")
    known.report(test, params, results, release=want)

"""Kernel module lifecycle in a guest: insmod/rmmod cycles, use counts, taint, busy rmmod.

A module that loads once but leaks a debugfs dir, a kobject or a reference on unload
usually fails on the second or third insmod, or taints the kernel with a warning; so the
cycle is repeated and the taint word and the console are read after every step.
"""
import os
import shlex
import time

from avocado_vexfs.console import verdict as console_verdict
from avocado_vexfs.errors import GuestCommandError

# Taint letters (Documentation/admin-guide/tainted-kernels.rst). Loading any out-of-tree
# module sets O, and an unsigned one E; everything else means something went wrong.
TAINT_FLAGS = {
    0: "P proprietary module", 1: "F forced load", 2: "S out-of-spec system",
    3: "R forced unload", 4: "M machine check", 5: "B bad page", 6: "U user request",
    7: "D kernel died (oops)", 8: "A ACPI table overridden", 9: "W warning",
    10: "C staging driver", 11: "I firmware workaround", 12: "O out-of-tree module",
    13: "E unsigned module", 14: "L soft lockup", 15: "K live patched",
    16: "X auxiliary", 17: "T randstruct", 18: "N test",
}
EXPECTED_TAINT = (1 << 12) | (1 << 13)


class LifecycleError(AssertionError):
    """A step of the lifecycle went wrong; the message names the cycle and the step."""


def module_name(ko_path):
    """The name /sys/module knows: the file's base name with dashes as underscores."""
    return os.path.basename(ko_path)[:-len(".ko")].replace("-", "_")


def taint(guest):
    return int(guest.cmd("cat /proc/sys/kernel/tainted").strip())


def describe_taint(bits):
    return ", ".join(TAINT_FLAGS.get(bit, f"bit {bit}") for bit in range(32)
                     if bits & (1 << bit)) or "none"


def unexpected_taint(before, after):
    """Taint bits set since ``before`` other than the out-of-tree/unsigned ones."""
    return after & ~before & ~EXPECTED_TAINT


def loaded(guest, name):
    status, _ = guest.status_output(f"test -d /sys/module/{shlex.quote(name)}")
    return status == 0


def refcount(guest, name):
    status, output = guest.status_output(f"cat /sys/module/{shlex.quote(name)}/refcnt")
    return int(output.strip()) if status == 0 else None


class Cycler:
    """insmod/rmmod a module in ``guest`` and check the kernel's state after each step."""

    def __init__(self, guest, module_path, params):
        self.guest = guest
        self.path = module_path
        self.name = module_name(module_path)
        self.params = params
        self.taint_before = taint(guest)
        self.timings = {"insmod": [], "rmmod": []}

    def check_clean(self, where):
        """Fail at the first console crash or new taint; ``where`` names the step."""
        crash = console_verdict.first_crash(self.guest.console_text(), self.params)
        if crash:
            raise LifecycleError(f"{where}: {console_verdict.describe(crash)}")
        new = unexpected_taint(self.taint_before, taint(self.guest))
        if new:
            raise LifecycleError(f"{where}: kernel tainted: {describe_taint(new)}")

    def insmod(self, where, args=""):
        self.guest.mark_step(f"insmod {where}")
        start = time.monotonic()
        try:
            self.guest.cmd(f"insmod {shlex.quote(self.path)} {args}".strip())
        except GuestCommandError as err:
            raise LifecycleError(f"{where}: insmod failed: {err.output.strip()}; kernel "
                                 f"says: {self.guest.last_kernel_message()}") from err
        self.timings["insmod"].append(time.monotonic() - start)
        if not loaded(self.guest, self.name):
            raise LifecycleError(f"{where}: insmod returned 0 but /sys/module/"
                                 f"{self.name} does not exist")
        count = refcount(self.guest, self.name)
        if count != 0:
            raise LifecycleError(f"{where}: use count {count} right after insmod: "
                                 f"expected 0")
        self.check_clean(f"{where} insmod")

    def rmmod(self, where):
        self.guest.mark_step(f"rmmod {where}")
        start = time.monotonic()
        status, output = self.guest.status_output(f"rmmod {shlex.quote(self.name)}")
        if status != 0:
            raise LifecycleError(f"{where}: rmmod {self.name} failed: {output.strip()}")
        self.timings["rmmod"].append(time.monotonic() - start)
        if loaded(self.guest, self.name):
            raise LifecycleError(f"{where}: rmmod returned 0 but /sys/module/"
                                 f"{self.name} is still there")
        self.check_clean(f"{where} rmmod")

    def cycles(self, count, args=""):
        for number in range(1, count + 1):
            where = f"cycle {number}/{count}"
            self.insmod(where, args)
            self.rmmod(where)
        # after unload, what the module kept only in its own globals is unreferenced:
        # a leak there is a leak of the module
        if self.guest.kmemleak_scan(f"kmemleak scan after {count} rmmod"):
            self.check_clean("kmemleak scan after rmmod")

    def refuse_busy_rmmod(self, hold, release, where="busy"):
        """With the module held by ``hold`` (a shell command), rmmod must fail.

        ``hold`` takes a reference (a mount, an open file); the use count must rise, a
        plain rmmod must be refused with the module still loaded, and once ``release``
        has run the count must be back to 0.
        """
        self.guest.mark_step(f"hold {where}")
        self.guest.cmd(hold)
        count = refcount(self.guest, self.name)
        if not count:
            raise LifecycleError(f"{where}: use count {count} while held by {hold!r}: "
                                 f"expected at least 1")
        status, output = self.guest.status_output(f"rmmod {shlex.quote(self.name)}")
        if status == 0 or not loaded(self.guest, self.name):
            raise LifecycleError(f"{where}: rmmod {self.name} succeeded while the "
                                 f"module was in use (count {count})")
        self.guest.mark_step(f"release {where}")
        self.guest.cmd(release)
        count = refcount(self.guest, self.name)
        if count != 0:
            raise LifecycleError(f"{where}: use count {count} after {release!r}: "
                                 f"expected 0 (a reference leaked)")
        self.check_clean(f"{where} rmmod refused ({output.strip()})")
        return output.strip()

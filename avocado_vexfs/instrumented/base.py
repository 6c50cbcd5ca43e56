"""FilesystemTest: an avocado.Test whose test methods run on a mounted filesystem under test.

A scenario is a class with ``test*`` methods; each method gets its own fresh guest::

    class Hello(FilesystemTest):
        '''A file written survives a remount.

        :avocado: tags=fast,ext4,vexfs
        '''
        def test_write(self):
            self.guest.cmd(f"echo hello > {self.mountpoint}/hello")
            self.remount()
            found = self.guest.cmd(f"cat {self.mountpoint}/hello").strip()
            self.results.add("write", [] if found == "hello" else [f"read {found!r}"])

Around each method, with the provider's own steps (vt.steps), in this order:

- setUp: the parameters (instrumented.params: the provider's cfg, the class's DEFAULTS,
  then ``-p``/variants; one line for a bad one, before anything is built), then the
  filesystem's module built for the guest kernel (cancelled without VEXFS_SRC, ERROR
  with the first compiler error on a build failure);
- the method's own run: a guest booted (booted_guest: the console verdict, facts.json,
  console.log in the logdir, the guest destroyed at the end whatever happens), the
  module loaded, mkfs and mount on the first scratch disk (MOUNT = False: loaded only),
  the method's body, umount if still mounted, then the verdict of ``self.results`` by
  signature against cfg/expected/<fs>.txt (known.report, checks.json).

Why the guest lives in the method and not in setUp/tearDown: Avocado makes any
exception in setUp or tearDown an ERROR, while a kernel crash must FAIL the test with
its title, and known.report's CANCEL (known failures only) and WARN must stay what they
are. So the class wraps each test method; the body sees a mounted filesystem.
"""
import functools
import re

from avocado import Test

from avocado_vexfs import cfgkeys
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.instrumented import params as params_mod
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vm import guest as guest_mod
from avocado_vexfs.vt import steps


class FilesystemTest(Test):
    """Base class of the instrumented scenarios (see the module docstring).

    Class attributes a scenario may set:

    - SUITE: prefix of its check names, as in checks.json and cfg/expected/<fs>.txt
      (default: the module's name); a scenario that shares a provider suite's known
      failures uses that suite's name (crash_consistency).
    - FILESYSTEMS: the fs_types it applies to (None: all); the first is its default
      fs_type, and any other is a CANCEL with the reason.
    - PROVIDER_VARIANT: a variant of the provider's subtests.cfg whose settings it
      starts from (disks, counts), e.g. ``crash_consistency.quick``.
    - DEFAULTS: {cfg key: cfg text} it starts from; the run's parameters win.
    - MOUNT: False to get the module loaded but no mkfs or mount (the body makes its own).
    """

    SUITE = None
    FILESYSTEMS = None
    PROVIDER_VARIANT = None
    DEFAULTS = {}
    MOUNT = True
    # seconds for one test method, boot and build included; a scenario may set its own
    timeout = 3600

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        body = getattr(self, self._testMethodName, None)
        if callable(body):
            setattr(self, self._testMethodName,
                    functools.wraps(body)(functools.partial(self._in_guest, body)))
        # the body runs in a worker thread; this is the runner's main thread
        guest_mod.chain_signal_cleanup()
        self.cfg = None
        self.filesystem = None
        self.guest = None
        self.device = None
        self.results = None

    @property
    def suite(self):
        return self.SUITE or self.__class__.__module__.rsplit(".", 1)[-1]

    @property
    def short_name(self):
        """The class, method and fs type: the guest's name hint."""
        fs_type = (self.cfg or {}).get("fs_type", "")
        return re.sub(r"[^A-Za-z0-9_.-]+", "-",
                      f"{self.suite}.{self._testMethodName}.{fs_type}".strip("."))

    @property
    def mountpoint(self):
        return self.value("mountpoint")

    def value(self, key):
        """The typed value of a cfg key for this test (cfgkeys.get: declared default
        when unset, the quick rule applied)."""
        return cfgkeys.get(self.cfg, key)

    def setUp(self):
        defaults = dict(self.DEFAULTS)
        if self.FILESYSTEMS:
            defaults.setdefault("fs_type", self.FILESYSTEMS[0])
        given = params_mod.given(self.params)
        fs_type = given.get("fs_type", defaults.get("fs_type"))
        if self.FILESYSTEMS and fs_type not in self.FILESYSTEMS:
            self.cancel(f"{self.suite} applies to {', '.join(self.FILESYSTEMS)} only, "
                        f"not fs_type {fs_type}")
        try:
            self.cfg = params_mod.build(given, self.suite, defaults, self.PROVIDER_VARIANT)
        except ConfigError as err:
            self.error(str(err))
        self.cfg["shortname"] = self.short_name
        self.results = checks.Checks(self.suite)
        self.filesystem = steps.build_filesystem(self, self.cfg)

    def _in_guest(self, body):
        """The test method's run: guest, load, mkfs, mount, body, umount, verdict."""
        with steps.booted_guest(self, self.cfg) as guest:
            self.guest = guest
            if self.MOUNT:
                self.device = steps.format_and_mount(self, guest, self.filesystem,
                                                     self.mountpoint)
            else:
                steps.load_filesystem(self, guest, self.filesystem)
                self.device = guest.scratch[0]
            body()
            if self.mounted():
                guest.mark_step("umount")
                self.filesystem.umount(guest, self.mountpoint)
        known.report(self, self.cfg, self.results, release=guest.kernel["release"])

    def mounted(self):
        """Whether the filesystem under test is mounted on the mountpoint now."""
        return self.guest.status_output(f"mountpoint -q {self.mountpoint}")[0] == 0

    def remount(self):
        """umount and mount the device again: what survives is on the disk."""
        self.guest.mark_step("remount")
        self.filesystem.umount(self.guest, self.mountpoint)
        self.filesystem.mount(self.guest, self.device, self.mountpoint)

    def reload_module(self):
        """umount, rmmod and insmod the filesystem's module, mount again: nothing may
        live only in the module's memory. A built-in filesystem is only remounted."""
        self.guest.mark_step("module reload")
        self.filesystem.umount(self.guest, self.mountpoint)
        if self.filesystem.has_module:
            self.filesystem.unload(self.guest)
            steps.load_filesystem(self, self.guest, self.filesystem)
        self.filesystem.mount(self.guest, self.device, self.mountpoint)

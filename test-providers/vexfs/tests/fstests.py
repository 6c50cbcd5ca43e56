"""One fstests test on the filesystem under test: its own Avocado result, a shared guest."""
import os

from avocado.core import exceptions
from virttest import error_context

from avocado_vexfs.fstests import build as fstests_build
from avocado_vexfs.fstests import run as fstests_run
from avocado_vexfs.fstests import runtimes
from avocado_vexfs.fstests import source as fstests_source
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vm import pool as pool_mod
from avocado_vexfs.vt import facts
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, guest_image, \
    load_filesystem


@error_context.context_aware
def run(test, params, env):
    """
    0) build the filesystem's module and fstests (FSTESTS_SRC, cached per source and
       guest image) on the host, before any guest boots
    1) take the job's shared guest for this slot when one is set up for this variant
       (fstests_share_guests), or boot one: load the module, attach the fstests tree,
       write local.config, mkfs TEST_DEV
    2) a fresh filesystem on TEST_DEV (fstests_fresh_test_dev: verdicts must not depend
       on which tests the pooled guest ran before), then ./check <fstests_test> with its own RESULT_BASE; a test that outlives fstests_timeout is a
       hang (SysRq dumps on the console, the guest is replaced)
    3) keep .out.bad, its diff, .full, .dmesg and check.log in the logdir; the console
       verdict names any oops during the test; a healthy guest goes back to the pool
    4) fstests' notrun is SKIP with its reason; a failure is judged by its signature
       (cfg/expected/<fs>.txt)
    """
    name = params["fstests_test"]
    filesystem = build_filesystem(test, params)
    spec = fstests_source.source_from(params)
    if not spec:
        test.cancel("fstests needs FSTESTS_SRC (an fstests directory, tarball or git "
                    "URL[@ref]); it is not set")
    built = fstests_build.ensure(spec, os.path.basename(guest_image(params).directory),
                                 cache=params.get("image_cache_dir") or None)
    facts.record(test.logdir, fstests=built.manifest.get("digest", ""),
                 fstests_test=name)
    pool = None
    if params.get("fstests_share_guests", "yes") == "yes":
        pool = pool_mod.Pool.from_env_value(os.environ.get(pool_mod.POOL_ENV, ""))

    def setup(guest):
        load_filesystem(test, guest, filesystem)
        fstype = filesystem.fstests_plugin(guest)
        fstests_run.prepare(guest, filesystem, fstype)

    # a guest set up for another build or other options is not reused
    key = " ".join([built.directory, filesystem.name, filesystem.mkfs_options,
                    filesystem.mount_options, filesystem.build_id()])
    results = checks.Checks("fstests")
    results.plan(name)
    with booted_guest(test, params, pool=pool, pool_key=key, setup=setup,
                      extra_disks=[(fstests_run.DISK_NAME, built.image)]) as guest:
        error_context.context(f"fstests {name}", test.log.info)
        # after an oops fstests waits on what the dead task held: end at once instead
        # of at fstests_timeout; the console verdict titles the oops
        guest.watch_for_oops()
        if params.get("fstests_fresh_test_dev", "yes") == "yes":
            fstests_run.remake_test_dev(guest, filesystem)
        result = fstests_run.run_one(guest, name, float(params.get("fstests_timeout", 900)))
        fstests_run.fetch_artifacts(guest, name, test.logdir)
    test.log.info("fstests %s: %s in %.0fs %s", name, result.status, result.seconds,
                  result.reason or "; ".join(result.problems))
    # the order of later selections: every test's wall time (fstests times passes only)
    runtimes.record(filesystem.name, name, result.wall_seconds,
                    cache=params.get("image_cache_dir") or None)
    facts.record(test.logdir, fstests_status=result.status,
                 fstests_seconds=result.seconds, fstests_wall_seconds=result.wall_seconds)
    if result.status == "notrun":
        raise exceptions.TestSkipError(f"fstests: not run: "
                                       f"{result.reason or 'no reason given'}")
    results.add(name, list(result.problems))
    known.report(test, params, results, release=guest.kernel["release"])

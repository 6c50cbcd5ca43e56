"""VexFS vector ioctls on a file: add known vectors, search the k nearest, check them."""
from virttest import error_context

from avocado_vexfs.checks import vector
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt.steps import booted_guest, build_filesystem, format_and_mount


def _judge(test, result, plan, vectors, query, results):
    """The ioctl errnos and the search's ids, order and distances into ``results``."""
    not_built_in, problems = vector.judge(result, plan, vectors, query)
    if not_built_in:
        test.cancel(vector.not_built_in_reason())
    results.add("add", problems["add"])
    results.add("search", problems["search"])


@error_context.context_aware
def run(test, params, env):
    """
    0) read vector_count, vector_dimensions, vector_k and the distance settings (a bad
       value ends the test before any guest boots); build the module, insmod it
    1) mkfs on the scratch disk and mount it
    2) from python3 in the guest, add vector_count vectors with known coordinates (in a
       shuffled order) with VEXFS_IOC_ADD_VECTOR, then search the vector_k nearest of a
       query with VEXFS_IOC_SEARCH
    3) ENOTTY from every call alone means the build has no vector ioctls: cancelled with
       that reason. EINVAL and every other errno fail (EINVAL is also what a broken
       argument check returns). The returned ids, their order and their distances must
       match the nearest neighbours computed on the host
    4) umount; an oops anywhere fails the test (the console verdict)
    """
    plan = vector.plan_from(params)
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    local, vectors, query = vector.write_input(test.logdir, f"{mountpoint}/vectors", plan)
    results = checks.Checks("vector_ioctl")
    with booted_guest(test, params) as guest:
        format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("vector ioctls", test.log.info)
        guest.mark_step("vector ioctls")
        result = vector.run_script(guest, local)
        test.log.info("vector ioctl result: %s", result)
        guest.mark_step("umount")
        filesystem.umount(guest, mountpoint)
    _judge(test, result, plan, vectors, query, results)
    known.report(test, params, results, release=guest.kernel["release"])

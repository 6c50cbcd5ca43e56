"""VexFS vector ioctls on a file: VEXFS_IOC_ADD_VECTOR, then VEXFS_IOC_SEARCH."""
from virttest import error_context

from avocado_vexfs import expected, vector
from avocado_vexfs.vt import booted_guest, build_filesystem, format_and_mount


@error_context.context_aware
def run(test, params, env):
    """
    0) build the module for the guest kernel, copy it in, insmod it
    1) mkfs on the scratch disk and mount it
    2) from python3 in the guest, add three vectors of vector_dimensions floats to a file
       with VEXFS_IOC_ADD_VECTOR, then search for the two nearest with VEXFS_IOC_SEARCH
    3) ENOTTY/EINVAL/EOPNOTSUPP: the build has no such ioctl, the test is cancelled;
       any other errno, or an oops (the console verdict), fails it
    4) umount
    """
    filesystem = build_filesystem(test, params)
    mountpoint = params.get("mountpoint", "/mnt/test")
    with booted_guest(test, params) as guest:
        format_and_mount(test, guest, filesystem, mountpoint)
        error_context.context("vector ioctls", test.log.info)
        guest.mark_step("vector ioctls")
        result = vector.add_and_search(guest, f"{mountpoint}/vectors",
                                       params.get("vexfs_ioc_add_vector", "0x41185601"),
                                       params.get("vexfs_ioc_search", "0xC1285602"),
                                       params.get("vector_dimensions", 4))
        test.log.info("vector ioctl result: %s", result)
        guest.mark_step("umount")
        filesystem.umount(guest, mountpoint)
    unsupported = [f"{name}: {err}" for name, err in
                   [("add", e) for e in result["add"]] + [("search", result["search"])]
                   if err in vector.UNSUPPORTED]
    if unsupported:
        test.cancel(f"unsupported by this build: {'; '.join(unsupported)}")
    problems = [f"add vector: {err}" for err in result["add"] if err != "ok"]
    if result["search"] != "ok":
        problems.append(f"search: {result['search']}")
    elif not any(vector_id for vector_id, _distance in result["results"]):
        problems.append(f"search returned no vector ids: {result['results']}")
    expected.report(test, params, problems, what="vector ioctls")

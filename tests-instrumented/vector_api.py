"""VexFS's vector API end to end, and that the vectors outlive a remount and a reload."""
from avocado_vexfs.checks import vector
from avocado_vexfs.instrumented.base import FilesystemTest


class VectorApi(FilesystemTest):
    """
    Add vector_count known vectors to a file (VEXFS_IOC_ADD_VECTOR, shuffled), search
    the vector_k nearest of a query (VEXFS_IOC_SEARCH) and check ids, order and
    distances against the host's answer (checks/vector.py); then the same search
    without adding, after umount/mount and after rmmod/insmod: vectors kept only in
    the module's memory are lost there. ENOTTY from every call means a build without
    the ioctls: CANCEL with that reason. The numbers are the provider's vector_ioctl.

    :avocado: tags=vexfs,vector,level2
    """

    FILESYSTEMS = ("vexfs",)
    PROVIDER_VARIANT = "vector_ioctl"

    def test(self):
        plan = vector.plan_from(self.cfg)
        path = f"{self.mountpoint}/vectors"
        add, vectors, query = vector.write_input(self.logdir, path, plan)
        search, _, _ = vector.write_input(self.logdir, path, plan, add=False,
                                          name="vector_search_input.json")
        self.guest.mark_step("vector add and search")
        held = self.judge("", vector.run_script(self.guest, add), plan, vectors, query)
        self.remount()
        self.judge("_after_remount", vector.run_script(self.guest, search), plan, held,
                   query)
        self.reload_module()
        self.judge("_after_reload", vector.run_script(self.guest, search), plan, held,
                   query)

    def judge(self, when, result, plan, vectors, query):
        """Checks add<when> (when it added) and search<when>; the vectors now held."""
        self.log.info("vector ioctl result%s: %s", when, result)
        not_built_in, problems = vector.judge(result, plan, vectors, query)
        if not_built_in:
            self.cancel(vector.not_built_in_reason())
        if result["add"]:
            self.results.add(f"add{when}", problems["add"])
        self.results.add(f"search{when}", problems["search"])
        return vector.accepted(vectors, result) if result["add"] else vectors

"""Mount-path fuzzing: corrupted images of the filesystem under test must never crash."""
import json
import os

from virttest import error_context

from avocado_vexfs import paths
from avocado_vexfs.fuzz import campaign, findings, imagefile, seeds
from avocado_vexfs.params import param
from avocado_vexfs.verdict import checks, known
from avocado_vexfs.vt import facts
from avocado_vexfs.vt.steps import (booted_guest, build_filesystem, load_filesystem,
                                    started_guest)


@error_context.context_aware
def run(test, params, env):
    """
    0) for vexfs: build the module for the guest kernel
    1) in a first guest, make seed images: mkfs plus small workloads on the fuzz disk,
       copied out on the host (<logdir>/fuzz/seeds/)
    2) until fuzz_minutes is spent: mutate a seed, write it into the fuzz disk, mount,
       walk, umount in the guest; a crash title is a finding and the next case runs in
       a fresh guest (<logdir>/fuzz/findings/<title>/ with a reproducer)
    3) FAIL with every finding's title; no case run is an error, never a pass
    With fuzz_replay = <finding dir>: re-run that one case in a fresh guest instead.
    """
    filesystem = build_filesystem(test, params)
    if params.get("fuzz_replay"):
        return replay(test, params, filesystem, params["fuzz_replay"])
    out = os.path.join(test.logdir, "fuzz")

    def new_guest(index):
        logdir = os.path.join(out, f"guest-{index}")
        os.makedirs(logdir, exist_ok=True)
        guest = started_guest(test, params, f"fuzz{index}", logdir)
        load_filesystem(test, guest, filesystem)
        return guest

    error_context.context("make seed images in a guest", test.log.info)
    first = new_guest(0)
    try:
        made = seeds.make(first, filesystem, first.scratch[0], first.scratch_files[0],
                          os.path.join(out, "seeds"))
    finally:
        first.cleanup()
    _write_run(out, params, filesystem)
    minutes = float(param(params, "fuzz_minutes", 5))
    error_context.context(f"fuzz for {minutes} min", test.log.info)
    run_ = campaign.Campaign(
        filesystem=filesystem, new_guest=lambda index: new_guest(index + 1), seeds=made,
        out_dir=out, minutes=minutes, params=params,
        case_timeout=params.get("fuzz_case_timeout", 20),
        rng_seed=params.get("fuzz_rng_seed", 0))
    stats = run_.run()
    facts.record(test.logdir, fuzz={k: v for k, v in stats.items() if k != "titles"})
    test.log.info("fuzz: %d cases in %.0f s (%.1f/min), %d guests, %d crashes, "
                  "%d unique titles", stats["cases"], stats["seconds"],
                  stats["cases_per_minute"], stats["guests"], stats["crashes"],
                  stats["findings"])
    if not stats["cases"]:
        test.error("fuzz ran no case in its budget: nothing was tested")
    results = checks.Checks("fuzz")
    results.add("crash", [f"{found['title']} (cases: {found['count']}; reproduce: "
                          f"{found['command']})" for found in run_.store.all()])
    known.report(test, params, results, release=stats.get("kernel_release", ""))


def replay(test, params, filesystem, finding_dir):
    """One finding's case in a fresh guest: the usual crash verdict judges it."""
    finding = findings.load(finding_dir)
    with booted_guest(test, params) as guest:
        load_filesystem(test, guest, filesystem)
        image = findings.reproduce_image(finding_dir, os.path.join(test.logdir, "case.img"))
        imagefile.overwrite(guest.scratch_files[0], imagefile.read_image(image))
        guest.put_file(paths.guest_script(campaign.WALK_SCRIPT),
                       campaign.GUEST_WALK, mode=0o755)
        guest.mark_step(f"fuzz case {finding['first_case_id']}")
        status, _ = guest.status_output(
            f"{campaign.GUEST_WALK} {filesystem.fstype} {guest.scratch[0]} /mnt/fuzz "
            f"{params.get('fuzz_case_timeout', 20)}", timeout=300)
    # the image no longer crashes the kernel: the test (no crash) holds; the finding
    # did not reproduce (fixed, or it needed the guest's earlier cases)
    test.log.warning("not reproduced: case %s walked without a crash (walk status %s); "
                     "the finding was %r", finding["first_case_id"], status,
                     finding["title"])
    facts.record(test.logdir, fuzz_replay={"finding": finding_dir,
                                           "title": finding["title"], "reproduced": False})


def _write_run(out, params, filesystem):
    """What a reproducer needs besides the image: the variant and its sources."""
    run_info = {"shortname": params.get("shortname", ""), "fs": filesystem.name,
                **{key: params.get(key, "") for key in (
                    "vexfs_src", "vexfs_patches", "guest_kernel_flavour",
                    "fuzz_case_timeout")}}
    os.makedirs(os.path.join(out, "findings"), exist_ok=True)
    with open(os.path.join(out, "findings", "run.json"), "w", encoding="utf-8") as dest:
        json.dump(run_info, dest, indent=1)


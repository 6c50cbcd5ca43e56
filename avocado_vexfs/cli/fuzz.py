"""avocado-vexfs fuzz-repro: re-run a fuzz finding's case in a fresh guest.

A finding directory (written by the fuzz test under <logdir>/fuzz/findings/) holds the
case as a delta from its seed; ``run.json`` beside the findings names the variant and
its sources. The case is re-run as the same variant with ``fuzz_replay``, through
Avocado, so the verdict is the usual one; reproduced means a FAIL with the same title.
"""
import json
import os

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import findings
from avocado_vexfs.paths import REPO
from avocado_vexfs.triage import run_variant

FUZZ_CFG = os.path.join(REPO, "cfg", "level3.cfg")
RUN_KEYS = ("vexfs_src", "vexfs_patches", "guest_kernel_flavour", "fuzz_case_timeout")


def plan(finding_dir):
    """(finding, avocado argv) for re-running ``finding_dir``'s case."""
    finding_dir = os.path.abspath(finding_dir)
    finding = findings.load(finding_dir)
    run_file = os.path.join(os.path.dirname(finding_dir), "run.json")
    try:
        with open(run_file, encoding="utf-8") as source:
            run_info = json.load(source)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{run_file} cannot be read ({err}): expected the run.json the "
                          f"fuzz test writes beside its findings") from err
    extra = [f"fuzz_replay={finding_dir}"] + [
        f"{key}={run_info[key]}" for key in RUN_KEYS if run_info.get(key)]
    return finding, run_variant.command(FUZZ_CFG, run_info["shortname"], extra)


def _cmd_fuzz_repro(args):
    finding, argv = plan(args.finding)
    print(f"fuzz-repro: {finding['title']} (case {finding['first_case_id']})")
    print(f"  {run_variant.shell(argv)}")
    outcome = run_variant.run(argv, timeout=args.timeout)
    said = outcome.title or outcome.fail_reason
    reproduced = outcome.status == "FAIL" and finding["title"] in said
    print(f"{'reproduced' if reproduced else 'not reproduced'}: {outcome.describe()} "
          f"({outcome.seconds} s, job {outcome.job_dir})")
    return 0 if reproduced else 1


def add_parsers(sub):
    repro = sub.add_parser("fuzz-repro", help="re-run a fuzz finding's case in a fresh "
                           "guest; exit 0 when it crashes with the same title")
    repro.add_argument("finding", help="a finding directory (<logdir>/fuzz/findings/<title>)")
    repro.add_argument("--timeout", type=int, default=1800, help="seconds for the run")
    repro.set_defaults(func=_cmd_fuzz_repro)

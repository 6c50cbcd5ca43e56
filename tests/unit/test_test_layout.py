import os

HERE = os.path.dirname(os.path.abspath(__file__))


def test_unit_and_e2e_test_files_have_distinct_names():
    """pytest imports both dirs by basename (no packages): a shared name stops collection."""
    names = {d: {f for f in os.listdir(os.path.join(HERE, "..", d)) if f.startswith("test_")}
             for d in ("unit", "e2e")}
    assert names["unit"] & names["e2e"] == set()


PACKAGE = os.path.join(HERE, "..", "..", "avocado_vexfs")
SUBSYSTEMS = ("vm", "module", "checks", "crashcons", "bench", "console", "verdict", "vt",
              "triage", "report", "cli", "fstests", "instrumented")
TOP_LEVEL = {"__init__.py", "errors.py", "paths.py", "settings.py", "params.py", "cfgkeys.py",
             "makevars.py"}


def test_library_is_grouped_by_subsystem():
    """A newcomer meets the subsystems as folders; only shared values stay at the top."""
    entries = {e for e in os.listdir(PACKAGE) if e != "__pycache__"}
    assert {e for e in entries if e.endswith(".py")} == TOP_LEVEL
    for name in SUBSYSTEMS:
        assert os.path.isfile(os.path.join(PACKAGE, name, "__init__.py")), name


def test_guest_scripts_and_templates_ship_from_where_setup_py_says():
    """setup.py's package_data globs must match files, or an installed copy boots without them."""
    with open(os.path.join(PACKAGE, "..", "setup.py"), encoding="utf-8") as src:
        setup = src.read()
    for glob_dir, suffix in (("vm/templates", ".j2"), ("checks/guest", ".py"),
                             ("report/templates", ".j2")):
        assert f'"{glob_dir}/*{suffix}"' in setup
        assert any(f.endswith(suffix) for f in os.listdir(os.path.join(PACKAGE, glob_dir)))

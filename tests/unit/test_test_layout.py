import os

HERE = os.path.dirname(os.path.abspath(__file__))


def test_unit_and_e2e_test_files_have_distinct_names():
    """pytest imports both dirs by basename (no packages): a shared name stops collection."""
    names = {d: {f for f in os.listdir(os.path.join(HERE, "..", d)) if f.startswith("test_")}
             for d in ("unit", "e2e")}
    assert names["unit"] & names["e2e"] == set()

"""Vector ioctls: the data set, the host's nearest neighbours, and how results are judged."""
import math
import os
import subprocess
import sys

import pytest

from avocado_vexfs.checks import vector
from avocado_vexfs.errors import ConfigError
from avocado_vexfs.verdict import checks
from avocado_vexfs.vm import guest_result

PARAMS = {"vector_count": "16", "vector_dimensions": "4", "vector_k": "4"}
PLAN = vector.plan_from(PARAMS)
VECTORS, QUERY = vector.dataset(PLAN)
# vector i sits at (i, i, i, i); the query at 8.3 everywhere: |i - 8.3| * sqrt(4)
NEAREST = [(9, 0.6), (10, 1.4), (8, 2.6), (11, 3.4)]


def _slots(pairs, k=4):
    """Result slots as the kernel would leave them, the rest unwritten."""
    slots = [[i, d] for i, d in pairs]
    return slots + [[vector.UNWRITTEN, vector.UNWRITTEN]] * (k - len(slots))


def _right():
    return _slots([(i, round(d * 1000)) for i, d in NEAREST])


def test_dataset_ids_are_not_the_order_they_are_added_in():
    ids = [vector_id for vector_id, _coords in VECTORS]
    assert sorted(ids) == list(range(1, 17)) and ids != sorted(ids)
    assert dict(VECTORS)[5] == [4.0] * 4 and QUERY == [8.3] * 4
    assert vector.dataset(PLAN) == (VECTORS, QUERY)  # the same on every run


def test_nearest_alternates_around_the_query_with_distinct_distances():
    got = vector.nearest(VECTORS, QUERY, 4, "euclidean")
    assert [i for i, _d in got] == [i for i, _d in NEAREST]
    assert all(math.isclose(d, want) for (_i, d), (_j, want) in zip(got, NEAREST))
    assert vector.nearest(VECTORS, QUERY, 2, "manhattan")[1][1] == pytest.approx(2.8)


def test_the_right_answer_has_no_problem():
    assert vector.check_search(VECTORS, QUERY, _right(), PLAN) == []


def test_one_fixed_point_unit_off_is_rounding_not_a_problem():
    slots = [[i, int(d * 1000) - 1] for i, d in NEAREST]
    assert vector.check_search(VECTORS, QUERY, slots, PLAN) == []


def test_a_stub_returning_the_first_vectors_added_fails_ids_and_distances():
    first = [(vector_id, 1000) for vector_id, _coords in VECTORS[:4]]
    problems = vector.check_search(VECTORS, QUERY, _slots(first), PLAN)
    assert [p.split(":")[0] for p in problems] == ["ids", "distances"]
    assert problems[0] == (f"ids: got {[i for i, _d in first]}, expected the 4 nearest "
                           f"[9, 10, 8, 11]")


def test_right_ids_in_the_wrong_order_fail_the_order():
    slots = sorted(_right())
    problems = vector.check_search(VECTORS, QUERY, slots, PLAN)
    assert problems == ["order: got [8, 9, 10, 11], expected nearest first [9, 10, 8, 11]"]


def test_slots_left_unwritten_fail_the_count():
    slots = _slots([(9, 600), (10, 1400)])
    problems = vector.check_search(VECTORS, QUERY, slots, PLAN)
    assert problems[0] == "count: 2 results written, expected 4"
    assert problems[1].startswith("ids: got [9, 10], expected the 4 nearest")


def test_wrong_distances_name_the_ids():
    slots = _right()
    slots[2][1] = 5000
    problems = vector.check_search(VECTORS, QUERY, slots, PLAN)
    assert problems == ["distances: 1 of 4 off by more than 1% (scale 1000): id 8: got "
                        "5000, expected 2600"]


def test_signatures_keep_the_sub_check_and_mask_the_numbers():
    problems = vector.check_search(VECTORS, QUERY, sorted(_right()), PLAN)
    assert checks.signature("vector_ioctl.search", problems[0]) == (
        "vector_ioctl.search/order: got [N, N, N, N], expected nearest first [N, N, N, N]")


def _result(add, search):
    return {"add": [add] * 16, "search": search, "returned": None, "results": []}


def test_enotty_from_every_call_alone_means_not_built_in():
    assert vector.errno_problems(_result("ENOTTY", "ENOTTY"), 16) == \
        (True, {"add": [], "search": []})


@pytest.mark.parametrize("add, search, add_problems, search_problems", [
    ("EINVAL", "EINVAL", ["EINVAL for 16 of 16 vectors"], ["EINVAL"]),
    ("ok", "EINVAL", [], ["EINVAL"]),
    ("EFAULT", "ok", ["EFAULT for 16 of 16 vectors"], []),
    ("ok", "ENOTTY", [], ["ENOTTY while add is built in (the search request number or "
                          "struct size does not match this build)"]),
    ("ok", "ok", [], []),
])
def test_every_other_errno_is_a_problem(add, search, add_problems, search_problems):
    assert vector.errno_problems(_result(add, search), 16) == \
        (False, {"add": add_problems, "search": search_problems})


def test_errno_signatures_name_the_call_and_the_errno():
    problems = vector.errno_problems(_result("EINVAL", "ok"), 16)[1]["add"]
    assert checks.signature("vector_ioctl.add", problems[0]) == \
        "vector_ioctl.add: EINVAL for N of N vectors"


def test_only_accepted_vectors_are_expected_back():
    result = _result("ok", "ok")
    result["add"][0] = "ENOMEM"
    assert vector.accepted(VECTORS, result) == VECTORS[1:]


@pytest.mark.parametrize("change, message", [
    ({"vector_k": "17"}, r"vector_k = '17': expected a whole number between 1 and 16"),
    ({"vector_count": "1"}, r"vector_count = '1': expected a whole number between 2 and"),
    ({"vector_dimensions": "0"}, r"vector_dimensions = '0': expected a whole number"),
    ({"vector_dimensions": "four"}, r"vector_dimensions = 'four'"),
    ({"vector_distance_metric": "cosine"}, r"expected one of euclidean, manhattan"),
    ({"vector_distance_scale": "nan"}, r"vector_distance_scale = 'nan': expected a number"),
    ({"vexfs_ioc_search": "search"}, r"vexfs_ioc_search = 'search': expected an ioctl"),
])
def test_bad_cfg_is_one_line(change, message):
    with pytest.raises(ConfigError, match=message):
        vector.plan_from(dict(PARAMS, **change))


def test_request_numbers_encode_the_struct_sizes_the_guest_script_uses(tmp_path):
    local, _vectors, _query = vector.write_input(str(tmp_path), str(tmp_path / "v"), PLAN)
    result = _run_guest_script(local)
    assert (PLAN.add_request >> 16) & 0x3FFF == result["sizeof_vector"] == 280
    assert (PLAN.search_request >> 16) & 0x3FFF == result["sizeof_search"] == 296


def _run_guest_script(local):
    run = subprocess.run([sys.executable, vector.SCRIPT, local], capture_output=True,
                         text=True, check=True, timeout=60)
    return guest_result.read(run.stdout)


def test_guest_script_on_a_file_without_the_ioctls_reports_enotty(tmp_path):
    """A host file has no VexFS ioctls: the script's own path, end to end, without a guest."""
    local, _vectors, _query = vector.write_input(str(tmp_path), str(tmp_path / "v"), PLAN)
    result = _run_guest_script(local)
    assert result["add"] == ["ENOTTY"] * 16 and result["search"] == "ENOTTY"
    assert result["results"] == [[vector.UNWRITTEN, vector.UNWRITTEN]] * 4
    assert vector.errno_problems(result, 16)[0] is True
    assert os.path.isfile(tmp_path / vector.INPUT_FILE)


def test_a_search_alone_is_judged_against_the_vectors_held_before():
    """After a remount nothing is added: the earlier vectors must come back; none is
    the count, ids and distances failing, not a crash of the judge."""
    result = {"add": [], "search": "ok", "returned": 4, "results": _right()}
    assert vector.judge(result, PLAN, VECTORS, QUERY) == (False, {"add": [], "search": []})
    lost = dict(result, returned=0, results=_slots([]))
    problems = vector.judge(lost, PLAN, VECTORS, QUERY)[1]["search"]
    assert problems[0] == "count: 0 results written, expected 4"


def test_a_search_alone_on_a_build_without_the_ioctls_is_not_built_in(tmp_path):
    local, _vectors, _query = vector.write_input(str(tmp_path), str(tmp_path / "v"), PLAN,
                                                 add=False, name="search.json")
    result = _run_guest_script(local)
    assert result["add"] == [] and result["search"] == "ENOTTY"
    assert vector.judge(result, PLAN, VECTORS, QUERY)[0] is True

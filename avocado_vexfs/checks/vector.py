"""VexFS's vector ioctls (VEXFS_IOC_ADD_VECTOR, VEXFS_IOC_SEARCH): a known data set in,
the k nearest neighbours out, checked against the same neighbours computed on the host.

The data set puts vector i at (i, i, ..., i) and the query at (m + 0.3, ...) with
m = count // 2, so every distance is distinct, the nearest ones alternate around m
(m, m+1, m-1, m+2, ...), and the vectors are added in a shuffled order: a search that
returns the first vectors added, or sorts by id, or ignores the query, gets the ids or
their order wrong. Distances come back as u32 fixed point ("Fixed-point distance" in
kernel_module/include/vexfs_semantic.h, which does not give the scale; the cfg key
vector_distance_scale does, 1000 by default as in VexFS's other fixed-point code).
"""
import dataclasses
import json
import logging
import math
import os
import random
import shlex

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.paths import guest_script
from avocado_vexfs.vm import guest_result

LOG = logging.getLogger(__name__)

SCRIPT = guest_script("vector_ioctl.py")
GUEST_SCRIPT = "/opt/avocado-vexfs/vector_ioctl.py"
GUEST_INPUT = "/opt/avocado-vexfs/vector_input.json"
INPUT_FILE = "vector_input.json"
# the only errno that means "this build has no such ioctl" (the kernel's default for an
# unknown command); EINVAL is also what a broken argument check returns, so it fails
NOT_BUILT_IN = "ENOTTY"
# a result slot the kernel did not write keeps this id (the guest script pre-fills it)
UNWRITTEN = 0xFFFFFFFF
# VEXFS_DISTANCE_* of vexfs_semantic.h that have a host reference here; cosine and dot
# product tie on this data set (every vector points the same way), so they are not used
METRICS = {"euclidean": 0x01, "manhattan": 0x04}
MAX_DIMENSIONS = 4096  # VEXFS_MAX_VECTOR_DIM
QUERY_OFFSET = 0.3


@dataclasses.dataclass(eq=False)
class Plan:
    """What the test adds and searches for, read once from cfg."""

    count: int
    dimensions: int
    k: int
    metric: str
    scale: float
    tolerance: float
    add_request: object = None
    search_request: object = None
    seed: int = 0


def _number(params, key, default, kind, low, high=None):
    value = params.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or number < low or \
            (high is not None and number > high):
        span = f"between {low} and {high}" if high is not None else f">= {low}"
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{key} = {value!r}: expected {what} {span}")
    return number


def plan_from(params):
    """A Plan from the cfg's vector_* keys; a bad value is a one-line ConfigError."""
    count = _number(params, "vector_count", 16, int, 2, 100000)
    dimensions = _number(params, "vector_dimensions", 4, int, 1, MAX_DIMENSIONS)
    k = _number(params, "vector_k", 4, int, 1, count)
    metric = params.get("vector_distance_metric", "euclidean")
    if metric not in METRICS:
        raise ConfigError(f"vector_distance_metric = {metric!r}: expected one of "
                          f"{', '.join(METRICS)}")
    scale = _number(params, "vector_distance_scale", 1000, float, 1e-9)
    tolerance = _number(params, "vector_distance_tolerance", 0.01, float, 0.0, 1.0)
    requests = (_request(params, "vexfs_ioc_add_vector", "0x41185601"),
                _request(params, "vexfs_ioc_search", "0xC1285602"))
    return Plan(count, dimensions, k, metric, scale, tolerance, *requests)


def _request(params, key, default):
    value = params.get(key, default)
    try:
        number = int(str(value), 0)
    except ValueError:
        number = -1
    if not 0 < number < 2 ** 32:
        raise ConfigError(f"{key} = {value!r}: expected an ioctl request number such as "
                          f"{default}")
    return number


def dataset(plan):
    """(vectors in the order they are added as [(id, coordinates)], query coordinates).

    Ids start at 1 (0 reads as "no id") and differ from insertion positions.
    """
    vectors = [(i + 1, [float(i)] * plan.dimensions) for i in range(plan.count)]
    random.Random(plan.seed).shuffle(vectors)
    query = [plan.count // 2 + QUERY_OFFSET] * plan.dimensions
    return vectors, query


def distance(first, second, metric):
    """The distance of two points under a metric name of METRICS."""
    if metric == "manhattan":
        return sum(abs(a - b) for a, b in zip(first, second))
    return math.dist(first, second)


def nearest(vectors, query, k, metric):
    """The k nearest [(id, distance)], nearest first (ties by id): the host's answer."""
    ranked = sorted(((vector_id, distance(coords, query, metric))
                     for vector_id, coords in vectors), key=lambda item: (item[1], item[0]))
    return ranked[:k]


def _ids(pairs):
    return [vector_id for vector_id, _distance in pairs]


def check_search(vectors, query, returned, plan):
    """Problems of a search result against the host's nearest neighbours; [] when right.

    :param vectors: the vectors the kernel accepted, [(id, coordinates)]
    :param returned: the result slots as the kernel left them, [[id, fixed-point distance]]
    :returns: problem strings, each starting with its sub-check (count, ids, order,
              distances) so their signatures stay apart
    """
    want = nearest(vectors, query, plan.k, plan.metric)
    written = [(int(i), int(d)) for i, d in returned if int(i) != UNWRITTEN]
    problems = []
    if len(written) != len(want):
        problems.append(f"count: {len(written)} results written, expected {len(want)}")
    got_ids, want_ids = _ids(written), _ids(want)
    if sorted(got_ids) != sorted(want_ids):
        problems.append(f"ids: got {got_ids}, expected the {len(want_ids)} nearest "
                        f"{want_ids}")
    elif got_ids != want_ids:
        problems.append(f"order: got {got_ids}, expected nearest first {want_ids}")
    wrong = _wrong_distances(vectors, query, written, plan)
    if wrong:
        problems.append(f"distances: {len(wrong)} of {len(written)} off by more than "
                        f"{plan.tolerance:.0%} (scale {plan.scale:g}): {'; '.join(wrong)}")
    return problems


def _wrong_distances(vectors, query, written, plan):
    """'id I: got G, expected E' for each returned id whose distance is off.

    One unit of the fixed point is always allowed (rounding or truncation).
    """
    coords = dict(vectors)
    wrong = []
    for vector_id, got in written:
        if vector_id not in coords:
            continue  # an unknown id is the ids check's problem
        want = distance(coords[vector_id], query, plan.metric) * plan.scale
        if abs(got - want) > max(1.0, plan.tolerance * want):
            wrong.append(f"id {vector_id}: got {got}, expected {want:.0f}")
    return wrong


def errno_problems(result, count):
    """Problems of the ioctl calls themselves, and whether the build lacks them.

    :returns: (not built in: bool, {"add": [problems], "search": [problems]})
    """
    calls = list(result["add"]) + [result["search"]]
    if calls and all(err == NOT_BUILT_IN for err in calls):
        return True, {"add": [], "search": []}
    add = [f"{err} for {sum(1 for e in result['add'] if e == err)} of {count} vectors"
           for err in sorted({e for e in result["add"] if e != "ok"})]
    search = []
    if result["search"] == NOT_BUILT_IN:
        search.append(f"{NOT_BUILT_IN} while add is built in (the search request number "
                      f"or struct size does not match this build)")
    elif result["search"] != "ok":
        search.append(result["search"])
    return False, {"add": add, "search": search}


def accepted(vectors, result):
    """The vectors whose add returned ok, in order."""
    return [vector for vector, err in zip(vectors, result["add"]) if err == "ok"]


def judge(result, plan, vectors, query):
    """Whether the build lacks the ioctls, and the problems of one run of the script.

    :param vectors: what the run added, or (a search-only run, which adds nothing) the
        vectors the kernel holds from earlier runs: the search is checked against them
    :returns: (not built in: bool, {"add": [problems], "search": [problems]})
    """
    not_built_in, problems = errno_problems(result, len(result["add"]))
    if not not_built_in and not problems["search"]:
        held = accepted(vectors, result) if result["add"] else vectors
        LOG.info("nearest on the host: %s; kernel returned %s (ioctl returned %s)",
                 nearest(held, query, plan.k, plan.metric), result["results"],
                 result["returned"])
        problems["search"] = check_search(held, query, result["results"], plan)
    return not_built_in, problems


def not_built_in_reason():
    """The CANCEL reason of a build whose vector ioctls all answer ENOTTY."""
    return (f"vector ioctls not built in: VEXFS_IOC_ADD_VECTOR and VEXFS_IOC_SEARCH "
            f"return {NOT_BUILT_IN}")


def write_input(directory, path, plan, add=True, name=INPUT_FILE):
    """The guest script's input, written to ``directory`` (kept with the test's logs).

    :param add: False for a search alone (the script adds no vector), as after a
        remount, when the vectors added before must still be found
    :param name: the file's name in ``directory``
    :returns: (local path, vectors, query)
    """
    vectors, query = dataset(plan)
    data = {"path": path, "add_request": plan.add_request,
            "search_request": plan.search_request, "vectors": vectors if add else [],
            "query": query, "k": plan.k, "metric": METRICS[plan.metric],
            "unwritten": UNWRITTEN}
    local = os.path.join(directory, name)
    with open(local, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return local, vectors, query


def run_script(guest, local_input, timeout=300):
    """Run the guest script on an input file; return its result dict.

    :raises ValueError: when the script printed no result (it crashed or was killed)
    """
    guest.put_file(SCRIPT, GUEST_SCRIPT)
    guest.put_file(local_input, GUEST_INPUT)
    status, output = guest.status_output(
        f"python3 {GUEST_SCRIPT} {shlex.quote(GUEST_INPUT)}", timeout=timeout)
    try:
        return guest_result.read(output)
    except guest_result.NoResult:
        raise ValueError(f"vector ioctl script exited {status} without a result: "
                         f"{guest_result.tail(output)}") from None

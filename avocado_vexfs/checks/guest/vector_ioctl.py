"""VexFS vector ioctls, run INSIDE the guest: add known vectors to a file, search them.

``python3 vector_ioctl.py INPUT.json`` reads {path, add_request, search_request,
vectors: [[id, [floats]]], query: [floats], k, metric, unwritten} and prints one line
``AVX-RESULT {json}`` with, per ioctl, "ok" or the errno name, the search's return value
and the k result slots as the kernel left them. The host judges them; this script only
calls the kernel.

Layouts follow kernel_module/include/vexfs_semantic.h (x86_64): struct vexfs_vector is
4 x u32, a user pointer to the floats, 256 bytes of metadata (280 bytes); the search
request appends k, distance_metric and flags (296 bytes with padding) and the kernel
writes k results of (u32 id, u32 distance, 256 bytes metadata) right after it. Slots are
pre-filled with the ``unwritten`` id so a slot the kernel never wrote is visible.
"""
import ctypes
import errno
import fcntl
import json
import os
import sys

RESULT_PREFIX = "AVX-RESULT "


class Vector(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32), ("dimension", ctypes.c_uint32),
                ("model_type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("data", ctypes.c_void_p), ("metadata", ctypes.c_char * 256)]


class SearchRequest(ctypes.Structure):
    _fields_ = [("query", Vector), ("k", ctypes.c_uint32),
                ("distance_metric", ctypes.c_uint32), ("flags", ctypes.c_uint32)]


class SearchResult(ctypes.Structure):
    _fields_ = [("vector_id", ctypes.c_uint32), ("distance", ctypes.c_uint32),
                ("metadata", ctypes.c_char * 256)]


def ioctl(fd, request, obj):
    """fcntl.ioctl on a copy of ``obj`` (a mutable buffer: the kernel may write into it);
    return ("ok" or the errno name, the return value, the struct as the kernel left it).

    fcntl.ioctl takes an integer argument as a C int, too small for a pointer, so the
    struct goes as a buffer; pointers inside it (the floats) stay valid in our memory.
    """
    buf = bytearray(bytes(obj))
    try:
        returned = fcntl.ioctl(fd, request, buf, True)
        verdict = "ok"
    except OSError as err:
        returned = None
        verdict = errno.errorcode.get(err.errno, str(err.errno))
    return verdict, returned, type(obj).from_buffer_copy(buf)


def floats(values):
    return (ctypes.c_float * len(values))(*values)


def add_all(fd, request, vectors, keep):
    """Add each [id, coordinates]; the errno name or "ok" of each, in order."""
    verdicts = []
    for vector_id, coords in vectors:
        data = floats(coords)
        keep.append(data)
        vector = Vector(id=vector_id, dimension=len(coords),
                        data=ctypes.cast(data, ctypes.c_void_p),
                        metadata=f"vector {vector_id}".encode())
        verdicts.append(ioctl(fd, request, vector)[0])
    return verdicts


def search(fd, request, query, k, metric, unwritten, keep):
    """(errno name or "ok", return value, [[id, distance]] of the k result slots)."""
    data = floats(query)
    keep.append(data)

    class Buffer(ctypes.Structure):
        _fields_ = [("request", SearchRequest), ("results", SearchResult * k)]
    buf = Buffer()
    buf.request.query = Vector(id=0, dimension=len(query),
                               data=ctypes.cast(data, ctypes.c_void_p))
    buf.request.k = k
    buf.request.distance_metric = metric
    for slot in buf.results:
        slot.vector_id = unwritten
        slot.distance = unwritten
    verdict, returned, buf = ioctl(fd, request, buf)
    return verdict, returned, [[r.vector_id, r.distance] for r in buf.results]


def main(argv):
    with open(argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    result = {"sizeof_vector": ctypes.sizeof(Vector),
              "sizeof_search": ctypes.sizeof(SearchRequest)}
    fd = os.open(spec["path"], os.O_RDWR | os.O_CREAT, 0o644)
    keep = []  # the float arrays must outlive the ioctls that point at them
    try:
        result["add"] = add_all(fd, spec["add_request"], spec["vectors"], keep)
        result["search"], result["returned"], result["results"] = search(
            fd, spec["search_request"], spec["query"], spec["k"], spec["metric"],
            spec["unwritten"], keep)
    finally:
        os.close(fd)
    print(RESULT_PREFIX + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)

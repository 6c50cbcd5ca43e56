"""VexFS vector ioctls, run INSIDE the guest: add vectors to a file, then search them.

``python3 vector_ioctl.py FILE ADD_REQ SEARCH_REQ DIMENSIONS`` prints one line
``AVX-RESULT {json}`` with, per ioctl, "ok" or the errno name, and the search results.
Layouts follow kernel_module/include/vexfs_semantic.h (x86_64): struct vexfs_vector is
4 x u32, a user pointer to the floats, 256 bytes of metadata (280 bytes); the search
request appends k, distance_metric and flags (296 bytes with padding) and the kernel
writes k results of (u32 id, u32 distance, 256 bytes metadata) right after it.
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
    return ("ok" or the errno name, the struct as the kernel left it).

    fcntl.ioctl takes an integer argument as a C int, too small for a pointer, so the
    struct goes as a buffer; pointers inside it (the floats) stay valid in our memory.
    """
    buf = bytearray(bytes(obj))
    try:
        fcntl.ioctl(fd, request, buf, True)
        verdict = "ok"
    except OSError as err:
        verdict = errno.errorcode.get(err.errno, str(err.errno))
    return verdict, type(obj).from_buffer_copy(buf)


def main(argv):
    path, add_req, search_req, dims = argv[1], int(argv[2], 0), int(argv[3], 0), int(argv[4])
    result = {"sizeof_vector": ctypes.sizeof(Vector),
              "sizeof_search": ctypes.sizeof(SearchRequest)}
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    keep = []
    try:
        adds = []
        for vector_id in (1, 2, 3):
            floats = (ctypes.c_float * dims)(*[float(vector_id + i) for i in range(dims)])
            keep.append(floats)
            vector = Vector(id=vector_id, dimension=dims,
                            data=ctypes.cast(floats, ctypes.c_void_p),
                            metadata=f"vector {vector_id}".encode())
            adds.append(ioctl(fd, add_req, vector)[0])
        result["add"] = adds
        k = 2
        query = (ctypes.c_float * dims)(*[1.0 + i for i in range(dims)])

        class Buffer(ctypes.Structure):
            _fields_ = [("request", SearchRequest), ("results", SearchResult * k)]
        buf = Buffer()
        buf.request.query = Vector(id=0, dimension=dims,
                                   data=ctypes.cast(query, ctypes.c_void_p))
        buf.request.k = k
        result["search"], buf = ioctl(fd, search_req, buf)
        result["results"] = [[r.vector_id, r.distance] for r in buf.results]
    finally:
        os.close(fd)
    print(RESULT_PREFIX + json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)

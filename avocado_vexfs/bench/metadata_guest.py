"""Metadata rates, run INSIDE the guest: python3 metadata_guest.py DIR FILES SIZE_BYTES.

Creates FILES files of SIZE_BYTES in DIR (one directory: upstream VexFS loses entries of
subdirectories), then stats them, lists the directory, renames and unlinks them, timing
each phase. Prints one line "AVX-METADATA {json}" with operations per second.
"""
import json
import os
import sys
import time


def main(directory, count, size):
    names = [os.path.join(directory, f"meta{index:05d}") for index in range(count)]
    payload = b"m" * size
    rates = {}

    def timed(phase, operation, items, repeat=1):
        started = time.perf_counter()
        for _ in range(repeat):
            for item in items:
                operation(item)
        rates[phase] = len(items) * repeat / max(time.perf_counter() - started, 1e-9)

    def create(path):
        with open(path, "wb") as handle:
            handle.write(payload)

    timed("create", create, names)
    os.sync()
    timed("stat", os.stat, names, repeat=3)
    timed("readdir", lambda _: os.listdir(directory), range(20))
    rates["readdir"] *= count  # entries listed per second
    renamed = [name + "r" for name in names]
    timed("rename", lambda pair: os.rename(*pair), list(zip(names, renamed)))
    timed("unlink", os.unlink, renamed)
    os.sync()
    print("AVX-METADATA " + json.dumps(rates))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

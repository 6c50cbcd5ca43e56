"""A case kept as a small delta from its seed, and the exact image made back from it.

A mutated image is as large as its seed (megabytes) but differs from it in a few bytes;
findings keep only those bytes (JSON: the seed's sha256 and size, and (offset, hex)
runs), so a findings directory stays small enough to attach to an issue. Applying a
delta to any other seed would make an image that never crashed anything, so the seed's
digest is checked first and a mismatch is refused.
"""
import json
import logging
import os

from avocado_vexfs.errors import ConfigError
from avocado_vexfs.fuzz import imagefile

LOG = logging.getLogger(__name__)

FORMAT = 1
CHUNK = 4096
# Differing runs closer than this are stored as one run.
MERGE_GAP = 8


class SeedMismatchError(ConfigError):
    """The seed given is not the one the delta was made from."""


def diff(seed, image, spans=None, merge_gap=MERGE_GAP):
    """The runs where ``image`` differs from ``seed``, as [(offset, bytes of image)].

    Equal-sized images only (mutations never change the size). ``spans``: the
    (offset, length) ranges that may differ, when the caller knows them (the
    mutations); otherwise the images are compared a chunk at a time.
    """
    if len(seed) != len(image):
        raise ConfigError(f"image of {len(image)} bytes cannot be stored as a delta of a "
                          f"seed of {len(seed)} bytes: expected the same size")
    if spans is None:
        spans = [(chunk, CHUNK) for chunk in range(0, len(seed), CHUNK)]
    runs = []
    for start, length in sorted(spans):
        end = min(start + length, len(seed))
        if seed[start:end] == image[start:end]:
            continue
        for at in range(max(start, runs[-1][1] if runs else 0), end):
            if seed[at] == image[at]:
                continue
            if runs and at - runs[-1][1] <= merge_gap:
                runs[-1][1] = at + 1
            else:
                runs.append([at, at + 1])
    return [(start, bytes(image[start:end])) for start, end in runs]


def make(seed_sha256, size, changes, **meta):
    """The delta document: ``changes`` (offset, bytes) runs plus ``meta`` (case id, rng
    seed, fs, mutations ...) kept for people reading it."""
    document = {"format": FORMAT, "seed_sha256": seed_sha256, "size": size,
                "changes": [[offset, data.hex()] for offset, data in changes]}
    document.update(meta)
    return document


def from_case(case):
    """The delta of a ``mutate.Case`` (its image is as large as its seed)."""
    return make(case.seed_sha256, len(case.seed_data), case.changes, case_id=case.case_id,
                rng_seed=case.rng_seed, fs=case.fs, seed_path=case.seed_path,
                mutations=[m.to_dict() for m in case.mutations])


def save(document, path):
    """Write the delta as JSON (atomically); returns the path."""
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    return imagefile.write_regular(path, text.encode(), what="fuzz delta")


def load(path):
    try:
        with open(path, encoding="utf-8") as source:
            document = json.load(source)
    except (OSError, ValueError) as err:
        raise ConfigError(f"fuzz delta {path} cannot be read: {err}") from err
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(f"fuzz delta {path} is not a format {FORMAT} delta: expected "
                          f"JSON with format, seed_sha256, size and changes")
    return document


def apply(document, seed, name="delta"):
    """The image the delta makes from ``seed`` (bytes or a regular file's path).

    :raises SeedMismatchError: when the seed's sha256 is not the delta's
    """
    data, path = imagefile.load(seed)
    got = imagefile.sha256(data)
    if got != document["seed_sha256"]:
        raise SeedMismatchError(f"{name} was made from seed sha256 "
                                f"{document['seed_sha256']}, not from "
                                f"{path or 'the seed given'} (sha256 {got})")
    if len(data) != document["size"]:
        raise SeedMismatchError(f"{name} expects a seed of {document['size']} bytes, "
                                f"{path or 'the seed given'} has {len(data)}")
    image = bytearray(data)
    for offset, hex_bytes in document["changes"]:
        change = bytes.fromhex(hex_bytes)
        if offset < 0 or offset + len(change) > len(image):
            raise ConfigError(f"{name} changes bytes {offset}+{len(change)} outside a "
                              f"seed of {len(image)} bytes")
        image[offset:offset + len(change)] = change
    return bytes(image)


def reproduce(delta_path, seed, out_path):
    """Write the image of the delta file ``delta_path`` over ``seed`` to ``out_path``."""
    image = apply(load(delta_path), seed, name=os.path.basename(delta_path))
    LOG.info("reproduced %s over %s into %s", delta_path, seed, out_path)
    return imagefile.write_regular(out_path, image)

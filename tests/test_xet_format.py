"""course_hub.xet against the reference client: the same chunks and file hashes as `hf_xet.hash_files`, the spec's
byte-by-byte chunking loop, xorb and shard round trips, and a HubDir copy that carries the Xet store."""

from __future__ import annotations

import os

import hf_xet
import numpy as np
import pytest

from course_hub import HubDir
from course_hub.xet import XetStore, shard, to_hex, xorb
from course_hub.xet.chunking import MAX_CHUNK, MIN_CHUNK, TABLE, boundaries
from course_hub.xet.hashing import chunk_hash, file_hash


def spec_chunking(data: bytes) -> list[int]:
    """The spec's pseudocode, one byte at a time."""
    table, h, start, ends = [int(x) for x in TABLE], 0, 0, []
    for i, b in enumerate(data):
        h = ((h << 1) + table[b]) & 0xFFFFFFFFFFFFFFFF
        size = i + 1 - start
        if size >= MIN_CHUNK and (size >= MAX_CHUNK or h & 0xFFFF000000000000 == 0):
            ends.append(i + 1)
            start, h = i + 1, 0
    return ends + ([len(data)] if start < len(data) else [])


def test_chunking_is_the_spec_loop():
    for data in (os.urandom(700_000), bytes(300_000), bytes(range(256)) * 2000):
        assert boundaries(data) == spec_chunking(data)


@pytest.mark.parametrize("kind", ["tiny", "random", "zeros", "floats"])
def test_file_hash_equals_hf_xet(tmp_path, kind):
    data = {
        "tiny": b"hello xet",
        "random": os.urandom(2_500_000),
        "zeros": bytes(1_000_000),
        "floats": np.random.default_rng(0).normal(size=400_000).astype(np.float32).tobytes(),
    }[kind]
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    start, chunks = 0, []
    for end in boundaries(data):
        chunks.append((chunk_hash(data[start:end]), end - start))
        start = end
    assert to_hex(file_hash(chunks)) == hf_xet.hash_files([str(path)])[0].hash


def test_xorb_round_trip_and_bg4():
    pieces = [os.urandom(10_000), bytes(50_000), b"abcde" * 3]
    h, blob, chunks = xorb.build(pieces)
    data, parsed = xorb.parse(blob + b"XETBLOB" + bytes(40), h)  # a client's footer is dropped
    assert data == blob and [c.hash for c in parsed] == [c.hash for c in chunks]
    assert b"".join(d for _, d in xorb.iter_chunks(blob)) == b"".join(pieces)
    for n in (0, 1, 5, 4096, 4099):
        raw = os.urandom(n)
        assert xorb._bg4_join(xorb._bg4_split(raw)) == raw
    with pytest.raises(xorb.XorbError):
        xorb.parse(blob, bytes(32))


def test_dedupe_answer_parses(tmp_path):
    h, blob, chunks = xorb.build([os.urandom(9000), os.urandom(9000)])
    info = shard.XorbInfo(h, [(c.hash, c.start, c.size) for c in chunks])
    files, xorbs = shard.parse(shard.dedupe_answer([info], {h: len(blob)}))
    assert files == [] and xorbs[0].hash == h and [c[0] for c in xorbs[0].chunks] == [c.hash for c in chunks]


def test_hubdir_copy_carries_the_xet_store(tmp_path):
    src = HubDir(tmp_path / "a").ensure()
    obj = tmp_path / "obj.bin"
    obj.write_bytes(os.urandom(300_000))
    name = XetStore(src.xet_dir, src.tmp_dir).convert("ab" * 32, obj)
    for export in (False, True):
        dest = src.copy_to(tmp_path / f"b{export}", export=export)
        copied = XetStore(dest.xet_dir, dest.tmp_dir)
        assert copied.file_of_sha256("ab" * 32) == name and copied.file_record(name)["size"] == 300_000

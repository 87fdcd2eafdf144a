"""Xet hashes (huggingface.co/docs/xet/hashing): blake3 keyed hashes of chunks, a Merkle tree with variable fan-out
for xorbs and files, the verification hash of a term, and the hashes' string form (each 8-byte group reversed)."""

from __future__ import annotations

import re

from blake3 import blake3

DATA_KEY = bytes([102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155,
                  235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41])  # fmt: skip
INTERNAL_NODE_KEY = bytes([1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230, 93, 221, 83, 111,
                           55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63])  # fmt: skip
VERIFICATION_KEY = bytes([127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243, 164, 205, 38, 213,
                          181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195])  # fmt: skip
ZERO_KEY = bytes(32)
HEX_RE = re.compile(r"^[0-9a-f]{64}$")
GLOBAL_DEDUP_MODULUS = 1024  # chunks whose hash % 1024 == 0 (and each file's first) are in the global dedupe index


def to_hex(h: bytes) -> str:
    """The API's string form: each 8-byte group as a little-endian u64, printed in 16 hex digits."""
    return "".join(h[i : i + 8][::-1].hex() for i in range(0, 32, 8))


def from_hex(s: str) -> bytes:
    if not HEX_RE.match(s):
        raise ValueError("not a 64-character lowercase hex hash")
    raw = bytes.fromhex(s)
    return b"".join(raw[i : i + 8][::-1] for i in range(0, 32, 8))


def modulo(h: bytes, n: int) -> int:
    """`hash % n` as xet-core computes it (the last u64, little-endian)."""
    return int.from_bytes(h[24:32], "little") % n


def chunk_hash(data: bytes | memoryview) -> bytes:
    return blake3(data, key=DATA_KEY).digest()


def _merge(nodes: list[tuple[bytes, int]]) -> tuple[bytes, int]:
    text = "".join(f"{to_hex(h)} : {size}\n" for h, size in nodes)
    return blake3(text.encode(), key=INTERNAL_NODE_KEY).digest(), sum(size for _, size in nodes)


def _next_cut(nodes: list[tuple[bytes, int]], start: int) -> int:
    """End of the group starting at `start`: 2 to 9 nodes, cut after a node whose hash % 4 == 0."""
    left = len(nodes) - start
    if left <= 2:
        return len(nodes)
    end = min(9, left)
    for i in range(2, end):
        if modulo(nodes[start + i][0], 4) == 0:
            return start + i + 1
    return start + end


def merkle_root(chunks: list[tuple[bytes, int]]) -> bytes:
    """The xorb hash of (chunk hash, chunk size) pairs: groups merged level by level until one node is left."""
    if not chunks:
        return bytes(32)
    nodes = list(chunks)
    while len(nodes) > 1:
        merged, i = [], 0
        while i < len(nodes):
            j = _next_cut(nodes, i)
            merged.append(_merge(nodes[i:j]))
            i = j
        nodes = merged
    return nodes[0][0]


def file_hash(chunks: list[tuple[bytes, int]]) -> bytes:
    if not chunks:
        return bytes(32)
    return blake3(merkle_root(chunks), key=ZERO_KEY).digest()


def verification_hash(chunk_hashes: list[bytes]) -> bytes:
    return blake3(b"".join(chunk_hashes), key=VERIFICATION_KEY).digest()

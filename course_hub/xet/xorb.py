"""The xorb format (huggingface.co/docs/xet/xorb): chunks, each an 8-byte header (version 0, compressed size,
compression scheme, uncompressed size) and its data: stored as is, LZ4 (frame format) or byte-grouped by 4 then LZ4.
A client's upload may end with xet-core's footer (`XETBLOB`…): the chunks are checked, the footer is dropped."""

from __future__ import annotations

from dataclasses import dataclass

import lz4.frame

from .chunking import MAX_CHUNK
from .hashing import chunk_hash, merkle_root

MAX_XORB = 64 * 1024 * 1024
NONE, LZ4, BG4_LZ4 = 0, 1, 2
FOOTER_IDENT = b"XETBLOB"


class XorbError(ValueError):
    pass


@dataclass
class Chunk:
    hash: bytes
    size: int  # uncompressed
    start: int  # byte offset of its header in the serialized xorb
    end: int


def _bg4_split(data: bytes) -> bytes:
    return b"".join(data[i::4] for i in range(4))


def _bg4_join(data: bytes) -> bytes:
    n = len(data)
    sizes = [n // 4 + (1 if i < n % 4 else 0) for i in range(4)]
    out, pos = bytearray(n), 0
    for i, size in enumerate(sizes):
        out[i::4] = data[pos : pos + size]
        pos += size
    return bytes(out)


def encode_chunk(data: bytes) -> bytes:
    packed = lz4.frame.compress(data)
    scheme, body = (LZ4, packed) if len(packed) < len(data) else (NONE, data)
    n = len(data)
    return bytes([0]) + len(body).to_bytes(3, "little") + bytes([scheme]) + n.to_bytes(3, "little") + body


def decode_chunk(scheme: int, body: bytes, size: int) -> bytes:
    try:
        if scheme == NONE:
            data = body
        elif scheme == LZ4:
            data = lz4.frame.decompress(body)
        elif scheme == BG4_LZ4:
            data = _bg4_join(lz4.frame.decompress(body))
        else:
            raise XorbError(f"unknown compression scheme {scheme}")
    except RuntimeError as e:
        raise XorbError(f"chunk does not decompress: {e}") from None
    if len(data) != size:
        raise XorbError("chunk's uncompressed size does not match its header")
    return data


def iter_chunks(blob: bytes | memoryview, with_data: bool = True):
    """(Chunk, data) for each chunk of a serialized xorb, stopping at a footer; XorbError when malformed."""
    view, pos = memoryview(blob), 0
    while pos < len(view):
        if bytes(view[pos : pos + 7]) == FOOTER_IDENT:
            return
        if len(view) - pos < 8:
            raise XorbError("truncated chunk header")
        head = bytes(view[pos : pos + 8])
        if head[0] != 0:
            raise XorbError(f"unknown chunk version {head[0]}")
        csize, scheme, size = int.from_bytes(head[1:4], "little"), head[4], int.from_bytes(head[5:8], "little")
        if size == 0 or size > MAX_CHUNK:
            raise XorbError("chunk size out of bounds")
        if pos + 8 + csize > len(view):
            raise XorbError("truncated chunk data")
        data = decode_chunk(scheme, bytes(view[pos + 8 : pos + 8 + csize]), size) if with_data else None
        yield Chunk(chunk_hash(data) if data is not None else b"", size, pos, pos + 8 + csize), data
        pos += 8 + csize


def parse(blob: bytes, expected_hash: bytes) -> tuple[bytes, list[Chunk]]:
    """Check an uploaded xorb against the hash it was announced under: (its chunk bytes, without a footer; its
    chunks). XorbError when it is malformed, empty, too big or hashes to something else."""
    if len(blob) > MAX_XORB + 1024 * 1024:
        raise XorbError("xorb larger than 64 MiB")
    chunks = [c for c, _ in iter_chunks(blob)]
    if not chunks:
        raise XorbError("xorb without chunks")
    if merkle_root([(c.hash, c.size) for c in chunks]) != expected_hash:
        raise XorbError("xorb hash does not match its content")
    return bytes(blob[: chunks[-1].end]), chunks


def build(pieces: list[bytes]) -> tuple[bytes, bytes, list[Chunk]]:
    """Serialize chunk data into a xorb: (its hash, its bytes, its chunks)."""
    out, chunks = bytearray(), []
    for data in pieces:
        start = len(out)
        out += encode_chunk(data)
        chunks.append(Chunk(chunk_hash(data), len(data), start, len(out)))
    return merkle_root([(c.hash, c.size) for c in chunks]), bytes(out), chunks

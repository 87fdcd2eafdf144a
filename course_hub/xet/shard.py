"""The shard format (huggingface.co/docs/xet/shard): file reconstructions (terms: xorb, chunk range) with their
verification hashes and sha256, and xorbs' chunk lists; read from uploads, written for global-dedupe answers."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

HEADER_TAG = bytes([72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85, 105, 103, 69, 106, 123,
                    129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169])  # fmt: skip
BOOKEND = b"\xff" * 32 + bytes(16)
FOOTER_SIZE = 200
WITH_VERIFICATION, WITH_METADATA = 1 << 31, 1 << 30
ENTRY = 48


class ShardError(ValueError):
    pass


@dataclass
class Term:
    xorb: bytes
    start: int
    end: int
    size: int  # unpacked bytes
    verification: bytes | None = None


@dataclass
class FileInfo:
    hash: bytes
    terms: list[Term] = field(default_factory=list)
    sha256: bytes | None = None


@dataclass
class XorbInfo:
    hash: bytes
    chunks: list[tuple[bytes, int, int]] = field(default_factory=list)  # (chunk hash, byte start, size)


def parse(data: bytes) -> tuple[list[FileInfo], list[XorbInfo]]:
    """An uploaded shard's files and xorbs; ShardError when it is malformed (the footer is optional)."""
    if len(data) < 48 or data[:32] != HEADER_TAG:
        raise ShardError("not a shard (bad header tag)")
    version, _footer_size = struct.unpack_from("<QQ", data, 32)
    if version != 2:
        raise ShardError(f"unsupported shard version {version}")
    pos = 48

    def entry() -> bytes:
        nonlocal pos
        if pos + ENTRY > len(data):
            raise ShardError("truncated shard")
        pos += ENTRY
        return data[pos - ENTRY : pos]

    files: list[FileInfo] = []
    while (head := entry()) != BOOKEND:
        flags, n = struct.unpack_from("<II", head, 32)
        if n > 1_000_000:
            raise ShardError("too many terms")
        info = FileInfo(head[:32])
        for _ in range(n):
            e = entry()
            _flags, size, start, end = struct.unpack_from("<IIII", e, 32)
            if end <= start:
                raise ShardError("empty or reversed chunk range")
            info.terms.append(Term(e[:32], start, end, size))
        if flags & WITH_VERIFICATION:
            for term in info.terms:
                term.verification = entry()[:32]
        if flags & WITH_METADATA:
            info.sha256 = entry()[:32]
        files.append(info)
    xorbs: list[XorbInfo] = []
    while (head := entry()) != BOOKEND:
        _flags, n, _bytes, _disk = struct.unpack_from("<IIII", head, 32)
        if n > 100_000:
            raise ShardError("too many chunks")
        xorb = XorbInfo(head[:32])
        for _ in range(n):
            e = entry()
            start, size = struct.unpack_from("<II", e, 32)
            xorb.chunks.append((e[:32], start, size))
        xorbs.append(xorb)
    return files, xorbs


def dedupe_answer(xorbs: list[XorbInfo], sizes: dict[bytes, int], expiry_s: int = 7 * 86400) -> bytes:
    """A shard with no files and these xorbs' chunk lists (chunk hashes in the clear: a zero HMAC key), with the
    lookup tables xet-core's reader expects after the sections (the spec's "reserved" footer words point at them)."""
    out = bytearray(HEADER_TAG + struct.pack("<QQ", 2, FOOTER_SIZE))
    file_info_offset = len(out)
    out += BOOKEND
    cas_info_offset = len(out)
    xorb_lookup, chunk_lookup, index, total, on_disk = [], [], 0, 0, 0
    for x in xorbs:
        size = sum(size for _, _, size in x.chunks)
        total, on_disk = total + size, on_disk + sizes.get(x.hash, size)
        out += x.hash + struct.pack("<IIII", 0, len(x.chunks), size, sizes.get(x.hash, size))
        xorb_lookup.append((int.from_bytes(x.hash[:8], "little"), index))
        for i, (h, start, chunk_size) in enumerate(x.chunks):
            out += h + struct.pack("<II", start, chunk_size) + bytes(8)
            chunk_lookup.append((int.from_bytes(h[:8], "little"), index, i))
        index += 1 + len(x.chunks)
    out += BOOKEND
    xorb_lookup_offset = len(out)
    for key, i in xorb_lookup:
        out += struct.pack("<QI", key, i)
    chunk_lookup_offset = len(out)
    for key, i, j in sorted(chunk_lookup):
        out += struct.pack("<QII", key, i, j)
    footer_offset = len(out)
    now = int(time.time())
    out += struct.pack("<QQQ", 1, file_info_offset, cas_info_offset)
    out += struct.pack(
        "<QQQQQQ", xorb_lookup_offset, 0, xorb_lookup_offset, len(xorb_lookup), chunk_lookup_offset, len(chunk_lookup)
    )
    out += bytes(32) + struct.pack("<QQ", now, now + expiry_s) + bytes(48)
    out += struct.pack("<QQQQ", on_disk, total, total, footer_offset)
    assert len(out) - footer_offset == FOOTER_SIZE
    return bytes(out)

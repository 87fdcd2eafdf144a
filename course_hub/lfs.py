"""Git LFS: pointer blobs in git, content-addressed objects (by SHA-256) on disk — as the Hub stores large files."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

POINTER_RE = re.compile(rb"^version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n$")
OID_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Pointer:
    oid: str  # sha256 hex
    size: int

    def encode(self) -> bytes:
        return f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.oid}\nsize {self.size}\n".encode()

    @classmethod
    def parse(cls, data: bytes) -> Pointer | None:
        if len(data) > 200:
            return None
        m = POINTER_RE.match(data)
        return cls(m.group(1).decode(), int(m.group(2))) if m else None


class LfsStore:
    """Objects under `lfs/ab/cd/<sha256>`; written to a temp file, checked, then renamed into place."""

    def __init__(self, root: Path, tmp_dir: Path):
        self.root = Path(root)
        self.tmp_dir = Path(tmp_dir)

    def path(self, oid: str) -> Path:
        if not OID_RE.match(oid):
            raise ValueError("not a sha256 oid")
        return self.root / oid[:2] / oid[2:4] / oid

    def has(self, oid: str, size: int | None = None) -> bool:
        try:
            p = self.path(oid)
        except ValueError:
            return False
        return p.is_file() and (size is None or p.stat().st_size == size)

    def put_stream(
        self, stream: BinaryIO, expected_oid: str | None = None, expected_size: int | None = None
    ) -> Pointer:
        """Store bytes from a stream; raise ValueError if they don't match the announced oid/size."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="lfs-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            oid = h.hexdigest()
            if expected_oid is not None and oid != expected_oid:
                raise ValueError(f"content hashes to {oid}, not {expected_oid}")
            if expected_size is not None and size != expected_size:
                raise ValueError(f"content is {size} bytes, not {expected_size}")
            dest = self.path(oid)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
            return Pointer(oid, size)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def put_file(self, path: Path) -> Pointer:
        with open(path, "rb") as f:
            return self.put_stream(f)

    def put_bytes(self, data: bytes) -> Pointer:
        oid = hashlib.sha256(data).hexdigest()
        if not self.has(oid, len(data)):
            import io

            self.put_stream(io.BytesIO(data), oid, len(data))
        return Pointer(oid, len(data))

"""The Xet store of a hub dir (`xet/`): xorbs (their chunk bytes, `xorbs/<hash>`, and their chunk list,
`xorbs/<hash>.json`), file reconstructions (`files/<hash>.json`: sha256, size, terms), the sha256 -> file hash map of
converted LFS objects (`sha256/<oid>`) and the global dedupe index (`chunks/<hash>`: the xorb that holds the chunk).
Every file is written to a temp file and renamed into place."""

from __future__ import annotations

import json
import mmap
import os
import tempfile
import threading
from pathlib import Path

from . import xorb as xorb_format
from .chunking import boundaries
from .hashing import GLOBAL_DEDUP_MODULUS, chunk_hash, file_hash, from_hex, modulo, to_hex, verification_hash
from .shard import FileInfo, ShardError, XorbInfo, dedupe_answer

MAX_DEDUPE_XORBS = 128  # xorbs in one global dedupe answer (8 GB of a file's data)
XORB_TARGET = 64 * 1024 * 1024 - 1024 * 1024  # uncompressed bytes per converted xorb (its serialized size < 64 MiB)


class XetStore:
    def __init__(self, root: Path, tmp_dir: Path):
        self.root, self.tmp_dir = Path(root), Path(tmp_dir)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # --- files on disk ---
    def _path(self, kind: str, name: str) -> Path:
        return self.root / kind / name[:2] / name

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, prefix="xet-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def _json(self, kind: str, name: str) -> dict | None:
        try:
            return json.loads(self._path(kind, name).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def xorb_index(self, xorb_hex: str) -> dict | None:
        """{"hashes": [chunk hex], "sizes": [uncompressed], "offsets": [byte offset of each chunk, then the end]}"""
        return self._json("xorbs", f"{xorb_hex}.json")

    def xorb_path(self, xorb_hex: str) -> Path:
        return self._path("xorbs", xorb_hex)

    def file_record(self, file_hex: str) -> dict | None:
        """{"sha256", "size", "terms": [[xorb hex, chunk start, chunk end, unpacked bytes], ...]}"""
        return self._json("files", f"{file_hex}.json")

    def file_of_sha256(self, oid: str) -> str | None:
        try:
            return self._path("sha256", oid).read_text().strip()
        except FileNotFoundError:
            return None

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file()) if self.root.exists() else 0

    # --- writing ---
    def _put_xorb(self, xorb_hash: bytes, blob: bytes, chunks: list[xorb_format.Chunk]) -> bool:
        name = to_hex(xorb_hash)
        if self.xorb_index(name) is not None:
            return False
        self._write(self.xorb_path(name), blob)
        index = {
            "hashes": [to_hex(c.hash) for c in chunks],
            "sizes": [c.size for c in chunks],
            "offsets": [c.start for c in chunks] + [chunks[-1].end],
        }
        for c in chunks:  # eligible for global dedupe; a file's registration lists its other xorbs too
            key = self._path("chunks", to_hex(c.hash))
            if modulo(c.hash, GLOBAL_DEDUP_MODULUS) == 0 and not key.exists():
                self._write(key, name.encode())
        self._write(self._path("xorbs", f"{name}.json"), json.dumps(index).encode())
        return True

    def put_uploaded_xorb(self, xorb_hex: str, blob: bytes) -> bool:
        """Check and store a client's xorb (XorbError when bad); False if it was already there."""
        data, chunks = xorb_format.parse(blob, from_hex(xorb_hex))
        return self._put_xorb(from_hex(xorb_hex), data, chunks)

    def convert(self, oid: str, path: Path) -> str:
        """Chunk an LFS object into xorbs and record its reconstruction (once; concurrent callers wait): its file
        hash."""
        with self._guard:
            lock = self._locks.setdefault(oid, threading.Lock())
        with lock:
            done = self.file_of_sha256(oid)
            if done:
                return done
            size = path.stat().st_size
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else _Empty() as m:
                view = memoryview(m)
                try:
                    ends, terms, all_chunks, start, pieces = boundaries(view), [], [], 0, []

                    def flush():
                        if pieces:
                            h, blob, chunks = xorb_format.build(pieces)
                            self._put_xorb(h, blob, chunks)
                            terms.append([to_hex(h), 0, len(chunks), sum(len(p) for p in pieces)])
                            all_chunks.extend((c.hash, c.size) for c in chunks)
                            pieces.clear()

                    for end in ends:
                        if sum(len(p) for p in pieces) + (end - start) > XORB_TARGET:
                            flush()
                        pieces.append(bytes(view[start:end]))
                        start = end
                    flush()
                finally:
                    view.release()
            name = to_hex(file_hash(all_chunks))
            self._index_file([t[0] for t in terms], to_hex(all_chunks[0][0]) if all_chunks else None)
            self._write(
                self._path("files", f"{name}.json"), json.dumps({"sha256": oid, "size": size, "terms": terms}).encode()
            )
            self._write(self._path("sha256", oid), name.encode())
            return name

    # --- shards ---
    def check_shard(self, files: list[FileInfo], xorbs: list[XorbInfo]) -> list[dict]:
        """The records of a shard's files, once every term names a stored xorb with a valid chunk range, its
        verification hash and unpacked size match, and the chunks hash to the file hash; ShardError otherwise.
        Nothing is written."""
        records = []
        for info in files:
            if info.sha256 is None:
                raise ShardError("each file needs its sha256 (the metadata extension)")
            chunks, terms, size = [], [], 0
            for term in info.terms:
                name = to_hex(term.xorb)
                index = self.xorb_index(name)
                if index is None:
                    raise ShardError(f"file {to_hex(info.hash)} names xorb {name}, which was not uploaded")
                if term.end > len(index["hashes"]):
                    raise ShardError(f"chunk range [{term.start}, {term.end}) is past the end of xorb {name}")
                hashes = [from_hex(h) for h in index["hashes"][term.start : term.end]]
                sizes = index["sizes"][term.start : term.end]
                if term.verification != verification_hash(hashes):
                    raise ShardError(f"verification hash of a term of file {to_hex(info.hash)} does not match")
                if sum(sizes) != term.size:
                    raise ShardError("a term's unpacked size does not match its chunks")
                chunks += zip(hashes, sizes)
                terms.append([name, term.start, term.end, term.size])
                size += term.size
            if file_hash(chunks) != info.hash:
                raise ShardError(f"file hash {to_hex(info.hash)} does not match its chunks")
            records.append(
                {
                    "hash": to_hex(info.hash),
                    "sha256": to_hex(info.sha256),  # stored like a Merkle hash (8-byte groups reversed)
                    "size": size,
                    "terms": terms,
                }
            )
        return records

    def write_file(self, record: dict, out) -> None:
        """Reassemble a file from its terms into a binary writer."""
        for name, start, end, _ in record["terms"]:
            index = self.xorb_index(name)
            with open(self.xorb_path(name), "rb") as f:
                f.seek(index["offsets"][start])
                blob = f.read(index["offsets"][end] - index["offsets"][start])
            for _, data in xorb_format.iter_chunks(blob):
                out.write(data)

    def register(self, record: dict) -> None:
        """Record a checked file (`check_shard`); its first chunk joins the global dedupe index."""
        name = record.pop("hash")
        if record["terms"]:
            xorb_name, start = record["terms"][0][:2]
            self._index_file([t[0] for t in record["terms"]], self.xorb_index(xorb_name)["hashes"][start])
        self._write(self._path("files", f"{name}.json"), json.dumps(record).encode())
        self._write(self._path("sha256", record["sha256"]), name.encode())

    def _index_file(self, xorbs: list[str], first_chunk: str | None) -> None:
        """Global dedupe for a file: its first chunk and the eligible chunks of its xorbs answer with all of the
        file's xorbs (the one holding the chunk first), so one query finds a whole model already on the hub."""
        xorbs = list(dict.fromkeys(xorbs))[:MAX_DEDUPE_XORBS]
        for x in xorbs:
            index = self.xorb_index(x)
            keys = [h for h in index["hashes"] if modulo(from_hex(h), GLOBAL_DEDUP_MODULUS) == 0]
            if first_chunk in index["hashes"]:
                keys.append(first_chunk)
            for h in keys:
                self._write(self._path("chunks", h), "\n".join([x] + [o for o in xorbs if o != x]).encode())

    # --- reads ---
    def reconstruction(self, record: dict, first: int, last: int) -> tuple[int, list[tuple[str, int, int, int]]]:
        """The terms covering bytes [first, last] of a file: (offset into the first term, [(xorb, chunk start, chunk
        end, unpacked bytes)])."""
        out, pos, offset = [], 0, 0
        for name, start, end, _ in record["terms"]:
            sizes = self.xorb_index(name)["sizes"]
            lo = hi = None
            for i in range(start, end):
                if pos + sizes[i] > first and pos <= last:
                    if lo is None:
                        lo, offset = i, (first - pos if not out else offset)
                    hi = i + 1
                pos += sizes[i]
            if lo is not None:
                out.append((name, lo, hi, sum(sizes[lo:hi])))
            if pos > last:
                break
        return offset, out

    def dedupe_shard(self, chunk_hex: str) -> bytes | None:
        """The global dedupe answer for a chunk: a shard listing the xorb that holds it (and the other xorbs of its
        file), or None."""
        try:
            names = self._path("chunks", chunk_hex).read_text().split()
        except FileNotFoundError:
            return None
        infos, sizes = [], {}
        for name in names[:MAX_DEDUPE_XORBS]:
            index = self.xorb_index(name)
            if index is None:
                continue
            chunks = [
                (from_hex(h), index["offsets"][i], s) for i, (h, s) in enumerate(zip(index["hashes"], index["sizes"]))
            ]
            infos.append(XorbInfo(from_hex(name), chunks))
            sizes[from_hex(name)] = index["offsets"][-1]
        return dedupe_answer(infos, sizes) if infos else None


class _Empty:
    def __enter__(self):
        return b""

    def __exit__(self, *exc):
        return False


__all__ = ["XetStore", "chunk_hash"]

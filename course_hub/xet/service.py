"""What a serving hub keeps for Xet while it runs (`app.state.xet`): the CAS store of its hub dir (`cas`), the CAS counters
(`/xet-cas/v1/stats`) and the background conversions of LFS objects to xorbs, one thread per object at a time."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

from .store import XetStore


def convert_hub(hub_dir, progress=print) -> int:
    """Give every LFS object of a hub dir its Xet form now (after `course-hub build`), so that the first download of
    a course file goes through Xet like every later one: what a notebook prints never depends on whether a
    background conversion has finished. Objects already converted are skipped. Returns how many were converted."""
    from ..hubdir import HubDir
    from ..lfs import OID_RE

    hd = HubDir(hub_dir)
    store = XetStore(hd.xet_dir, hd.tmp_dir)
    todo = [p for p in sorted(hd.lfs_dir.glob("??/??/*")) if OID_RE.match(p.name) and not store.file_of_sha256(p.name)]
    if not todo:
        return 0
    started, size = time.monotonic(), 0
    for path in todo:
        store.convert(path.name, path)
        size += path.stat().st_size
    progress(f"xet: {len(todo)} files ({size / 1e6:.0f} MB) chunked into xorbs in {time.monotonic() - started:.0f}s")
    return len(todo)


class XetService:
    def __init__(self, root: Path, tmp_dir: Path):
        self.cas = XetStore(root, tmp_dir)
        self.stats: Counter = Counter()
        self._converting: set[str] = set()
        self._lock = threading.Lock()

    def count(self, **amounts: int) -> None:
        with self._lock:
            self.stats.update(amounts)

    def convert_in_background(self, oid: str, path: Path) -> None:
        """Start converting the LFS object `oid` (at `path`) unless that is already under way."""
        with self._lock:
            if oid in self._converting:
                return
            self._converting.add(oid)

        def convert():
            try:
                try:  # Linux: this thread only, behind the requests the server answers
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
                except (AttributeError, OSError):
                    pass
                self.cas.convert(oid, path)
            finally:
                with self._lock:
                    self._converting.discard(oid)

        threading.Thread(target=convert, name=f"xet-convert-{oid[:8]}", daemon=True).start()

"""What a serving hub keeps for Xet while it runs (`app.state.xet`): the CAS store of its hub dir (`cas`), the CAS counters
(`/xet-cas/v1/stats`) and the background conversions of LFS objects to xorbs, one thread per object at a time."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

from .store import XetStore


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

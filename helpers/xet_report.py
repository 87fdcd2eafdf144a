"""What a Xet upload sent: the figures behind huggingface_hub's upload bars, for a cell to print.

    from helpers.xet_report import xet_uploads

    with xet_uploads() as sent:
        api.upload_folder(...)          # or push_to_hub(...), upload_file(...): anything that uploads through Xet
    print(sent)                         # 91.5 MB in 5 files: 44.1 MB of new chunks sent, 47.4 MB already on the Hub

huggingface_hub hands each upload to `hf_xet`, which cuts the files into chunks, asks the Hub which chunks it already
has, and sends only the others. When an upload ends, `hf_xet` reports its deduplication metrics (huggingface_hub's
upload progress display shows the same counts while it runs, e.g. `upload_file`'s "New Data Upload" bar). huggingface_hub
does not return them, so inside the `with` block its Xet session is wrapped by one that keeps each report. Nothing else changes: the same client, the
same requests, on the course hub and on huggingface.co. Outside the block nothing is wrapped.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

MB = 1e6


@dataclass
class XetUploadReport:
    """The sum of the upload-commits' deduplication metrics (bytes)."""

    files: int = 0
    total_bytes: int = 0  # the files' sizes
    deduped_bytes: int = 0  # chunks the Hub (or this upload itself) already had: not sent
    new_bytes: int = 0  # chunks sent, before compression
    sent_bytes: int = 0  # what went over the network: the compressed chunks (xorbs) and the file index (shards)
    commits: list = field(default_factory=list, repr=False)

    def add(self, report) -> None:
        m = report.dedup_metrics
        self.files += len(report.uploads)
        self.total_bytes += m.total_bytes
        self.deduped_bytes += m.deduped_bytes
        self.new_bytes += m.new_bytes
        self.sent_bytes += m.total_bytes_uploaded
        self.commits.append(report)

    @property
    def new_share(self) -> float:
        """The part of the files' bytes that was new (0-1)."""
        return self.new_bytes / self.total_bytes if self.total_bytes else 0.0

    def __str__(self) -> str:
        if not self.commits:
            return "nothing went through Xet (no file to upload, or Xet is off: HF_HUB_DISABLE_XET)"
        return (
            f"{self.total_bytes / MB:.1f} MB in {self.files} file{'s' * (self.files != 1)}: "
            f"{self.new_bytes / MB:.1f} MB of new chunks sent, {self.deduped_bytes / MB:.1f} MB already on the Hub"
        )


class _RecordingCommit:
    """An hf_xet upload-commit that hands its final report to the tally."""

    def __init__(self, commit, tally: XetUploadReport):
        self._commit, self._tally = commit, tally

    def wait_to_finish(self):
        report = self._commit.wait_to_finish()
        self._tally.add(report)
        return report

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.wait_to_finish()
        else:
            self._commit.abort()
        return False

    def __getattr__(self, name):
        return getattr(self._commit, name)


class _RecordingSession:
    """huggingface_hub's XetSession, with upload-commits that report to the tally."""

    def __init__(self, session, tally: XetUploadReport):
        self._session, self._tally = session, tally

    def new_upload_commit(self, *args, **kwargs):
        return _RecordingCommit(self._session.new_upload_commit(*args, **kwargs), self._tally)

    def __getattr__(self, name):
        return getattr(self._session, name)


@contextmanager
def xet_uploads():
    """Count what huggingface_hub's Xet uploads inside the block read and sent (an `XetUploadReport`)."""
    from huggingface_hub.utils import _xet

    holder = _xet._GLOBAL_XET_HOLDER
    session = holder.get()  # the process's session, created if none yet
    tally = XetUploadReport()
    with holder._lock:
        holder._session = _RecordingSession(session, tally)
    try:
        yield tally
    finally:
        with holder._lock:
            if isinstance(holder._session, _RecordingSession):  # a Ctrl-C in the block drops the session: keep that
                holder._session = session


def wait_until_in_xet(url: str, timeout: float = 300):
    """Wait until the Hub serves the file at `url` (`hf_hub_url(...)`) from Xet; return its `HfFileMetadata`.

    huggingface.co has every big file in Xet already. The course hub keeps Git LFS files as they were built and moves
    each into Xet on its first request, in the background (seconds to a minute), then answers with its Xet hash.
    """
    import time

    from huggingface_hub import get_hf_file_metadata

    deadline = time.monotonic() + timeout
    while (meta := get_hf_file_metadata(url)).xet_file_data is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} is still not in Xet after {timeout:.0f} s: does this Hub store files in Xet?")
        time.sleep(1)
    return meta

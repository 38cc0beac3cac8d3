"""Every blob in the object database, read once and searched for every configured value.

`git cat-file --batch-all-objects --unordered --batch-check` lists every object with its type and
size in pack order (headers only: cheap); the id of each blob within the size limit goes to a
temporary file, the standard input of a `git cat-file --batch`, so trees, commits and blobs over
the limit are never even inflated.

Where grep is there (prefilter.py), that batch is piped straight into `grep -F` over the values'
cores, and Python reads only the few blobs grep found something in: the search runs at git's
own speed. Otherwise (or for a value with a line break in it) Python reads the batch itself: a
thread reads it 4 MiB at a time, a few chunks ahead, each chunk is searched as a whole for every
value across the blobs wholly inside it (a hit is then pinned to its blob), and a blob that
straddles two chunks is put together and searched on its own. Memory stays at a few chunks plus
one blob either way; the scan stops at `stop_at` and says how far it got.
"""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from checks.repo.git import Git
from checks.repo.needles import Needles
from checks.repo.prefilter import Layout, candidates, usable

_CHUNK = 4 << 20  # git's output is read and searched this many bytes at a time
_AHEAD = 3  # chunks read ahead of the search at most


@dataclass
class Listing:
    """What went by: every blob, and those too large to search."""

    blobs: int = 0
    bytes: int = 0
    requested: int = 0  # blobs within the size limit
    too_large: int = 0
    largest: int = 0
    done: bool = False  # git listed every object and exited cleanly


@dataclass
class BlobScan:
    """The outcome: blob id -> tokens of the values it holds, and how much was searched."""

    hits: dict[str, set[str]] = field(default_factory=dict)
    blobs: int = 0
    bytes: int = 0
    listing: Listing = field(default_factory=Listing)
    complete: bool = False
    seconds: float = 0.0


class _Parser:
    """Splits `<type> <size> <oid>\\n<content>\\n` records across chunks and searches the blobs."""

    def __init__(self, needles: Needles, result: BlobScan, max_blob: int) -> None:
        self.needles, self.result, self.max_blob = needles, result, max_blob
        self.header = b""  # a header cut by the end of a chunk
        self.remaining = 0  # bytes of the current record's content (and its newline) still to come
        self.oid = ""
        self.parts: list[bytes] | None = None  # the straddling blob's pieces, or None when not kept

    def _record(self, header: bytes) -> tuple[str, int, bool]:
        kind, size, oid = header.split(b" ")
        length = int(size)
        return oid.decode("ascii"), length, kind == b"blob" and length <= self.max_blob

    def _found(self, oid: str, size: int, tokens: set[str]) -> None:
        self.result.blobs += 1
        self.result.bytes += size
        if tokens:
            self.result.hits.setdefault(oid, set()).update(tokens)

    def feed(self, chunk: bytes) -> None:
        """Consume one chunk of git's output."""
        whole: list[tuple[str, int, int]] = []
        position, end = 0, len(chunk)
        while position < end:
            if self.remaining:
                take = min(self.remaining, end - position)
                if self.parts is not None:
                    self.parts.append(chunk[position:position + take])
                position += take
                self.remaining -= take
                if not self.remaining and self.parts is not None:
                    data = b"".join(self.parts)[:-1]
                    self.parts = None
                    self._found(self.oid, len(data), self.needles.search(data))
                continue
            newline = chunk.find(b"\n", position)
            if newline < 0:
                self.header += chunk[position:]
                break
            header, self.header = self.header + chunk[position:newline], b""
            position = newline + 1
            oid, size, searched = self._record(header)
            if searched and position + size < end:
                whole.append((oid, position, position + size))
                position += size + 1
                continue
            self.oid, self.remaining = oid, size + 1
            self.parts = [] if searched else None
        if not whole:
            return
        hit = self.needles.search_range(chunk, whole[0][1], whole[-1][2])
        for oid, start, stop in whole:
            self._found(oid, stop - start, self.needles.search_range(chunk, start, stop) if hit else set())


def _drain(reader: subprocess.Popen[bytes], chunks: queue.Queue[bytes]) -> None:
    """Read git's output into `chunks` (an empty chunk ends it): the read releases the GIL, the search does not."""
    stream = reader.stdout
    try:
        assert stream is not None
        _widen_pipe(stream.fileno())
        while True:
            chunk = stream.read(_CHUNK)
            chunks.put(chunk)
            if not chunk:
                return
    except (OSError, ValueError):  # stopped at the deadline
        chunks.put(b"")


def _list_blobs(git: Git, max_blob: int, into: BinaryIO, layout: Layout | None = None) -> Listing:
    """Write the id of every blob within `max_blob` to `into`, one a line, in pack order (and into
    `layout`, with its size); count the rest."""
    listing = Listing()
    lister = git.start("cat-file", "--batch-all-objects", "--unordered",
                       "--batch-check=%(objecttype) %(objectsize) %(objectname)")
    try:
        assert lister.stdout is not None
        for line in lister.stdout:
            if not line.startswith(b"blob "):
                continue
            _, length, oid = line.split(b" ")
            nbytes = int(length)
            listing.blobs += 1
            listing.bytes += nbytes
            if nbytes > max_blob:
                listing.too_large += 1
                listing.largest = max(listing.largest, nbytes)
                continue
            into.write(oid)
            listing.requested += 1
            if layout is not None:
                layout.add(oid.rstrip().decode("ascii"), nbytes)
        listing.done = lister.wait() == 0
    finally:
        git.stop(lister)
    into.flush()
    into.seek(0)
    return listing


def scan_blobs(git: Git, needles: Needles, max_blob: int, stop_at: float,
               progress: Callable[[str], None] | None = None, prefilter: bool = True) -> BlobScan:
    """Search every blob of the repository (reachable or not) for every form in `needles`;
    `progress` hears how far it got, a few times a second. With `prefilter` (and grep there), git
    and grep read the history and Python only the blobs grep found something in."""
    started = time.monotonic()
    result = BlobScan()
    layout = Layout()
    with tempfile.TemporaryFile() as oids:
        result.listing = _list_blobs(git, max_blob, oids, layout)
        if prefilter and usable(needles):
            try:
                found, searched, finished = candidates(git, needles, oids, layout, stop_at, progress)
            except OSError:  # grep could not be started or refused the search: Python does it all
                oids.seek(0)
            else:
                return _confirm(git, needles, max_blob, stop_at, result, layout, found, searched, finished, started)
        return _search(git, needles, max_blob, stop_at, result, oids, started, progress)


def _confirm(git: Git, needles: Needles, max_blob: int, stop_at: float, result: BlobScan, layout: Layout,
             found: set[str], searched: int, finished: bool, started: float) -> BlobScan:
    """Read only the blobs the prefilter found something in, and decide which values each holds."""
    with tempfile.TemporaryFile() as oids:
        oids.write(b"".join(oid.encode("ascii") + b"\n" for oid in sorted(found)))
        oids.seek(0)
        confirmed = _search(git, needles, max_blob, stop_at, BlobScan(listing=result.listing), oids, started, None,
                            wanted=len(found))
    result.hits = confirmed.hits
    result.blobs = searched
    result.bytes = sum(layout.sizes[:searched])
    result.complete = finished and confirmed.complete and result.listing.done
    result.seconds = time.monotonic() - started
    return result


def _search(git: Git, needles: Needles, max_blob: int, stop_at: float, result: BlobScan, oids: BinaryIO,
            started: float, progress: Callable[[str], None] | None, wanted: int | None = None) -> BlobScan:
    """Read the blobs `oids` lists with one `git cat-file --batch` and search each in Python."""
    parser = _Parser(needles, result, max_blob)
    reader = git.start("cat-file", "--batch=%(objecttype) %(objectsize) %(objectname)", stdin=oids)
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=_AHEAD)
    drain = threading.Thread(target=_drain, args=(reader, chunks), daemon=True, name="doctor-repo-read")
    drain.start()
    finished = False
    told = 0.0
    try:
        while time.monotonic() < stop_at:
            chunk = chunks.get()
            if not chunk:
                finished = reader.wait() == 0
                break
            parser.feed(chunk)
            if progress is not None and time.monotonic() - told > 0.25:
                told = time.monotonic()
                progress(f"repo: {result.blobs:,} of {result.listing.requested:,} blobs searched")
    finally:
        git.stop(reader)
        while drain.is_alive():  # unblock a reader waiting on a full queue
            try:
                chunks.get(timeout=0.05)
            except queue.Empty:
                pass
    wanted = result.listing.requested if wanted is None else wanted
    result.complete = (finished and result.listing.done and not parser.remaining and not parser.header
                       and result.blobs == wanted)
    result.seconds = time.monotonic() - started
    return result


def _widen_pipe(fd: int) -> None:
    """Fewer, larger reads from git: a 1 MiB pipe where Linux allows it (F_SETPIPE_SZ)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass

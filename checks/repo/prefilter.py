"""The history search done in C: git's own read of every blob piped straight into `grep -F`.

`git cat-file --batch` writes every blob (in the order the listing gave) into a pipe that `grep
-F -a -b -o` reads; the forms to look for reach grep over a second pipe (`-f /dev/fd/N`, never a
file on disk), and grep answers with the byte offset of each match. Python never touches the
hundreds of megabytes in between: it maps the few offsets back to blob ids through the sizes
the listing already gave, then reads only those blobs to decide, with the same search as ever,
which values each holds. A line never spans two blobs (git ends each with a newline), and no
form holds a newline (such forms keep the Python scan), so grep cannot miss a blob nor join two.

How far grep got (for progress and for the finding when the deadline stops it) is read from
`/proc/<pid>/io` where Linux offers it.
"""

from __future__ import annotations

import bisect
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from typing import BinaryIO

from checks.repo.git import Git, environment
from checks.repo.needles import Needles


class GrepFailed(OSError):
    """grep could not do the search (an option it lacks): the Python search does it instead."""


class Layout:
    """Where each blob's content sits in `git cat-file --batch=%(objectname) %(objectsize)` output."""

    def __init__(self) -> None:
        self.oids: list[str] = []
        self.starts: list[int] = []  # offset of each content's first byte
        self.ends: list[int] = []  # offset just past it
        self.sizes: list[int] = []
        self._offset = 0

    def add(self, oid: str, size: int) -> None:
        """The next blob of the batch, in order."""
        header = len(oid) + 1 + len(str(size)) + 1
        self.sizes.append(size)
        self.oids.append(oid)
        self.starts.append(self._offset + header)
        self.ends.append(self._offset + header + size)
        self._offset += header + size + 1

    @property
    def total(self) -> int:
        """Bytes of the whole batch output."""
        return self._offset

    def blob_at(self, offset: int) -> str | None:
        """The blob whose content holds byte `offset`, or None for a header."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.oids[index] if index >= 0 and offset < self.ends[index] else None

    def done_before(self, offset: int) -> int:
        """How many blobs lie wholly before byte `offset`."""
        return bisect.bisect_right(self.ends, offset)


def usable(needles: Needles) -> bool:
    """True when grep is there and every core can be one line of its pattern list."""
    return shutil.which("grep") is not None and os.path.exists("/dev/fd") and bool(needles) and all(
        form and b"\n" not in form and b"\r" not in form for form in needles.cores())


def _read_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _feed(fd: int, patterns: bytes) -> None:
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(patterns)
    except OSError:  # grep went away (the deadline)
        pass


def candidates(git: Git, needles: Needles, oids: BinaryIO, layout: Layout, stop_at: float,
               progress: Callable[[str], None] | None = None) -> tuple[set[str], int, bool]:
    """The blobs grep found any form in, how many blobs it got through, and whether it finished."""
    grep = shutil.which("grep") or "grep"
    patterns = b"".join(form + b"\n" for form in needles.cores())
    reader = git.start("cat-file", "--batch=%(objectname) %(objectsize)", stdin=oids)
    read_end, write_end = os.pipe()
    try:
        searcher = subprocess.Popen([grep, "-F", "-a", "-b", "-o", "-f", f"/dev/fd/{read_end}"],
                                    stdin=reader.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    pass_fds=(read_end,), env={**environment(), "LC_ALL": "C"})
    except OSError:
        os.close(read_end)
        os.close(write_end)
        git.stop(reader)
        raise
    os.close(read_end)
    assert reader.stdout is not None and searcher.stdout is not None
    reader.stdout.close()  # grep holds it now: git sees a closed pipe if grep dies
    threading.Thread(target=_feed, args=(write_end, patterns), daemon=True).start()
    found: set[str] = set()
    pending = b""
    told = 0.0
    finished = False
    out = searcher.stdout.fileno()
    try:
        while True:
            left = stop_at - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([out], [], [], min(left, 0.25))
            if progress is not None and time.monotonic() - told > 0.25:
                told = time.monotonic()
                done = _read_bytes(searcher.pid)
                if done is not None:
                    progress(f"repo: {layout.done_before(done):,} of {len(layout.oids):,} blobs searched")
            if not ready:
                continue
            chunk = os.read(out, 1 << 16)
            if not chunk:
                status = searcher.wait()
                if status not in (0, 1):  # 1 means no match at all; 2 is grep refusing (an old or odd grep)
                    raise GrepFailed(f"grep exited with {status}")
                finished = reader.wait() == 0
                break
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                offset, _, _ = line.partition(b":")  # the match itself is dropped unread
                if offset.isdigit():
                    blob = layout.blob_at(int(offset))
                    if blob is not None:
                        found.add(blob)
    finally:
        reached = _read_bytes(searcher.pid) if not finished else layout.total
        if searcher.poll() is None:
            searcher.kill()
        searcher.wait()
        searcher.stdout.close()
        git.stop(reader)
    searched = len(layout.oids) if finished else layout.done_before(reached or 0)
    return found, searched, finished

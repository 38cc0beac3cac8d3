"""The files a commit could take: tracked files and untracked ones that no .gitignore rule covers.

Listed with `git ls-files` (which reads the index and walks directories but never hashes a file,
so no clean filter runs) and read from disk here: regular files only, never through a symlink,
never a FIFO or device (opened non-blocking), each at most `max_bytes`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from checks.repo.git import Git
from checks.repo.needles import Needles


@dataclass
class WorkTree:
    """The committable files, and what the search found in them."""

    tracked: list[str]
    untracked: list[str]
    hits: dict[str, set[str]] = field(default_factory=dict)  # path -> tokens
    too_large: int = 0
    largest: int = 0
    files: int = 0
    complete: bool = True


def _paths(output: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in output.split(b"\0") if p]


def list_work_tree(git: Git) -> WorkTree:
    """Tracked paths and untracked, not ignored ones (relative to the top of the work tree)."""
    tracked = _paths(git.run("ls-files", "-z", "--full-name", "--", ":/"))
    untracked = _paths(git.run("ls-files", "-z", "--full-name", "--others", "--exclude-standard", "--", ":/"))
    return WorkTree(sorted(set(tracked)), untracked)


def read_regular(path: Path, max_bytes: int) -> bytes | int | None:
    """The file's bytes; its size (an int) when over `max_bytes`; None when it is not a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > max_bytes:
            return info.st_size
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return len(data) if len(data) > max_bytes else data
    except OSError:
        return None
    finally:
        os.close(fd)


def search_work_tree(top: Path, tree: WorkTree, needles: Needles, max_bytes: int, stop_at: float) -> None:
    """Search every committable file for every form in `needles` (records hits on `tree`)."""
    for relative in [*tree.tracked, *tree.untracked]:
        if time.monotonic() >= stop_at:
            tree.complete = False
            return
        data = read_regular(top / relative, max_bytes)
        if data is None:
            continue
        if isinstance(data, int):
            tree.too_large += 1
            tree.largest = max(tree.largest, data)
            continue
        tree.files += 1
        tokens = needles.search(data)
        if tokens:
            tree.hits[relative] = tokens

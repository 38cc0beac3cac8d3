"""Reading a file the user named: a regular file or `-` (standard input), never more than a cap.

A FIFO, a terminal, a device or a directory is refused before it is opened (opening a FIFO
blocks until a writer appears; `/dev/zero` never ends), so a mistyped path is a usage error in
one line, not a hang or a MemoryError.
"""

from __future__ import annotations

import os
import stat
import sys


class InputError(Exception):
    """The path cannot be read as asked: not a regular file, too large, or unreadable."""


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, for a message: `a FIFO (named pipe)`, `a device`, …."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: str, limit: int, what: str) -> bytes:
    """The bytes of `path` (or of standard input for `-`), at most `limit` of them.

    Raises InputError naming `what` (e.g. `--payload body.json`) for anything else.
    """
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError(f"{what}: standard input is closed")
        data = stream.read(limit + 1)
    else:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise InputError(f"{what}: no such file") from None
        except OSError as exc:
            raise InputError(f"{what}: cannot be read ({exc.strerror or type(exc).__name__})") from None
        if not stat.S_ISREG(mode):
            raise InputError(f"{what}: is {kind_of(mode)}; give a regular file, or - for standard input")
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{what}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > limit:
        raise InputError(f"{what}: larger than {limit // 1024} KB, which is more than this input can be")
    return data

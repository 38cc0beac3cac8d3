"""`argparse` parsers for every doctor command, without argparse's start-up tax.

argparse's HelpFormatter imports `shutil` (and through it bz2, lzma, fnmatch…) to learn the
terminal width, and it builds a formatter for every `add_argument`. The formatter here asks `os`
for the same width (COLUMNS, then the terminal of stdout), as shutil.get_terminal_size does.
"""

from __future__ import annotations

import argparse
import os
import sys


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else _columns() - 2)


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser for `prog` whose help adapts to the terminal, as argparse's does."""
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=_Formatter)

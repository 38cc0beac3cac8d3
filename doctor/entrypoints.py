"""Entry points of one group, read the way `importlib.metadata.entry_points(group=…)` reads them.

`importlib.metadata` costs more to import than the rest of `doctor list` together (it pulls in
`email`, `zipfile` and `csv` to parse metadata the doctor never needs). This module reads only
`entry_points.txt` of each distribution on `sys.path`, with the same rules: the first
distribution of a (normalised) name on `sys.path` wins, `*.dist-info` and `*.egg-info` folders,
INI sections and `name = module:attr [extras]` lines. A differential test holds it to
`importlib.metadata` on the test environment.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_SUFFIXES = (".dist-info", ".egg-info")


class EntryPoint:
    """One `name = module:attr` line of a group."""

    __slots__ = ("dist", "group", "name", "value")

    def __init__(self, name: str, value: str, group: str, dist: str) -> None:
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self) -> Any:
        """Import the module and return the attribute the value names."""
        module_name, _, attrs = self.value.split("[", 1)[0].partition(":")  # `mod:attr [extra]`
        target: Any = importlib.import_module(module_name.strip())
        for attr in attrs.strip().split(".") if attrs.strip() else ():
            target = getattr(target, attr)
        return target

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def _normalised(folder: str) -> str:
    """The distribution's name from `Name-1.0.dist-info`, normalised as importlib.metadata does."""
    name = folder.rsplit(".", 1)[0].split("-", 1)[0]
    return re.sub(r"[-_.]+", "_", name).lower()


def _parse(text: str, group: str, dist: str) -> list[EntryPoint]:
    found: list[EntryPoint] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != group or "=" not in line:
            continue
        name, value = line.split("=", 1)
        found.append(EntryPoint(name.strip(), value.strip(), group, dist))
    return found


def _distributions() -> list[tuple[str, str]]:
    """(normalised name, folder path) of every distribution on sys.path, first one of a name only."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for entry in sys.path:
        directory = entry or "."
        try:
            names = sorted(os.listdir(directory))
        except OSError:  # a zip file, a missing folder, no permission
            continue
        for name in names:
            if not name.endswith(_SUFFIXES):
                continue
            key = _normalised(name)
            if key in seen:
                continue
            seen.add(key)
            found.append((key, os.path.join(directory, name)))
    return found


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of `group` in the installed distributions."""
    points: list[EntryPoint] = []
    for dist, folder in _distributions():
        try:
            with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
        points.extend(_parse(text, group, dist))
    return points

"""python-dotenv itself, where it is installed (as it is beside the app): which release the
parser models, and the library's own reading of a file to hold the model to.

The doctor's parser (doctor/dotenv.py) keeps positions, quotes and the statements the library
skips, which the lints need; the library decides the values. Where they disagree the library
wins and the disagreement is reported (`dotenv.model_disagrees`). Without python-dotenv the
parser follows the newest release it models (NEWEST) and the report says so.
"""

from __future__ import annotations

import io

from doctor.dotenv import NEWEST, DotenvFile, DotenvModel, model_for

_UNSET = object()
MAX_LINE_CHARS = 64 * 1024  # longer lines are read by the model only, and reported


def longest_line(text: str) -> int:
    """The length of the longest line of `text`, in one pass without copying it."""
    longest, start = 0, 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return max(longest, len(text) - start)
        longest = max(longest, end - start)
        start = end + 1
_cached: object = _UNSET


def installed_version() -> str | None:
    """The installed python-dotenv's version, or None when it is not importable."""
    global _cached
    if _cached is _UNSET:
        try:
            from dotenv.version import __version__
        except Exception:  # absent, or broken: the built-in model decides
            _cached = None
        else:
            _cached = str(__version__)
    return _cached  # type: ignore[return-value]


def installed_model() -> DotenvModel:
    """The model of the installed python-dotenv, or NEWEST without one."""
    version = installed_version()
    return model_for(version) if version else NEWEST


def model_name() -> str:
    """What the report's `models` says decided .env values: the version, or `builtin (1.2.4)`."""
    version = installed_version()
    return version if version else f"builtin ({NEWEST.version})"


def library_reading(text: str) -> list[tuple[str, str | None]] | None:
    """What the installed python-dotenv reads from `text` (universal newlines already applied),
    before `${VAR}` expansion: every (name, value) in file order. None without the library.

    The parser is driven directly (`parse_stream`), not through `dotenv_values`, which logs a
    warning per statement it skips: those are the doctor's own findings, not stderr noise.
    """
    if installed_version() is None:
        return None
    try:
        from dotenv.parser import parse_stream

        return [(b.key, b.value) for b in parse_stream(io.StringIO(text)) if b.key is not None]
    except Exception:  # a library that breaks on some input must not take the doctor down
        return None


def hold_to_library(parsed: DotenvFile) -> None:
    """Give a dotenv file the installed library's reading, and the names where the model differs."""
    if not parsed.is_dotenv:
        return
    if longest_line(parsed.text) > MAX_LINE_CHARS or (
            len(parsed.text) > MAX_LINE_CHARS * 4 and any(b.error for b in parsed.bindings)):
        # A large file with a statement that does not parse (an unclosed quote) costs python-dotenv's
        # backtracking regex ~70 bytes per character after it: the linear model decides it.
        # python-dotenv's own comment rule is quadratic in a long line (seconds per 64 KB of spaces):
        # the model, which is linear, decides such a file, and `dotenv.value_too_large` says so.
        return
    reading = library_reading(parsed.text)
    if reading is None:
        return
    parsed.library = reading
    ours = {b.key: b.value for b in parsed.assignments}
    theirs = dict(reading)
    parsed.disagreements = sorted(n for n in set(ours) | set(theirs) if ours.get(n, _UNSET) != theirs.get(n, _UNSET))

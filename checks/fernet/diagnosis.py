"""Pinpoint what is wrong with one Fernet key string, without ever quoting it.

`diagnose(raw)` loads the key exactly as the app does (`Fernet(value)`), then explains the
difference between the value and a clean 44-character url-safe base64 key. Python's decoder
(`base64.urlsafe_b64decode`, non-strict) silently drops characters outside the alphabet and also
accepts the standard alphabet's `+` and `/`, so whitespace, quotes and `+`/`/` are cosmetic here
(`fatal=False`); truncation, missing padding, a `b'…'` repr, a pasted `NAME=` prefix, non-ASCII
characters and wrong lengths stop `Fernet()` (`fatal=True`). Verified against cryptography 48.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from checks.common import INVISIBLE, is_placeholder, strip_quotes

KEY_LENGTH = 44
URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
STANDARD_ONLY = frozenset("+/")
QUOTES = frozenset("\"'`")
_SPACE_NAMES = {" ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a carriage return"}
_PREFIX = re.compile(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*[=:]\s*(?=\S)")
_ESCAPE = re.compile(r"\\[nrt]")
_EDGE_ESCAPES = re.compile(r"^(?:\\[nrt])+|(?:\\[nrt])+$")
_BYTES_REPR = re.compile(r"^[bB](['\"])(.*)\1$", re.DOTALL)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the key. `shape` describes the corrected value (never the key itself);
    None means the original key cannot be recovered from this value."""

    slug: str
    fatal: bool
    title: str
    detail: str = ""
    shape: str | None = None


@dataclass
class Diagnosis:
    """The outcome: whether the app can load the key, its 32 bytes when it can, and the problems."""

    usable: bool
    key: bytes | None = None
    problems: list[Problem] = field(default_factory=list)


def load(value: str) -> bytes | None:
    """The 32 key bytes when `Fernet(value)` accepts the value as the app passes it, else None."""
    from cryptography.fernet import Fernet

    try:
        Fernet(value)
        return base64.urlsafe_b64decode(value)
    except (ValueError, TypeError):
        return None


def diagnose(raw: str, name: str) -> Diagnosis:
    """Everything wrong with `raw` as the value of variable `name`."""
    key = load(raw)
    if key is not None:
        return Diagnosis(True, key, _cosmetic(raw, name, quotes=True))
    return Diagnosis(False, None, _fatal(raw, name))


def _cosmetic(raw: str, name: str, quotes: bool) -> list[Problem]:
    """Characters Python's decoder tolerates but other runtimes and string comparisons do not."""
    problems = []
    spaces = describe_spaces(raw)
    tolerated = ("Python's Fernet silently drops characters outside the base64 alphabet, so this app still "
                 "loads the same key; but Fernet libraries in other languages, strict decoders, and any script "
                 "that compares keys as strings (rotation, backups) see a different or invalid value.")
    if spaces:
        problems.append(Problem("whitespace", False, f"{name} has {spaces}", tolerated,
                                "<the same 44 characters, without the whitespace>"))
    inner, wrapped = strip_quotes(raw)
    quote_at = [i + 1 for i, c in enumerate(raw) if c in QUOTES]
    if quotes and quote_at:
        where = "is wrapped in quotes" if wrapped and not any(c in QUOTES for c in inner) else \
            f"has a quote character at position {quote_at[0]}"
        problems.append(Problem("quoted", False, f"{name} {where}", tolerated,
                                "<the same 44 characters, without quotes>"))
    if any(c in STANDARD_ONLY for c in raw):
        problems.append(Problem(
            "standard_alphabet", False, f"{name} uses the standard base64 alphabet (+ or /), not the url-safe one",
            "Fernet keys are url-safe base64: '-' and '_' where standard base64 (e.g. `openssl rand -base64 32`) has "
            "'+' and '/'. Python's decoder accepts both, so it works here, but other Fernet implementations reject "
            "it. Replacing every + with - and every / with _ gives the same key: encrypted data stays readable.",
            "<the same key with every + replaced by - and every / by _>"))
    stray = [i + 1 for i, c in enumerate(raw)
             if c not in URLSAFE and c not in STANDARD_ONLY and c not in QUOTES and not c.isspace() and c != "="]
    extra = sum(1 for c in raw if c in URLSAFE or c in STANDARD_ONLY or c == "=") - KEY_LENGTH
    glued = _glued_keys("".join(c for c in raw if not c.isspace() and c not in QUOTES))
    if glued:
        problems.append(Problem(
            "stray_characters", False, f"{name} holds {glued} Fernet keys pasted together; Python uses only the first",
            "Python's decoder stops at the first key's padding and ignores the rest; any other runtime rejects the "
            "value. If data was encrypted with one of the later keys, it will not decrypt.",
            "<only the one 44-character key that encrypted the data>"))
    elif stray or extra > 0:
        escape = _ESCAPE.search(raw)
        if escape:
            where = f"a literal {escape.group(0)} (backslash and letter) at position {escape.start() + 1}"
        elif stray:
            where = f"a character outside the base64 alphabet at position {stray[0]}"
        else:
            where = f"{extra} character{'s' if extra > 1 else ''} more than a 44-character key (extra '=' padding?)"
        problems.append(Problem("stray_characters", False, f"{name} has {where}", tolerated,
                                "<exactly the 44 key characters, ending in one =>"))
    return problems


def _fatal(raw: str, name: str) -> list[Problem]:
    """Why `Fernet(raw)` fails, peeling off one layer of damage at a time."""
    problems: list[Problem] = []
    value = raw
    non_ascii = [(i, c) for i, c in enumerate(raw) if not c.isascii()]
    if non_ascii:
        position, char = non_ascii[0]
        what = INVISIBLE.get(char, "a non-ASCII character")
        more = f" (and {len(non_ascii) - 1} more)" if len(non_ascii) > 1 else ""
        problems.append(Problem(
            "non_ascii", True, f"{name} contains {what} at position {position + 1}{more}",
            "Fernet() raises ValueError (\"string argument should contain only ASCII characters\"): a key is plain "
            "ASCII, so this usually comes from copying it out of a document, chat or web page.",
            "<the same key without the non-ASCII characters>"))
        value = "".join(c for c in raw if c.isascii())
        if load(value) is not None:
            return problems + _cosmetic(value, name, quotes=True)
    value = value.strip()
    if _EDGE_ESCAPES.search(value):
        problems.append(Problem(
            "literal_escape", True, f"{name} has a literal \\n, \\r or \\t (backslash and letter) at one end",
            "An escaped newline was stored as two characters; the letter after the backslash is a valid base64 "
            "character, so it becomes part of the key and Fernet() rejects it.",
            "<the same 44 characters, without the backslash sequence>"))
        value = _EDGE_ESCAPES.sub("", value).strip()
    quoted_away = False
    prefix = _PREFIX.match(value)
    if prefix and len(value) > prefix.end():
        problems.append(Problem(
            "key_prefix", True, f"{name} starts with a pasted \"{prefix.group(1)}=\"",
            f"The value holds a whole `{prefix.group(1)}=…` line, so Fernet() decodes the name as key material "
            "and rejects the result.", f"<only the 44 characters after {prefix.group(1)}=>"))
        value = value[prefix.end():].strip()
        value, quoted_away = strip_quotes(value)
    if not quoted_away:
        inner, was_quoted = strip_quotes(value)
        if was_quoted and _BYTES_REPR.match(value) is None:
            value, quoted_away = inner.strip(), True
    bytes_repr = _BYTES_REPR.match(value)
    if bytes_repr:
        problems.append(Problem(
            "bytes_repr", True, f"{name} is a Python bytes literal (b'…'), not the key text",
            "Fernet.generate_key() returns bytes; printing them without .decode() gives b'…', and the leading b "
            "becomes part of the key, so Fernet() rejects it.", "<the 44 characters between the quotes, without b''>"))
        value, quoted_away = bytes_repr.group(2).strip(), True
    if load(value) is not None:
        return problems + _cosmetic(value, name, quotes=not quoted_away)
    if is_placeholder(value):
        return problems + [Problem("placeholder", True, f"{name} is still the example placeholder from the guide",
                                   "It is not a key: Fernet() rejects it and the app cannot start.")]
    return problems + [_shape_problem(value, name)]


def _shape_problem(value: str, name: str) -> Problem:
    """The length or alphabet problem of a value that has no wrapper left."""
    compact = "".join(c for c in value if not c.isspace() and c not in QUOTES)
    foreign = [c for c in compact if c not in URLSAFE and c not in STANDARD_ONLY and c != "="]
    rejected = 'Fernet() raises ValueError ("Fernet key must be 32 url-safe base64-encoded bytes.").'
    if foreign:
        return Problem("not_base64", True,
                       f"{name} is not base64: {len(foreign)} of its {len(compact)} characters are not in the alphabet",
                       f"{rejected} A Fernet key is 44 characters of A-Z, a-z, 0-9, - and _, ending in =; this "
                       "looks like a passphrase or a different kind of secret.")
    data = compact.rstrip("=")
    if len(data) == KEY_LENGTH - 1 and "=" not in compact:
        return Problem("missing_padding", True, f"{name} is 43 characters: the trailing = is missing",
                       f"{rejected} A Fernet key always ends in '='; without it the base64 padding is wrong. "
                       "Add the trailing = and it is the same key.", "<the same 43 characters, then =>")
    if len(data) < KEY_LENGTH - 1 and "=" not in data:
        looks = ("looks like the start of a key that was cut off when copied" if len(compact) >= 24 else
                 "is far too short to be a cut-off key; it may be a different value entirely")
        return Problem("truncated", True, f"{name} is {len(compact)} characters long; a Fernet key is 44",
                       f"{rejected} The value {looks}; missing characters cannot be recomputed.")
    decoded = _decode_any(data)
    if decoded is None:
        return Problem("not_base64", True, f"{name} is {len(compact)} characters that do not decode as base64",
                       f"{rejected} The padding or length is not a whole number of bytes.")
    hint = _length_hint(compact)
    return Problem("wrong_length", True,
                   f"{name} decodes to {len(decoded)} bytes; a Fernet key is 32 bytes (44 characters)",
                   f"{rejected}{hint}")


def _decode_any(data: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def _length_hint(compact: str) -> str:
    if len(compact) == 64 and all(c in "0123456789abcdefABCDEF" for c in compact):
        return " It looks like 64 hex digits (`openssl rand -hex 32` or secrets.token_hex(32)), not a Fernet key."
    if len(compact) in (85, 86) and "=" not in compact:
        return " It looks like a SECRET_KEY-style token (secrets.token_urlsafe(64)), not a Fernet key."
    return ""


def _glued_keys(compact: str) -> int:
    """How many whole 44-character keys `compact` consists of, when it is two or more, else 0."""
    if re.fullmatch(r"(?:[A-Za-z0-9_\-+/]{43}=){2,}", compact):
        return len(compact) // KEY_LENGTH
    return 0


def describe_spaces(value: str) -> str | None:
    """Where ASCII whitespace sits in `value` ("a trailing newline", "a space at position 23"), or None."""
    parts = []
    if value[:1].isspace():
        parts.append("leading whitespace")
    stripped = value.rstrip()
    trailing = value[len(stripped):]
    if "\n" in trailing or "\r" in trailing:
        parts.append("a trailing newline")
    elif trailing:
        parts.append("trailing whitespace")
    start = len(value) - len(value.lstrip())
    inside = [(i, c) for i, c in enumerate(stripped) if i >= start and c.isspace() and c.isascii()]
    for i, c in inside[:2]:
        parts.append(f"{_SPACE_NAMES.get(c, 'a whitespace character')} at position {i + 1}")
    if len(inside) > 2:
        parts.append(f"{len(inside) - 2} more whitespace characters inside")
    return ", ".join(parts) if parts else None

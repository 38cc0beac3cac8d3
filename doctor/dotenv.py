"""A dotenv parser that sees exactly what python-dotenv (and so pydantic-settings) sees.

It follows python-dotenv's grammar (quotes, escapes, `export `, comments, `${VAR}` expansion)
but keeps what the app's loader throws away: the line each binding starts on, the quote style,
the raw text, and the statements the loader would skip. It never raises on any input.

A `DotenvFile` is also the shape of every other source (`heroku config --json` output, see
`doctor/heroku.py`): `kind` tells which, and only a dotenv file is expanded and linted.
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_newline = re.compile(r"(\r\n|\n|\r)")
_multiline_whitespace = re.compile(r"\s*", re.MULTILINE)
_whitespace = re.compile(r"[^\S\r\n]*")
_export = re.compile(r"(?:export[^\S\r\n]+)?")
_single_quoted_key = re.compile(r"'([^']+)'")
_unquoted_key = re.compile(r"([^=\#\s]+)")
_equal_sign = re.compile(r"(=[^\S\r\n]*)")
# python-dotenv <= 1.2.2: a backslash escapes only a quote, so `"a\\"` runs on past its closing quote.
_single_quoted_value_1_2_2 = re.compile(r"'((?:\\'|[^'])*)'")
_double_quoted_value_1_2_2 = re.compile(r'"((?:\\"|[^"])*)"')
# python-dotenv >= 1.2.3: a backslash always escapes the character after it.
# Possessive (`*+`): the two alternatives never overlap, so this matches exactly what python-dotenv's
# pattern matches, without a backtracking frame per character (300 MB for a 4 MB unclosed quote).
_single_quoted_value = re.compile(r"'((?:\\.|[^'\\])*+)'", re.DOTALL)
_double_quoted_value = re.compile(r'"((?:\\.|[^"\\])*+)"', re.DOTALL)
_unquoted_value = re.compile(r"([^\r\n]*)")
_comment = re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_end_of_line = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_rest_of_line = re.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_double_quote_escapes = re.compile(r"\\[\\'\"abfnrtv]")
_single_quote_escapes = re.compile(r"\\[\\']")
_posix_variable = re.compile(r"\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}")

MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class DotenvModel:
    """The python-dotenv release whose reading the parser reproduces, by the behaviours that changed.

    - `strips_bom` (1.2.3): a leading byte-order mark is dropped, so the first name is read right;
    - `escapes_any` (1.2.3): in quotes a backslash escapes any character (`"a\\\\"` ends there);
    - `hash_after_space_is_comment` (1.2.4): `KEY= # note` is empty, not `# note`.
    """

    version: str
    strips_bom: bool
    escapes_any: bool
    hash_after_space_is_comment: bool

    @property
    def label(self) -> str:
        """`python-dotenv 1.2.4`, as a finding names the reading it reports."""
        return f"python-dotenv {self.version}"


NEWEST = DotenvModel("1.2.4", True, True, True)


def model_for(version: str) -> DotenvModel:
    """The model of a python-dotenv release (a version string such as `1.2.2`); NEWEST's rules for
    a newer one or a version that cannot be read."""
    numbers = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
    if len(numbers) < 2:
        return NEWEST
    numbers += (0,) * (3 - len(numbers))
    if numbers >= (1, 2, 4):
        return DotenvModel(version, True, True, True)
    newer = numbers >= (1, 2, 3)
    return DotenvModel(version, newer, newer, False)
DOTENV_KIND = "dotenv"
STDIN_PATH = "<stdin>"  # the label of `--env-file -`: no file of that name exists, none is edited


@dataclass(slots=True)
class Binding:
    """One statement of the file: a `KEY=value`, a bare `KEY`, a comment/blank, or an error.

    `line` is where the statement starts (1-based); a quoted value may run on to `end_line`.
    `error` means python-dotenv would skip this statement (it logs a warning and goes on).
    """

    key: str | None
    value: str | None
    line: int
    end_line: int
    original: str
    error: bool = False
    quote: str = ""
    raw_value: str = ""
    space_before_equals: bool = False
    space_after_equals: bool = False
    exported: bool = False


@dataclass(frozen=True)
class HerokuDump:
    """`heroku config` output found where a dotenv file was expected.

    `entries` are (name, line, value) in file order; `lines` every line the dump takes up
    (header, entries and the continuation lines of multi-line values); `app` is the name in the
    `=== APP Config Vars` header; `json` tells `heroku config --json` output.
    """

    app: str | None
    header_line: int | None
    json: bool
    entries: tuple[tuple[str, int, str], ...]
    lines: frozenset[int]

    @property
    def names(self) -> list[str]:
        """The variable names the dump holds, in file order, each once."""
        return list(dict.fromkeys(name for name, _, _ in self.entries))


@dataclass
class DotenvFile:
    """A parsed dotenv file with everything a lint needs to explain it.

    `kind` is `dotenv` or `json` (`heroku config --json` output, values taken literally);
    `implicit` marks the `./.env` read without `--env-file`, as the app reads it; `heroku` is the
    `heroku config` output the file holds instead of dotenv lines (python-dotenv reads none of it).
    """

    path: str
    raw: bytes = b""
    text: str = ""
    bom: bool = False
    crlf_lines: list[int] = field(default_factory=list)
    decode_error: tuple[int, int] | None = None  # (byte offset, line) of the first bad byte
    truncated: bool = False
    bindings: list[Binding] = field(default_factory=list)
    kind: str = DOTENV_KIND
    model: DotenvModel = NEWEST
    library: list[tuple[str, str | None]] | None = None  # python-dotenv's own reading, where installed
    disagreements: list[str] = field(default_factory=list)  # names the model reads otherwise
    implicit: bool = False
    heroku: HerokuDump | None = None

    @property
    def is_dotenv(self) -> bool:
        """True for a dotenv file (linted, `${VAR}`-expanded), False for a JSON source."""
        return self.kind == DOTENV_KIND

    @property
    def assignments(self) -> list[Binding]:
        """Bindings with a key, in file order."""
        return [b for b in self.bindings if b.key is not None and not b.error]

    def last_binding(self, key: str) -> Binding | None:
        """The binding that wins for `key` (python-dotenv keeps the last one)."""
        found = None
        for binding in self.assignments:
            if binding.key == key:
                found = binding
        return found

    def raw_values(self) -> dict[str, str | None]:
        """Key to value before `${VAR}` expansion, last binding winning."""
        return {b.key: b.value for b in self.assignments if b.key is not None}

    def values(self, environ: Mapping[str, str]) -> dict[str, str | None]:
        """What `dotenv_values()` returns: expanded with earlier file values, then `environ`.

        The library's own reading (`library`) is used where python-dotenv is installed, else the model's.

        A JSON source is not expanded: `heroku config --json` values are literal."""
        resolved: dict[str, str | None] = {}
        pairs = self.library if self.library is not None else [(b.key or "", b.value) for b in self.assignments]
        for key, value in pairs:
            if value is not None and "${" in value and self.is_dotenv:
                scope: dict[str, str | None] = dict(environ)
                scope.update(resolved)
                value = expand(value, scope)
            resolved[key] = value
        return resolved


def expand(value: str, scope: Mapping[str, str | None]) -> str:
    """python-dotenv's `${NAME}` and `${NAME:-default}` expansion."""

    def substitute(match: re.Match[str]) -> str:
        default = match["default"] if match["default"] is not None else ""
        found = scope.get(match["name"], default)
        return found if found is not None else ""

    return _posix_variable.sub(substitute, value)


class _Error(Exception):
    pass


class _Reader:
    def __init__(self, text: str, model: DotenvModel) -> None:
        self.model = model
        self.text = text
        self.pos = 0
        self.line = 1
        self.mark_pos = 0
        self.mark_line = 1

    def has_next(self) -> bool:
        return self.pos < len(self.text)

    def set_mark(self) -> None:
        self.mark_pos, self.mark_line = self.pos, self.line

    def marked(self) -> str:
        text = self.text[self.mark_pos : self.pos]
        return sys.intern(text) if len(text) < 64 else text  # a file of a million short lines repeats them

    def peek(self, count: int) -> str:
        return self.text[self.pos : self.pos + count]

    def read_regex(self, regex: re.Pattern[str]) -> tuple[str | None, ...]:
        match = regex.match(self.text, self.pos)
        if match is None:
            raise _Error
        consumed = self.text[match.start() : match.end()]
        self.pos = match.end()
        self.line += len(_newline.findall(consumed))
        return match.groups()


def _decode(regex: re.Pattern[str], value: str) -> str:
    return regex.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), value)


def _parse_binding(reader: _Reader) -> Binding:
    reader.set_mark()
    reader.read_regex(_multiline_whitespace)
    start_line = reader.line
    if not reader.has_next():
        return Binding(None, None, start_line, reader.line, reader.marked())
    binding = Binding(None, None, start_line, start_line, "")
    try:
        before_export = reader.pos
        reader.read_regex(_export)
        binding.exported = reader.pos > before_export
        char = reader.peek(1)
        if char == "#":
            key = None
        elif char == "'":
            (key,) = reader.read_regex(_single_quoted_key)
        else:
            (key,) = reader.read_regex(_unquoted_key)
        before = reader.pos
        reader.read_regex(_whitespace)
        binding.space_before_equals = reader.pos > before and reader.peek(1) == "="
        value: str | None = None
        if reader.peek(1) == "=":
            (equals,) = reader.read_regex(_equal_sign)
            binding.space_after_equals = bool(equals and len(equals) > 1)
            if binding.space_after_equals and reader.model.hash_after_space_is_comment and reader.peek(1) == "#":
                value = ""  # `KEY= # note`: the rest of the line is a comment (python-dotenv >= 1.2.4)
            else:
                value = _parse_value(reader, binding)
        reader.read_regex(_comment)
        reader.read_regex(_end_of_line)
        binding.key, binding.value = (sys.intern(key) if key is not None and len(key) < 64 else key), value
    except _Error:
        reader.read_regex(_rest_of_line)
        binding.key, binding.value, binding.error = None, None, True
    binding.original = reader.marked()
    binding.end_line = max(start_line, reader.line - (1 if binding.original.endswith(("\n", "\r")) else 0))
    return binding


def _parse_value(reader: _Reader, binding: Binding) -> str:
    char = reader.peek(1)
    if char == "'":
        (value,) = reader.read_regex(_single_quoted_value if reader.model.escapes_any
                                     else _single_quoted_value_1_2_2)
        binding.quote, binding.raw_value = "'", value or ""
        return _decode(_single_quote_escapes, value or "")
    if char == '"':
        (value,) = reader.read_regex(_double_quoted_value if reader.model.escapes_any
                                     else _double_quoted_value_1_2_2)
        binding.quote, binding.raw_value = '"', value or ""
        return _decode(_double_quote_escapes, value or "")
    if char in ("", "\n", "\r"):
        return ""
    (part,) = reader.read_regex(_unquoted_value)
    binding.raw_value = part or ""
    return strip_inline_comment(part or "")


_space_then_hash = re.compile(r"\s#")


def strip_inline_comment(part: str) -> str:
    """python-dotenv's `re.sub(r"\\s+#.*", "", part).rstrip()` for an unquoted value, in linear time.

    That pattern backtracks over every whitespace run (quadratic: a 64 KB run of spaces took
    seconds). Its leftmost match starts where the first whitespace run that ends in `#` starts,
    and `.*` takes the rest (an unquoted value holds no newline), so the result is the text
    before that run, right-stripped.
    """
    found = _space_then_hash.search(part)
    if found is not None:
        start = found.start()
        while start > 0 and part[start - 1].isspace():
            start -= 1
        part = part[:start]
    return part.rstrip()


def parse_text(text: str, model: DotenvModel = NEWEST) -> list[Binding]:
    """Parse already-decoded text into bindings, as `model`'s python-dotenv does. Never raises."""
    if model.strips_bom:
        text = text.removeprefix("\ufeff")  # line numbers are unchanged: the mark is not a line
    reader = _Reader(text, model)
    bindings = []
    while reader.has_next():
        bindings.append(_parse_binding(reader))
    return bindings


def parse_bytes(raw: bytes, path: str = ".env", model: DotenvModel = NEWEST) -> DotenvFile:
    """Decode and parse a file's bytes as python-dotenv would read them (UTF-8, universal
    newlines), recording a BOM, CRLF line ends and the first undecodable byte on the way."""
    parsed = DotenvFile(path=path, raw=raw)
    if len(raw) > MAX_FILE_BYTES:
        raw = raw[:MAX_FILE_BYTES]
        parsed.truncated = True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        parsed.decode_error = (exc.start, raw.count(b"\n", 0, exc.start) + 1)
        text = raw.decode("utf-8", errors="replace")
    # python-dotenv opens files with encoding="utf-8" (not utf-8-sig): a BOM stays in the text.
    parsed.bom = text.startswith("\ufeff")
    parsed.crlf_lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer("\r\n", text)]
    # Text mode with universal newlines turns \r\n and lone \r into \n before the parser runs.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parsed.text = text
    parsed.bindings = parse_text(text, model)
    parsed.model = model
    return parsed


def read_file(path: str | Path) -> DotenvFile:
    """Read and parse a dotenv file. Raises OSError when the file cannot be read."""
    with open(path, "rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    return parse_bytes(raw, str(path))

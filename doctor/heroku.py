"""`heroku config` output as a configuration source, recognised by its content, never by its name.

`heroku config` prints config vars in three shapes:
- the default text (`=== APP Config Vars`, then `NAME:   value` lines padded to align), which
  python-dotenv cannot read at all. `detect_dump` finds it in a parsed dotenv file, so the doctor
  says so once instead of reporting every variable in it missing;
- `--json`, an object of strings. Named with `--env-file` it is read as a source in its own right
  (`parse_json`); saved where the app expects a dotenv file (`./.env`) it is a dump like the text;
- `--shell`, `NAME=value` lines: a dotenv file python-dotenv reads.
"""

from __future__ import annotations

import json
import re

from doctor.dotenv import MAX_FILE_BYTES, Binding, DotenvFile, HerokuDump, parse_bytes

JSON_KIND = "json"
_HEADER = re.compile(r"^=== (?P<app>\S.*?) Config Vars[^\S\n]*$")
_ENTRY = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*):(?:[^\S\n]+(?P<value>.*?))?[^\S\n]*$")
_BAD_KEY = re.compile(r"[\s=\x00-\x1f\x7f]")
_MIN_HEADERLESS = 3  # `NAME: value` lines needed to call a file without the header a dump


class SourceFormatError(ValueError):
    """A document that is JSON (or starts like it) but is not an object of strings.

    Its message names keys and positions only, never a value.
    """


def looks_like_json(raw: bytes | str) -> bool:
    """True when the document starts like a JSON object or array (after a BOM and whitespace)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")


def _describe(value: object) -> str:
    kinds = {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _object_of_strings(text: str) -> dict[str, str]:
    """The JSON object in `text`; SourceFormatError unless it is an object whose values are strings."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:  # the message names a position, never the text
        raise SourceFormatError(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise SourceFormatError("invalid JSON (nested too deeply)") from None
    if not isinstance(document, dict):
        raise SourceFormatError(f"JSON {_describe(document)}, not an object of strings "
                                "(as `heroku config --json` prints)")
    for number, (key, value) in enumerate(document.items(), 1):
        if not key or _BAD_KEY.search(key):  # not quoted: `"SECRET_KEY=abc"` would show the value
            raise SourceFormatError(f"JSON key number {number} is not a variable name "
                                    "(empty, or holding a space, '=' or a control character)")
        if not isinstance(value, str):
            raise SourceFormatError(f"JSON key {key} holds {_describe(value)}, not a string "
                                    "(every value of `heroku config --json` is a string)")
    return document


def _key_lines(text: str, keys: list[str]) -> dict[str, int]:
    """The line each key stands on (1 when it cannot be found, e.g. an escaped spelling)."""
    found = {}
    for key in keys:
        match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
        found[key] = text.count("\n", 0, match.start()) + 1 if match else 1
    return found


def parse_json(raw: bytes, path: str) -> DotenvFile:
    """`heroku config --json` output as a source: one binding per key, values taken literally.

    Raises SourceFormatError for anything that is not a JSON object of strings.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise SourceFormatError(f"JSON larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"JSON that is not valid UTF-8 (byte offset {exc.start})") from None
    values = _object_of_strings(text)
    lines = _key_lines(text, list(values))
    parsed = DotenvFile(path=path, raw=raw, text=text, kind=JSON_KIND)
    parsed.bindings = [Binding(key, value, lines[key], lines[key], original="", quote='"', raw_value=value)
                       for key, value in values.items()]
    return parsed


def _json_dump(parsed: DotenvFile) -> HerokuDump | None:
    try:
        values = _object_of_strings(parsed.text.lstrip("\ufeff"))
    except SourceFormatError:
        return None
    lines = _key_lines(parsed.text, list(values))
    entries = tuple((key, lines[key], value) for key, value in values.items())
    return HerokuDump(None, None, True, entries, frozenset(range(1, parsed.text.count("\n") + 2)))


def _unread_lines(parsed: DotenvFile) -> set[int]:
    """Lines python-dotenv does not read as an assignment: failed statements, and `NAME:` without '='."""
    unread = set()
    for binding in parsed.bindings:
        if binding.error or (binding.key or "").endswith(":"):
            unread.update(range(binding.line, binding.end_line + 1))
    return unread


def detect_dump(parsed: DotenvFile) -> HerokuDump | None:
    """The `heroku config` output in a parsed dotenv file, or None when it is not one."""
    if parsed.kind == JSON_KIND:
        return None
    if looks_like_json(parsed.text):
        return _json_dump(parsed)
    unread = _unread_lines(parsed)
    app, header_line, others = None, None, 0
    entries: list[tuple[str, int, str]] = []
    taken: set[int] = set()
    previous_entry = False
    for number, line in enumerate(parsed.text.split("\n"), 1):
        text = line.lstrip("\ufeff") if number == 1 else line
        if not text.strip() or text.lstrip().startswith("#"):
            previous_entry = False
            continue
        header = _HEADER.match(text) if number in unread else None
        entry = _ENTRY.match(text) if number in unread else None
        if header:
            app, header_line = app or header["app"], header_line or number
            taken.add(number)
        elif entry:
            entries.append((entry["name"], number, entry["value"] or ""))
            taken.add(number)
        elif previous_entry and number in unread and "=" not in text:  # the rest of a multi-line value
            name, start, value = entries[-1]
            entries[-1] = (name, start, f"{value}\n{text}")
            taken.add(number)
            continue
        else:
            others += 1
        previous_entry = bool(entry)
    if header_line is None and (len(entries) < _MIN_HEADERLESS or len(entries) <= others):
        return None
    return HerokuDump(app, header_line, False, tuple(entries), frozenset(taken))


def parse_dotenv(raw: bytes, path: str) -> DotenvFile:
    """A dotenv file's bytes parsed as the installed python-dotenv reads them (its own reading
    decides the values), with any `heroku config` output in it found."""
    from doctor.dotenv_library import hold_to_library, installed_model

    parsed = parse_bytes(raw, path, installed_model())
    hold_to_library(parsed)
    parsed.heroku = detect_dump(parsed)
    return parsed

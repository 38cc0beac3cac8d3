"""How a dotenv file's text reads: statement lines, variable names, encoding and invisible characters.

Shared by the `dotenv` lint and the `env` check's hints; no finding here quotes a value.
"""

from __future__ import annotations

import re
import shlex

from checks.common import INVISIBLE
from checks.dotenv.const import BOOT_VARS
from doctor import Finding, Fix, Severity
from doctor.dotenv import Binding, DotenvFile

ASSIGNMENT = re.compile(r"^[^\S\n]*(?:export[^\S\n]+)?['\"]?([A-Za-z_][A-Za-z0-9_.-]*)['\"]?[^\S\n]*=")
_MAX_LISTED = 5


def statement_lines(binding: Binding) -> list[tuple[int, str]]:
    """The statement's lines as (line number, text), starting at `binding.line`."""
    body = binding.original.lstrip().removesuffix("\n")
    return [(binding.line + i, text) for i, text in enumerate(body.split("\n"))]


def severity_for(names: list[str]) -> Severity:
    """Critical when a variable the app cannot boot without is involved, else error."""
    return Severity.CRITICAL if set(BOOT_VARS) & set(names) else Severity.ERROR


def listed(items: list[str]) -> str:
    """The first few items, comma-separated, with a count of the rest."""
    more = len(items) - _MAX_LISTED
    return ", ".join(items[:_MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def decode_findings(parsed: DotenvFile) -> list[Finding]:
    """`dotenv.not_utf8`: bytes python-dotenv cannot decode (the app does not start)."""
    if parsed.decode_error is None:
        return []
    offset, line = parsed.decode_error
    key = next((b.key or first_key(b) for b in parsed.bindings if b.line <= line <= b.end_line), None)
    utf16 = parsed.raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    source = "UTF-16" if utf16 else "WINDOWS-1252"
    path = shlex.quote(parsed.path)
    return [Finding(
        "dotenv.not_utf8", Severity.CRITICAL,
        f"{parsed.path}:{line} is not valid UTF-8 (byte offset {offset}): the app does not start",
        "python-dotenv opens the file as UTF-8 and raises UnicodeDecodeError, so pydantic-settings fails before "
        "the app starts" + (f". The bad byte is in the {key} line" if key else "") + ". "
        + ("The file looks saved as UTF-16 (a Windows editor's 'Unicode')." if utf16 else
           "An editor probably saved it as Latin-1/Windows-1252 (an accented letter, a pasted symbol)."),
        Fix("Re-save the file as UTF-8 (check the converted line afterwards).",
            (f"iconv -f {source} -t UTF-8 {path} > {path}.utf8 && mv {path}.utf8 {path}",)),
        vars=(key,) if key else (), root_cause=True,
    )]


def clean_key(key: str | None) -> str:
    """A key without invisible characters (a BOM or zero-width space), for `vars`."""
    return "".join(c for c in key or "" if c not in INVISIBLE)


def first_key(binding: Binding) -> str | None:
    """The variable a statement assigns, read from its first line even when it failed to parse."""
    lines = statement_lines(binding)
    match = ASSIGNMENT.match(lines[0][1].lstrip("\ufeff")) if lines else None
    return match.group(1) if match else None


def bom_findings(parsed: DotenvFile) -> list[Finding]:
    """`dotenv.bom`: a byte-order mark that renames the first variable."""
    if not parsed.bom or not parsed.bindings:
        return []
    first = parsed.bindings[0]
    name = (first.key or "").lstrip("\ufeff") or first_key(first)
    fix = Fix("Remove the byte-order mark (save as 'UTF-8' rather than 'UTF-8 with BOM').",
              (f"perl -i -pe 's/^\\xEF\\xBB\\xBF// if $. == 1' {shlex.quote(parsed.path)}",))
    if parsed.model.strips_bom:  # python-dotenv >= 1.2.3 drops the mark: the app reads the file right
        return [Finding(
            "dotenv.bom", Severity.WARNING, f"{parsed.path}:1 starts with a UTF-8 byte-order mark",
            f"{parsed.model.label}, which the app reads the file with, drops the mark, so the app sees every "
            "variable. python-dotenv 1.2.2 and older, and tools such as `source .env` or docker --env-file, "
            "keep it and read the first name with the mark in front" + (f" (so not {name})." if name else "."),
            fix)]
    if not name:
        return [Finding(
            "dotenv.bom", Severity.WARNING, f"{parsed.path}:1 starts with a UTF-8 byte-order mark",
            "python-dotenv reads the file as utf-8, not utf-8-sig, so the mark stays in the text. It is harmless "
            "only while the first line is blank or a comment.", fix)]
    return [Finding(
        "dotenv.bom", severity_for([name]),
        f"{parsed.path}:1 starts with a byte-order mark, so the app does not see {name}",
        f"python-dotenv reads the file as utf-8 (not utf-8-sig): the first variable is read as '\\ufeff{name}', "
        f"a different name, and {name} stays unset.", fix, vars=(name,), root_cause=True,
    )]


def invisible_findings(parsed: DotenvFile) -> list[Finding]:
    """`dotenv.invisible_char`: zero-width or no-break characters in names and values."""
    findings = []
    for index, binding in enumerate(parsed.assignments):
        key = binding.key or ""
        if index == 0 and parsed.bom and not parsed.model.strips_bom:
            key = key.lstrip("\ufeff")
        clean = clean_key(key)
        bad_key = next((c for c in key if c in INVISIBLE), None)
        where = f"{parsed.path}:{binding.line}"
        if bad_key:
            findings.append(Finding(
                "dotenv.invisible_char", Severity.ERROR,
                f"{where}: the name {clean} contains {INVISIBLE[bad_key]}, so the app does not see {clean}",
                "The variable is read under a different name that merely looks the same.",
                Fix(f"Retype the name on {where} by hand."), vars=(clean,), root_cause=True,
            ))
        value = binding.value or ""
        position = next((i for i, c in enumerate(value) if c in INVISIBLE), None)
        if position is not None:
            severity = Severity.WARNING if clean.endswith("_NAME") else Severity.ERROR
            findings.append(Finding(
                "dotenv.invisible_char", severity,
                f"{where}: {clean}'s value contains {INVISIBLE[value[position]]} at position {position + 1} "
                f"of {len(value)}",
                "It was probably pasted from a web page or chat. python-dotenv keeps it, so the value the app "
                "uses differs from the one issued (a login, key or URL that looks right but fails).",
                Fix(f"Retype or re-copy {clean}'s value on {where} from its source."), vars=(clean,),
            ))
    return findings

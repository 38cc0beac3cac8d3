"""The `dotenv` check: lint each .env file for what python-dotenv (and so the app) reads wrongly.

Every finding names `path:line`; none quotes a value, since most of a .env file is secrets.
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict

from checks.dotenv.text import (
    ASSIGNMENT,
    bom_findings,
    clean_key,
    decode_findings,
    first_key,
    invisible_findings,
    listed,
    severity_for,
    statement_lines,
)
from doctor import Finding, Fix, Severity
from doctor.config import NOT_FOUND_ROOT, UNREADABLE_ROOT, is_secret_name
from doctor.dotenv import MAX_FILE_BYTES, Binding, DotenvFile

_QUOTE_OPENED = re.compile(r"=[^\S\n]*(['\"])")
# perl -i, not sed -i.bak: no backup copy of the secrets is left beside the file (GNU and BSD sed
# disagree on -i without a suffix; perl is on both).
_UNSPACE = r"s/^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*/$1=/"


def _unclosed_quote(line: str) -> bool:
    """True when the value on `line` opens a quote that nothing on the line closes."""
    match = _QUOTE_OPENED.search(line)
    if not match:
        return False
    return re.search(r"(?<!\\)" + match.group(1), line[match.end():]) is None


def _statement_findings(parsed: DotenvFile) -> list[Finding]:
    findings = []
    defined = {b.key for b in parsed.assignments}
    dumped = parsed.heroku.lines if parsed.heroku else frozenset()
    for index, binding in enumerate(parsed.bindings):
        if index == 0 and parsed.bom and not parsed.model.strips_bom:
            continue  # the BOM finding explains this line
        if dumped.issuperset(range(binding.line, binding.end_line + 1)):
            continue  # `heroku config` output: one finding explains every line of it
        lines = statement_lines(binding)
        if not lines or not (binding.error or len(lines) > 1 and binding.quote):
            continue
        key = binding.key or first_key(binding)
        hidden = [(number, m.group(1)) for number, text in lines[1:] if (m := ASSIGNMENT.match(text))]
        where = f"{parsed.path}:{binding.line}"
        if hidden or (binding.error and len(lines) > 1):
            names = list(dict.fromkeys(n for _, n in hidden))
            lost = ([key] if key and binding.error else []) + [n for n in names if n not in defined]
            findings.append(Finding(
                "dotenv.unbalanced_quote", severity_for(lost or names),
                f"{where}: an unclosed {binding.quote or 'quote'} in {key or 'a value'} swallows lines "
                f"{lines[1][0]}-{lines[-1][0]}" + (f", hiding {listed(names)}" if names else ""),
                f"python-dotenv reads everything up to the next matching quote as one value, so the assignments on "
                f"lines {lines[1][0]}-{lines[-1][0]} are not read"
                + (f" and the app sees {listed(lost)} unset" if lost else "")
                + ("; the statement then fails to parse and is skipped." if binding.error else "."),
                Fix(f"Close the quote at the end of {where} (or remove the opening one)."),
                vars=tuple(dict.fromkeys(([key] if key else []) + names)), root_cause=True,
            ))
        elif not binding.error:
            continue  # a legitimate multi-line quoted value
        elif key and _unclosed_quote(lines[0][1]):
            findings.append(Finding(
                "dotenv.unbalanced_quote", severity_for([key]),
                f"{where}: the quote opened in {key}'s value is never closed, so {key} is not read",
                "python-dotenv finds no closing quote, logs 'could not parse statement' and skips the line: "
                f"the app sees {key} unset (or set by another source).",
                Fix(f"Close the quote at the end of {where}."), vars=(key,), root_cause=True,
            ))
        else:
            findings.append(Finding(
                "dotenv.unparsed_line", Severity.ERROR,
                f"{where} is not a valid KEY=value line; python-dotenv skips it"
                + (f", so {key} is not set from it" if key else ""),
                "python-dotenv logs 'could not parse statement' and goes on. Typical causes: text after a closing "
                "quote, a value with spaces and a quote inside, or a line without '='.",
                Fix(f"Rewrite {where} as KEY=value (quote the value if it contains spaces or '#')."),
                vars=(key,) if key else (), root_cause=True,
            ))
    return findings


def _duplicate_findings(parsed: DotenvFile) -> list[Finding]:
    seen: dict[str, list[Binding]] = defaultdict(list)
    for binding in parsed.assignments:
        seen[binding.key or ""].append(binding)
    findings = []
    for key, bindings in seen.items():
        if len(bindings) < 2:
            continue
        lines = [str(b.line) for b in bindings]
        same = len({b.value for b in bindings}) == 1
        name = clean_key(key)
        if same:
            fix = Fix(f"Delete the earlier {name} line(s) in {parsed.path}: {', '.join(lines[:-1])}.")
        else:  # which line is the mistake is not known: deleting the earlier ones could keep the wrong value
            fix = Fix(f"Decide which {name} is meant{_values(name, bindings)}, keep that one line in {parsed.path} and "
                      "delete the others; then run the doctor again: what follows from the value in force is "
                      "folded under this finding.")
        findings.append(Finding(
            "dotenv.duplicate_key", Severity.INFO if same else Severity.WARNING,
            f"{name} is set {len(bindings)} times in {parsed.path} (lines {listed(lines)}); "
            f"line {lines[-1]} wins",
            "python-dotenv keeps the last assignment" + (", and all of them hold the same value." if same else
                                                         ", so editing an earlier line changes nothing."),
            fix, vars=(name,), root_cause=not same,  # a different last value changes what the app sees
        ))
    return findings


_SHOWN_SETTINGS = frozenset({"ENVIRONMENT", "LOG_LEVEL", "MAIL_PORT", "MAIL_STARTTLS", "MAIL_SSL_TLS",
                             "RATE_LIMIT_ENABLED"})


def _values(name: str, bindings: list[Binding]) -> str:
    """` (line 1: 'development', line 40: 'production')` for a setting that is not a secret, else ''."""
    if name not in _SHOWN_SETTINGS or is_secret_name(name) or any(len(b.value or "") > 40 for b in bindings):
        return ""  # an unknown name may hold a secret the redactor does not know
    return " (" + ", ".join(f"line {b.line}: {b.value!r}" for b in bindings) + ")"


def _spacing_findings(parsed: DotenvFile) -> list[Finding]:
    spaced = [b for b in parsed.assignments if b.space_before_equals or b.space_after_equals]
    if not spaced:
        return []
    where = [f"{parsed.path}:{b.line}" for b in spaced]
    return [Finding(
        "dotenv.space_around_equals", Severity.WARNING,
        f"Spaces around '=' at {listed(where)}",
        "python-dotenv ignores them, but `source .env` in a shell, `docker run --env-file` and "
        "`heroku config:set KEY = value` do not: the same file then means something else elsewhere.",
        Fix("Remove the spaces around '=' (the command edits the file in place and leaves no copy of it).",
            (f"perl -i -pe '{_UNSPACE}' {shlex.quote(parsed.path)}",)),
        vars=tuple(dict.fromkeys(clean_key(b.key) for b in spaced)),
    )]


def _crlf_findings(parsed: DotenvFile) -> list[Finding]:
    if not parsed.crlf_lines:
        return []
    crlf = set(parsed.crlf_lines)
    touched = [b for b in parsed.assignments if crlf & set(range(b.line, b.end_line + 1))]
    keys = tuple(dict.fromkeys(clean_key(b.key) for b in touched))
    return [Finding(
        "dotenv.crlf", Severity.WARNING,
        f"{parsed.path}:{parsed.crlf_lines[0]} has Windows (CRLF) line endings ({len(crlf)} line(s))",
        "python-dotenv tolerates them, but `source .env` and `docker --env-file` keep the \\r at the end of every "
        "value, which breaks passwords and URLs in those tools.",
        Fix("Convert the file to Unix line endings.", (f"perl -pi -e 's/\\r$//' {shlex.quote(parsed.path)}",)),
        vars=keys,
    )]


def _truncated_findings(parsed: DotenvFile) -> list[Finding]:
    if not parsed.truncated:
        return []
    line = parsed.text.count("\n") + 1
    return [Finding(
        "dotenv.truncated", Severity.WARNING,
        f"{parsed.path} is over {MAX_FILE_BYTES // (1024 * 1024)} MiB; the doctor read it only up to line {line}",
        "A .env file this large is usually something else (a dump or a binary) saved under that name. Findings "
        "about variables after that point may be missing.",
        Fix(f"Check that {parsed.path} is really the app's settings file."),
    )]


def model_findings(parsed: DotenvFile) -> list[Finding]:
    """`dotenv.model_disagrees`: the installed python-dotenv reads some names otherwise than the
    doctor's model of it. The library's reading is what every check used; the lines' diagnostics
    may be off for those names."""
    if not parsed.disagreements:
        return []
    names = parsed.disagreements
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return [Finding(
        "dotenv.model_disagrees", Severity.WARNING,
        f"python-dotenv {parsed.model.version} reads {shown} in {parsed.path} otherwise than the doctor's model",
        "The doctor parses the file itself to point at lines and quotes, and holds that parse to the installed "
        "python-dotenv. For these names they differ: every check used the library's reading (what the app sees), "
        "but a line-level finding about them may be imprecise.",
        Fix("Nothing in the file needs to change for this. Report it to the doctor's maintainers with the "
            "python-dotenv version (no values), so the model catches up."),
        vars=tuple(n for n in names if is_secret_name(n) or n.isupper())[:20],
    )]


def size_findings(parsed: DotenvFile) -> list[Finding]:
    """`dotenv.value_too_large`: values over 64 KB, which no setting needs (a pasted file or log)."""
    from doctor.dotenv_library import MAX_LINE_CHARS

    large = [b for b in parsed.assignments if len(b.raw_value) > MAX_LINE_CHARS or len(b.value or "") > MAX_LINE_CHARS]
    if not large:
        return []
    names = list(dict.fromkeys(b.key or "" for b in large))
    first = large[0]
    return [Finding(
        "dotenv.value_too_large", Severity.WARNING,
        f"{parsed.path}:{first.line}: {len(names)} value{'s' if len(names) > 1 else ''} over "
        f"{MAX_LINE_CHARS // 1024} KB ({', '.join(names[:5])})",
        "No setting of the app needs a value that long: it is most likely a pasted file, key bundle or log. "
        "python-dotenv takes quadratic time over whitespace in such a line (the app's start-up slows by "
        "seconds), so the doctor reads this file with its own linear model instead of the library.",
        Fix(f"Remove the long value at {parsed.path}:{first.line}, or move the content into a file the app reads."),
        vars=tuple(n for n in names if n)[:20],
    )]


def lint(parsed: DotenvFile) -> list[Finding]:
    """Every static finding for one parsed file: none for a JSON source (no dotenv rule applies), and
    for `heroku config` output only what concerns the lines outside the dump (its own finding,
    `dotenv.heroku_config_format`, explains the rest)."""
    if not parsed.is_dotenv:
        return []
    if parsed.heroku is not None:
        return decode_findings(parsed) + _statement_findings(parsed) + _truncated_findings(parsed)
    return (model_findings(parsed) + size_findings(parsed) + decode_findings(parsed) + bom_findings(parsed)
            + _statement_findings(parsed)
            + invisible_findings(parsed) + _duplicate_findings(parsed) + _spacing_findings(parsed)
            + _crlf_findings(parsed) + _truncated_findings(parsed))


def unreadable(path: str, reason: str) -> Finding:
    """`dotenv.unreadable`: an implicit ./.env that exists but cannot be opened."""
    quoted = shlex.quote(path)
    if "directory" in reason:
        fix = Fix(f"See what the directory holds, rename it, and put the app's dotenv file at {path}.",
                  (f"ls -la {quoted}",))
    else:
        fix = Fix("Give the user that runs the app read access to the file.",
                  (f"chmod u+r {quoted}", f"ls -l {quoted}"))
    return Finding(
        UNREADABLE_ROOT, Severity.CRITICAL,
        f"{path} exists but cannot be read ({reason})",
        "python-dotenv cannot read it either, so the app starts without any of its values (or fails "
        "while loading its settings). Every variable reported missing follows from this.",
        fix, root_cause=True,
    )


def nothing_found() -> Finding:
    """`dotenv.not_found`: no file was read and none of the app's boot variables is set."""
    return Finding(
        NOT_FOUND_ROOT, Severity.CRITICAL,
        "No configuration found: no .env here, and none of the app's variables in the environment",
        "The doctor reads ./.env from the folder it runs in, as the app does. Run it where the app's .env "
        "lives (the backend folder), or name the file. Every missing variable below follows from this.",
        Fix("Run the doctor in the backend folder or point it at the file; to start a new one, copy the example.",
            ("cd backend && doctor", "doctor --env-file path/to/.env", "cp .env.example .env")),
        root_cause=True,
    )

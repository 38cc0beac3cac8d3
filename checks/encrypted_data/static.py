"""The offline half of the `encrypted_data` check: which columns DOCTOR_ENCRYPTED_COLUMNS names.

The variable is a comma-separated list of `table.column` or `schema.table.column` entries (unset:
the columns the guide's rotation script re-encrypts). Each part is a PostgreSQL identifier: a bare
name (letters, digits, `_`, `$`; folded to lower case, as SQL folds it) or a double-quoted one
(`"Users"`, kept as written). Nothing here is ever formatted into SQL: the probe quotes each part
with `psycopg.sql.Identifier`. An entry that is no such identifier list is `columns_invalid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checks.encrypted_data.const import DEFAULT_COLUMNS, VAR
from doctor import Context, Finding, Severity, SkipCheck

_PART = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')
_BARE = re.compile(r"[a-z_][a-z0-9_$]*")
MAX_IDENTIFIER = 63  # bytes: PostgreSQL silently truncates longer names (NAMEDATALEN - 1)


@dataclass(frozen=True)
class Column:
    """One column to sample; `schema` None means the first schema on the search_path that has the table."""

    schema: str | None
    table: str
    column: str

    @property
    def label(self) -> str:
        """The entry as a user writes it (parts quoted only where SQL needs quotes)."""
        return ".".join(_show(p) for p in (self.schema, self.table, self.column) if p is not None)


@dataclass
class ColumnList:
    """The columns to sample, whether the user chose them, and what was wrong with the list."""

    columns: list[Column]
    explicit: bool
    findings: list[Finding] = field(default_factory=list)


def _show(part: str) -> str:
    return part if _BARE.fullmatch(part) else '"' + part.replace('"', '""') + '"'


def parse_entry(entry: str) -> Column | None:
    """`schema.table.column` or `table.column` as a Column, or None when it is neither."""
    parts: list[str] = []
    position = 0
    while True:
        match = _PART.match(entry, position)
        if match is None:
            return None
        quoted, bare = match.groups()
        name = quoted.replace('""', '"') if quoted is not None else bare.lower()
        if len(name.encode("utf-8")) > MAX_IDENTIFIER:
            return None
        parts.append(name)
        position = match.end()
        if position == len(entry):
            break
        if entry[position] != ".":
            return None
        position += 1
    if len(parts) == 2:
        return Column(None, parts[0], parts[1])
    if len(parts) == 3:
        return Column(parts[0], parts[1], parts[2])
    return None


def parse_columns(raw: str) -> tuple[list[Column], list[str]]:
    """The distinct columns the list names, in order, and the entries that are not column names."""
    columns: list[Column] = []
    invalid: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        column = parse_entry(entry)
        if column is None:
            invalid.append(entry)
        elif column not in columns:
            columns.append(column)
    return columns, invalid


def _shown(entry: str, limit: int = 60) -> str:
    return repr(entry if len(entry) <= limit else entry[:limit] + "…")


def column_list(ctx: Context) -> ColumnList:
    """The columns to sample; an explicitly empty list skips the check."""
    raw = ctx.get(VAR)
    explicit = raw is not None
    if raw is not None and not raw.strip(" ,\t"):
        raise SkipCheck(f"{VAR} is set but empty: no column to sample")
    columns, invalid = parse_columns(raw if raw is not None else DEFAULT_COLUMNS)
    result = ColumnList(columns, explicit)
    if invalid:
        more = f" and {len(invalid) - 5} more" if len(invalid) > 5 else ""
        shown = ", ".join(_shown(e) for e in invalid[:5]) + more
        kept = ",".join(c.label for c in columns)
        fix = ctx.set_fix(VAR, kept or "<table.column>,<schema.table.column>", text=(
            "Write each entry as table.column or schema.table.column, separated by commas"
            + (" (the valid entries are kept below; add the corrected ones)." if kept else ".")))
        result.findings.append(Finding(
            "encrypted_data.columns_invalid", Severity.WARNING,
            f"{VAR} has {len(invalid)} entr{'y' if len(invalid) == 1 else 'ies'} that name no column: {shown}",
            f"{VAR} ({ctx.where(VAR)}) is a comma-separated list of table.column or schema.table.column, each part "
            "a PostgreSQL identifier (letters, digits and _, or a \"double-quoted\" name). The doctor cannot sample "
            "these entries" + (f"; it samples the other {len(columns)}." if columns else ", so it samples nothing."),
            fix, (VAR,)))
    return result

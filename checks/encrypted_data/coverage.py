"""Which columns could be sampled at all: the column-level findings of `encrypted_data`.

- `column_missing`: DOCTOR_ENCRYPTED_COLUMNS names a table or column the database lacks (info for
  the default list, a warning for one the user set), with the columns whose names say `encrypt`;
- `nothing_to_sample` (info): no non-null value, so nothing to check yet;
- `sample_cut` (info): the statement_timeout (or the check's time) stopped the read before any
  value turned up, so nothing is known about that column;
- `query_failed` (error): the server refused the read (usually a missing SELECT grant);
- `unreachable` (error): no connection (the postgres check, when selected, says why first).
"""

from __future__ import annotations

from checks.encrypted_data.const import DATABASE, DEFAULT_COLUMNS, VAR
from checks.encrypted_data.tally import ColumnSample
from checks.encrypted_data.wording import plural
from doctor import Context, Finding, Fix, Severity


def _labels(samples: list[ColumnSample]) -> str:
    return ", ".join(s.label for s in samples)


def coverage_findings(ctx: Context, samples: list[ColumnSample], explicit: bool, suggested: list[str],
                      statement_s: float) -> list[Finding]:
    """One finding per kind of column the sample could not examine."""
    out = []
    missing = [s for s in samples if s.state in ("missing_table", "missing_column")]
    if missing:
        out.append(_missing(ctx, missing, explicit, suggested))
    empty = [s for s in samples if s.state == "empty"]
    if empty:
        out.append(Finding(
            "encrypted_data.nothing_to_sample", Severity.INFO,
            f"Nothing to sample in {_labels(empty)}: no non-null value",
            "The table is empty or every row has NULL there, so there is no stored value to check yet.", None,
            (VAR,)))
    cut = [s for s in samples if s.state == "cut"]
    if cut:
        how = "; ".join(f"{s.label}: {s.note or s.method or 'reading'}" for s in cut)
        out.append(Finding(
            "encrypted_data.sample_cut", Severity.INFO,
            f"The sample of {_labels(cut)} was cut before any value was read, so nothing is known about "
            f"{'it' if len(cut) == 1 else 'them'}",
            f"Each column gets a statement_timeout of {statement_s:.2g} s (its share of --timeout), and reading "
            f"stopped there ({how}). The rows scanned so far had NULL in the column: a sparse column in a large "
            "table, or a view that is slow to read.",
            Fix("Run this check alone with a longer --timeout, or index the column (CREATE INDEX … WHERE column IS "
                "NOT NULL) so its values are found without a scan.", ("doctor --only encrypted_data --timeout 60",)),
            (VAR,)))
    failed = [s for s in samples if s.state == "failed"]
    if failed:
        out.append(Finding(
            "encrypted_data.query_failed", Severity.ERROR,
            f"Reading a sample of {_labels(failed)} failed",
            "The server refused the read-only SELECT: " + "; ".join(f"{s.label}: {s.note}" for s in failed) + ". The "
            "doctor connects as the app does (DATABASE_URL), so the app's own reads likely fail the same way.",
            Fix("Grant the role in DATABASE_URL SELECT on the table (GRANT SELECT ON <table> TO <role>), or act on "
                "the server's words."),
            (VAR, DATABASE)))
    return out


def _missing(ctx: Context, missing: list[ColumnSample], explicit: bool, suggested: list[str]) -> Finding:
    what = ", ".join(f"{s.label} ({'no such table' if s.state == 'missing_table' else 'no such column'})"
                     for s in missing)
    origin = (f"{VAR} ({ctx.where(VAR)}) names them" if explicit else
              f"{VAR} is unset, so the doctor looked for the guide's columns ({DEFAULT_COLUMNS})")
    hint = (f" Columns here whose names contain 'encrypt': {', '.join(suggested)}." if suggested else
            " No column in this database has 'encrypt' in its name (migrations not run yet, or another database).")
    value = ",".join(suggested) if suggested else "<table.column>,<schema.table.column>"
    return Finding(
        "encrypted_data.column_missing", Severity.WARNING if explicit else Severity.INFO,
        f"{plural(len(missing), 'encrypted column')} to sample {'is' if len(missing) == 1 else 'are'} not in the "
        f"database: {what}",
        f"{origin}; tables are looked up on the search_path unless written schema.table.column. Nothing is sampled "
        f"there.{hint}",
        ctx.set_fix(VAR, value, text="List the app's encrypted columns (table.column or schema.table.column)."),
        (VAR,))


def unreachable(failure: str, timed_out: bool) -> Finding:
    """No connection to sample through."""
    return Finding(
        "encrypted_data.unreachable", Severity.ERROR,
        "Could not connect to DATABASE_URL to sample the encrypted columns",
        f"The connection {'timed out' if timed_out else 'failed'}: {failure}. Nothing was sampled.",
        Fix("The postgres check diagnoses the connection: fix what it reports, then run this check again.",
            ("doctor --only postgres",)),
        (DATABASE,))

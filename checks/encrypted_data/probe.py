"""The live half of the `encrypted_data` check: read a bounded sample of each column, read-only.

One psycopg 3 connection to DATABASE_URL (connect_timeout, as the postgres check connects), its
session set to `default_transaction_read_only` and every transaction begun READ ONLY; each column
is read in its own transaction under a `statement_timeout` that shares `--timeout` among the
columns. Nothing scans a whole large table: a table of at most SMALL_PAGES pages is sampled at
random as a whole; a larger one through `TABLESAMPLE SYSTEM`, which reads about SAMPLE_PAGES
pages whatever its size; only when those pages hold no value (a sparse column) or the relation
cannot be sampled (a view, a partitioned table) does it take the first non-null values, which is
where the statement_timeout may cut the sample. Identifiers are quoted with `psycopg.sql`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from checks.encrypted_data.const import MAX_VALUE_CHARS, SAMPLE_PAGES, SAMPLE_SIZE, SMALL_PAGES
from checks.encrypted_data.static import Column, ColumnList
from checks.encrypted_data.tally import ColumnSample, Keys, Tally, classify
from checks.postgres.probe import scrub, server_words
from doctor import Context, Finding

_LOCATE = """
SELECT n.nspname, c.relname, c.relkind,
       CASE WHEN c.relkind IN ('r', 'm') THEN pg_relation_size(c.oid) / current_setting('block_size')::int END,
       c.reltuples::bigint, a.attname IS NOT NULL, coalesce(a.atttypid = 'bytea'::regtype, false)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %(column)s AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relname = %(table)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND CASE WHEN %(schema)s::text IS NULL THEN n.nspname = ANY (current_schemas(false)) ELSE n.nspname = %(schema)s END
ORDER BY array_position(current_schemas(false), n.nspname)
LIMIT 1
"""
SUGGEST = """
SELECT n.nspname, c.relname, a.attname FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attname LIKE '%encrypt%' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2, 3 LIMIT 10
"""


def statement_share(timeout: float, columns: int) -> float:
    """Seconds of statement_timeout each column gets: `timeout` shared, never under a quarter second."""
    return max(0.25, timeout / max(1, columns))


class Connection:
    """An open read-only session, or the scrubbed reason it could not be opened."""

    def __init__(self, conn: Any, failure: str = "", timed_out: bool = False, skew_s: float = 0.0) -> None:
        self.conn, self.failure, self.timed_out, self.skew_s = conn, failure, timed_out, skew_s


async def connect(timeout: float, conninfo: str, password: str | None) -> Connection:
    """Connect and make the session read-only; `skew_s` is the server's clock minus this machine's."""
    import psycopg

    conn = None
    try:
        async with asyncio.timeout(timeout + 1):
            conn = await psycopg.AsyncConnection.connect(conninfo, connect_timeout=max(1, int(timeout)))
            await conn.set_read_only(True)
            async with conn.transaction():
                cursor = await conn.execute(
                    "SELECT set_config('default_transaction_read_only', 'on', false), "
                    "set_config('statement_timeout', %s, false), extract(epoch FROM clock_timestamp())::float8",
                    (f"{max(100, int(timeout * 1000))}ms",))
                row = await cursor.fetchone()
    except TimeoutError:
        failure, timed_out = f"no answer within {timeout:g} s", True
    except Exception as exc:  # psycopg.OperationalError and anything else the connect raises
        failure, timed_out = scrub(server_words(str(exc)), conninfo, password) or type(exc).__name__, False
    else:
        return Connection(conn, skew_s=(row[2] - time.time()) if row else 0.0)
    if conn is not None:  # connected, but making the session read-only failed: never use it
        await close(conn, 1)
    return Connection(None, failure, timed_out)


def _queries(found: tuple[Any, ...], column: str) -> list[tuple[str, Any]]:
    """The sampling statements to try in order, each with how it samples."""
    from psycopg import sql

    schema, table, relkind, pages, _rows, _has, is_bytea = found
    name, col = sql.Identifier(schema, table), sql.Identifier(column)
    limit = sql.Literal(MAX_VALUE_CHARS + 1)
    value = (sql.SQL("substring({} FROM 1 FOR {})") if is_bytea else sql.SQL("left({}::text, {})")).format(col, limit)
    where = sql.SQL("WHERE {} IS NOT NULL").format(col)
    n = sql.Literal(SAMPLE_SIZE)
    first = ("the first non-null values",
             sql.SQL("SELECT {} FROM {} {} LIMIT {}").format(value, name, where, n))
    if relkind not in ("r", "m"):
        return [first]
    if pages <= SMALL_PAGES:
        return [("at random from the whole table",
                 sql.SQL("SELECT {} FROM {} {} ORDER BY random() LIMIT {}").format(value, name, where, n))]
    percent = sql.Literal(round(100.0 * SAMPLE_PAGES / pages, 6))
    return [(f"at random from about {SAMPLE_PAGES} of its {pages} pages (TABLESAMPLE SYSTEM)",
             sql.SQL("SELECT {} FROM {} TABLESAMPLE SYSTEM ({}) {} ORDER BY random() LIMIT {}").format(
                 value, name, percent, where, n)),
            (f"the first non-null values (the {SAMPLE_PAGES} random pages held none)", first[1])]


async def _read(conn: Any, column: Column, keys: Keys, statement_ms: int) -> ColumnSample:
    """Locate `column` and classify a sample of its values, in one read-only transaction."""
    import psycopg

    sample = ColumnSample(column.label, "sampled")
    try:
        async with conn.transaction():
            await _fill(conn, column, keys, statement_ms, sample)
    except psycopg.errors.QueryCanceled:  # the statement_timeout: the transaction is rolled back
        sample.state = "cut"
    return sample


async def _fill(conn: Any, column: Column, keys: Keys, statement_ms: int, sample: ColumnSample) -> None:
    await conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{statement_ms}ms",))
    cursor = await conn.execute(_LOCATE, {"schema": column.schema, "table": column.table, "column": column.column})
    found = await cursor.fetchone()
    if found is None or not found[5]:
        sample.state = "missing_table" if found is None else "missing_column"
        return
    sample.rows = int(found[4]) if found[4] is not None and found[4] >= 0 else None
    for method, query in _queries(found, column.column):
        sample.method = method
        cursor = await conn.execute(query)
        tally = Tally()
        for (value,) in await cursor.fetchall():
            tally.add(*classify(value, keys))
        sample.tally = tally
        if sum(tally.counts.values()):
            return
    sample.state = "empty"


async def sample_columns(connection: Connection, columns: list[Column], keys: Keys, timeout: float,
                         conninfo: str, password: str | None) -> list[ColumnSample]:
    """A sample of every column, each under its share of `timeout`; a failure becomes that column's state."""
    import psycopg

    conn = connection.conn
    share = statement_share(timeout, len(columns))
    samples: list[ColumnSample] = []
    for column in columns:
        if conn.closed:
            samples.append(ColumnSample(column.label, "cut", note="not reached: the time ran out"))
            continue
        try:
            async with asyncio.timeout(share + 0.5):  # the statement_timeout ends a slow read first
                samples.append(await _read(conn, column, keys, int(share * 1000)))
        except TimeoutError:
            samples.append(ColumnSample(column.label, "cut", note=f"no answer within {share + 0.5:g} s"))
            await close(conn, 1)
        except psycopg.Error as exc:
            words = scrub(server_words(str(exc)), conninfo, password) or type(exc).__name__
            samples.append(ColumnSample(column.label, "failed", note=words))
    return samples


async def suggestions(conn: Any, timeout: float) -> list[str]:
    """Up to ten columns whose name contains `encrypt`, as `schema.table.column` (names only, never data)."""
    try:
        async with asyncio.timeout(timeout), conn.transaction():
            cursor = await conn.execute(SUGGEST)
            return [".".join(row) for row in await cursor.fetchall()]
    except Exception:  # a hint only: a failure here changes no finding
        return []


async def close(conn: Any, timeout: float) -> None:
    """Close the session (a read-only one: nothing to commit), never waiting past `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            await conn.close()
    except Exception:
        pass


async def examine(ctx: Context, conninfo: str, password: str | None, listed: ColumnList, keys: Keys) -> list[Finding]:
    """Connect, sample every listed column, close; the findings about columns and values. Never raises."""
    from checks.encrypted_data.coverage import coverage_findings, unreachable
    from checks.encrypted_data.verdict import value_findings

    connection = await connect(ctx.timeout, conninfo, password)
    if connection.conn is None:
        return [unreachable(connection.failure, connection.timed_out)]
    try:
        budget = ctx.timeout
        samples = await sample_columns(connection, listed.columns, keys, budget, conninfo, password)
        missing = any(s.state.startswith("missing") for s in samples)
        quick = min(ctx.timeout, 2.0)
        suggested = await suggestions(connection.conn, quick) if missing and not connection.conn.closed else []
    finally:
        await close(connection.conn, min(ctx.timeout, 2.0))
    statement_s = statement_share(budget, len(listed.columns))
    return (coverage_findings(ctx, samples, listed.explicit, suggested, statement_s)
            + value_findings(ctx, samples, keys.new is not None, connection.skew_s))

"""The live half of the postgres check: connect with psycopg 3, classify failures, read usage.

Everything here is read-only: a few SELECTs on settings, pg_roles, pg_stat_activity, pg_stat_ssl
(and pg_blocking_pids for lock waits), in a read-only session under a statement_timeout no longer
than the timeout, that is always closed. Who holds the connections and which sessions are stuck
is read by activity.py and judged by sessions.py (whose docstring gives the thresholds).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from checks.postgres import sessions
from checks.postgres.activity import read_activity
from checks.postgres.const import VARS
from checks.postgres.failures import FAILURES, classify, failure_fix
from checks.postgres.static import url_fix
from checks.postgres.urlparts import DbUrl
from doctor import Context, Finding, Severity

_USAGE_SQL = """
SELECT current_setting('server_version'),
       current_setting('max_connections')::int,
       current_setting('superuser_reserved_connections')::int,
       coalesce(current_setting('reserved_connections', true), '0')::int,
       r.rolconnlimit, r.rolsuper,
       (SELECT count(*) FROM pg_stat_activity
         WHERE backend_type = 'client backend'
            OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL)),
       (SELECT count(*) FROM pg_stat_activity WHERE usesysid = r.oid),
       (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()),
       current_user
FROM pg_roles r WHERE r.rolname = current_user
"""


def scrub(text: str, conninfo: str, password: str | None) -> str:
    """Remove the DSN, the password (raw and URL-encoded) and any URL userinfo from `text`."""
    needles = {conninfo, conninfo.replace("postgresql://", "postgres://", 1)}
    if password:
        needles |= {password, quote(password, safe=""), unquote(password)}
    for needle in sorted((n for n in needles if n), key=len, reverse=True):
        text = text.replace(needle, "[redacted]")
    text = re.sub(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s/@\"']*@", r"\1[redacted]@", text)
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1[redacted]", text, flags=re.IGNORECASE)
    return text.strip()


def server_words(message: str) -> str:
    """psycopg's message in one line, without its 'connection failed:' and 'FATAL:' noise."""
    text = re.sub(r"^\s*connection failed:\s*", "", message)
    text = re.sub(r"\b(FATAL|ERROR):\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()[:400]


async def probe(ctx: Context, conninfo: str, parts: DbUrl | None, password: str | None) -> list[Finding]:
    """Connect, classify a failure, or read version, latency, usage and SSL. Never raises."""
    import psycopg

    started = time.monotonic()
    try:
        async with asyncio.timeout(ctx.timeout + 1):
            conn = await psycopg.AsyncConnection.connect(conninfo, connect_timeout=max(1, int(ctx.timeout)))
    except TimeoutError:
        return [_failure(ctx, "timeout", parts, f"no answer within {ctx.timeout:g} s")]
    except psycopg.ProgrammingError as exc:  # libpq could not parse the URL
        words = scrub(str(exc), conninfo, password)
        return [Finding("postgres.url_invalid", Severity.CRITICAL, "libpq cannot parse DATABASE_URL",
                        f"libpq says: {words}",
                        url_fix(ctx, "Remove or correct the part of the URL libpq names."), VARS)]
    except Exception as exc:  # psycopg.OperationalError and anything else the connect raises
        raw = server_words(str(exc))
        failure = classify(raw)  # before scrubbing: a short password must not blank out the words that classify
        words = scrub(raw, conninfo, password) or type(exc).__name__
        if failure is None:
            return [Finding("postgres.connect_failed", Severity.CRITICAL,
                            "The app cannot connect to the database in DATABASE_URL",
                            f"The connection failed: {words}", failure_fix(ctx, "other", parts), VARS)]
        return [_failure(ctx, failure.slug, parts, words)]
    connect_ms = (time.monotonic() - started) * 1000

    def words(exc: BaseException) -> str:
        return scrub(server_words(str(exc)), conninfo, password) or type(exc).__name__

    try:
        async with asyncio.timeout(ctx.timeout + 1):
            return await _inspect(ctx, conn, parts, connect_ms, words)
    except Exception as exc:
        return [_query_failed(ctx, parts, f"SELECT on settings and pg_stat_activity failed: {words(exc)}")]
    finally:
        await conn.close()


def _failure(ctx: Context, slug: str, parts: DbUrl | None, words: str) -> Finding:
    failure = next(f for f in FAILURES if f.slug == slug)
    return Finding(f"postgres.{slug}", Severity.CRITICAL, failure.title,
                   f"{failure.detail} The connection failed: {words}", failure_fix(ctx, slug, parts), VARS)


def _query_failed(ctx: Context, parts: DbUrl | None, detail: str) -> Finding:
    return Finding("postgres.query_failed", Severity.ERROR, "Connected to the database, but a read-only query failed",
                   detail, failure_fix(ctx, "other", parts), VARS)


async def _inspect(ctx: Context, conn: Any, parts: DbUrl | None, connect_ms: float,
                   words: Callable[[BaseException], str]) -> list[Finding]:
    await conn.set_read_only(True)
    await conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{max(100, int(ctx.timeout * 1000))}ms",))
    before = time.monotonic()
    await conn.execute("SELECT 1")
    latency_ms = (time.monotonic() - before) * 1000
    cursor = await conn.execute(_USAGE_SQL)
    row = await cursor.fetchone()
    if row is None:
        return []
    version, max_conn, su_reserved, reserved, role_limit, is_super, clients, role_clients, ssl, role = row
    slots = max_conn if is_super else max_conn - su_reserved - reserved
    usage = _usage(clients, slots, role_clients, role_limit, is_super, role)
    findings = [Finding(
        "postgres.connected", Severity.INFO,
        f"Connected to PostgreSQL {version} in {connect_ms:.0f} ms (round trip {latency_ms:.1f} ms)",
        f"{clients} of {slots} connection slots in use (counting this one){'' if is_super else ' for non-superusers'}; "
        f"the session is {'encrypted' if ssl else 'not encrypted'}.", None, VARS)]
    try:  # a statement_timeout or a hardened view here still leaves the usage figure to report
        activity = await read_activity(conn, sessions.STUCK_AFTER_S, ctx.options.verbose)
    except Exception as exc:
        activity = None
        findings.append(_query_failed(ctx, parts, f"Reading who holds the connections (pg_stat_activity, "
                                                  f"pg_blocking_pids) failed: {words(exc)}"))
    await conn.rollback()
    findings += sessions.findings(ctx, parts, usage, activity)
    if not ssl and ctx.production:
        findings.append(Finding(
            "postgres.not_encrypted", Severity.WARNING, "The production database connection is not encrypted",
            "pg_stat_ssl shows no TLS on this session: the password and all data cross the network in clear.",
            failure_fix(ctx, "ssl_required", parts), VARS, assumes=("ENVIRONMENT",)))
    return findings


def _usage(clients: int, slots: int, role_clients: int, role_limit: int | None, is_super: bool,
           role: str) -> sessions.Usage:
    """The fuller of the server's slots and the role's CONNECTION LIMIT."""
    server = sessions.Usage(clients, slots, "of the server's connection slots a non-superuser can take", slots,
                            role, False)
    if role_limit is None or role_limit < 0 or is_super:
        return server
    own = sessions.Usage(role_clients, role_limit, "of this role's CONNECTION LIMIT", slots, role, True)
    return max((server, own), key=lambda u: u.ratio)

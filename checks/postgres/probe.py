"""The live half of the postgres check: connect with psycopg 3, classify failures, read usage.

Everything here is read-only: a few SELECTs on settings, pg_roles, pg_stat_activity and
pg_stat_ssl, in a read-only session that is always closed.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote

from checks.postgres.const import VARS
from checks.postgres.static import psql_command, template_url, url_fix
from doctor import Context, Finding, Fix, Severity

HIGH_USAGE = 0.8
_q = shlex.quote

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
       (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())
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


@dataclass(frozen=True)
class Failure:
    """One known way a connection fails: what the message says, and the finding it becomes."""

    slug: str
    patterns: tuple[str, ...]
    title: str
    detail: str
    requires: tuple[str, ...] = ()  # words that must also appear


FAILURES = (
    Failure("dns", ("failed to resolve host", "could not translate host name", "name or service not known",
                    "temporary failure in name resolution", "nodename nor servname"),
            "The database host in DATABASE_URL does not resolve",
            "DNS has no address for the host, so nothing can connect. A typo, or a URL for a database that "
            "was deleted or renamed."),
    Failure("refused", ("connection refused",),
            "Nothing accepts connections at DATABASE_URL's host and port",
            "The host answered but no PostgreSQL listens on that port: the server is down, or the port is wrong."),
    Failure("timeout", ("timeout expired", "timed out"),
            "The database did not answer within the timeout",
            "A firewall drops the packets, the host is wrong, or the server is overloaded."),
    Failure("password_missing", ("no password supplied",),
            "DATABASE_URL has no password and the server asks for one",
            "The server requires password authentication but the URL carries no password."),
    Failure("auth_failed", ("password authentication failed",),
            "The database rejected the user name or password in DATABASE_URL",
            "The password is wrong, or (under scram-sha-256, which does not say which) the role does not exist. "
            "Heroku rotates credentials: a copy of DATABASE_URL kept elsewhere goes stale."),
    Failure("role_missing", ("role \"",),
            "The user in DATABASE_URL does not exist on the server",
            "The server has no role of that name.", ("does not exist",)),
    Failure("database_missing", ("does not exist",),
            "The database named in DATABASE_URL does not exist",
            "The server is reachable and the login works, but there is no database of that name."),
    Failure("ssl_required", ("no encryption", "ssl off"),
            "The database requires SSL, but the connection was not encrypted",
            "The server's pg_hba.conf only admits encrypted connections (Heroku Postgres requires TLS), and "
            "the URL asks for none (sslmode=disable) or the server refused the unencrypted attempt.",
            ("pg_hba.conf",)),
    Failure("ssl_unsupported", ("server does not support ssl",),
            "DATABASE_URL requires SSL, but the server does not support it",
            "sslmode=require (or verify-*) makes libpq refuse a server without TLS."),
    Failure("connections_exhausted", ("too many connections for role", "remaining connection slots are reserved",
                                      "too many clients already"),
            "The database has no free connection slots",
            "Every connection the server (or this role's CONNECTION LIMIT) allows is taken: the app's pools "
            "across all dynos, workers and one-off consoles hold them all."),
)


def classify(message: str) -> Failure | None:
    """The known failure a psycopg/libpq message describes, or None."""
    lowered = message.lower()
    for failure in FAILURES:
        if any(p in lowered for p in failure.patterns) and all(r in lowered for r in failure.requires):
            return failure
    return None


def failure_fix(ctx: Context, slug: str, parts: SplitResult | None) -> Fix:
    """A fix for a failed connection, for Heroku or for a local .env."""
    heroku = ctx.uses_heroku_config
    host = parts.hostname if parts and parts.hostname else "localhost"
    port = str(parts.port or 5432) if parts else "5432"
    user = parts.username if parts and parts.username else "<user>"
    database = parts.path.strip("/") if parts and parts.path.strip("/") else "<database>"
    isready = f"pg_isready -h {_q(host)} -p {port}"
    as_admin = f"-h {_q(host)} -p {port} -U postgres"
    if slug in ("dns", "refused", "timeout"):
        if heroku:
            return Fix("Compare DATABASE_URL with what the Postgres add-on reports and check the database is up.",
                       ("heroku pg:info", "heroku config:get DATABASE_URL"))
        return Fix("Check the host and port in DATABASE_URL and that PostgreSQL is running there.", (isready,))
    if slug in ("auth_failed", "password_missing", "role_missing"):
        if heroku:
            return Fix("Use the credentials the add-on set (a copy kept elsewhere goes stale); if they leaked, "
                       "rotate them (this disconnects every client).",
                       ("heroku config:get DATABASE_URL", "heroku pg:credentials:rotate"))
        if slug == "role_missing":
            return Fix("Create the role, then retry.", (f"createuser {as_admin} --pwprompt {_q(user)}",))
        return Fix("Put the role's real password in DATABASE_URL, or set a new one as a superuser (psql prompts "
                   "for it).", (f"psql {as_admin} -c {_q(chr(92) + 'password ' + _ident(user))}",))
    if slug == "database_missing":
        if heroku:
            return Fix("Use the database the add-on created.", ("heroku pg:info", "heroku config:get DATABASE_URL"))
        return Fix("Create the database.", (f"createdb -h {_q(host)} -p {port} -U {_q(user)} {_q(database)}",))
    if slug == "ssl_required":
        if heroku:
            return Fix("Remove sslmode=disable wherever the app builds its database URL (libpq's default, prefer, "
                       "uses TLS), or set sslmode=require.", ("heroku pg:info",))
        return ctx.set_fix("DATABASE_URL", template_url(parts, sslmode="require") if parts else "<url>?sslmode=require",
                           text="Ask for TLS with sslmode=require.")
    if slug == "ssl_unsupported":
        return Fix("Enable ssl on the server (ssl = on with a certificate in postgresql.conf), or for a local "
                   "server without TLS use sslmode=prefer.", (isready,))
    if slug == "connections_exhausted":
        if heroku:
            return Fix("Reduce the pool size (pool_size + max_overflow per process, times processes and dynos) "
                       "below the plan's limit; pg:killall frees slots now but drops every connection; a larger "
                       "plan raises the limit.", ("heroku pg:info", "heroku pg:killall"))
        return Fix("See who holds the connections and reduce the app's pool size.",
                   (psql_command(parts, "-c", "SELECT usename, application_name, count(*) FROM pg_stat_activity "
                                              "GROUP BY 1, 2 ORDER BY 3 DESC"),))
    if heroku:
        return Fix("Check the database's state on Heroku.", ("heroku pg:info", "heroku config:get DATABASE_URL"))
    return Fix("Check that the server is up and try connecting with psql.", (isready, psql_command(parts)))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) else name


async def probe(ctx: Context, conninfo: str, parts: SplitResult | None, password: str | None) -> list[Finding]:
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
    try:
        async with asyncio.timeout(ctx.timeout + 1):
            return await _inspect(ctx, conn, parts, connect_ms)
    except Exception as exc:
        words = scrub(server_words(str(exc)), conninfo, password) or type(exc).__name__
        return [Finding("postgres.query_failed", Severity.ERROR,
                        "Connected to the database, but a read-only query failed",
                        f"SELECT on settings and pg_stat_activity failed: {words}",
                        failure_fix(ctx, "other", parts), VARS)]
    finally:
        await conn.close()


def _failure(ctx: Context, slug: str, parts: SplitResult | None, words: str) -> Finding:
    failure = next(f for f in FAILURES if f.slug == slug)
    return Finding(f"postgres.{slug}", Severity.CRITICAL, failure.title,
                   f"{failure.detail} The connection failed: {words}", failure_fix(ctx, slug, parts), VARS)


async def _inspect(ctx: Context, conn: object, parts: SplitResult | None, connect_ms: float) -> list[Finding]:
    await conn.set_read_only(True)  # type: ignore[attr-defined]
    before = time.monotonic()
    await conn.execute("SELECT 1")  # type: ignore[attr-defined]
    latency_ms = (time.monotonic() - before) * 1000
    cursor = await conn.execute(_USAGE_SQL)  # type: ignore[attr-defined]
    row = await cursor.fetchone()
    await conn.rollback()  # type: ignore[attr-defined]
    if row is None:
        return []
    version, max_conn, su_reserved, reserved, role_limit, is_super, clients, role_clients, ssl = row
    slots = max_conn if is_super else max_conn - su_reserved - reserved
    usage = f"{clients} of {slots} connection slots in use"
    findings = [Finding(
        "postgres.connected", Severity.INFO,
        f"Connected to PostgreSQL {version} in {connect_ms:.0f} ms (round trip {latency_ms:.1f} ms)",
        f"{usage} (counting this one){'' if is_super else ' for non-superusers'}; "
        f"the session is {'encrypted' if ssl else 'not encrypted'}.", None, VARS)]
    findings += _usage_findings(ctx, parts, clients, slots, role_clients, role_limit, is_super)
    if not ssl and ctx.production:
        findings.append(Finding(
            "postgres.not_encrypted", Severity.WARNING, "The production database connection is not encrypted",
            "pg_stat_ssl shows no TLS on this session: the password and all data cross the network in clear.",
            failure_fix(ctx, "ssl_required", parts), VARS))
    return findings


def _usage_findings(ctx: Context, parts: SplitResult | None, clients: int, slots: int, role_clients: int,
                    role_limit: int, is_super: bool) -> list[Finding]:
    checks = [(clients, slots, "of the server's connection slots a non-superuser can take")]
    if role_limit is not None and role_limit >= 0 and not is_super:
        checks.append((role_clients, role_limit, "of this role's CONNECTION LIMIT"))
    used, limit, what = max(checks, key=lambda c: c[0] / c[1] if c[1] > 0 else 1.0)
    if limit > 0 and used / limit < HIGH_USAGE:
        return []
    percent = f"{used / limit:.0%}" if limit > 0 else "100%"
    return [Finding(
        "postgres.connections_high", Severity.WARNING,
        f"The database is at {percent} of its connection limit ({used} of {limit} {what})",
        "When the slots run out, new connections fail with 'too many connections' and requests error. "
        "Each dyno's pool (pool_size + max_overflow per process) counts, plus workers and consoles.",
        failure_fix(ctx, "connections_exhausted", parts), VARS)]

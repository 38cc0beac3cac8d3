"""The postgres check: DATABASE_URL read offline, then a real, read-only connection.

The static half (static.py) runs always, also under --offline; the live half (probe.py)
connects with psycopg 3 and classifies what goes wrong.
"""

from __future__ import annotations

from checks.postgres.const import VAR
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GUIDE = "Secrets Management Guide"
_LOCAL_DOCS = f"{_GUIDE} › Local Development Setup › Configure Local Services › PostgreSQL (Local)"
_HEROKU_DOCS = f"{_GUIDE} › Heroku Configuration › Add-ons Configuration › PostgreSQL"
_ROTATION_DOCS = f"{_GUIDE} › Troubleshooting › Database Connection Issues; Key Rotation › Database Password Rotation"


class PostgresCheck(Check):
    """PostgreSQL reachable with DATABASE_URL, with room for more connections."""

    id = "postgres"
    title = "PostgreSQL (DATABASE_URL)"
    vars = (VAR,)
    network = True
    boot_critical = True
    order = 50
    docs = "Secrets Management Guide › Troubleshooting › Database Connection Issues"
    catalog = (
        # -- the offline half (static.py) ------------------------------------------------------------
        FindingSpec(
            "quoted", Severity.CRITICAL,
            "DATABASE_URL is wrapped in quotes that became part of the value, so no driver reads it as a URL.",
            "Set the URL again without the surrounding quotes.",
            causes="A value quoted twice (in .env and again inside the value), or `heroku config:set` run with "
                   "escaped quotes."),
        FindingSpec(
            "whitespace", Severity.CRITICAL,
            "DATABASE_URL has surrounding whitespace or a line break, which libpq rejects or reads into the URL.",
            "Set the URL again without the surrounding whitespace.",
            causes="A value pasted with a trailing newline or leading space. SQLAlchemy reads trailing whitespace "
                   "into the last part of the URL (the database name, the host, an sslmode): that is critical; "
                   "where it changes nothing the app uses (after application_name) it is a warning."),
        FindingSpec(
            "placeholder", Severity.CRITICAL,
            "DATABASE_URL is still the guide's example (user:pass@host/dbname), not a real database.",
            "Set it to the real database URL (locally postgresql://localhost/chaski_dev after createdb chaski_dev).",
            causes="The guide's or .env.example's DATABASE_URL line copied without filling it in.",
            docs=_LOCAL_DOCS),
        FindingSpec(
            "url_invalid", Severity.CRITICAL,
            "DATABASE_URL cannot be parsed by SQLAlchemy or libpq, so the app cannot connect to its database.",
            "Correct the part of the URL the finding names, or copy the URL again from the provider.",
            causes="A port that is not a number (or a : with no port: host:/db), no // after the scheme, an invalid "
                   "sslmode or one given twice, or a query option libpq does not know. An unencoded # ? / or space "
                   "in the password is not one: SQLAlchemy reads the password up to the last @."),
        FindingSpec(
            "legacy_scheme", Severity.WARNING,
            "DATABASE_URL uses postgres://, which psycopg accepts but SQLAlchemy 1.4 and later reject.",
            "Rewrite the scheme to postgresql:// in the app's config code (Heroku owns DATABASE_URL: no config:set).",
            causes="Heroku Postgres sets DATABASE_URL with the postgres:// scheme.",
            docs=_HEROKU_DOCS),
        FindingSpec(
            "unknown_scheme", Severity.CRITICAL,
            "DATABASE_URL is not a postgresql:// URL, so the app's database layer cannot use it.",
            "Set a postgresql://user:password@host:5432/database URL.",
            causes="A URL for another database (mysql://, sqlite://), a key=value connection string, a value "
                   "without its scheme, or a scheme SQLAlchemy cannot look up: it is case-sensitive (PostgreSQL://) "
                   "and knows only its own drivers (postgresql+psycopg://, not postgresql+psycopg3://)."),
        FindingSpec(
            "url_incomplete", Severity.CRITICAL,
            "DATABASE_URL lacks a host or a valid port (or a database name), so the app connects nowhere or to the "
            "wrong database.",
            "Give the URL all of its parts: postgresql://user:password@host:5432/database.",
            causes="A URL cut short when pasted; a socket URL (no host) used on a dyno. A missing database name "
                   "alone is a warning."),
        FindingSpec(
            "ssl_disabled", Severity.WARNING,
            "DATABASE_URL turns TLS off (sslmode=disable or allow) in production, so data and password cross the "
            "network in clear.",
            "Remove sslmode=disable, or use sslmode=require, where the app builds its database URL.",
            causes="A local development URL or setting carried over to production."),
        # -- the live half (probe.py) ------------------------------------------------------------------
        FindingSpec(
            "dns", Severity.CRITICAL,
            "The database host in DATABASE_URL does not resolve, so the app cannot connect.",
            "Check the host name against `heroku pg:info` (or the provider's console) and correct DATABASE_URL.",
            causes="A typo in the host, or a URL of a database that was deleted, renamed or moved."),
        FindingSpec(
            "refused", Severity.CRITICAL,
            "Nothing accepts connections at DATABASE_URL's host and port: the database is down or the port is wrong.",
            "Start PostgreSQL (pg_isready shows whether it runs) or correct the port in DATABASE_URL.",
            causes="PostgreSQL not running locally, a wrong port, or a server that listens on another address."),
        FindingSpec(
            "timeout", Severity.CRITICAL,
            "The database did not answer within the timeout, so every request that needs it hangs.",
            "Check the host and port and that the server is up; compare DATABASE_URL with `heroku pg:info`.",
            causes="A firewall dropping the packets, a wrong host that swallows them, or an overloaded server."),
        FindingSpec(
            "password_missing", Severity.CRITICAL,
            "DATABASE_URL has no password, but the server requires password authentication.",
            "Put the role's password in DATABASE_URL (user:password@host), or use the URL the add-on set.",
            causes="A local URL (which relies on peer or trust authentication) used against a password server.",
            docs=_ROTATION_DOCS),
        FindingSpec(
            "auth_failed", Severity.CRITICAL,
            "The database rejected the user name or password in DATABASE_URL.",
            "Use the current credentials (heroku config:get DATABASE_URL); set a new password if it is lost.",
            causes="Heroku rotated the credentials and a copy of the old URL is still in use, a mistyped password, "
                   "or (under scram-sha-256) a role that does not exist.",
            docs=_ROTATION_DOCS),
        FindingSpec(
            "role_missing", Severity.CRITICAL,
            "The user named in DATABASE_URL does not exist on the database server.",
            "Create the role (createuser --pwprompt NAME), or use the user the provider created.",
            causes="A new local cluster without the app's role, or a role dropped after a credential rotation.",
            docs=_ROTATION_DOCS),
        FindingSpec(
            "database_missing", Severity.CRITICAL,
            "The server is reachable and the login works, but the database named in DATABASE_URL does not exist.",
            "Create it (createdb NAME), or use the database the add-on created.",
            causes="A fresh local cluster without `createdb chaski_dev`, or a typo in the database name.",
            docs=_LOCAL_DOCS),
        FindingSpec(
            "ssl_required", Severity.CRITICAL,
            "The database only admits encrypted connections, and the connection was not encrypted.",
            "Remove sslmode=disable where the app builds its database URL, or set sslmode=require.",
            causes="sslmode=disable in the URL or the app's settings against Heroku Postgres or another "
                   "TLS-only server."),
        FindingSpec(
            "ssl_unsupported", Severity.CRITICAL,
            "DATABASE_URL requires TLS (sslmode=require or verify-*), but the server does not support it.",
            "Enable ssl on the server, or for a local server without TLS use sslmode=prefer.",
            causes="A production URL's sslmode=require used against a local PostgreSQL without a certificate."),
        FindingSpec(
            "connections_exhausted", Severity.CRITICAL,
            "The database has no free connection slots, so new connections (and the requests needing them) fail.",
            "Lower the pool size (pool_size + max_overflow per process, times processes and dynos) below the limit.",
            causes="Pools across dynos, workers and consoles holding every slot the plan or the role's CONNECTION "
                   "LIMIT allows, or leaked connections."),
        FindingSpec(
            "connect_failed", Severity.CRITICAL,
            "The app cannot connect to the database in DATABASE_URL, for a reason the doctor does not classify.",
            "Read the server's words in the finding, check the server is up (pg_isready) and try psql.",
            causes="Something other than PostgreSQL on that port, a server shutting down or starting up, or a "
                   "proxy closing the connection."),
        FindingSpec(
            "query_failed", Severity.ERROR,
            "The connection works, but a read-only query on the server's settings and activity failed.",
            "Read the server's words in the finding; grant the role read access to pg_stat_activity and pg_roles.",
            causes="A hardened database that revokes access to the statistics views, a statement_timeout that is "
                   "too short, or a proxy that does not pass the query."),
        FindingSpec(
            "connected", Severity.INFO,
            "The database accepted the connection: version, connect time, round trip, slots in use and encryption.",
            "Nothing to fix.",
            causes="A healthy database."),
        FindingSpec(
            "not_encrypted", Severity.WARNING,
            "The production database session is not encrypted, so the password and all data cross the network in "
            "clear.",
            "Set sslmode=require where the app builds its database URL, and enable ssl on the server.",
            causes="A server without TLS, or sslmode=prefer falling back to an unencrypted connection."),
        FindingSpec(
            "connections_high", Severity.WARNING,
            "The database is at 75 % or more of its connection limit (an error from 90 %): a traffic spike or a "
            "new dyno exhausts it.",
            "Size the pools to fit (WEB_CONCURRENCY × pool size × dynos below the limit), add PgBouncer, or move to "
            "a plan with more connections.",
            causes="A pool per worker per dyno: pools sized for one dyno multiplied by many dynos and workers, "
                   "one-off consoles, or leaked connections. Thresholds as heroku pg:diagnose uses them."),
        # -- who holds the connections (activity.py, sessions.py) ------------------------------------
        FindingSpec(
            "idle_in_transaction", Severity.WARNING,
            "Sessions have been idle in transaction for over 60 s: they hold slots and locks and do nothing (an "
            "error when they hold 25 % of the slots or more).",
            "Commit or roll back on every code path; set idle_in_transaction_session_timeout; pg_terminate_backend "
            "ends one now.",
            causes="A request that began a transaction and then waited on something else, an error path without "
                   "rollback, or a console left in BEGIN."),
        FindingSpec(
            "long_query", Severity.WARNING,
            "Queries have been running for over 60 s, each holding a slot (an error when they hold 25 % of the "
            "slots or more).",
            "Find why the query is slow (EXPLAIN, an index), set a statement_timeout; pg_cancel_backend stops one "
            "now.",
            causes="A missing index, a runaway report or migration, or a statement waiting on I/O."),
        FindingSpec(
            "blocked", Severity.WARNING,
            "Sessions have waited over 60 s for a lock another session holds (an error when they hold 25 % of the "
            "slots or more).",
            "End the blocking transaction (often a session idle in transaction): fix the code that leaves it open; "
            "pg_terminate_backend ends it now.",
            causes="A transaction left open while holding row locks, or a migration taking a table lock under "
                   "traffic."),
        FindingSpec(
            "sessions", Severity.INFO,
            "Who holds the connections: sessions grouped by application_name, user, client address and state, "
            "against the slots.",
            "Nothing to fix by itself: it explains the findings beside it.",
            causes="Shown when the slots are filling up, sessions are stuck, or with -v."),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings, then (unless offline or the URL is unusable) the live probe."""
        from checks.postgres.static import static_findings
        from doctor import import_in_thread

        ctx.require(VAR)
        if not ctx.offline:  # the verdict asks psycopg and SQLAlchemy: import them off the event loop
            await import_in_thread("psycopg")
            try:
                await import_in_thread("sqlalchemy.engine", "sqlalchemy.dialects.postgresql.psycopg")
            except ImportError:
                pass  # not installed: the built-in copy of SQLAlchemy 2.1 decides
        static = static_findings(ctx)
        if ctx.offline or static.conninfo is None:
            return static.findings
        from checks.postgres.probe import probe

        password = static.parts.password if static.parts is not None else None
        from checks.common import tag_symptoms

        live = await probe(ctx, static.conninfo, static.parts, password)
        return static.findings + tag_symptoms(live, {"postgres.dns": "dns", "postgres.refused": "connect"})

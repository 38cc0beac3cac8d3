"""How a connection fails: the libpq/server messages the doctor recognises, and their fixes.

`classify` maps psycopg's message (before scrubbing) to a `Failure`; `failure_fix` gives the fix
for a failed connection, for Heroku (every command with `ctx.heroku_app_flag()`) or a local .env.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from checks.postgres.remedies import GROUPS_SQL
from checks.postgres.static import psql_command, template_url
from checks.postgres.urlparts import DbUrl
from doctor import Context, Fix

_q = shlex.quote


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


def failure_fix(ctx: Context, slug: str, parts: DbUrl | None) -> Fix:
    """A fix for a failed connection, for Heroku or for a local .env."""
    heroku = ctx.uses_heroku_config
    flag = ctx.heroku_app_flag()
    host = parts.host if parts and parts.host else "localhost"
    port = str(parts.port or 5432) if parts else "5432"
    user = parts.username if parts and parts.username else "<user>"
    database = parts.database if parts and parts.database else "<database>"
    isready = f"pg_isready -h {_q(host)} -p {port}"
    as_admin = f"-h {_q(host)} -p {port} -U postgres"
    if slug in ("dns", "refused", "timeout"):
        if heroku:
            return Fix("Compare DATABASE_URL with what the Postgres add-on reports and check the database is up.",
                       (f"heroku pg:info{flag}", f"heroku config:get DATABASE_URL{flag}"))
        return Fix("Check the host and port in DATABASE_URL and that PostgreSQL is running there.", (isready,))
    if slug in ("auth_failed", "password_missing", "role_missing"):
        if heroku:
            return Fix("Use the credentials the add-on set (a copy kept elsewhere goes stale); if they leaked, "
                       "rotate them (this disconnects every client).",
                       (f"heroku config:get DATABASE_URL{flag}",
                        f"heroku pg:credentials:rotate{flag}  # DESTRUCTIVE: every client is disconnected"))
        if slug == "role_missing":
            return Fix("Create the role, then retry.", (f"createuser {as_admin} --pwprompt {_q(user)}",))
        return Fix("Put the role's real password in DATABASE_URL, or set a new one as a superuser (psql prompts "
                   "for it).", (f"psql {as_admin} -c {_q(chr(92) + 'password ' + _ident(user))}",))
    if slug == "database_missing":
        if heroku:
            return Fix("Use the database the add-on created.",
                       (f"heroku pg:info{flag}", f"heroku config:get DATABASE_URL{flag}"))
        return Fix("Create the database.", (f"createdb -h {_q(host)} -p {port} -U {_q(user)} {_q(database)}",))
    if slug == "ssl_required":
        if heroku:
            return Fix("Remove sslmode=disable wherever the app builds its database URL (libpq's default, prefer, "
                       "uses TLS), or set sslmode=require.", (f"heroku pg:info{flag}",))
        return ctx.set_fix("DATABASE_URL", template_url(parts, sslmode="require") if parts else "<url>?sslmode=require",
                           text="Ask for TLS with sslmode=require.")
    if slug == "ssl_unsupported":
        return Fix("Enable ssl on the server (ssl = on with a certificate in postgresql.conf), or for a local "
                   "server without TLS use sslmode=prefer.", (isready,))
    if slug == "connections_exhausted":
        if heroku:
            return Fix("Reduce the pool size (pool_size + max_overflow per process, times processes and dynos) "
                       "below the plan's limit; heroku pg:killall frees the slots now but disconnects every "
                       "session; a larger plan raises the limit.",
                       (f"heroku pg:info{flag}", f"heroku pg:killall{flag}  # DESTRUCTIVE: disconnects every session"))
        return Fix("See who holds the connections and reduce the app's pool size.",
                   (psql_command(parts, "-c", GROUPS_SQL),))
    if heroku:
        return Fix("Check the database's state on Heroku.",
                   (f"heroku pg:info{flag}", f"heroku config:get DATABASE_URL{flag}"))
    return Fix("Check that the server is up and try connecting with psql.", (isready, psql_command(parts)))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) else name

"""Fixes for a full connection table and for stuck sessions.

For the connections: pool sizing (the usual cause is a pool per worker per dyno), PgBouncer, a
larger plan, and only where the finding is an error (90 % and more) `heroku pg:killall`, whose
text says that it disconnects every session. For a stuck session: the lasting fix in the app or
the role's settings, and the one call that ends it now (pg_cancel_backend for a query,
pg_terminate_backend for a session), with what that call does to the session. Every `heroku`
command carries `ctx.heroku_app_flag()`; no command holds a password.
"""

from __future__ import annotations

import shlex

from checks.postgres.static import psql_command
from checks.postgres.urlparts import DbUrl
from doctor import Context, Fix

GROUPS_SQL = ("SELECT application_name, usename, client_addr, state, count(*) FROM pg_stat_activity "
              "GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC")

_POOLS = ("Size the pools to fit: each process keeps its own pool, so the app can hold WEB_CONCURRENCY × "
          "(pool_size + max_overflow) × dynos connections (SQLAlchemy's create_engine defaults to 5 + 10 per "
          "process); keep that, plus worker and one-off dynos, below the {slots} slots, e.g. "
          "create_engine(url, pool_size=2, max_overflow=3).")

_STUCK_FIXES = {  # kind -> (what to do, the function that ends it now)
    "long_query": (
        "Find why the query is slow (EXPLAIN it; a missing index is the usual cause) and give the app's role a "
        "statement_timeout (ALTER ROLE … SET statement_timeout = '30s') so a runaway query ends by itself. To "
        "stop it now, pg_cancel_backend(pid) cancels that query only: the session stays, its request gets an "
        "error.", "pg_cancel_backend"),
    "idle_in_transaction": (
        "Find the code path that leaves the transaction open (commit or roll back in a finally, or use "
        "`with session.begin():`) and give the app's role an idle_in_transaction_session_timeout (ALTER ROLE … "
        "SET idle_in_transaction_session_timeout = '60s') so the server ends such sessions. To end one now, "
        "pg_terminate_backend(pid) closes that session and rolls back its transaction.", "pg_terminate_backend"),
    "blocked": (
        "The blocking session keeps its locks until its transaction ends: find why it does not commit (often it "
        "is itself idle in transaction). To free the waiting sessions now, pg_terminate_backend(blocking pid) "
        "closes the blocking session and rolls back its transaction.", "pg_terminate_backend"),
}


def sql_command(ctx: Context, parts: DbUrl | None, sql: str) -> str:
    """Run one SQL statement against DATABASE_URL: `heroku pg:psql -c` on Heroku, psql otherwise."""
    if ctx.uses_heroku_config:
        return f"heroku pg:psql -c {shlex.quote(sql)}{ctx.heroku_app_flag()}"
    return psql_command(parts, "-c", sql)


def connections_fix(ctx: Context, parts: DbUrl | None, slots: int, destructive_ok: bool) -> Fix:
    """Pool sizing, PgBouncer and a larger plan; with `destructive_ok` (error level) also pg:killall."""
    text = _POOLS.format(slots=slots)
    if not ctx.uses_heroku_config:
        return Fix(text + " Or put PgBouncer in front of the database, or raise max_connections on a server you "
                          "run.", (psql_command(parts, "-c", GROUPS_SQL),))
    flag = ctx.heroku_app_flag()
    text += (" Or put PgBouncer in front of the database: add the heroku/pgbouncer buildpack and start the web "
             "process through bin/start-pgbouncer in the Procfile (it takes effect with the next deploy). Or move "
             "to a plan with more connections (heroku pg:info shows the plan and its limit).")
    commands = [f"heroku pg:info{flag}", f"heroku buildpacks:add heroku/pgbouncer{flag}"]
    if destructive_ok:
        text = ("To free the slots now, heroku pg:killall disconnects every session, of every dyno and console "
                "(their requests in flight fail and the pools reconnect). Then, so it does not fill up again: "
                + text[0].lower() + text[1:])
        commands.append(f"heroku pg:killall{flag}  # DESTRUCTIVE: disconnects every session")
    return Fix(text, tuple(commands))


def stuck_fix(ctx: Context, parts: DbUrl | None, kind: str, pids: list[int]) -> Fix:
    """The lasting fix for stuck sessions of `kind`, and the call that ends each of `pids` now."""
    text, function = _STUCK_FIXES[kind]
    return Fix(text, tuple(sql_command(ctx, parts, f"SELECT {function}({int(pid)})") for pid in pids))

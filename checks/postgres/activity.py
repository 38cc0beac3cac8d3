"""Read who holds the connections: pg_stat_activity grouped, and the sessions that are stuck.

Two read-only SELECTs in the probe's read-only transaction (under its statement_timeout), each
with a bounded result: at most `MAX_GROUPS` groups, and at most `PER_KIND` stuck sessions of each
kind (with the total of each kind counted by the server). The doctor's own session is left out.
The query text is fetched only when asked for (`-v`), cut by the server to `QUERY_CHARS`.

Sessions of other roles show their application_name and user but no state, address or query
unless the role may read them (pg_read_all_stats); they are grouped with an empty state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_GROUPS = 500
PER_KIND = 5
QUERY_CHARS = 1000
KINDS = ("blocked", "idle_in_transaction", "long_query")

# The client backends, as the usage figure counts them (other roles' backend_type reads NULL).
_CLIENTS = ("(backend_type = 'client backend' "
            "OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL))")

GROUPS_SQL = f"""
SELECT coalesce(application_name, ''), coalesce(usename, ''), coalesce(host(client_addr), ''),
       coalesce(state, ''), count(*)::int
FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND {_CLIENTS}
GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3, 4 LIMIT {MAX_GROUPS}
"""

STUCK_SQL = f"""
WITH s AS (
  SELECT pid, coalesce(application_name, '') AS app, coalesce(usename, '') AS usr,
         coalesce(host(client_addr), '') AS addr, state,
         extract(epoch FROM now() - state_change)::float8 AS in_state,
         extract(epoch FROM now() - query_start)::float8 AS running,
         CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END AS blockers,
         CASE WHEN %(verbose)s THEN left(query, {QUERY_CHARS}) END AS query
  FROM pg_stat_activity
  WHERE pid <> pg_backend_pid() AND {_CLIENTS}
), k AS (
  SELECT s.*, CASE
           WHEN cardinality(blockers) > 0 AND running > %(after)s THEN 'blocked'
           WHEN state LIKE 'idle in transaction%%' AND in_state > %(after)s THEN 'idle_in_transaction'
           WHEN state = 'active' AND running > %(after)s THEN 'long_query'
         END AS kind
  FROM s
), r AS (
  SELECT k.*, count(*) OVER w AS total,
         row_number() OVER (w ORDER BY CASE WHEN kind = 'idle_in_transaction' THEN in_state ELSE running END DESC,
                                       pid) AS n
  FROM k WHERE kind IS NOT NULL WINDOW w AS (PARTITION BY kind)
)
SELECT r.kind, r.total::int, r.pid, r.app, r.usr, r.addr, r.state,
       CASE WHEN r.kind = 'idle_in_transaction' THEN r.in_state ELSE r.running END, r.query,
       b.pid, b.state, extract(epoch FROM now() - coalesce(b.xact_start, b.query_start))::float8,
       coalesce(b.application_name, ''), CASE WHEN %(verbose)s THEN left(b.query, {QUERY_CHARS}) END
FROM r LEFT JOIN pg_stat_activity b ON b.pid = r.blockers[1]
WHERE r.n <= {PER_KIND}
ORDER BY r.kind, r.n
"""


@dataclass(frozen=True)
class Group:
    """Sessions sharing application_name, user, client address and state ('' where unknown)."""

    app: str
    user: str
    addr: str
    state: str
    count: int


@dataclass(frozen=True)
class Blocker:
    """The session holding the lock a blocked session waits for."""

    pid: int
    state: str  # '' when hidden (another role's session)
    age: float | None  # seconds since its transaction (or query) began; None when hidden
    app: str
    query: str | None


@dataclass(frozen=True)
class Stuck:
    """One session stuck for longer than the threshold: blocked, idle in transaction or running."""

    kind: str
    pid: int
    app: str
    user: str
    addr: str
    state: str
    seconds: float
    query: str | None  # only under -v (raw: the caller normalises it)
    blocker: Blocker | None = None


@dataclass(frozen=True)
class Activity:
    """What pg_stat_activity showed: the groups (largest first), stuck sessions and totals by kind."""

    groups: tuple[Group, ...]
    stuck: tuple[Stuck, ...]
    totals: dict[str, int]

    def of(self, kind: str) -> list[Stuck]:
        """The stuck sessions of one kind that were fetched (the oldest `PER_KIND`)."""
        return [s for s in self.stuck if s.kind == kind]


def _stuck(row: tuple[Any, ...]) -> Stuck:
    kind, _total, pid, app, user, addr, state, seconds, query, b_pid, b_state, b_age, b_app, b_query = row
    blocker = Blocker(b_pid, b_state or "", b_age, b_app, b_query) if b_pid is not None else None
    return Stuck(kind, pid, app, user, addr, state or "", float(seconds or 0.0), query, blocker)


async def read_activity(conn: Any, stuck_after_s: float, verbose: bool) -> Activity:
    """Both reads on an open psycopg AsyncConnection (the caller owns the transaction)."""
    cursor = await conn.execute(GROUPS_SQL)
    groups = tuple(Group(*row) for row in await cursor.fetchmany(MAX_GROUPS))
    cursor = await conn.execute(STUCK_SQL, {"after": float(stuck_after_s), "verbose": bool(verbose)})
    rows = await cursor.fetchmany(PER_KIND * len(KINDS))
    totals = {row[0]: row[1] for row in rows}
    return Activity(groups, tuple(_stuck(row) for row in rows), totals)

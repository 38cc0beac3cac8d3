"""Findings on who holds the connections and which sessions are stuck (from activity.py's reads).

Thresholds, as `heroku pg:diagnose` uses them (Heroku Dev Center, "Heroku Postgres Performance
Analytics › pg:diagnose"; its checks, github.com/will/pgdiagnose, flag queries, locks and idle in
transaction over one minute):

- `CONNECTIONS_WARN` 0.75 and `CONNECTIONS_ERROR` 0.90: pg:diagnose's Connection Count is yellow
  at 75 % and red at 90 % of the limit. `postgres.connections_high` is a warning from 75 % and an
  error from 90 % of the slots a non-superuser can take (or of the role's CONNECTION LIMIT,
  whichever is fuller).
- `STUCK_AFTER_S` 60: Long Queries, Idle in Transaction and Blocking Queries, over one minute.
- `STUCK_SHARE_ERROR` 0.25 is the doctor's own (pg:diagnose publishes no such figure): a stuck
  finding is an error instead of a warning when its sessions hold a quarter or more of the slots,
  since a quarter of the slots held by sessions that do no work leaves no room for a spike.

Tests lower `STUCK_AFTER_S` by monkeypatching this module's constant; probe.py reads it at call
time. Query text appears only under `-v`, through querytext.shown (literals and digits removed).
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.postgres.activity import Activity, Group, Stuck
from checks.postgres.const import VARS
from checks.postgres.querytext import shown
from checks.postgres.remedies import connections_fix, stuck_fix
from checks.postgres.urlparts import DbUrl
from doctor import Context, Finding, Severity

CONNECTIONS_WARN = 0.75
CONNECTIONS_ERROR = 0.90
STUCK_AFTER_S = 60.0
STUCK_SHARE_ERROR = 0.25
SHOWN_GROUPS = 10

_STUCK = {  # kind -> (what they are, why it matters)
    "idle_in_transaction": (
        "idle in transaction",
        "A session idle in transaction keeps its slot and its locks, and holds back vacuum, until it commits "
        "or rolls back: usually a request that began a transaction and then waited on something else, an "
        "error path without rollback, or a console left in BEGIN."),
    "long_query": (
        "running one query",
        "A query running that long keeps its slot and its locks, and the request waiting for it has usually "
        "timed out already: a missing index, a runaway report, or a statement waiting on I/O."),
    "blocked": (
        "waiting for a lock another session holds",
        "A blocked session does nothing until the session holding the lock ends its transaction; every "
        "request that touches the same rows queues behind it."),
}


@dataclass(frozen=True)
class Usage:
    """The usage figure: `used` of `limit` (`what` says which limit); `slots`: the server's, for shares."""

    used: int
    limit: int
    what: str
    slots: int
    role: str
    role_limit: bool  # the figure is the role's CONNECTION LIMIT

    @property
    def ratio(self) -> float:
        """Share of the limit in use (1.0 when the limit is 0)."""
        return self.used / self.limit if self.limit > 0 else 1.0


@dataclass(frozen=True)
class Holder:
    """The application and user holding the most sessions, across client addresses and states."""

    app: str
    user: str
    count: int
    addrs: int
    states: dict[str, int]


def app_label(app: str) -> str:
    """`'web'`, or `(no application_name)`."""
    return repr(app) if app else "(no application_name)"


def _group_label(group: Group) -> str:
    where = f"from {group.addr}" if group.addr else ("over a local socket" if group.state else "")
    state = group.state or "state hidden (another role's session)"
    return " ".join(p for p in (app_label(group.app), "as", group.user or "?", where) if p) + f", {state}"


def top_holder(groups: tuple[Group, ...], user: str | None = None) -> Holder | None:
    """Who holds the most sessions (of `user` only, when given)."""
    totals: dict[tuple[str, str], list[Group]] = {}
    for group in groups:
        if user is None or group.user == user:
            totals.setdefault((group.app, group.user), []).append(group)
    if not totals:
        return None
    (app, usr), members = max(totals.items(), key=lambda item: (sum(g.count for g in item[1]), item[0]))
    states: dict[str, int] = {}
    for group in members:
        states[group.state or "hidden"] = states.get(group.state or "hidden", 0) + group.count
    return Holder(app, usr, sum(g.count for g in members), len({g.addr for g in members if g.addr}), states)


def age(seconds: float | None) -> str:
    """`45 s`, `2 min 5 s`, `3 h 10 min`."""
    if seconds is None:
        return "an unknown time"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def findings(ctx: Context, parts: DbUrl | None, usage: Usage, activity: Activity | None) -> list[Finding]:
    """connections_high, the stuck sessions' findings, and the groups' summary when worth showing."""
    found = [f for f in (_connections_high(ctx, parts, usage, activity),) if f is not None]
    if activity is None:
        return found
    for kind in ("blocked", "idle_in_transaction", "long_query"):
        if activity.totals.get(kind):
            found.append(_stuck_finding(ctx, parts, kind, activity, usage.slots))
    if activity.groups and (found or ctx.options.verbose):
        found.append(_summary(activity, usage))
    return found


def _connections_high(ctx: Context, parts: DbUrl | None, usage: Usage,
                      activity: Activity | None) -> Finding | None:
    if usage.ratio < CONNECTIONS_WARN:
        return None
    error = usage.ratio >= CONNECTIONS_ERROR
    detail = ("When the slots run out, new connections fail with 'too many connections' and the requests "
              "needing them error.")
    holder = top_holder(activity.groups, usage.role if usage.role_limit else None) if activity else None
    if holder is not None:
        states = ", ".join(f"{n} {state}" for state, n in sorted(holder.states.items(), key=lambda s: -s[1]))
        addrs = f" from {holder.addrs} client address{'es' if holder.addrs != 1 else ''}" if holder.addrs else ""
        concurrency = ctx.get("WEB_CONCURRENCY")
        detail += (f" Most are held by {app_label(holder.app)} as {holder.user}: {holder.count} "
                   f"session{'s' if holder.count != 1 else ''}{addrs} ({states}). That is usually a pool per "
                   "worker per dyno: WEB_CONCURRENCY × pool size (pool_size + max_overflow) × dynos"
                   + (f"; WEB_CONCURRENCY is {concurrency.strip()} here" if concurrency and concurrency.strip()
                      else "") + ".")
    return Finding(
        "postgres.connections_high", Severity.ERROR if error else Severity.WARNING,
        f"The database is at {usage.ratio:.0%} of its connection limit ({usage.used} of {usage.limit} {usage.what})",
        detail, connections_fix(ctx, parts, usage.slots, destructive_ok=error), VARS)


def _who(session: Stuck) -> str:
    where = f" from {session.addr}" if session.addr else ""
    return f"pid {session.pid} ({app_label(session.app)} as {session.user or '?'}{where})"


def _line(ctx: Context, session: Stuck) -> str:
    text = f"{_who(session)} for {age(session.seconds)}"
    blocker = session.blocker
    if session.kind == "blocked" and blocker is not None:
        state = blocker.state or "its state hidden (another role's session)"
        held = f"its transaction began {age(blocker.age)} ago" if blocker.age is not None else "its age hidden"
        text += f", blocked by pid {blocker.pid} ({app_label(blocker.app)}), {state}, {held}"
    if ctx.options.verbose:
        text += f"; query: {shown(session.query)}" if session.query else ""
        text += f"; the blocker's: {shown(blocker.query)}" if blocker is not None and blocker.query else ""
    return text


def _stuck_finding(ctx: Context, parts: DbUrl | None, kind: str, activity: Activity, slots: int) -> Finding:
    sessions = activity.of(kind)
    total = activity.totals[kind]
    share = total / slots if slots > 0 else 1.0
    what, why = _STUCK[kind]
    plural = "s" if total != 1 else ""
    title = (f"{total} session{plural} {'have' if plural else 'has'} been {what} for over {STUCK_AFTER_S:g} s "
             f"({share:.0%} of the slots)")
    listed = "; ".join(_line(ctx, s) for s in sessions)
    more = f"; and {total - len(sessions)} more" if total > len(sessions) else ""
    hint = "" if ctx.options.verbose else (" Query text is left out (it can carry personal data); -v shows the "
                                           "first 80 characters of each, literals and numbers replaced.")
    detail = f"{why} Oldest first: {listed}{more}.{hint}"
    ends = [s.blocker.pid for s in sessions if s.blocker] if kind == "blocked" else [s.pid for s in sessions]
    pids = list(dict.fromkeys(ends))  # oldest first, each once
    severity = Severity.ERROR if share >= STUCK_SHARE_ERROR else Severity.WARNING
    return Finding(f"postgres.{kind}", severity, title, detail, stuck_fix(ctx, parts, kind, pids[:3]), VARS)


def _summary(activity: Activity, usage: Usage) -> Finding:
    total = sum(g.count for g in activity.groups)
    holder = top_holder(activity.groups)
    most = f"; most: {app_label(holder.app)} as {holder.user} ({holder.count})" if holder else ""
    lines = "; ".join(f"{_group_label(g)}: {g.count}" for g in activity.groups[:SHOWN_GROUPS])
    rest = activity.groups[SHOWN_GROUPS:]
    more = f"; and {len(rest)} more groups ({sum(g.count for g in rest)} sessions)" if rest else ""
    return Finding(
        "postgres.sessions", Severity.INFO,
        f"Who holds the connections: {total} other session{'s' if total != 1 else ''} in "
        f"{len(activity.groups)} group{'s' if len(activity.groups) != 1 else ''}{most}",
        f"By application_name, user, client address and state, largest first, against {usage.slots} connection "
        f"slots (the doctor's own session left out): {lines}{more}.", None, VARS)


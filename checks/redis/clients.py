"""Who holds the Redis client slots: CLIENT LIST read with bounds, grouped by name and host.

Read only when INFO shows the slots at `HIGH` (80 %) of `maxclients`, the threshold the check
already warned at (`heroku pg:diagnose` turns connections yellow at 75 % and red at 90 %; for
Redis the doctor keeps its one 80 % line). CLIENT LIST may be renamed away or denied by an ACL on
managed Redis: the finding then says so and counts from INFO alone. Bounds: CLIENT LIST is not
sent when INFO reports more than `MAX_LINES` (10,000) clients, at most that many lines are
parsed, and no reply of the probe's connection may exceed `MAX_REPLY_BYTES` (4 MiB, 10,000 lines
of about 400 bytes, what Redis 7 writes per client): the redis-py parser refuses a longer one.

A client idle for `IDLE_LONG_S` (60 s, the minute `heroku pg:diagnose` uses for idle-in-transaction
and long queries; below the 300 s idle timeout Heroku Redis applies by default, so a leak still
shows there) is long idle. When at least `IDLE_SHARE` (half) of the listed clients are long idle,
the slots are held by connections nobody uses: a leaked or oversized pool, named by its group.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from checks.redis.static import Target, redis_finding
from doctor import Context, Finding, Fix, Severity

HIGH = 0.8
IDLE_LONG_S = 60
IDLE_SHARE = 0.5
MAX_LINES = 10_000
MAX_REPLY_BYTES = 4 * 2**20
SHOWN_GROUPS = 5
_OWN_COMMANDS = ("client|list", "client")  # the entry of the connection running CLIENT LIST: this check


class ReplyTooLarge(Exception):
    """A reply announced more bytes than `MAX_REPLY_BYTES`; nothing past its header was read."""


@cache
def bounded_parser(protocol: object = None) -> type:
    """redis-py's pure-Python parser for `protocol` (the URL's ?protocol=, else redis-py's default:
    RESP2 up to 7.x, RESP3 from 8.0) that refuses a bulk reply over `MAX_REPLY_BYTES`."""
    from redis._parsers import _AsyncRESP2Parser, _AsyncRESP3Parser
    from redis.connection import DEFAULT_RESP_VERSION

    chosen = DEFAULT_RESP_VERSION if protocol is None else protocol
    base = _AsyncRESP3Parser if str(chosen) == "3" else _AsyncRESP2Parser

    class Bounded(base):  # type: ignore[misc, valid-type]
        async def _read(self, length: int) -> bytes:  # every bulk and verbatim string comes here
            if length > MAX_REPLY_BYTES:
                raise ReplyTooLarge(length)
            return await super()._read(length)

    return Bounded


@dataclass
class Group:
    """Clients sharing a name (`CLIENT SETNAME`) and a host, with their idle times in seconds."""

    name: str
    host: str
    idle: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many clients the group holds."""
        return len(self.idle)

    @property
    def long_idle(self) -> int:
        """How many of them have been idle for `IDLE_LONG_S` or more."""
        return sum(1 for seconds in self.idle if seconds >= IDLE_LONG_S)

    @property
    def label(self) -> str:
        """`name` at host, for titles (names are cut to 60 characters)."""
        name = self.name.replace("`", "'")  # a name is any printable ASCII without spaces
        name = name if len(name) <= 60 else name[:57] + "…"
        return f"`{name}` at {self.host}" if name else f"unnamed clients at {self.host}"

    def describe(self) -> str:
        """The group with its count and idle range."""
        low, high = min(self.idle), max(self.idle)
        span = f"{low} s" if low == high else f"{low}-{high} s"
        return f"{self.label}: {self.count}, idle {span}"


@dataclass
class Listing:
    """What CLIENT LIST gave: the groups (largest first), or why there are none (`note`)."""

    groups: list[Group]
    note: str = ""
    truncated: bool = False

    @property
    def listed(self) -> int:
        """Clients in the groups (this check's own connection excluded)."""
        return sum(g.count for g in self.groups)


def _host(addr: str) -> str:
    host = addr.rsplit(":", 1)[0] if ":" in addr else addr  # 10.0.0.5:53422, [::1]:53422, /tmp/r.sock:0
    host = host.removeprefix("[").removesuffix("]")
    return (host if len(host) <= 80 else host[:77] + "…") or "?"


def _fields(line: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = ""
    for token in line.split(" "):
        key, sep, value = token.partition("=")
        if sep and key.replace("-", "").isalnum():
            fields[key] = value
            last = key
        elif last:  # a value with a space in it (a socket path)
            fields[last] += " " + token
    return fields


def group_clients(raw: bytes | str, limit: int = MAX_LINES) -> Listing:
    """CLIENT LIST text parsed (at most `limit` lines) and grouped by name and host, largest first."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    lines = text.split("\n", limit)
    truncated = len(lines) > limit and bool(lines[limit].strip())
    groups: dict[tuple[str, str], Group] = {}
    for line in lines[:limit]:
        fields = _fields(line.strip())
        if "addr" not in fields or fields.get("cmd") in _OWN_COMMANDS:
            continue
        name, host = fields.get("name", ""), _host(fields["addr"])
        idle = fields.get("idle", "0")
        group = groups.setdefault((name, host), Group(name, host))
        group.idle.append(int(idle) if idle.isdigit() else 0)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, -g.long_idle, g.name, g.host))
    return Listing(ordered, truncated=truncated)


async def read_clients(client: Any, connected: int, timeout: float) -> Listing:
    """CLIENT LIST over the probe's connection, bounded; a Listing with a note when not permitted."""
    from redis.exceptions import RedisError, ResponseError

    if connected > MAX_LINES:
        return Listing([], f"CLIENT LIST was not read: more than {MAX_LINES:,} clients.")
    try:
        async with asyncio.timeout(timeout):
            raw = await client.execute_command("CLIENT", "LIST")  # "CLIENT", "LIST": raw text, no parsing
    except ResponseError as exc:  # renamed (unknown command) or denied (NOPERM)
        kind = "denied to this user" if "NOPERM" in str(exc) or "permission" in str(exc) else "renamed or disabled"
        return Listing([], f"CLIENT LIST is not permitted on this server ({kind}, as managed Redis may do), so "
                           "the clients cannot be grouped: the counts come from INFO.")
    except ReplyTooLarge:
        return Listing([], f"CLIENT LIST was not read: its reply is over {MAX_REPLY_BYTES // 2**20} MiB.")
    except (TimeoutError, RedisError, OSError) as exc:  # redis-py's TimeoutError is a RedisError
        return Listing([], f"CLIENT LIST failed ({type(exc).__name__}): the counts come from INFO.")
    return group_clients(raw if isinstance(raw, bytes | str) else b"")


def clients_fix(ctx: Context, target: Target, leaked: bool = False) -> Fix:
    """How to make room for more Redis clients, locally or on Heroku."""
    flag = ctx.heroku_app_flag()
    share = "Create one Redis client per process at start-up and reuse it (not one per request), and bound " \
            "its pool (max_connections). " if leaked else ""
    if target.local and not ctx.uses_heroku_config:
        return Fix(share + "Close idle clients or raise the server's limit (maxclients in redis.conf).")
    timeout = ("Let Redis close connections idle for 5 minutes (the command below; it disconnects only "
               "clients idle that long). ") if leaked else ""
    commands = ((f"heroku redis:timeout REDIS_URL --seconds 300{flag}  # closes clients idle for 300 s",)
                if leaked else ()) + (
        f"heroku redis:info{flag}", f"heroku addons:upgrade heroku-redis:premium-0{flag}")
    return Fix(share + timeout + "Lower the app's pool size (max_connections) or upgrade the plan (mini 20 "
               "clients, premium-0 40, premium-1 80).", commands)


def clients_finding(ctx: Context, target: Target, connected: int, max_clients: int,
                    listing: Listing | None) -> Finding:
    """`redis.clients_high`: the slots in use, who holds them, and a leaked pool when they sit idle."""
    usage = f"{connected} of {max_clients} client connections in use"
    own = "The count includes this check's own connection."
    if listing is None or not listing.groups:
        note = listing.note if listing is not None and listing.note else ""
        return redis_finding("clients_high", Severity.WARNING, f"Redis has {usage}",
                             " ".join(p for p in (own, note, "At the limit new connections fail with "
                                                  "`ERR max number of clients reached`.") if p),
                             clients_fix(ctx, target))
    groups = listing.groups
    idle_total = sum(g.long_idle for g in groups)
    leaked = idle_total >= IDLE_SHARE * listing.listed
    shown = "; ".join(g.describe() for g in groups[:SHOWN_GROUPS])
    more = f"; and {len(groups) - SHOWN_GROUPS} more groups" if len(groups) > SHOWN_GROUPS else ""
    cut = f" (only the first {MAX_LINES:,} clients were read)" if listing.truncated else ""
    detail = f"Clients by name and host{cut}, this check's own connection left out: {shown}{more}. {own}"
    if leaked:
        top = max(groups, key=lambda g: (g.long_idle, g.count))
        title = (f"Redis has {usage}; {top.long_idle} from {top.label} idle for {IDLE_LONG_S} s or more "
                 "(a leaked or oversized pool?)")
        detail += (f" {idle_total} of the {listing.listed} clients have been idle for {IDLE_LONG_S} s or more: "
                   "connections opened and never reused or closed, as when a client or pool is created per "
                   "request or per task.")
    else:
        title = f"Redis has {usage}; most from {groups[0].label} ({groups[0].count})"
        detail += (f" Fewer than half have been idle for {IDLE_LONG_S} s or more: the pools are in use, as large as "
                   "the traffic makes them, so size them for dynos × workers × pool size.")
    return redis_finding("clients_high", Severity.WARNING, title, detail, clients_fix(ctx, target, leaked))

"""The redis check's reading of INFO: memory, eviction policy, clients, latency and version.

A pure function of what INFO returned (and, when the client slots are crowded, of the CLIENT LIST
grouping in clients.py), so the thresholds are tested without a server near them. `HIGH` (80 %)
of maxmemory or of maxclients is the line the check has always warned at. The eviction rule reads
`maxmemory_policy` as a session store needs it: an `allkeys-*` policy lets Redis evict any key,
sessions and rate-limit counters included, once `maxmemory` is reached (a limit of 0 never
evicts, so it is not reported); `volatile-lru` evicts only keys with a TTL.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from checks.redis.clients import HIGH, Listing, clients_finding
from checks.redis.static import Target, redis_finding
from doctor import Context, Finding, Fix, Severity

SLOW_PING_MS = 250


def _number(info: dict[str, Any], key: str) -> int:
    with suppress(TypeError, ValueError):
        return int(info.get(key) or 0)
    return 0


def client_counts(info: dict[str, Any]) -> tuple[int, int]:
    """(connected_clients, maxclients) from INFO, 0 where INFO lacks them."""
    return _number(info, "connected_clients"), _number(info, "maxclients")


def clients_crowded(info: dict[str, Any]) -> bool:
    """True when INFO shows `HIGH` of maxclients in use: the case for reading CLIENT LIST."""
    clients, max_clients = client_counts(info)
    return bool(max_clients) and clients >= HIGH * max_clients


def _eviction_fix(ctx: Context) -> Fix:
    text = ("Evict only keys that carry a TTL (volatile-lru), so keys the app keeps without one stay; "
            "or noeviction, where writes fail at the limit instead (then watch memory).")
    if ctx.uses_heroku_config:
        return Fix(text, (f"heroku redis:maxmemory REDIS_URL --policy volatile-lru{ctx.heroku_app_flag()}",))
    return Fix(text + " Set `maxmemory-policy volatile-lru` in redis.conf or in your provider's settings.")


def _memory_findings(ctx: Context, target: Target, info: dict[str, Any]) -> list[Finding]:
    used, limit = _number(info, "used_memory"), _number(info, "maxmemory")
    policy = str(info.get("maxmemory_policy", "unknown"))
    flag = ctx.heroku_app_flag()
    plan_fix = Fix("See the plan's usage and upgrade if it stays high.",
                   (f"heroku redis:info{flag}", f"heroku addons:upgrade heroku-redis:<bigger plan>{flag}"))
    usage = f"{used / limit:.0%} of maxmemory ({used / 2**20:.1f} of {limit / 2**20:.1f} MB)" if limit else ""
    evicted = _number(info, "evicted_keys")
    if limit and policy.startswith("allkeys-"):
        return [redis_finding(
            "eviction_allkeys", Severity.WARNING, f"Redis evicts any key when memory is full (policy {policy})",
            f"Memory is at {usage}, {evicted} keys evicted so far. Under memory pressure {policy} drops any key, "
            "sessions (users are logged out) and rate-limit counters included, not only cache entries.",
            _eviction_fix(ctx))]
    if not limit or used < HIGH * limit:
        if not limit and not target.local and (ctx.production or ctx.on_heroku):
            return [redis_finding(
                "maxmemory_unset", Severity.INFO, "Redis reports no maxmemory limit",
                "Managed plans normally set one; without it memory grows until the host runs out.", None)]
        return []
    if policy == "noeviction":
        return [redis_finding(
            "memory_high", Severity.WARNING, f"Redis memory at {usage} with policy noeviction",
            "At the limit every write fails with `OOM command not allowed when used memory > 'maxmemory'`: "
            "sessions cannot be created.", plan_fix)]
    return [redis_finding(
        "memory_evicting", Severity.INFO, f"Redis memory at {usage}; policy {policy} evicts keys",
        f"Older keys are dropped to make room ({evicted} evicted so far): cached values and sessions with a TTL "
        "may disappear early.", None)]


def info_findings(ctx: Context, target: Target, info: dict[str, Any], latency_ms: float,
                  listing: Listing | None = None) -> list[Finding]:
    """Memory, clients, latency and version from INFO; a healthy server gives nothing above info.

    `listing` is CLIENT LIST's grouping, read by the probe when `clients_crowded(info)`.
    """
    findings = _memory_findings(ctx, target, info)
    if clients_crowded(info):
        findings.append(clients_finding(ctx, target, *client_counts(info), listing))
    if latency_ms >= SLOW_PING_MS:
        findings.append(redis_finding(
            "latency_high", Severity.INFO, f"Redis PING took {latency_ms:.0f} ms",
            "Each cache or session lookup costs at least this much; run the app in the same region as Redis.", None))
    version = str(info.get("redis_version", ""))
    major = version.split(".", 1)[0]
    if major.isdigit() and int(major) < 6:
        findings.append(redis_finding(
            "version_old", Severity.INFO, f"Redis {version} is older than 6",
            "No ACLs or TLS; Heroku Redis plans below 6 are deprecated.", None))
    return findings

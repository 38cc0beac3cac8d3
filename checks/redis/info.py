"""The redis check's reading of INFO: memory, clients, latency and version against the limits.

A pure function of what INFO returned, so the thresholds are tested without a server near them.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from checks.redis.static import Target, redis_finding
from doctor import Context, Finding, Fix, Severity

HIGH = 0.8
SLOW_PING_MS = 250


def clients_fix(ctx: Context, target: Target) -> Fix:
    """How to make room for more Redis clients, locally or on Heroku."""
    if target.local and not ctx.uses_heroku_config:
        return Fix("Close idle clients or raise the server's limit (maxclients in redis.conf).")
    return Fix("Lower the app's pool size (max_connections) or upgrade the plan (mini 20 clients, premium-0 40, "
               "premium-1 80).", ("heroku redis:info", "heroku addons:upgrade heroku-redis:premium-0"))


def _number(info: dict[str, Any], key: str) -> int:
    with suppress(TypeError, ValueError):
        return int(info.get(key) or 0)
    return 0


def info_findings(ctx: Context, target: Target, info: dict[str, Any], latency_ms: float) -> list[Finding]:
    """Memory, clients, latency and version from INFO; a healthy server gives nothing above info."""
    findings = []
    used, limit = _number(info, "used_memory"), _number(info, "maxmemory")
    policy = str(info.get("maxmemory_policy", "unknown"))
    plan_fix = Fix("See the plan's usage and upgrade if it stays high.",
                   ("heroku redis:info", "heroku addons:upgrade heroku-redis:<bigger plan>"))
    if limit and used >= HIGH * limit:
        usage = f"{used / limit:.0%} of maxmemory ({used // 1024**2} of {limit // 1024**2} MB)"
        if policy == "noeviction":
            findings.append(redis_finding(
                "memory_high", Severity.WARNING, f"Redis memory at {usage} with policy noeviction",
                "At the limit every write fails with `OOM command not allowed when used memory > 'maxmemory'`: "
                "sessions cannot be created.", plan_fix))
        else:
            findings.append(redis_finding(
                "memory_evicting", Severity.INFO, f"Redis memory at {usage}; policy {policy} evicts keys",
                f"Older keys are dropped to make room ({_number(info, 'evicted_keys')} evicted so far): "
                "cached values and sessions may disappear early.", None))
    elif not limit and not target.local and (ctx.production or ctx.on_heroku):
        findings.append(redis_finding(
            "maxmemory_unset", Severity.INFO, "Redis reports no maxmemory limit",
            "Managed plans normally set one; without it memory grows until the host runs out.", None))
    clients, max_clients = _number(info, "connected_clients"), _number(info, "maxclients")
    if max_clients and clients >= HIGH * max_clients:
        findings.append(redis_finding(
            "clients_high", Severity.WARNING, f"Redis has {clients} of {max_clients} client connections in use",
            "The count includes this check's own connection. At the limit new connections fail with "
            "`ERR max number of clients reached`.",
            clients_fix(ctx, target)))
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

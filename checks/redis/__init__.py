"""The redis check: see static.py for the offline rules."""

from __future__ import annotations

from checks.redis.static import VAR, static_findings
from doctor import Check, Context, Finding, import_in_thread


class RedisCheck(Check):
    """REDIS_URL: parses as redis-py parses it, fits the platform, and the server answers PING."""

    id = "redis"
    title = "Redis (REDIS_URL)"
    vars = (VAR,)
    network = True
    boot_critical = False
    order = 60
    docs = "Secrets Management Guide › Troubleshooting › Redis Connection Issues"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the live probe unless offline or the URL cannot work."""
        ctx.require(VAR)
        findings, target = static_findings(ctx)
        if ctx.offline or target is None:
            return findings
        await import_in_thread("redis.asyncio", "redis.backoff")
        from checks.redis.probe import probe

        return findings + await probe(ctx, target)

"""The postgres check: DATABASE_URL read offline, then a real, read-only connection.

The static half (checks/postgres_static.py) runs always, also under --offline; the live half
(checks/postgres_probe.py) connects with psycopg 3 and classifies what goes wrong.
"""

from __future__ import annotations

from checks.postgres.static import VAR, static_findings
from doctor import Check, Context, Finding, import_in_thread


class PostgresCheck(Check):
    """PostgreSQL reachable with DATABASE_URL, with room for more connections."""

    id = "postgres"
    title = "PostgreSQL (DATABASE_URL)"
    vars = (VAR,)
    network = True
    boot_critical = True
    order = 50
    docs = "Secrets Management Guide › Troubleshooting › Database Connection Issues"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings, then (unless offline or the URL is unusable) the live probe."""
        ctx.require(VAR)
        static = static_findings(ctx)
        if ctx.offline or static.conninfo is None:
            return static.findings
        await import_in_thread("psycopg")
        from checks.postgres.probe import probe

        password = static.parts.password if static.parts is not None else None
        return static.findings + await probe(ctx, static.conninfo, static.parts, password)

"""The secret_key check: see static.py for the offline rules."""

from __future__ import annotations

from checks.common import strip_quotes
from checks.secret_key.static import OTHER_SECRETS, reuse, strength, surroundings
from doctor import Check, Context, Finding


class SecretKeyCheck(Check):
    """SECRET_KEY is present, long, random, free of stray characters and not shared with another secret."""

    id = "secret_key"
    title = "JWT signing key (SECRET_KEY)"
    vars = ("SECRET_KEY", *OTHER_SECRETS)
    network = False
    boot_critical = True
    order = 30
    docs = "Secrets Management Guide › Secret Generation › SECRET_KEY; Key Rotation › SECRET_KEY Rotation"

    async def run(self, ctx: Context) -> list[Finding]:
        """Examine SECRET_KEY's shape; skip when unset (the env check reports it)."""
        ctx.require("SECRET_KEY")
        secret = ctx.secret("SECRET_KEY")
        raw = secret.reveal() if secret is not None else ""
        findings = surroundings(ctx, raw)
        clean, _ = strip_quotes(raw.strip())
        clean = clean.strip()
        findings += strength(ctx, clean)
        findings += reuse(ctx, raw)
        return findings

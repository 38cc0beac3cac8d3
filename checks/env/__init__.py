"""The env check: see static.py for the offline rules."""

from __future__ import annotations

from checks.env.rules import format_findings
from checks.env.static import REQUIRED, TWILIO_VARS, presence_findings, shadow_findings, twilio_findings
from doctor import Check, Context, Finding


class EnvCheck(Check):
    """Required variables are present and real; settings have valid shapes; no source surprises."""

    id = "env"
    title = "Environment variables"
    vars = (*REQUIRED, *TWILIO_VARS, "MAIL_FROM_NAME", "LOG_LEVEL", "RATE_LIMIT_ENABLED",
            "ACCESS_TOKEN_EXPIRE_MINUTES", "REMEMBER_ME_EXPIRE_MINUTES")
    network = False
    boot_critical = True
    order = 20
    docs = "Secrets Management Guide › Environment Variables; Troubleshooting › Missing Environment Variables"

    async def run(self, ctx: Context) -> list[Finding]:
        """Presence, placeholders, Twilio completeness, formats, then shadowing."""
        return presence_findings(ctx) + twilio_findings(ctx) + format_findings(ctx) + shadow_findings(ctx)

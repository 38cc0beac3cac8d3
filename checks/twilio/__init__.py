"""The twilio check: see static.py for the offline rules."""

from __future__ import annotations

from checks.twilio.static import ALL, static_findings
from doctor import Check, Context, Finding, SkipCheck, import_in_thread


class TwilioCheck(Check):
    """Twilio is optional: unset means skipped; set means it must be complete and must work."""

    id = "twilio"
    title = "Twilio (SMS, optional)"
    vars = (*ALL, "DOCTOR_TWILIO_API_BASE")
    network = True
    boot_critical = False
    order = 110
    docs = "Secrets Management Guide › Environment Variables › SMS (Optional - Twilio)"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static checks always; the API probe when online and the credentials look usable."""
        if not any(ctx.is_set(name) for name in ALL):
            raise SkipCheck("Twilio is not configured (optional)")
        ctx.require(*ALL)
        findings, clean = static_findings(ctx)
        if ctx.offline or clean is None:
            return findings
        await import_in_thread("httpx")
        from checks.twilio.probe import probe

        findings += await probe(ctx, *clean)
        return findings

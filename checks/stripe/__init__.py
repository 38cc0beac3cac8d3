"""The stripe check: see static.py for the offline rules."""

from __future__ import annotations

from checks.stripe.static import PUBLISHABLE, SECRET, WEBHOOK, static_findings
from doctor import Check, Context, Finding, import_in_thread


class StripeCheck(Check):
    """Stripe keys: right kind in each variable, right mode for ENVIRONMENT, accepted by Stripe."""

    id = "stripe"
    title = "Stripe (payments)"
    vars = (SECRET, PUBLISHABLE, WEBHOOK, "FRONTEND_URL", "DOCTOR_STRIPE_API_BASE")
    network = True
    boot_critical = False
    order = 100
    docs = "Secrets Management Guide › Environment Variables › Stripe (Payments); Key Rotation › API Keys"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the API probe unless offline or the key is unusable."""
        ctx.require(SECRET)
        result = static_findings(ctx)
        if ctx.offline or result.key is None:
            return result.findings
        await import_in_thread("httpx")
        from checks.stripe.probe import probe

        return await probe(ctx, result)

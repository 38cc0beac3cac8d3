"""The oauth check: see static.py for the offline rules."""

from __future__ import annotations

from checks.common import cleaned
from checks.oauth.static import CLIENT_ID, FRONTEND, REDIRECT, SECRET, merge, static_findings
from doctor import Check, Context, Finding, import_in_thread


class OAuthCheck(Check):
    """Google OAuth: client credentials and the redirect URI Google must match exactly."""

    id = "oauth"
    title = "Google OAuth"
    vars = (CLIENT_ID, SECRET, REDIRECT, FRONTEND, "DOCTOR_GOOGLE_TOKEN_URL", "DOCTOR_GOOGLE_AUTH_URL")
    network = True
    boot_critical = False
    order = 80
    docs = "Secrets Management Guide › Troubleshooting › OAuth Redirect Mismatch"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static checks always; the endpoint probes when online and the client id is usable."""
        ctx.require(CLIENT_ID, SECRET, REDIRECT)
        findings = static_findings(ctx)
        if ctx.offline or any(f.id in ("oauth.client_id_shape", "oauth.placeholder") for f in findings):
            return findings
        await import_in_thread("httpx")
        from checks.oauth.probe import probe

        live, accepted = await probe(ctx, cleaned(ctx.get(CLIENT_ID) or ""), cleaned(ctx.get(SECRET) or ""),
                                     cleaned(ctx.get(REDIRECT) or ""))
        return merge(findings, live, accepted)

"""The smtp check: see static.py for the offline rules."""

from __future__ import annotations

from checks.smtp.static import static_findings
from doctor import Check, Context, Finding, Severity, import_in_thread


class SmtpCheck(Check):
    """Mail settings: port and TLS flags agree, addresses are valid, and the server accepts the login."""

    id = "smtp"
    title = "Mail (SMTP)"
    vars = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM", "MAIL_FROM_NAME",
            "MAIL_STARTTLS", "MAIL_SSL_TLS")
    network = True
    boot_critical = False
    order = 70
    docs = "Secrets Management Guide › Troubleshooting › Email Not Sending"

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; then, online and when they leave a probe meaningful, the live login."""
        ctx.require("MAIL_SERVER", "MAIL_PORT")
        host = (ctx.get("MAIL_SERVER") or "").strip()
        findings, port, starttls, ssl_tls = static_findings(ctx, host)
        blocking = any(f.severity >= Severity.ERROR and f.id != "smtp.address_invalid" for f in findings)
        if ctx.offline or blocking or port is None or starttls is None or ssl_tls is None:
            return findings
        await import_in_thread("aiosmtplib")
        from checks.smtp.probe import probe

        return findings + await probe(ctx, host, port, starttls=starttls, ssl_tls=ssl_tls)

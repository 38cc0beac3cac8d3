"""The smtp check: see static.py for the offline rules."""

from __future__ import annotations

from checks.smtp.const import AUTH_VARS, SERVER_VARS, TLS_VARS
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GMAIL_DOCS = "Secrets Management Guide › Local Development Setup › Development Email (Gmail)"


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
    catalog = (
        # -- the offline half (static.py) ------------------------------------------------------------
        FindingSpec(
            "port_invalid", Severity.ERROR,
            "MAIL_PORT is not a port number from 1 to 65535, so the app cannot build its mail configuration.",
            "Use 587 with MAIL_STARTTLS=True (or 465 with MAIL_SSL_TLS=True).",
            causes="A typo, a unit or text in the value, or a port copied together with the host.",
            vars=("MAIL_PORT",)),
        FindingSpec(
            "server_invalid", Severity.ERROR,
            "MAIL_SERVER is not a bare host name (it has a scheme, a port, whitespace or invalid characters).",
            "Set MAIL_SERVER to the SMTP server's bare host name, such as smtp.gmail.com.",
            causes="A URL (smtp://…) or host:port pasted where only the host belongs, or a trailing newline.",
            vars=("MAIL_SERVER",)),
        FindingSpec(
            "tls_both", Severity.ERROR,
            "MAIL_STARTTLS and MAIL_SSL_TLS are both true, which aiosmtplib refuses: every email fails.",
            "Port 587: MAIL_STARTTLS=True, MAIL_SSL_TLS=False; port 465: MAIL_STARTTLS=False, MAIL_SSL_TLS=True.",
            causes="Both flags turned on in the belief that more TLS is safer.",
            vars=TLS_VARS),
        FindingSpec(
            "tls_mismatch", Severity.ERROR,
            "The TLS flags do not fit the port (implicit TLS on a STARTTLS port or the reverse): every send fails.",
            "Port 587 uses STARTTLS (MAIL_STARTTLS=True); port 465 uses implicit TLS (MAIL_SSL_TLS=True).",
            causes="The port changed without the flags, or a provider's port-465 settings mixed with port 587.",
            vars=TLS_VARS),
        FindingSpec(
            "no_tls", Severity.WARNING,
            "Mail to a remote server goes without TLS: the login and every message cross the network in clear.",
            "Use port 587 with MAIL_STARTTLS=True (or 465 with MAIL_SSL_TLS=True).",
            causes="Both TLS flags false or unset, as for a local mail catcher, with a remote server.",
            vars=TLS_VARS),
        FindingSpec(
            "address_invalid", Severity.ERROR,
            "MAIL_FROM (or a Gmail MAIL_USERNAME) is not an email address, so the mail configuration or the login "
            "fails.",
            "Set a complete address such as name@example.com.",
            causes="A bare name (noreply) or a domain missing its top-level part; a Gmail login without @gmail.com.",
            vars=("MAIL_FROM", "MAIL_USERNAME")),
        FindingSpec(
            "gmail_app_password_spaces", Severity.WARNING,
            "MAIL_PASSWORD is a Gmail app password with the spaces Google displays, which are not part of it.",
            "Remove the spaces from the app password.",
            causes="The app password copied as Google shows it, in four groups of four letters.",
            docs=_GMAIL_DOCS, vars=("MAIL_PASSWORD", "MAIL_SERVER")),
        FindingSpec(
            "gmail_app_password", Severity.WARNING,
            "MAIL_PASSWORD does not look like a 16-letter Gmail app password; Gmail refuses account passwords over "
            "SMTP.",
            "Turn on 2-Step Verification, create an app password at https://myaccount.google.com/apppasswords.",
            causes="The Google account's normal password used for SMTP.",
            docs=_GMAIL_DOCS, vars=("MAIL_PASSWORD", "MAIL_SERVER")),
        FindingSpec(
            "gmail_from_rewritten", Severity.INFO,
            "Gmail will send as the signed-in account, not as MAIL_FROM on another domain.",
            "Add MAIL_FROM as a verified \"Send mail as\" alias in Gmail, or use a sending service for the domain.",
            causes="A MAIL_FROM on the app's domain with a personal or workspace Gmail login.",
            docs=_GMAIL_DOCS, vars=("MAIL_FROM", "MAIL_USERNAME", "MAIL_SERVER")),
        # -- the live half (probe.py) ------------------------------------------------------------------
        FindingSpec(
            "starttls_not_offered", Severity.ERROR,
            "MAIL_STARTTLS=True but the server does not offer STARTTLS, so the app cannot upgrade and every send "
            "fails.",
            "Use the provider's submission settings: 587 with STARTTLS, or 465 with MAIL_SSL_TLS=True.",
            causes="A plain-text relay port, or a local mail catcher with the production flags.",
            vars=(*SERVER_VARS, "MAIL_STARTTLS")),
        FindingSpec(
            "auth_not_offered", Severity.ERROR,
            "The server does not offer AUTH (at all, or before TLS), so the app cannot log in with MAIL_USERNAME.",
            "Turn STARTTLS on if the server offers it; otherwise use the submission port or drop the login.",
            causes="MAIL_STARTTLS=False against a server that allows AUTH only after TLS, or a relay that "
                   "authorises by IP.",
            vars=(*SERVER_VARS, "MAIL_STARTTLS", "MAIL_SSL_TLS", *AUTH_VARS)),
        FindingSpec(
            "app_password_required", Severity.ERROR,
            "Google refuses the account password over SMTP (534): it needs an app password or a browser sign-in.",
            "Create an app password at https://myaccount.google.com/apppasswords and put it in MAIL_PASSWORD.",
            causes="The Google account's normal password with 2-Step Verification on, or a sign-in Google blocked.",
            docs=_GMAIL_DOCS, vars=AUTH_VARS),
        FindingSpec(
            "auth_failed", Severity.ERROR,
            "The mail server rejected the login (535): MAIL_USERNAME or MAIL_PASSWORD is wrong.",
            "Set the correct password (Gmail: create a new app password).",
            causes="A revoked or mistyped app password, the account password instead of an app password, or the "
                   "wrong user name.",
            vars=AUTH_VARS),
        FindingSpec(
            "cert_untrusted", Severity.ERROR,
            "The mail server's certificate is not signed by a trusted CA, so FastAPI-Mail refuses the connection.",
            "Use the host name the provider documents; put a private CA in the app's trust store (SSL_CERT_FILE).",
            causes="A self-signed or private-CA certificate, or a proxy that intercepts TLS.",
            vars=SERVER_VARS),
        FindingSpec(
            "cert_hostname_mismatch", Severity.ERROR,
            "The mail server's certificate is for another name than MAIL_SERVER, so FastAPI-Mail refuses it.",
            "Set MAIL_SERVER to the host name the certificate names (the provider's documented SMTP host).",
            causes="An IP address or an alias (a CNAME) in MAIL_SERVER instead of the provider's host name.",
            vars=SERVER_VARS),
        FindingSpec(
            "cert_expired", Severity.ERROR,
            "The mail server's certificate has expired (or is not yet valid), so FastAPI-Mail refuses it.",
            "Renew the server's certificate, or ask the provider; check the machine's clock.",
            causes="A self-hosted server whose certificate renewal failed, or a wrong system clock.",
            vars=SERVER_VARS),
        FindingSpec(
            "tls_failed", Severity.ERROR,
            "The TLS handshake with the mail server failed, so no mail can be sent.",
            "Inspect what the server presents with openssl s_client and check the port and TLS flags.",
            causes="A server whose TLS versions or ciphers the client does not accept, or a middlebox breaking TLS.",
            vars=("MAIL_SERVER", *TLS_VARS)),
        FindingSpec(
            "timeout", Severity.ERROR,
            "The mail server did not answer in time, so sends hang until they fail.",
            "Check the host and port; a silent server on a non-TLS connection is usually an implicit-TLS port (465).",
            causes="STARTTLS or plain settings on an implicit-TLS port, a firewall that drops outbound SMTP, or an "
                   "overloaded server.",
            vars=("MAIL_SERVER", *TLS_VARS)),
        FindingSpec(
            "dns", Severity.ERROR,
            "MAIL_SERVER does not resolve, so the app cannot reach the mail server.",
            "Check the spelling against the provider's SMTP settings (Gmail: smtp.gmail.com).",
            causes="A typo in the host name, or no DNS where the app runs.",
            vars=("MAIL_SERVER",)),
        FindingSpec(
            "refused", Severity.ERROR,
            "The connection to MAIL_SERVER:MAIL_PORT was refused or blocked, so no mail can be sent.",
            "Use the provider's submission port: 587 (STARTTLS) or 465 (implicit TLS).",
            causes="A wrong port, or a hosting provider or ISP that firewalls outbound SMTP (port 25 above all).",
            vars=SERVER_VARS),
        FindingSpec(
            "server_error", Severity.ERROR,
            "The mail server answered with an error the doctor does not classify, or the session broke off.",
            "Look the reply up in the provider's documentation: 4xx replies are temporary, 5xx permanent.",
            causes="A temporary authentication or service failure, a rate limit, or a policy of the provider.",
            vars=(*SERVER_VARS, *AUTH_VARS)),
        FindingSpec(
            "test_email_failed", Severity.ERROR,
            "The requested test email (--send-test-email) was not sent: an invalid address or a refusal.",
            "Use a valid recipient and a MAIL_FROM address the account is allowed to send as.",
            causes="A MAIL_FROM the provider does not let this account use, or a recipient it refuses.",
            vars=("MAIL_FROM", "MAIL_USERNAME")),
        FindingSpec(
            "test_email_sent", Severity.INFO,
            "The requested test email (--send-test-email) was accepted by the server.",
            "Nothing to fix; check the inbox (and the spam folder).",
            causes="--send-test-email with working mail settings.",
            vars=("MAIL_FROM",)),
    )


    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; then, online and when they leave a probe meaningful, the live login."""
        from checks.smtp.static import static_findings
        from doctor import import_in_thread

        ctx.require("MAIL_SERVER", "MAIL_PORT")
        host = (ctx.get("MAIL_SERVER") or "").strip()
        findings, port, starttls, ssl_tls = static_findings(ctx, host)
        blocking = any(f.severity >= Severity.ERROR and f.id != "smtp.address_invalid" for f in findings)
        if ctx.offline or blocking or port is None or starttls is None or ssl_tls is None:
            return findings
        await import_in_thread("aiosmtplib")
        from checks.common import tag_symptoms
        from checks.smtp.probe import probe

        live = await probe(ctx, host, port, starttls=starttls, ssl_tls=ssl_tls)
        return findings + tag_symptoms(live, {"smtp.dns": "dns", "smtp.cert_untrusted": "tls_verify"})

"""The live half of the `smtp` check: connect, EHLO, STARTTLS or implicit TLS, AUTH, QUIT.

Certificates are verified against the default verify paths, exactly as FastAPI-Mail's
aiosmtplib does in the app (so `SSL_CERT_FILE` in the process environment is honoured). Nothing is
sent unless `ctx.options.send_test_email` names a recipient. Failures are classified by exception
type and reply code; any server words shown are scrubbed of the password first.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
from typing import Any

from checks.common import network_symptom
from checks.smtp.const import AUTH_VARS, SERVER_VARS, TLS_VARS
from checks.smtp.static import APP_PASSWORD_HELP, email_address, set_many, show
from doctor import Context, Finding, Fix, Severity
from doctor.secret import Redactor

_EXPIRED = {9, 10}  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED
_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_PLAINTEXT_REPLY = {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"}


class _Probe:
    """One login session against MAIL_SERVER:MAIL_PORT and the findings it produces."""

    def __init__(self, ctx: Context, host: str, port: int, starttls: bool, ssl_tls: bool) -> None:
        self.ctx, self.host, self.port, self.starttls, self.ssl_tls = ctx, host, port, starttls, ssl_tls
        self.where = f"{show(host)}:{port}"
        self.timeout = ctx.timeout  # fixed now: ctx.timeout shrinks as the run's deadline nears
        self.user = ctx.get("MAIL_USERNAME") or ""
        password = ctx.secret("MAIL_PASSWORD")
        self.password = password.reveal() if password is not None else ""
        self.scrub = Redactor([self.password])
        for form in (self.password, f"\0{self.user}\0{self.password}", f"{self.user}\0{self.user}\0{self.password}"):
            self.scrub.add(base64.b64encode(form.encode("utf-8", "replace")).decode())
        self.stage = "connect"

    def words(self, text: str) -> str:
        """Server or library words, safe to show: the password and any 4-character run of it removed
        (also where a continuation line splits it) before the reply is folded and cut, control
        characters escaped."""
        return show(" ".join(self.scrub.across_lines(str(text)).split()), 300)

    def finding(self, slug: str, title: str, detail: str, fix: Fix | None, vars: tuple[str, ...],
                severity: Severity = Severity.ERROR) -> Finding:
        """A finding with every text field scrubbed (server words may be inside)."""
        if fix is not None:
            fix = Fix(self.scrub(fix.text), tuple(self.scrub(c) for c in fix.commands))
        return Finding(f"smtp.{slug}", severity, self.scrub(title), self.scrub(detail), fix,
                       vars=tuple(dict.fromkeys(vars)))

    async def run(self, smtp: Any) -> list[Finding]:
        """The session itself; raises what the library raises for the caller to classify."""
        await smtp.connect()
        self.stage = "ehlo"
        await smtp.ehlo()
        if self.starttls:
            if not smtp.supports_extension("starttls"):
                return [self.finding(
                    "starttls_not_offered", f"{self.where} does not offer STARTTLS but MAIL_STARTTLS=True",
                    "The server did not advertise STARTTLS after EHLO, so FastAPI-Mail cannot upgrade the connection "
                    "and every send fails. The port may be a plain-text relay port or expect implicit TLS.",
                    Fix("Check the provider's SMTP settings: usually port 587 with STARTTLS, or 465 with "
                        "MAIL_SSL_TLS=True and MAIL_STARTTLS=False."),
                    (*SERVER_VARS, "MAIL_STARTTLS"))]
            self.stage = "starttls"
            await smtp.starttls()
            await smtp.ehlo()
        findings: list[Finding] = []
        if self.user and self.password:
            if not smtp.supports_extension("auth"):
                return [self.auth_not_offered(bool(smtp.supports_extension("starttls")))]
            self.stage = "auth"
            await smtp.login(self.user, self.password)
        if self.ctx.options.send_test_email:
            self.stage = "send"
            findings.append(await self.send(smtp))
        self.stage = "quit"
        with contextlib.suppress(Exception):  # the login already succeeded; a rude goodbye changes nothing
            await smtp.quit()
        return findings

    def auth_not_offered(self, offers_starttls: bool) -> Finding:
        """AUTH missing from EHLO: say so, and whether TLS not being started is the reason."""
        tls = self.starttls or self.ssl_tls
        if not tls and offers_starttls:
            return self.finding(
                "auth_not_offered", f"{self.where} does not offer AUTH before TLS",
                "The server offers STARTTLS and only allows login after it; with MAIL_STARTTLS=False the app "
                "never starts TLS, so its login fails.",
                set_many(self.ctx, "Turn STARTTLS on.", MAIL_STARTTLS="True", MAIL_SSL_TLS="False"),
                (*SERVER_VARS, "MAIL_STARTTLS", "MAIL_SSL_TLS"))
        why = "even over TLS" if tls else "and TLS was not started (no STARTTLS offered, MAIL_SSL_TLS=False)"
        return self.finding(
            "auth_not_offered", f"{self.where} does not offer AUTH {why}",
            "The server did not advertise AUTH after EHLO, so FastAPI-Mail cannot log in with MAIL_USERNAME "
            "and MAIL_PASSWORD. It may be a relay that authorises by IP, or the wrong port.",
            Fix("Use the provider's submission port (587 with STARTTLS or 465 with implicit TLS), or leave "
                "MAIL_USERNAME/MAIL_PASSWORD empty if this relay needs no login."),
            (*SERVER_VARS, "MAIL_STARTTLS", "MAIL_SSL_TLS", *AUTH_VARS))

    async def send(self, smtp: Any) -> Finding:
        """Send the one requested test message from MAIL_FROM; report how it went."""
        from email.message import EmailMessage
        from email.utils import formataddr

        from aiosmtplib import SMTPRecipientsRefused, SMTPResponseException

        to = self.ctx.options.send_test_email or ""
        sender = email_address(self.ctx.get("MAIL_FROM") or "")
        if not sender or not email_address(to):
            bad = "MAIL_FROM" if not sender else f"--send-test-email '{show(to)}'"
            return self.finding("test_email_failed", f"No test email sent: {bad} is not an email address",
                                "A test message needs a valid sender and recipient.", None, ("MAIL_FROM",))
        message, name = EmailMessage(), "".join(c for c in self.ctx.get("MAIL_FROM_NAME") or "" if c.isprintable())
        message["From"], message["To"] = formataddr((name, sender)) if name else sender, email_address(to)
        message["Subject"] = "chaski-doctor test message"
        message.set_content("This is a test message sent by `doctor --send-test-email`. Mail settings work.\n")
        try:
            await smtp.send_message(message)
        except SMTPRecipientsRefused as exc:
            reply = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return self.finding("test_email_failed", f"{self.where} refused the test recipient {show(to)}",
                                f"The server said: {self.words(reply)}", None, ("MAIL_FROM",))
        except SMTPResponseException as exc:
            return self.finding("test_email_failed", f"{self.where} refused the test message ({exc.code})",
                                f"The server said: {self.words(exc.message)}. Many providers only accept "
                                "MAIL_FROM addresses the account owns.", None, ("MAIL_FROM", "MAIL_USERNAME"))
        return self.finding("test_email_sent", f"Test email sent to {show(to)} from {sender}",
                            "The server accepted one message; check the inbox (and the spam folder).",
                            None, ("MAIL_FROM",), Severity.INFO)


async def probe(ctx: Context, host: str, port: int, *, starttls: bool, ssl_tls: bool) -> list[Finding]:
    """Log in to the mail server as the app would; findings for whatever fails (none when healthy)."""
    import aiosmtplib

    session = _Probe(ctx, host, port, starttls, ssl_tls)
    smtp = aiosmtplib.SMTP(hostname=host, port=port, timeout=session.timeout, use_tls=ssl_tls, start_tls=False,
                           validate_certs=True)
    try:
        # Each operation has its own timeout; this bounds a server that answers every step slowly.
        async with asyncio.timeout(session.timeout * 2.5):
            try:
                return await session.run(smtp)
            except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                return [classify(session, exc)]
    except TimeoutError:
        return [timeout_finding(session, silent=False)]
    finally:
        smtp.close()


def classify(s: _Probe, exc: BaseException) -> Finding:
    """Turn what aiosmtplib (or ssl, or the socket layer) raised into one finding."""
    import aiosmtplib

    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError) and exc.code in (534, 535):
        return auth_finding(s, exc.code, exc.message)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return cert_finding(s, cause)
    if isinstance(cause, ssl.SSLError) and cause.reason in _PLAINTEXT_REPLY and s.stage == "connect":
        return s.finding(
            "tls_mismatch", f"{s.where} does not speak implicit TLS but MAIL_SSL_TLS=True",
            f"The TLS handshake failed with \"[SSL: {cause.reason}]\": the server answered in plain text, as a "
            "STARTTLS port (587, 25) does.",
            set_many(s.ctx, "Use STARTTLS on this port.", MAIL_STARTTLS="True", MAIL_SSL_TLS="False"), TLS_VARS)
    if isinstance(cause, ssl.SSLError):
        return s.finding("tls_failed", f"The TLS handshake with {s.where} failed ({cause.reason or 'SSL error'})",
                         f"Python's ssl module said: {s.words(str(cause))}", openssl_fix(s), (*SERVER_VARS, *TLS_VARS))
    if isinstance(exc, TimeoutError):
        return timeout_finding(s, silent="ready message" in str(exc))
    if isinstance(cause, socket.gaierror):
        return s.finding(
            "dns", f"MAIL_SERVER '{show(s.host)}' does not resolve",
            f"The DNS lookup failed ({s.words(cause.strerror or str(cause))}): a typo in the host name, or no DNS.",
            Fix("Check the spelling against the provider's SMTP settings (Gmail: smtp.gmail.com)."), ("MAIL_SERVER",))
    if isinstance(cause, ConnectionRefusedError) or (isinstance(cause, OSError) and s.stage == "connect"
                                                     and not isinstance(exc, aiosmtplib.SMTPResponseException)):
        refused = isinstance(cause, ConnectionRefusedError)
        better = {"MAIL_PORT": "587", "MAIL_STARTTLS": "True", "MAIL_SSL_TLS": "False"} if s.port != 587 else \
            {"MAIL_PORT": "465", "MAIL_STARTTLS": "False", "MAIL_SSL_TLS": "True"}
        found = s.finding(
            "refused", f"Connection to {s.where} was {'refused' if refused else 'blocked'}",
            ("Nothing accepted the connection" if refused else f"The connection failed ({s.words(str(cause))})")
            + ". Hosting providers and ISPs often firewall outbound SMTP ports (25 above all); try 587 "
            "(STARTTLS) or 465 (implicit TLS). Heroku allows outbound SMTP on these ports.",
            set_many(s.ctx, f"Use the provider's port {better['MAIL_PORT']}.", **better), SERVER_VARS)
        found.symptom = network_symptom(cause) or ("connect" if refused else "")
        return found
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return s.finding(
            "server_error", f"{s.where} answered {exc.code} during {s.stage}",
            f"The server said: {s.words(exc.message)}",
            Fix("Look the reply up in the provider's documentation; 4xx replies are temporary, 5xx permanent."),
            (*SERVER_VARS, *AUTH_VARS) if s.stage == "auth" else SERVER_VARS)
    return s.finding(
        "server_error", f"The SMTP session with {s.where} failed during {s.stage}",
        f"aiosmtplib said: {s.words(str(exc))}", None, SERVER_VARS)


def auth_finding(s: _Probe, code: int, message: str) -> Finding:
    """534 (an app password is needed) or 535 (credentials rejected)."""
    said = f"The server said: {code} {s.words(message)}"
    if code == 534:
        browser = "5.7.14" in message
        return s.finding(
            "app_password_required",
            "Google requires " + ("a browser sign-in for this account" if browser else "an app password, not the "
                                  "account password"),
            said + ". With 2-Step Verification on, Gmail only accepts an app password over SMTP.",
            s.ctx.set_fix("MAIL_PASSWORD", "<16-letter app password>", text=APP_PASSWORD_HELP), AUTH_VARS)
    return s.finding(
        "auth_failed", f"{s.where} rejected the login for MAIL_USERNAME '{show(s.user)}'",
        said + ". MAIL_USERNAME or MAIL_PASSWORD is wrong (Gmail: an app password that was revoked, or the "
        "account password instead of an app password).",
        s.ctx.set_fix("MAIL_PASSWORD", "<password>", text="Set the correct password (Gmail: a new app password, "
                      "https://myaccount.google.com/apppasswords)."), AUTH_VARS)


def cert_finding(s: _Probe, error: ssl.SSLCertVerificationError) -> Finding:
    """An untrusted, mismatched or expired server certificate, naming the server and the reason."""
    reason = s.words(error.verify_message or str(error))
    if error.verify_code in _MISMATCH:
        slug, title = "cert_hostname_mismatch", f"The certificate of {s.where} is not valid for '{show(s.host)}'"
    elif error.verify_code in _EXPIRED:
        slug, title = "cert_expired", f"The certificate of {s.where} has expired (or is not yet valid)"
    else:
        slug, title = "cert_untrusted", f"The certificate of {s.where} is not trusted"
    return s.finding(
        slug, title,
        f"Certificate verification failed: {reason}. FastAPI-Mail verifies certificates, so it cannot send mail. "
        "Use the host name the provider's certificate names; a private CA must be in the app's trust store "
        "(SSL_CERT_FILE).", openssl_fix(s), ("MAIL_SERVER", "MAIL_PORT"))


def openssl_fix(s: _Probe) -> Fix:
    """A command that shows the certificate chain the server presents."""
    starttls = "" if s.ssl_tls else " -starttls smtp"
    return Fix("Inspect the certificate the server presents:",
               (f"openssl s_client -connect {show(s.host)}:{s.port}{starttls} -servername {show(s.host)} </dev/null",))


def timeout_finding(s: _Probe, silent: bool) -> Finding:
    """No answer in time; a silent server on a non-TLS connection is most likely an implicit-TLS port."""
    seconds = f"{s.timeout:g} s"
    if silent and not s.ssl_tls:
        return s.finding(
            "timeout", f"{s.where} accepted the connection but sent no greeting within {seconds}",
            "\"Timed out waiting for server ready message\". The likely cause is a port that expects implicit TLS "
            "(like 465): it waits for the client's TLS handshake while the app waits for the server's greeting. "
            "Otherwise the server is overloaded or a proxy swallows the connection.",
            set_many(s.ctx, "If this port uses implicit TLS (465), switch to it:", MAIL_STARTTLS="False",
                     MAIL_SSL_TLS="True"), (*SERVER_VARS, *TLS_VARS))
    return s.finding(
        "timeout", f"{s.where} did not answer within {seconds} (during {s.stage})",
        "Packets are being dropped or the server is overloaded. Hosting providers and ISPs often firewall outbound "
        "SMTP ports silently; try 587 (STARTTLS) or 465 (implicit TLS).",
        Fix("Check the host and port against the provider's settings, then retry with a longer --timeout."),
        SERVER_VARS)

"""The `smtp` check: FastAPI-Mail's MAIL_* settings, statically and against the real server.

Static: the port, the TLS flags against the port (587 = STARTTLS, 465 = implicit TLS), the
addresses, and Gmail's app-password rules. Live (not under --offline): probe.py logs
in without sending anything, unless `--send-test-email ADDRESS` asks for one message.
"""

from __future__ import annotations

import ipaddress
import re

from checks.common import describe_whitespace, parse_bool
from checks.smtp.const import TLS_VARS
from doctor import Context, Finding, Fix, Severity

GMAIL_HOSTS = frozenset({"smtp.gmail.com", "smtp.googlemail.com", "smtp-relay.gmail.com"})
APP_PASSWORD_HELP = (
    "Turn on 2-Step Verification for the Google account, then create an app password at "
    "https://myaccount.google.com/apppasswords and put its 16 letters in MAIL_PASSWORD."
)

_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[\w-]{{1,59}})")
_NAMED = re.compile(r"[^<>]*<([^<>]+)>")
_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?:{_HOST_LABEL}\.)*{_HOST_LABEL}\.?")
_APP_PASSWORD = re.compile(r"[A-Za-z]{16}|[A-Za-z]{4}(?: [A-Za-z]{4}){3}")


def show(value: str, limit: int = 60) -> str:
    """A non-secret value made safe to print: control characters escaped, long values cut."""
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in value[: limit + 1])
    return text[:limit] + "…" if len(value) > limit else text


def email_address(value: str) -> str | None:
    """The bare address in `value` (`a@b.example` or `Name <a@b.example>`), or None if invalid."""
    candidate = value.strip()
    named = _NAMED.fullmatch(candidate)
    if named:
        candidate = named.group(1).strip()
    if len(candidate) > 254 or not _ADDRESS.fullmatch(candidate) or len(candidate.split("@")[0]) > 64:
        return None
    return candidate


def is_local_host(host: str) -> bool:
    """Loopback, private addresses and single-label names (docker-compose services, mail catchers)."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith((".localhost", ".local")) or "." not in host
    return address.is_loopback or address.is_private or address.is_link_local


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def set_many(ctx: Context, text: str, **values: str) -> Fix:
    """One fix that sets several variables together (one `heroku config:set` on Heroku)."""
    return ctx.set_many_fix(values, text)


def static_findings(ctx: Context, host: str) -> tuple[list[Finding], int | None, bool | None, bool | None]:
    """Findings that need no connection, plus the parsed port and TLS flags (None when unusable)."""
    findings = _server_findings(ctx, host)
    raw_port = ctx.get("MAIL_PORT") or ""
    port = int(raw_port.strip()) if re.fullmatch(r"\d{1,5}", raw_port.strip()) else None
    if port is None or not 1 <= port <= 65535:
        port = None
        findings.append(Finding(
            "smtp.port_invalid", Severity.ERROR, f"MAIL_PORT is '{show(raw_port)}', not a port number from 1 to 65535",
            "FastAPI-Mail reads MAIL_PORT as an integer; the app cannot build its mail configuration.",
            ctx.set_fix("MAIL_PORT", "587", text="Use 587 with MAIL_STARTTLS=True (or 465 with MAIL_SSL_TLS=True)."),
            vars=("MAIL_PORT",)))
    # Unset counts as False; a value pydantic would reject is the env check's to report.
    starttls = parse_bool(ctx.get("MAIL_STARTTLS") or "false")
    ssl_tls = parse_bool(ctx.get("MAIL_SSL_TLS") or "false")
    if starttls is not None and ssl_tls is not None:
        findings += _tls_findings(ctx, host, port, starttls, ssl_tls)
    findings += _address_findings(ctx, host)
    if host.lower().rstrip(".") in GMAIL_HOSTS:
        findings += _gmail_findings(ctx, host)
    return findings, port, starttls, ssl_tls


def _server_findings(ctx: Context, host: str) -> list[Finding]:
    raw = ctx.get("MAIL_SERVER") or ""
    whitespace = describe_whitespace(raw)
    if whitespace is None and (_HOSTNAME.fullmatch(host) and len(host) <= 253 or _is_ip(host)):
        return []
    if whitespace:
        reason = f"has {whitespace}"
    elif "://" in host:
        reason = "includes a URL scheme; it must be a bare host name such as smtp.gmail.com"
    elif ":" in host:
        reason = "includes a port; the port belongs in MAIL_PORT"
    else:
        reason = "is not a valid host name"
    return [Finding(
        "smtp.server_invalid", Severity.ERROR, f"MAIL_SERVER '{show(host)}' {reason}",
        "aiosmtplib looks the value up as it is, so the app cannot connect to the mail server.",
        ctx.set_fix("MAIL_SERVER", "smtp.gmail.com", text="Set MAIL_SERVER to the bare host name of the SMTP server."),
        vars=("MAIL_SERVER",))]


def _tls_findings(ctx: Context, host: str, port: int | None, starttls: bool, ssl_tls: bool) -> list[Finding]:
    starttls_fix = "Port 587 uses STARTTLS: MAIL_STARTTLS=True, MAIL_SSL_TLS=False."
    implicit_fix = "Port 465 uses implicit TLS: MAIL_STARTTLS=False, MAIL_SSL_TLS=True."
    if starttls and ssl_tls:
        implicit = port == 465
        return [Finding(
            "smtp.tls_both", Severity.ERROR, "MAIL_STARTTLS and MAIL_SSL_TLS are both true; only one may be",
            "aiosmtplib refuses the combination (\"The start_tls and use_tls options are not compatible.\"), "
            "so every email the app sends fails.",
            set_many(ctx, implicit_fix if implicit else starttls_fix, MAIL_STARTTLS=str(not implicit),
                     MAIL_SSL_TLS=str(implicit)),
            vars=TLS_VARS)]
    if port == 465 and not ssl_tls:
        how = "STARTTLS" if starttls else "plain text"
        return [Finding(
            "smtp.tls_mismatch", Severity.ERROR, f"MAIL_PORT=465 expects implicit TLS but the settings use {how}",
            "Port 465 speaks TLS from the first byte and waits for the client's TLS handshake, while aiosmtplib "
            "waits for the server's greeting: every send hangs until \"Timed out waiting for server ready "
            "message\".",
            set_many(ctx, implicit_fix, MAIL_STARTTLS="False", MAIL_SSL_TLS="True"), vars=TLS_VARS)]
    if port in (587, 25, 2525) and ssl_tls:
        return [Finding(
            "smtp.tls_mismatch", Severity.ERROR, f"MAIL_SSL_TLS=True on port {port}, which uses STARTTLS",
            f"Port {port} starts in plain text and upgrades with STARTTLS; starting with a TLS handshake fails "
            "with \"[SSL: WRONG_VERSION_NUMBER]\" (or hangs until the timeout).",
            set_many(ctx, starttls_fix, MAIL_STARTTLS="True", MAIL_SSL_TLS="False"), vars=TLS_VARS)]
    if not starttls and not ssl_tls and not is_local_host(host):
        # On the submission port a server offers AUTH only after STARTTLS: the login itself is refused.
        refused = port == 587 and bool((ctx.get("MAIL_USERNAME") or "").strip())
        return [Finding(
            "smtp.no_tls", Severity.ERROR if refused else Severity.WARNING,
            f"Mail to {show(host)} is sent without TLS" + (" on port 587, where the login is refused" if refused
                                                           else ""),
            "With MAIL_STARTTLS and MAIL_SSL_TLS both false, the login (MAIL_USERNAME/MAIL_PASSWORD) and every "
            "message cross the network in clear text; most providers also refuse AUTH before TLS.",
            set_many(ctx, starttls_fix + " " + implicit_fix.replace("Port 465", "Or port 465"),
                     MAIL_PORT="587", MAIL_STARTTLS="True", MAIL_SSL_TLS="False"),
            vars=TLS_VARS)]
    return []


def _address_findings(ctx: Context, host: str) -> list[Finding]:
    findings = []
    needs_address = {"MAIL_FROM": True, "MAIL_USERNAME": host.lower().rstrip(".") in GMAIL_HOSTS}
    for name, required in needs_address.items():
        value = ctx.get(name)
        if not required or value is None or not value.strip() or email_address(value):
            continue
        why = ("FastAPI-Mail validates MAIL_FROM as an email address; the app cannot build its mail configuration."
               if name == "MAIL_FROM" else "Gmail and Google Workspace log in with the full email address.")
        findings.append(Finding(
            "smtp.address_invalid", Severity.ERROR, f"{name} '{show(value)}' is not an email address", why,
            ctx.set_fix(name, "<name@example.com>", text=f"Set {name} to a complete address such as name@example.com."),
            vars=(name,)))
    return findings


def _gmail_findings(ctx: Context, host: str) -> list[Finding]:
    findings = []
    password = ctx.secret("MAIL_PASSWORD")
    if password is not None and password.reveal().strip() and host.lower().rstrip(".") != "smtp-relay.gmail.com":
        raw = password.reveal()
        if _APP_PASSWORD.fullmatch(raw.strip()) and " " in raw.strip():
            findings.append(Finding(
                "smtp.gmail_app_password_spaces", Severity.WARNING,
                "MAIL_PASSWORD is a Gmail app password with the spaces Google displays",
                "Google shows app passwords as four groups of four letters; the spaces are not part of the "
                "password. Whether Gmail ignores them is not documented, and setup guides report 535 5.7.8 "
                "(Username and Password not accepted) when they are kept.",
                ctx.set_fix("MAIL_PASSWORD", "<the 16 letters without spaces>",
                            text="Remove the spaces from the app password."),
                vars=("MAIL_PASSWORD", "MAIL_SERVER")))
        elif not _APP_PASSWORD.fullmatch(raw.strip()):
            kinds = [k for k, test in (("digits", str.isdigit), ("symbols", lambda c: not c.isalnum()))
                     if any(test(c) for c in raw.strip())]
            shape = f"{len(raw)} characters" + (f" with {' and '.join(kinds)}" if kinds else "")
            findings.append(Finding(
                "smtp.gmail_app_password", Severity.WARNING,
                "MAIL_PASSWORD does not look like a Gmail app password",
                f"Gmail app passwords are 16 letters (Google shows them as four groups of four); this one is {shape}. "
                "Gmail refuses an account's normal password for SMTP (534 5.7.9 Application-specific password "
                "required) once 2-Step Verification is on, and without it (535 5.7.8).",
                ctx.set_fix("MAIL_PASSWORD", "<16-letter app password>", text=APP_PASSWORD_HELP),
                vars=("MAIL_PASSWORD", "MAIL_SERVER")))
    sender = email_address(ctx.get("MAIL_FROM") or "")
    login = email_address(ctx.get("MAIL_USERNAME") or "")
    if sender and login and sender.rsplit("@", 1)[1].lower() != login.rsplit("@", 1)[1].lower():
        findings.append(Finding(
            "smtp.gmail_from_rewritten", Severity.INFO,
            f"Gmail will send as {show(login)}, not MAIL_FROM {show(sender)}",
            "Gmail rewrites the From address to the signed-in account unless MAIL_FROM is a verified "
            "\"Send mail as\" alias of it.",
            Fix("Add MAIL_FROM as an alias in Gmail (Settings → Accounts → Send mail as), or use a sending service "
                "for the domain."),
            vars=("MAIL_FROM", "MAIL_USERNAME", "MAIL_SERVER")))
    return findings

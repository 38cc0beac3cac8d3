"""The `twilio` check's online part: two read-only GETs against Twilio's REST API.

It speaks Twilio's wire format with httpx directly (the twilio SDK is synchronous and retries),
against DOCTOR_TWILIO_API_BASE or https://api.twilio.com:
`GET /2010-04-01/Accounts/{SID}.json` (basic auth SID:token) for the credentials and the account's
status and type, then `GET /2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=…` for
the sender number. Nothing is written and no message is sent.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any
from urllib.parse import urlsplit

from doctor import Context, Finding, Fix, Severity

SID = "TWILIO_ACCOUNT_SID"
TOKEN = "TWILIO_AUTH_TOKEN"
PHONE = "TWILIO_PHONE_NUMBER"
DEFAULT_BASE = "https://api.twilio.com"
CONSOLE = "https://console.twilio.com"


class _Stop(Exception):
    """The probe cannot go on; `finding` says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


async def probe(ctx: Context, sid: str, token: str, phone: str | None) -> list[Finding]:
    """Check the account (credentials, status, type) and, when `phone` is given, the number."""
    import httpx

    base = (ctx.get("DOCTOR_TWILIO_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    shown = shown_url(base)
    findings: list[Finding] = []
    try:
        async with httpx.AsyncClient(timeout=ctx.timeout, follow_redirects=False, auth=(sid, token)) as client:
            account = await _get_json(ctx, client, f"{base}/2010-04-01/Accounts/{sid}.json", None, shown)
            findings += _account_findings(ctx, account)
            if phone is None or any(f.severity >= Severity.ERROR for f in findings):
                return findings
            numbers = await _get_json(ctx, client, f"{base}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json",
                                      {"PhoneNumber": phone}, shown)
            findings += _number_findings(ctx, numbers, phone)
    except _Stop as stop:
        findings.append(stop.finding)
    return findings


async def _get_json(ctx: Context, client: Any, url: str, params: dict[str, str] | None, base: str) -> dict:
    import httpx

    try:
        async with asyncio.timeout(ctx.timeout):
            response = await client.get(url, params=params, headers={"Accept": "application/json"})
    except TimeoutError as exc:  # asyncio's own deadline
        raise _Stop(_timeout(ctx, base)) from exc
    except httpx.TimeoutException as exc:
        raise _Stop(_timeout(ctx, base)) from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
        raise _Stop(_unreachable(base, type(exc).__name__)) from exc
    except httpx.HTTPError as exc:
        raise _Stop(_api_error(base, f"the connection failed ({type(exc).__name__})")) from exc
    except Exception as exc:  # httpx lets some socket errors through raw (a port over 65535: OverflowError)
        raise _Stop(_unreachable(base, type(exc).__name__)) from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 401:
        code = body.get("code") if isinstance(body, dict) else None
        raise _Stop(_auth_failed(ctx, code))
    if response.status_code >= 300 or not isinstance(body, dict):
        raise _Stop(_api_error(base, f"HTTP {response.status_code}" + ("" if isinstance(body, dict) else
                                                                       ", not the JSON Twilio sends")))
    return body


def _account_findings(ctx: Context, account: dict) -> list[Finding]:
    status = str(account.get("status") or "").lower()
    kind = str(account.get("type") or "")
    if status in ("suspended", "closed"):
        return [Finding(
            f"twilio.account_{status}", Severity.ERROR,
            f"The Twilio account named by {SID} is {status}",
            "Twilio refuses to send messages from a suspended or closed account. Suspension usually follows an "
            "unpaid balance, a compliance review or a trial that ran out; a closed account cannot be reopened.",
            Fix(f"Sign in to {CONSOLE} and resolve the account status (billing or support), or point "
                f"{SID}/{TOKEN} at an active account."),
            (SID,),
        )]
    if kind.lower() == "trial":
        severity = Severity.WARNING if ctx.production else Severity.INFO
        return [Finding(
            "twilio.trial_account", severity,
            "The Twilio account is a trial account" + (" in production" if ctx.production else ""),
            "Trial accounts can only text phone numbers verified in the Console, and every message is prefixed "
            "with 'Sent from a Twilio trial account'. Real customers will not receive SMS.",
            Fix(f"Upgrade the account in {CONSOLE} (Billing > Upgrade) before relying on SMS in production."),
            (SID,),
        )]
    return []


def _number_findings(ctx: Context, body: dict, phone: str) -> list[Finding]:
    entries = [e for e in body.get("incoming_phone_numbers") or [] if isinstance(e, dict)]
    entry = next((e for e in entries if e.get("phone_number") == phone), None)
    if entry is None:
        return [Finding(
            "twilio.number_not_on_account", Severity.ERROR,
            f"{PHONE} ({phone}) is not a number on this Twilio account",
            "Twilio only sends SMS from numbers the account owns (a verified caller ID is not enough); messages "
            "from this number fail with error 21606. It may belong to another account or a subaccount.",
            ctx.set_fix(PHONE, "<+number from Phone Numbers > Active numbers>",
                        text="Use a number listed under Phone Numbers > Manage > Active numbers in the Console."),
            (PHONE, SID),
        )]
    capabilities = entry.get("capabilities") or {}
    sms = capabilities.get("sms", capabilities.get("SMS")) if isinstance(capabilities, dict) else None
    if sms is False:
        return [Finding(
            "twilio.number_not_sms_capable", Severity.ERROR,
            f"{PHONE} ({phone}) cannot send SMS (Twilio lists it as voice-only)",
            "The number is on the account but its capabilities exclude SMS, so every message from it fails.",
            ctx.set_fix(PHONE, "<+SMS-capable number>",
                        text="Buy or choose an SMS-capable number (Phone Numbers > Manage > Active numbers)."),
            (PHONE,),
        )]
    return []


def _auth_failed(ctx: Context, code: object) -> Finding:
    code_text = f" (error {code})" if isinstance(code, int) else ""
    return Finding(
        "twilio.auth_failed", Severity.ERROR,
        f"Twilio rejected {SID} and {TOKEN}{code_text}",
        "Twilio answered 401 Authenticate: the SID and token are not a pair (a token from another account or "
        "subaccount, a token that was rotated), there were stray spaces, or the account is suspended. "
        f"{TOKEN} in use: {ctx.secret(TOKEN)}.",
        ctx.set_fix(TOKEN, "<auth token>",
                    text="Copy the SID and Auth Token together from Account Info on the Twilio Console dashboard."),
        (SID, TOKEN),
    )


def _timeout(ctx: Context, base: str) -> Finding:
    return Finding(
        "twilio.timeout", Severity.ERROR,
        f"Twilio's API ({base}) did not answer within {ctx.timeout:g} s",
        "A firewall dropping outbound HTTPS or a wrong DOCTOR_TWILIO_API_BASE makes the connection hang; the app's "
        "SMS calls will hang the same way.",
        Fix("Check outbound HTTPS from this host, then run the doctor again with a longer --timeout.",
            (_curl(base),)),
        (SID,),
    )


def _unreachable(base: str, why: str) -> Finding:
    return Finding(
        "twilio.unreachable", Severity.ERROR,
        f"Could not connect to Twilio's API at {base}",
        f"The connection failed ({why}): DNS, a refused connection, or an invalid DOCTOR_TWILIO_API_BASE.",
        Fix("Check outbound HTTPS from this host and any DOCTOR_TWILIO_API_BASE override.",
            (_curl(base),)),
        (SID,),
    )


def _api_error(base: str, what: str) -> Finding:
    return Finding(
        "twilio.api_error", Severity.ERROR,
        f"Twilio's API answered with an error ({what})",
        f"{base} did not give a usable answer, so the account and number could not be verified. A 5xx is "
        "Twilio's side: see https://status.twilio.com.",
        Fix("Retry in a few minutes; if it persists, check https://status.twilio.com."),
        (SID,),
    )


def shown_url(url: str) -> str:
    """`url` without any user:password@ part, safe to print."""
    if not url.isprintable() or len(url) > 200:
        return "the configured URL"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the configured API base"
    if "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url


def _curl(base: str) -> str:
    return f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}\\n' {shlex.quote(base + '/2010-04-01')}"

"""The `twilio` check's online part: two read-only GETs against Twilio's REST API, through the twilio SDK.

It uses the SDK's async client (`twilio.rest.Client` over `AsyncTwilioHttpClient`, aiohttp) against
DOCTOR_TWILIO_API_BASE or https://api.twilio.com, set as the base URL of the SDK's `api` domain:
`accounts(SID).fetch_async()` (`GET /2010-04-01/Accounts/{SID}.json`, basic auth SID:token) for the
credentials and the account's status and type, then one page of
`accounts(SID).incoming_phone_numbers.page_async(phone_number=…)`
(`GET /2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=…`) for the sender number.
Nothing is written and no message is sent.

Every call is bounded by `ctx.timeout` twice over: the http client's own timeout (which the SDK's async
client stores but does not pass to aiohttp, so transport.py's `bounded_client_class` does) and an
`asyncio.timeout` backstop; every body is capped at `MAX_RESPONSE_BYTES` as it is read. An answer that is
not Twilio's (JSON of another shape, or too large) is `twilio.not_the_service`; one that is not JSON at all
stays `twilio.api_error`. No retries (no `max_retries`, so no aiohttp_retry wrapper), redirects are not followed, the
aiohttp session is always closed, and the SDK logs to a logger that reaches no handler. No exception
text is ever shown (the SDK's and aiohttp's carry the request's URL and the server's words): findings
name the HTTP status, Twilio's error code or the failure's kind only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge
from checks.twilio.const import PHONE, SID, TOKEN
from checks.twilio.failures import api_error, auth_failed, not_the_service, timed_out, unreachable
from checks.twilio.transport import QUIET, LastStatus, bounded_client_class, shown_url, without_userinfo
from doctor import Context, Finding, Fix, Severity

DEFAULT_BASE = "https://api.twilio.com"
CONSOLE = "https://console.twilio.com"
# What `probe` needs loaded; the Check imports them in a worker thread first (`import_in_thread`).
SDK_MODULES = ("aiohttp", "twilio.rest", "twilio.rest.api", "twilio.http.async_http_client",
               "twilio.base.exceptions")

T = TypeVar("T")
_NO_MATCH = object()


class _Stop(Exception):
    """The probe cannot go on; `finding` says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


async def probe(ctx: Context, sid: str, token: str, phone: str | None) -> list[Finding]:
    """Check the account (credentials, status, type) and, when `phone` is given, the number."""
    import aiohttp
    from twilio.rest import Client

    base = (ctx.get("DOCTOR_TWILIO_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    shown = shown_url(base)
    last = LastStatus()
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(last.on_request_end)
    http = bounded_client_class()(timeout=ctx.timeout, trace_configs=[trace], logger=QUIET, max_retries=None)
    findings: list[Finding] = []
    try:
        # A non-empty `environment`, so the SDK takes nothing (TWILIO_EDGE, TWILIO_REGION) from os.environ.
        client = Client(sid, token, http_client=http, environment={SID: sid})
        client.api.base_url = without_userinfo(base)  # the SDK's own base URL of the api domain
        account = client.api.v2010.accounts(sid)

        async def fetch_account() -> tuple[str, str, object]:
            instance = await account.fetch_async()
            return str(instance.status or ""), str(instance.type or ""), instance.sid

        status, kind, answered_sid = await _call(ctx, last, shown, fetch_account)
        if answered_sid != sid or not status:  # JSON, but not Twilio's account resource
            raise _Stop(not_the_service(shown, f"HTTP {last.status or 200}, JSON that is not this account"))
        findings += _account_findings(ctx, status.lower(), kind)
        if phone is None or any(f.severity >= Severity.ERROR for f in findings):
            return findings

        async def find_number() -> list[tuple[Any, Any]]:
            page = await account.incoming_phone_numbers.page_async(phone_number=phone)
            return [(number.phone_number, number.capabilities) for number in page]

        findings += _number_findings(ctx, await _call(ctx, last, shown, find_number), phone)
    except _Stop as stop:
        findings.append(stop.finding)
    finally:
        await http.close()
    return findings


async def _call(ctx: Context, last: LastStatus, base: str, make: Callable[[], Awaitable[T]]) -> T:
    """Run one SDK call under `ctx.timeout`; any failure becomes a `_Stop` with the finding for it."""
    import aiohttp
    from twilio.base.exceptions import TwilioException

    last.status = None
    try:
        async with asyncio.timeout(ctx.timeout):
            result = await make()
    except TimeoutError:  # the backstop, and aiohttp's own (ServerTimeoutError is a TimeoutError)
        raise _Stop(timed_out(ctx, base)) from None
    except TwilioException as exc:  # an answer outside 2xx (TwilioRestException, or a page's TwilioException)
        status, code = _status_and_code(exc)
        if status is None:  # not an HTTP error: the SDK could not read the answer's records
            raise _Stop(api_error(base, _not_json(last.status))) from None
        if status == 401:
            raise _Stop(auth_failed(ctx, code)) from None
        raise _Stop(api_error(base, f"HTTP {status}" + (f", error {code}" if code is not None else ""))) from None
    except getattr(aiohttp, "NonHttpUrlClientError", ()):  # aiohttp >= 3.10: a scheme other than http(s)
        raise _Stop(unreachable(base, "UnsupportedProtocol")) from None
    except aiohttp.InvalidURL:
        raise _Stop(unreachable(base, "InvalidURL")) from None
    except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake
        raise _Stop(unreachable(base, "ConnectError", exc)) from None
    except ResponseTooLarge:
        raise _Stop(not_the_service(base, f"an answer over {MAX_RESPONSE_BYTES // 2**20} MB, not read")) from None
    except aiohttp.ClientError as exc:  # the connection broke after it was opened
        raise _Stop(api_error(base, f"the connection failed ({type(exc).__name__})")) from None
    except Exception as exc:  # a body that is not Twilio's JSON, or a URL aiohttp cannot even build (a bad port)
        if last.status is not None:
            raise _Stop(api_error(base, _not_json(last.status))) from None
        raise _Stop(unreachable(base, type(exc).__name__, exc)) from None
    if last.status is not None and last.status >= 300:  # the SDK takes a 3xx for an answer; Twilio sends none
        raise _Stop(api_error(base, f"HTTP {last.status}"))
    return result


def _status_and_code(exc: Exception) -> tuple[int | None, int | None]:
    """The HTTP status and Twilio error code a TwilioException carries (the code only when Twilio sent one)."""
    status, code = getattr(exc, "status", None), getattr(exc, "code", None)
    if status is None:  # a page's TwilioException("Unable to fetch page", response)
        response = next((arg for arg in exc.args if hasattr(arg, "status_code")), None)
        if response is None:
            return None, None
        status = response.status_code
        try:
            body = json.loads(response.text)
        except (TypeError, ValueError):
            body = None
        code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, int) or isinstance(code, bool) or code == status:  # the SDK's fallback is the status
        code = None
    return (status if isinstance(status, int) else None), code


def _not_json(status: int | None) -> str:
    return (f"HTTP {status}, " if status is not None else "") + "not the JSON Twilio sends"


def _account_findings(ctx: Context, status: str, kind: str) -> list[Finding]:
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
            (SID,), assumes=("ENVIRONMENT",),
        )]
    return []


def _number_findings(ctx: Context, numbers: list[tuple[Any, Any]], phone: str) -> list[Finding]:
    match = next((caps for number, caps in numbers if number == phone), _NO_MATCH)
    if match is _NO_MATCH:
        return [Finding(
            "twilio.number_not_on_account", Severity.ERROR,
            f"{PHONE} ({phone}) is not a number on this Twilio account",
            "Twilio only sends SMS from numbers the account owns (a verified caller ID is not enough); messages "
            "from this number fail with error 21606. It may belong to another account or a subaccount.",
            ctx.set_fix(PHONE, "<+number from Phone Numbers > Active numbers>",
                        text="Use a number listed under Phone Numbers > Manage > Active numbers in the Console."),
            (PHONE, SID),
        )]
    sms = match.get("sms", match.get("SMS")) if isinstance(match, dict) else None
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

"""The `twilio` check's online part: two read-only GETs against Twilio's REST API, through the twilio SDK.

It uses the SDK's async client (`twilio.rest.Client` over `AsyncTwilioHttpClient`, aiohttp) against
DOCTOR_TWILIO_API_BASE or https://api.twilio.com, set as the base URL of the SDK's `api` domain:
`accounts(SID).fetch_async()` (`GET /2010-04-01/Accounts/{SID}.json`, basic auth SID:token) for the
credentials and the account's status and type, then one page of
`accounts(SID).incoming_phone_numbers.page_async(phone_number=…)`
(`GET /2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=…`) for the sender number.
Nothing is written and no message is sent.

Every call is bounded by `ctx.timeout` twice over: the http client's own timeout (which the SDK's async
client stores but does not pass to aiohttp, so `_bounded_client_class` does) and an `asyncio.timeout`
backstop. No retries (no `max_retries`, so no aiohttp_retry wrapper), redirects are not followed, the
aiohttp session is always closed, and the SDK logs to a logger that reaches no handler. No exception
text is ever shown (the SDK's and aiohttp's carry the request's URL and the server's words): findings
name the HTTP status, Twilio's error code or the failure's kind only.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import shlex
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from checks.common import network_symptom
from checks.twilio.const import PHONE, SID, TOKEN
from doctor import Context, Finding, Fix, Severity

DEFAULT_BASE = "https://api.twilio.com"
CONSOLE = "https://console.twilio.com"
# What `probe` needs loaded; the Check imports them in a worker thread first (`import_in_thread`).
SDK_MODULES = ("aiohttp", "twilio.rest", "twilio.rest.api", "twilio.http.async_http_client",
               "twilio.base.exceptions")

T = TypeVar("T")
_NO_MATCH = object()


def _quiet_logger() -> logging.Logger:
    """A logger outside the logging tree with only a NullHandler: the SDK's request log goes nowhere."""
    logger = logging.Logger("doctor.twilio.sdk", logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


_QUIET = _quiet_logger()


class _Stop(Exception):
    """The probe cannot go on; `finding` says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


class _LastStatus:
    """The HTTP status of the last answer the SDK received (an aiohttp trace hook), None before one."""

    def __init__(self) -> None:
        self.status: int | None = None

    async def on_request_end(self, session: Any, trace_context: Any, params: Any) -> None:
        """aiohttp's `on_request_end` signal: the answer's status line and headers have arrived."""
        self.status = params.response.status


@functools.cache
def _bounded_client_class() -> type:
    """`AsyncTwilioHttpClient` whose requests default to the client's own timeout (twilio 9 passes None)."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    class BoundedAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
        """Every request is bounded by `self.timeout` unless the SDK asks for another."""

        async def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                          auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Any:
            """The SDK's request, with `timeout` defaulting to the client's."""
            return await super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                         timeout=self.timeout if timeout is None else timeout,
                                         allow_redirects=allow_redirects)

    return BoundedAsyncTwilioHttpClient


async def probe(ctx: Context, sid: str, token: str, phone: str | None) -> list[Finding]:
    """Check the account (credentials, status, type) and, when `phone` is given, the number."""
    import aiohttp
    from twilio.rest import Client

    base = (ctx.get("DOCTOR_TWILIO_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    shown = shown_url(base)
    last = _LastStatus()
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(last.on_request_end)
    http = _bounded_client_class()(timeout=ctx.timeout, trace_configs=[trace], logger=_QUIET, max_retries=None)
    findings: list[Finding] = []
    try:
        # A non-empty `environment`, so the SDK takes nothing (TWILIO_EDGE, TWILIO_REGION) from os.environ.
        client = Client(sid, token, http_client=http, environment={SID: sid})
        client.api.base_url = without_userinfo(base)  # the SDK's own base URL of the api domain
        account = client.api.v2010.accounts(sid)

        async def fetch_account() -> tuple[str, str]:
            instance = await account.fetch_async()
            return str(instance.status or ""), str(instance.type or "")

        status, kind = await _call(ctx, last, shown, fetch_account)
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


async def _call(ctx: Context, last: _LastStatus, base: str, make: Callable[[], Awaitable[T]]) -> T:
    """Run one SDK call under `ctx.timeout`; any failure becomes a `_Stop` with the finding for it."""
    import aiohttp
    from twilio.base.exceptions import TwilioException

    last.status = None
    try:
        async with asyncio.timeout(ctx.timeout):
            result = await make()
    except TimeoutError:  # the backstop, and aiohttp's own (ServerTimeoutError is a TimeoutError)
        raise _Stop(_timeout(ctx, base)) from None
    except TwilioException as exc:  # an answer outside 2xx (TwilioRestException, or a page's TwilioException)
        status, code = _status_and_code(exc)
        if status is None:  # not an HTTP error: the SDK could not read the answer's records
            raise _Stop(_api_error(base, _not_json(last.status))) from None
        if status == 401:
            raise _Stop(_auth_failed(ctx, code)) from None
        raise _Stop(_api_error(base, f"HTTP {status}" + (f", error {code}" if code is not None else ""))) from None
    except getattr(aiohttp, "NonHttpUrlClientError", ()):  # aiohttp >= 3.10: a scheme other than http(s)
        raise _Stop(_unreachable(base, "UnsupportedProtocol")) from None
    except aiohttp.InvalidURL:
        raise _Stop(_unreachable(base, "InvalidURL")) from None
    except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake
        raise _Stop(_unreachable(base, "ConnectError", exc)) from None
    except aiohttp.ClientError as exc:  # the connection broke after it was opened
        raise _Stop(_api_error(base, f"the connection failed ({type(exc).__name__})")) from None
    except Exception as exc:  # a body that is not Twilio's JSON, or a URL aiohttp cannot even build (a bad port)
        if last.status is not None:
            raise _Stop(_api_error(base, _not_json(last.status))) from None
        raise _Stop(_unreachable(base, type(exc).__name__, exc)) from None
    if last.status is not None and last.status >= 300:  # the SDK takes a 3xx for an answer; Twilio sends none
        raise _Stop(_api_error(base, f"HTTP {last.status}"))
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


def _auth_failed(ctx: Context, code: int | None) -> Finding:
    code_text = f" (error {code})" if code is not None else ""
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


def _unreachable(base: str, why: str, exc: BaseException | None = None) -> Finding:
    return Finding(
        "twilio.unreachable", Severity.ERROR,
        f"Could not connect to Twilio's API at {base}",
        f"The connection failed ({why}): DNS, a refused connection, or an invalid DOCTOR_TWILIO_API_BASE.",
        Fix("Check outbound HTTPS from this host and any DOCTOR_TWILIO_API_BASE override.",
            (_curl(base),)),
        (SID,), symptom=network_symptom(exc) if exc is not None else "",
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


def without_userinfo(url: str) -> str:
    """`url` without any user:password@ part (Twilio is always called with SID:token basic auth)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url


def shown_url(url: str) -> str:
    """`url` without any user:password@ part, safe to print."""
    if not url.isprintable() or len(url) > 200:
        return "the configured URL"
    try:
        urlsplit(url)
    except ValueError:
        return "the configured API base"
    return without_userinfo(url)


def _curl(base: str) -> str:
    return f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}\\n' {shlex.quote(base + '/2010-04-01')}"

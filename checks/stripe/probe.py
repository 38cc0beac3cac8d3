"""The live part of the `stripe` check: the secret key against Stripe's REST API, through stripe-python.

It uses the SDK's async client (`stripe.StripeClient` over `stripe.HTTPXClient`) against
DOCTOR_STRIPE_API_BASE or https://api.stripe.com, set as the client's `api` base address:
`client.v1.balance.retrieve_async()` (`GET /v1/balance`) proves the key and tells its mode, then
`client.v1.webhook_endpoints.list_async(params={"limit": 100})` (`GET /v1/webhook_endpoints?limit=100`)
shows whether Stripe delivers events to this app. Read-only.

Every call is bounded by `ctx.timeout` twice over (the HTTPX client's timeout and an `asyncio.timeout`
backstop), with the SDK's retries off, and the HTTPX client is always closed. Failures are classified
by the SDK's error classes (`AuthenticationError`, `PermissionError`, `RateLimitError`,
`APIConnectionError` and its cause, `APIError` with its HTTP status). The SDK prints nothing: its
console log (STRIPE_LOG), its `stripe` logger and its `Stripe-Notice` warnings are silenced, and its
telemetry (a client id it would write under ~/.config/stripe, platform details) is off. A server's
words are shown only through `scrub`, so no key reaches a finding.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from checks.common import network_symptom, parse_url
from checks.stripe.const import KEYS_PAGE, SECRET, WEBHOOK, WEBHOOKS_PAGE
from checks.stripe.static import StaticResult
from doctor import Context, Finding, Fix, Severity
from doctor.threads import run_blocking

DEFAULT_BASE = "https://api.stripe.com"
BALANCE = "/v1/balance"
WEBHOOK_ENDPOINTS = "/v1/webhook_endpoints"
_KEY_LIKE = re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9+/=]{4,}")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def _quiet_logger() -> logging.Logger:
    """A logger outside the logging tree with only a NullHandler: the SDK's request log goes nowhere."""
    logger = logging.Logger("doctor.stripe.sdk", logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger


_QUIET = _quiet_logger()


class _Failed(Exception):
    """A request that ended in a finding instead of a JSON answer."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


def scrub(text: str, key: str) -> str:
    """A server's words made safe to show: no key, nothing key-shaped, bounded length."""
    text = text.replace(key, "<key>") if key else text
    text = _KEY_LIKE.sub(lambda m: m.group(0)[: m.group(0).index("_", 3) + 1] + "…", text)
    return text[:300]


def _silence(stripe: Any) -> None:
    """Keep stripe-python from printing, logging, warning or writing a telemetry id (idempotent).

    Its console log is switched on by STRIPE_LOG, read once at import into `stripe._util.STRIPE_LOG`:
    there is no public switch for it. The warnings filter is added on every probe because test
    runners restore the filters between tests.
    """
    stripe.log = None
    stripe._util.STRIPE_LOG = None
    stripe._util.logger = _QUIET
    stripe.enable_telemetry = False
    warnings.filterwarnings("ignore", module=r"stripe(\.|$)")


def _json_object(body: object) -> dict[str, Any] | None:
    """The HTTP body as a JSON object, or None when it is not one."""
    if not isinstance(body, str | bytes):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _error_of(body: dict[str, Any] | None) -> tuple[str, str]:
    """Stripe's error `code` and `message` from an error body, as strings ('' when absent)."""
    error = body.get("error") if body and isinstance(body.get("error"), dict) else {}
    return str(error.get("code") or ""), str(error.get("message") or "")


def _bad_base(ctx: Context) -> Finding:
    return Finding(
        "stripe.unreachable", Severity.ERROR, "DOCTOR_STRIPE_API_BASE is not a usable URL",
        "The doctor could not build a request from it.",
        ctx.unset_fix("DOCTOR_STRIPE_API_BASE", text="Leave it unset to use https://api.stripe.com."),
        vars=("DOCTOR_STRIPE_API_BASE",))


def _timeout(ctx: Context, base: str, shown: str) -> Finding:
    return Finding(
        "stripe.timeout", Severity.ERROR, f"Stripe's API did not answer within {ctx.timeout:g} s",
        f"GET {base}{shown} timed out. A firewall dropping outbound HTTPS, or a proxy that never answers, "
        "makes every payment request hang the same way.",
        Fix("Check outbound HTTPS to api.stripe.com from this host and https://status.stripe.com."), vars=(SECRET,))


def _connection_failure(ctx: Context, exc: BaseException, base: str, shown: str, key: str) -> Finding:
    """What an `APIConnectionError` means, from the HTTPX exception the SDK wrapped (its `__cause__`)."""
    import httpx

    cause = exc.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return _timeout(ctx, base, shown)
    if isinstance(cause, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _bad_base(ctx)
    if isinstance(cause, httpx.HTTPError):
        return Finding(
            "stripe.unreachable", Severity.ERROR, f"Cannot connect to Stripe's API at {base}",
            f"{type(cause).__name__}: {scrub(str(cause), key) or 'no details'}. Payments fail the same way.",
            Fix("Check DNS and outbound HTTPS to api.stripe.com from this host."), vars=(SECRET,),
            symptom=network_symptom(exc))
    # httpx lets some socket errors through raw (a port over 65535: an OverflowError in an ExceptionGroup)
    what = type(cause).__name__ if cause is not None else "no details"
    return Finding(
        "stripe.unreachable", Severity.ERROR, f"Cannot connect to Stripe's API at {base}",
        f"The connection could not be opened ({what}): check the host and port.",
        Fix("Check DOCTOR_STRIPE_API_BASE if set, else DNS and outbound HTTPS to api.stripe.com."), vars=(SECRET,),
        symptom=network_symptom(exc))


def _not_json(shown: str, status: int) -> Finding:
    return Finding(
        "stripe.inconclusive", Severity.INFO, f"Stripe's API answer to GET {shown} was not JSON (HTTP {status})",
        f"The doctor cannot tell whether {SECRET} works. A captive proxy or a wrong DOCTOR_STRIPE_API_BASE "
        "would explain it.", vars=(SECRET,))


async def _call(ctx: Context, key: str, base: str, shown: str, make: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    """One SDK call under `ctx.timeout`: the answer's JSON object.

    Raises `_Failed` when the request ended without a judgeable answer (timeout, no connection, a 5xx,
    a body that is not a JSON object) and re-raises the SDK's `StripeError` for an HTTP error with a
    JSON body, which the caller judges (`_auth_failure`).
    """
    import stripe

    try:
        async with asyncio.timeout(ctx.timeout):
            obj = await make()
    except TimeoutError:
        raise _Failed(_timeout(ctx, base, shown)) from None
    except stripe.APIConnectionError as exc:
        raise _Failed(_connection_failure(ctx, exc, base, shown, key)) from None
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500:
            raise _Failed(Finding(
                "stripe.api_error", Severity.ERROR, f"Stripe's API answered HTTP {status} to GET {shown}",
                "A server-side error at Stripe (or a proxy in between): payment calls fail while it lasts.",
                Fix("Check https://status.stripe.com and run the doctor again."), vars=(SECRET,))) from None
        if _json_object(exc.http_body) is None:
            raise _Failed(_not_json(shown, status)) from None
        raise
    except ValueError:  # the SDK splits the URL itself before a GET with parameters
        raise _Failed(_bad_base(ctx)) from None
    except (AttributeError, TypeError, KeyError, IndexError) as exc:  # stripe-python choking on an odd body
        raise _Failed(Finding(
            "stripe.inconclusive", Severity.INFO, f"stripe-python could not read Stripe's answer to GET {shown}",
            f"It failed with {type(exc).__name__}, so the doctor cannot tell whether {SECRET} works. A proxy or a "
            "DOCTOR_STRIPE_API_BASE that is not Stripe's API would explain it.", vars=(SECRET,))) from None
    response = getattr(obj, "last_response", None)
    body = getattr(response, "data", None)
    if not isinstance(body, dict):
        raise _Failed(_not_json(shown, getattr(response, "code", None) or 200))
    return body


def _auth_failure(ctx: Context, exc: Any, key: str, path: str) -> Finding:
    """The finding for an HTTP error Stripe answered with a JSON body (401, 403, 429, other 4xx)."""
    import stripe

    status = exc.http_status or 0
    body_code, raw_message = _error_of(_json_object(exc.http_body))
    code = str(exc.code or getattr(exc.error, "code", None) or body_code)
    message = scrub(raw_message, key)
    if isinstance(exc, stripe.AuthenticationError) or status == 401:
        if code == "api_key_expired":
            return Finding(
                "stripe.key_expired", Severity.ERROR, f"Stripe says {SECRET} has expired",
                f"Stripe answered `{message}`: a rolled key stops working when its grace period ends. "
                "Every payment call fails.",
                Fix(f"Roll the key: {KEYS_PAGE} > the key's ⋯ menu > Roll key; copy the new key, then set it.")
                + ctx.set_fix(SECRET, "<new sk_… key>"), vars=(SECRET,))
        return Finding(
            "stripe.key_invalid", Severity.ERROR, f"Stripe rejects {SECRET} as an invalid API key",
            f"Stripe answered `{message or f'HTTP {status}'}`: the key was deleted, rolled, mistyped, or "
            "belongs to another account. Every payment call fails.",
            ctx.set_fix(SECRET, "<sk_… key>", text=f"Copy the current secret key from {KEYS_PAGE}."), vars=(SECRET,))
    if isinstance(exc, stripe.PermissionError) or status == 403:
        found = re.search(r"rak_[a-z0-9_]+", raw_message)
        permission = found.group(0) if found else "a permission"
        return Finding(
            "stripe.permission_missing", Severity.ERROR, f"{SECRET} lacks the {permission} permission",
            f"GET {path} was refused: `{message}`. Calls that need this permission fail.",
            Fix(f"Edit the restricted key in {KEYS_PAGE} and grant {permission} (or use a key that has it)."),
            vars=(SECRET,))
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        return Finding(
            "stripe.rate_limited", Severity.WARNING, f"Stripe's API is rate limiting this key (HTTP {status})",
            "Too many requests in a short time; payment calls are being refused too.", vars=(SECRET,))
    return Finding(
        "stripe.inconclusive", Severity.INFO, f"Stripe's API answered HTTP {status} to GET {path}",
        f"`{message or scrub(code, key) or 'no message'}`: the doctor cannot tell whether {SECRET} works.",
        vars=(SECRET,))


def _confirm_mode(ctx: Context, livemode: bool, out: list[Finding]) -> None:
    """Stripe's `livemode` settles the key's mode; a contradiction of ENVIRONMENT is reported once."""
    wrong = "stripe.test_keys_in_production" if ctx.production and not livemode else (
        "stripe.live_keys_outside_production" if livemode and ctx.nonproduction else None)
    for finding in out:
        if finding.id == wrong and SECRET in finding.vars:
            finding.detail += f" Stripe's API confirms it: the key answers with livemode={str(livemode).lower()}."
            return
    if wrong == "stripe.test_keys_in_production":
        out.append(Finding(
            wrong, Severity.ERROR, f"ENVIRONMENT is production but Stripe says {SECRET} is a test-mode key",
            "GET /v1/balance answered livemode=false: no real card is charged.",
            ctx.set_fix(SECRET, "<sk_live_…>", text="Use the live secret key."), vars=(SECRET, "ENVIRONMENT")))
    elif wrong:
        out.append(Finding(
            wrong, Severity.WARNING, f"ENVIRONMENT is {ctx.known_environment} but Stripe says "
            f"{SECRET} is a live-mode key", "GET /v1/balance answered livemode=true: real cards are charged.",
            ctx.set_fix(SECRET, "<sk_test_…>", text="Use the test secret key."), vars=(SECRET, "ENVIRONMENT")))


def _host(url: object) -> str:
    parsed = parse_url(url if isinstance(url, str) else "")
    return (parsed.parts.hostname or "").lower() if parsed.parts else ""


def _webhooks(ctx: Context, body: dict[str, Any], live: bool, out: list[Finding]) -> None:
    endpoints = [e for e in body.get("data") or [] if isinstance(e, dict)] if isinstance(body.get("data"), list) else []
    mode = "live" if live else "test"
    host = _host(ctx.get("FRONTEND_URL"))
    same = [e for e in endpoints if e.get("livemode", live) is live]
    here = [e for e in same if not host or _host(e.get("url")) == host]
    fix = Fix(f"In {WEBHOOKS_PAGE} ({mode} mode), add or enable an endpoint at https://{host or '<your app>'}/…, "
              f"then set {WEBHOOK} to its signing secret.")
    if any(e.get("status") == "enabled" for e in here):
        return
    if here:
        urls = ", ".join(sorted({str(e.get("url")) for e in here}))[:300]
        out.append(Finding(
            "stripe.webhook_disabled", Severity.WARNING,
            f"The {mode}-mode Stripe webhook endpoint for this app is disabled",
            f"Stripe sends no events to {urls}: payments succeed but the app never hears about them.",
            fix, vars=(SECRET, "FRONTEND_URL")))
    elif host.endswith(_LOCAL_HOSTS) or host.endswith((".local", ".localhost")):
        out.append(Finding(
            "stripe.webhook_local", Severity.INFO, f"Stripe cannot deliver webhooks to {host}",
            "For local development forward events with the Stripe CLI; `stripe listen` prints its own whsec_ "
            f"secret, which is the one {WEBHOOK} needs locally.",
            Fix("Run the Stripe CLI forwarder:", ("stripe listen --forward-to localhost:8000/<webhook path>",)),
            vars=("FRONTEND_URL", WEBHOOK)))
    elif any(not host or _host(e.get("url")) == host for e in endpoints):
        out.append(Finding(
            "stripe.webhook_other_mode", Severity.WARNING,
            f"This app's Stripe webhook endpoint exists only in {'test' if live else 'live'} mode",
            f"{SECRET} is a {mode}-mode key, and Stripe delivers {mode}-mode events only to {mode}-mode endpoints.",
            fix, vars=(SECRET, "FRONTEND_URL")))
    else:
        others = sorted({_host(e.get("url")) for e in same} - {""})
        seen = f" Endpoints exist for: {', '.join(others)[:200]}." if others else ""
        out.append(Finding(
            "stripe.webhook_missing", Severity.WARNING,
            f"No {mode}-mode Stripe webhook endpoint points at {host or 'this app'}",
            f"Stripe does not notify the app of payments, refunds or disputes.{seen}", fix,
            vars=(SECRET, "FRONTEND_URL")))


async def probe(ctx: Context, static: StaticResult) -> list[Finding]:
    """Static findings plus what Stripe's API says about the key and its webhook endpoints."""
    import stripe

    _silence(stripe)
    key = static.key or ""
    out = static.findings
    base = (ctx.get("DOCTOR_STRIPE_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    # Building the client loads Stripe's CA bundle from disk: done off the event loop.
    http = await run_blocking(stripe.HTTPXClient, timeout=ctx.timeout)
    try:
        client = stripe.StripeClient(key, http_client=http, base_addresses={"api": base}, max_network_retries=0)
        try:
            balance = await _call(ctx, key, base, BALANCE, client.v1.balance.retrieve_async)
        except stripe.StripeError as exc:
            return [*out, _auth_failure(ctx, exc, key, BALANCE)]
        livemode = balance.get("livemode")
        live = livemode if isinstance(livemode, bool) else static.key_mode == "live"
        if isinstance(livemode, bool):
            _confirm_mode(ctx, livemode, out)
        try:
            hooks = await _call(ctx, key, base, f"{WEBHOOK_ENDPOINTS}?limit=100",
                                lambda: client.v1.webhook_endpoints.list_async(params={"limit": 100}))
            _webhooks(ctx, hooks, live, out)
        except stripe.PermissionError:
            out.append(Finding(
                "stripe.webhooks_unreadable", Severity.INFO, f"{SECRET} cannot list webhook endpoints",
                "A restricted key without webhook read access: the doctor cannot check that Stripe delivers events "
                "to this app.", vars=(SECRET,)))
        except stripe.StripeError as exc:
            out.append(_auth_failure(ctx, exc, key, WEBHOOK_ENDPOINTS))
    except _Failed as failed:
        return [*out, failed.finding]
    finally:
        await http.close_async()
    if ctx.is_set(WEBHOOK) and not any(f.vars == (WEBHOOK,) and f.severity >= Severity.ERROR for f in out):
        out.append(Finding(
            "stripe.webhook_secret_unverifiable", Severity.INFO,
            f"{WEBHOOK} cannot be checked against Stripe remotely",
            "Stripe shows an endpoint's signing secret only when it is created or revealed in the Dashboard; the "
            "API never returns it. Verify it against one real delivery instead: save the raw request body and "
            "its Stripe-Signature header, then run the command below.",
            Fix("Check a captured delivery offline:",
                ("doctor stripe-verify --payload body.json --signature '<Stripe-Signature header>'",)),
            vars=(WEBHOOK,)))
    return out

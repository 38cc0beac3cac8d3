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

An answer over `MAX_RESPONSE_BYTES` is refused unread, and one that is not a Stripe object of the
kind asked for (a captive portal's HTML, spaces, another JSON) is `stripe.not_the_service`: see
probe_answers.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from checks.common import quiet_logger
from checks.stripe.const import KEYS_PAGE, SECRET, WEBHOOK
from checks.stripe.probe_answers import (
    Failed,
    bad_base,
    capped_client,
    connection_failure,
    not_the_service,
    scrub,
    timed_out,
)
from checks.stripe.probe_webhooks import confirm_mode, webhook_findings
from checks.stripe.static import StaticResult
from doctor import Context, Finding, Fix, Severity
from doctor.threads import run_blocking

DEFAULT_BASE = "https://api.stripe.com"
BALANCE = "/v1/balance"
WEBHOOK_ENDPOINTS = "/v1/webhook_endpoints"


_QUIET = quiet_logger("doctor.stripe.sdk")


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


def _error_not_json(shown: str, status: int) -> Finding:
    """An HTTP error whose body is not JSON: a gateway's refusal, which says nothing about the key."""
    return Finding(
        "stripe.inconclusive", Severity.INFO, f"Stripe's API answer to GET {shown} was not JSON (HTTP {status})",
        f"The doctor cannot tell whether {SECRET} works. A proxy or a wrong DOCTOR_STRIPE_API_BASE would explain it.",
        vars=(SECRET,))


async def _call(ctx: Context, key: str, base: str, shown: str, make: Callable[[], Awaitable[Any]],
                kind: str) -> dict[str, Any]:
    """One SDK call under `ctx.timeout`: the answer's JSON object, a Stripe object of `kind`.

    Raises `Failed` when the request ended without a judgeable answer (timeout, no connection, a 5xx,
    a body that is not a JSON object or not a `kind`, one over the size cap) and re-raises the SDK's
    `StripeError` for an HTTP error with a JSON body, which the caller judges (`_auth_failure`).
    """
    import stripe

    try:
        async with asyncio.timeout(ctx.timeout):
            obj = await make()
    except TimeoutError:
        raise Failed(timed_out(ctx, base, shown)) from None
    except stripe.APIConnectionError as exc:
        raise Failed(connection_failure(ctx, exc, base, shown, key)) from None
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status >= 500:
            raise Failed(Finding(
                "stripe.api_error", Severity.ERROR, f"Stripe's API answered HTTP {status} to GET {shown}",
                "A server-side error at Stripe (or a proxy in between): payment calls fail while it lasts.",
                Fix("Check https://status.stripe.com and run the doctor again."), vars=(SECRET,))) from None
        if _json_object(exc.http_body) is None:
            raise Failed(not_the_service(shown, f"HTTP {status}, not JSON") if status < 300
                         else _error_not_json(shown, status)) from None
        raise
    except ValueError:  # the SDK splits the URL itself before a GET with parameters
        raise Failed(bad_base(ctx)) from None
    except (AttributeError, TypeError, KeyError, IndexError) as exc:  # stripe-python choking on an odd body
        raise Failed(Finding(
            "stripe.inconclusive", Severity.INFO, f"stripe-python could not read Stripe's answer to GET {shown}",
            f"It failed with {type(exc).__name__}, so the doctor cannot tell whether {SECRET} works. A proxy or a "
            "DOCTOR_STRIPE_API_BASE that is not Stripe's API would explain it.", vars=(SECRET,))) from None
    response = getattr(obj, "last_response", None)
    body = getattr(response, "data", None)
    if not isinstance(body, dict):
        raise Failed(not_the_service(shown, f"HTTP {getattr(response, 'code', None) or 200}, not a JSON object"))
    if body.get("object") != kind:
        raise Failed(not_the_service(shown, f"JSON that is not a Stripe {kind}"))
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


async def probe(ctx: Context, static: StaticResult) -> list[Finding]:
    """Static findings plus what Stripe's API says about the key and its webhook endpoints."""
    import stripe

    _silence(stripe)
    key = static.key or ""
    out = static.findings
    base = (ctx.get("DOCTOR_STRIPE_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    # Building the client loads Stripe's CA bundle from disk: done off the event loop.
    http = await run_blocking(capped_client, stripe, ctx.timeout)
    try:
        client = stripe.StripeClient(key, http_client=http, base_addresses={"api": base}, max_network_retries=0)
        try:
            balance = await _call(ctx, key, base, BALANCE, client.v1.balance.retrieve_async, "balance")
        except stripe.StripeError as exc:
            return [*out, _auth_failure(ctx, exc, key, BALANCE)]
        livemode = balance.get("livemode")
        live = livemode if isinstance(livemode, bool) else static.key_mode == "live"
        if isinstance(livemode, bool):
            confirm_mode(ctx, livemode, out)
        try:
            hooks = await _call(ctx, key, base, f"{WEBHOOK_ENDPOINTS}?limit=100",
                                lambda: client.v1.webhook_endpoints.list_async(params={"limit": 100}), "list")
            webhook_findings(ctx, hooks, live, out)
        except stripe.PermissionError:
            out.append(Finding(
                "stripe.webhooks_unreadable", Severity.INFO, f"{SECRET} cannot list webhook endpoints",
                "A restricted key without webhook read access: the doctor cannot check that Stripe delivers events "
                "to this app.", vars=(SECRET,)))
        except stripe.StripeError as exc:
            out.append(_auth_failure(ctx, exc, key, WEBHOOK_ENDPOINTS))
    except Failed as failed:
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

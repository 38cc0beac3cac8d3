"""The live part of the `stripe` check: the secret key against Stripe's REST API.

Uses httpx directly (same wire format as stripe-python, simpler to point at
DOCTOR_STRIPE_API_BASE, natively async): `GET /v1/balance` proves the key and tells its mode,
`GET /v1/webhook_endpoints` shows whether Stripe delivers events to this app. Read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checks.common import parse_url
from checks.stripe.static import KEYS_PAGE, SECRET, WEBHOOK, WEBHOOKS_PAGE, StaticResult
from doctor import Context, Finding, Fix, Severity

DEFAULT_BASE = "https://api.stripe.com"
_KEY_LIKE = re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9+/=]{4,}")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


class _Failed(Exception):
    """A request that ended in a finding instead of a JSON answer."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]


def scrub(text: str, key: str) -> str:
    """A server's words made safe to show: no key, nothing key-shaped, bounded length."""
    text = text.replace(key, "<key>") if key else text
    text = _KEY_LIKE.sub(lambda m: m.group(0)[: m.group(0).index("_", 3) + 1] + "…", text)
    return text[:300]


def _error_of(body: dict[str, Any]) -> tuple[str, str]:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(error.get("code") or ""), str(error.get("message") or "")


async def _get(client: Any, ctx: Context, path: str, key: str) -> _Reply:
    import httpx

    base = str(client.base_url).rstrip("/")
    try:
        response = await client.get(path)
    except httpx.TimeoutException:
        raise _Failed(Finding(
            "stripe.timeout", Severity.ERROR, f"Stripe's API did not answer within {ctx.timeout:g} s",
            f"GET {base}{path} timed out. A firewall dropping outbound HTTPS, or a proxy that never answers, "
            "makes every payment request hang the same way.",
            Fix("Check outbound HTTPS to api.stripe.com from this host and https://status.stripe.com."),
            vars=(SECRET,))) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise _Failed(Finding(
            "stripe.unreachable", Severity.ERROR, "DOCTOR_STRIPE_API_BASE is not a usable URL",
            "The doctor could not build a request from it.",
            ctx.unset_fix("DOCTOR_STRIPE_API_BASE", text="Leave it unset to use https://api.stripe.com."),
            vars=("DOCTOR_STRIPE_API_BASE",))) from None
    except httpx.HTTPError as exc:
        raise _Failed(Finding(
            "stripe.unreachable", Severity.ERROR, f"Cannot connect to Stripe's API at {base}",
            f"{type(exc).__name__}: {scrub(str(exc), key) or 'no details'}. Payments fail the same way.",
            Fix("Check DNS and outbound HTTPS to api.stripe.com from this host."), vars=(SECRET,))) from None
    except Exception as exc:  # httpx lets some socket errors through raw (a port over 65535: OverflowError)
        raise _Failed(Finding(
            "stripe.unreachable", Severity.ERROR, f"Cannot connect to Stripe's API at {base}",
            f"The connection could not be opened ({type(exc).__name__}): check the host and port.",
            Fix("Check DOCTOR_STRIPE_API_BASE if set, else DNS and outbound HTTPS to api.stripe.com."),
            vars=(SECRET,))) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500:
        raise _Failed(Finding(
            "stripe.api_error", Severity.ERROR, f"Stripe's API answered HTTP {response.status_code} to GET {path}",
            "A server-side error at Stripe (or a proxy in between): payment calls fail while it lasts.",
            Fix("Check https://status.stripe.com and run the doctor again."), vars=(SECRET,)))
    if not isinstance(body, dict):
        raise _Failed(Finding(
            "stripe.inconclusive", Severity.INFO,
            f"Stripe's API answer to GET {path} was not JSON (HTTP {response.status_code})",
            f"The doctor cannot tell whether {SECRET} works. A captive proxy or a wrong DOCTOR_STRIPE_API_BASE "
            "would explain it.", vars=(SECRET,)))
    return _Reply(response.status_code, body)


def _auth_failure(ctx: Context, reply: _Reply, key: str, path: str) -> Finding | None:
    code, message = _error_of(reply.body)
    if reply.status == 401 and code == "api_key_expired":
        return Finding(
            "stripe.key_expired", Severity.ERROR, f"Stripe says {SECRET} has expired",
            f"Stripe answered `{scrub(message, key)}`: a rolled key stops working when its grace period ends. "
            "Every payment call fails.",
            Fix(f"Roll the key: {KEYS_PAGE} > the key's ⋯ menu > Roll key; copy the new key, then set it.")
            + ctx.set_fix(SECRET, "<new sk_… key>"), vars=(SECRET,))
    if reply.status == 401:
        return Finding(
            "stripe.key_invalid", Severity.ERROR, f"Stripe rejects {SECRET} as an invalid API key",
            f"Stripe answered `{scrub(message, key) or 'HTTP 401'}`: the key was deleted, rolled, mistyped, or "
            "belongs to another account. Every payment call fails.",
            ctx.set_fix(SECRET, "<sk_… key>", text=f"Copy the current secret key from {KEYS_PAGE}."), vars=(SECRET,))
    if reply.status == 403:
        found = re.search(r"rak_[a-z0-9_]+", message)
        permission = found.group(0) if found else "a permission"
        return Finding(
            "stripe.permission_missing", Severity.ERROR, f"{SECRET} lacks the {permission} permission",
            f"GET {path} was refused: `{scrub(message, key)}`. Calls that need this permission fail.",
            Fix(f"Edit the restricted key in {KEYS_PAGE} and grant {permission} (or use a key that has it)."),
            vars=(SECRET,))
    if reply.status == 429:
        return Finding(
            "stripe.rate_limited", Severity.WARNING, "Stripe's API is rate limiting this key (HTTP 429)",
            "Too many requests in a short time; payment calls are being refused too.", vars=(SECRET,))
    if reply.status != 200:
        return Finding(
            "stripe.inconclusive", Severity.INFO, f"Stripe's API answered HTTP {reply.status} to GET {path}",
            f"`{scrub(message, key) or code or 'no message'}`: the doctor cannot tell whether {SECRET} works.",
            vars=(SECRET,))
    return None


def _confirm_mode(ctx: Context, livemode: bool, out: list[Finding]) -> None:
    """Stripe's `livemode` settles the key's mode; a contradiction of ENVIRONMENT is reported once."""
    wrong = "stripe.test_keys_in_production" if ctx.production and not livemode else (
        "stripe.live_keys_outside_production" if livemode and not ctx.production else None)
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
            wrong, Severity.WARNING, f"ENVIRONMENT is {ctx.environment or 'not production'} but Stripe says "
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
    import httpx

    key = static.key or ""
    out = static.findings
    base = (ctx.get("DOCTOR_STRIPE_API_BASE") or DEFAULT_BASE).strip().rstrip("/")
    headers = {"Authorization": f"Bearer {key}", "User-Agent": "chaski-doctor"}
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=ctx.timeout) as client:
            balance = await _get(client, ctx, "/v1/balance", key)
            failure = _auth_failure(ctx, balance, key, "/v1/balance")
            if failure is not None:
                return [*out, failure]
            livemode = balance.body.get("livemode")
            live = livemode if isinstance(livemode, bool) else static.key_mode == "live"
            if isinstance(livemode, bool):
                _confirm_mode(ctx, livemode, out)
            hooks = await _get(client, ctx, "/v1/webhook_endpoints?limit=100", key)
    except _Failed as failed:
        return [*out, failed.finding]
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
        return [*out, Finding("stripe.unreachable", Severity.ERROR, "DOCTOR_STRIPE_API_BASE is not a usable URL",
                              "The doctor could not build a request from it.", vars=("DOCTOR_STRIPE_API_BASE",))]
    if hooks.status == 200:
        _webhooks(ctx, hooks.body, live, out)
    elif hooks.status == 403:
        out.append(Finding(
            "stripe.webhooks_unreadable", Severity.INFO, f"{SECRET} cannot list webhook endpoints",
            "A restricted key without webhook read access: the doctor cannot check that Stripe delivers events "
            "to this app.", vars=(SECRET,)))
    elif (failure := _auth_failure(ctx, hooks, key, "/v1/webhook_endpoints")) is not None:
        out.append(failure)
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

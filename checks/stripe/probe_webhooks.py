"""The stripe probe's reading of a valid key's answers: its mode against ENVIRONMENT, and its webhook endpoints."""

from __future__ import annotations

from typing import Any

from checks.common import parse_url
from checks.stripe.const import SECRET, WEBHOOK, WEBHOOKS_PAGE
from doctor import Context, Finding, Fix, Severity

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def confirm_mode(ctx: Context, livemode: bool, out: list[Finding]) -> None:
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
    """The lower-cased host of a URL-like value ('' when it has none)."""
    parsed = parse_url(url if isinstance(url, str) else "")
    return (parsed.parts.hostname or "").lower() if parsed.parts else ""


def webhook_findings(ctx: Context, body: dict[str, Any], live: bool, out: list[Finding]) -> None:
    """Whether Stripe delivers this mode's events to FRONTEND_URL's host, from GET /v1/webhook_endpoints."""
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

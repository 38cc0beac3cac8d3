"""What the stripe probe makes of an answer that is no judgeable Stripe answer, and its bounded HTTP client.

The client is stripe-python's own `HTTPXClient` whose transport refuses an answer over
`MAX_RESPONSE_BYTES` before buffering it (checks.common.capped_transport); the time bound is the
probe's `asyncio.timeout`. An answer that is not Stripe's wire format (HTML from a captive portal,
a body of spaces, JSON of another shape) is `stripe.not_the_service`, a warning: never a pass.
"""

from __future__ import annotations

import re
from typing import Any

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge, cap_client, network_symptom
from checks.stripe.const import SECRET
from doctor import Context, Finding, Fix, Severity

_KEY_LIKE = re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{4,}|\bwhsec_[A-Za-z0-9+/=]{4,}")


class Failed(Exception):
    """A request that ended in a finding instead of a JSON answer."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


def scrub(text: str, key: str) -> str:
    """A server's words made safe to show: no key, nothing key-shaped, bounded length."""
    text = text.replace(key, "<key>") if key else text
    text = _KEY_LIKE.sub(lambda m: m.group(0)[: m.group(0).index("_", 3) + 1] + "…", text)
    return text[:300]


def capped_client(stripe: Any, timeout: float) -> Any:
    """stripe-python's HTTPX client (blocking: it reads Stripe's CA bundle) with a size-capped transport."""
    http = stripe.HTTPXClient(timeout=timeout)
    cap_client(http._client_async)  # the SDK keeps its httpx.AsyncClient there
    return http


def bad_base(ctx: Context) -> Finding:
    """DOCTOR_STRIPE_API_BASE cannot be turned into a request."""
    return Finding(
        "stripe.unreachable", Severity.ERROR, "DOCTOR_STRIPE_API_BASE is not a usable URL",
        "The doctor could not build a request from it.",
        ctx.unset_fix("DOCTOR_STRIPE_API_BASE", text="Leave it unset to use https://api.stripe.com."),
        vars=("DOCTOR_STRIPE_API_BASE",))


def timed_out(ctx: Context, base: str, shown: str) -> Finding:
    """No whole answer within `ctx.timeout` (a silent peer, or one that trickles)."""
    return Finding(
        "stripe.timeout", Severity.ERROR, f"Stripe's API did not answer within {ctx.timeout:g} s",
        f"GET {base}{shown} timed out. A firewall dropping outbound HTTPS, or a proxy that never answers, "
        "makes every payment request hang the same way.",
        Fix("Check outbound HTTPS to api.stripe.com from this host and https://status.stripe.com."), vars=(SECRET,))


def not_the_service(shown: str, what: str) -> Finding:
    """Something answered GET `shown`, but not in Stripe's wire format (`what` says how)."""
    return Finding(
        "stripe.not_the_service", Severity.WARNING, f"Something other than Stripe's API answered GET {shown} ({what})",
        f"The doctor cannot tell whether {SECRET} works, and the app's payment calls reach the same answer. A "
        "captive portal, a proxy, or a DOCTOR_STRIPE_API_BASE that is not Stripe's API would explain it.",
        Fix("Check DOCTOR_STRIPE_API_BASE (leave it unset for https://api.stripe.com) and any proxy in between."),
        vars=(SECRET,))


def connection_failure(ctx: Context, exc: BaseException, base: str, shown: str, key: str) -> Finding:
    """What an `APIConnectionError` means, from the HTTPX exception the SDK wrapped (its `__cause__`)."""
    import httpx

    cause = exc.__cause__
    if isinstance(cause, ResponseTooLarge):
        return not_the_service(shown, f"an answer over {MAX_RESPONSE_BYTES // 2**20} MB, not read")
    if isinstance(cause, httpx.TimeoutException):
        return timed_out(ctx, base, shown)
    if isinstance(cause, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return bad_base(ctx)
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

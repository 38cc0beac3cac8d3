"""The `stripe` check: key shapes and modes (static), then the keys against Stripe's API (live).

Static: which kind of key sits in which variable (`sk_`/`rk_` secret, `pk_` publishable,
`whsec_` webhook signing secret, `we_` an endpoint id), test or live mode against ENVIRONMENT,
stray quotes and whitespace. The live part lives in `checks.stripe.probe`.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.common import describe_whitespace, is_placeholder, strip_quotes
from checks.stripe.const import KEYS_PAGE, PUBLISHABLE, SECRET, WEBHOOK, WEBHOOKS_PAGE  # noqa: F401
from doctor import Context, Finding, Fix, Severity

_KIND_PREFIXES = {"sk_": "secret key", "rk_": "restricted key", "pk_": "publishable key",
                  "whsec_": "webhook signing secret", "we_": "webhook endpoint id"}


@dataclass
class StaticResult:
    """What the static part learnt: a key worth probing with, and the modes it saw."""

    findings: list[Finding]
    key: str | None = None  # the secret key as it would reach Stripe, when it is usable
    key_mode: str | None = None  # "live" or "test"
    restricted: bool = False


def kind_of(value: str) -> str:
    """`secret key`, `publishable key`, … from a Stripe prefix; `an unrecognised value` otherwise."""
    return next((kind for prefix, kind in _KIND_PREFIXES.items() if value.startswith(prefix)), "unrecognised value")


def mode_of(value: str) -> str | None:
    """`live` or `test` for an `sk_/rk_/pk_` key, else None."""
    for mode in ("live", "test"):
        if any(value.startswith(f"{kind}_{mode}_") for kind in ("sk", "rk", "pk")):
            return mode
    return None


def _clean(ctx: Context, name: str, findings: list[Finding]) -> tuple[str | None, bool]:
    """The value with quotes and whitespace removed, plus whether Stripe would still accept it as is.

    Returns (None, False) for a placeholder. Reports quotes, whitespace and placeholders.
    """
    raw = ctx.get(name) or ""
    if is_placeholder(raw):
        findings.append(Finding(
            "stripe.placeholder", Severity.ERROR, f"{name} is still the placeholder from the setup guide",
            "The value was copied from the documentation's example and is not a real Stripe value.",
            ctx.set_fix(name, "<value from the Stripe Dashboard>", text=f"Copy the real value from {KEYS_PAGE}."),
            vars=(name,)))
        return None, False
    value, quoted = strip_quotes(raw)
    usable = True
    if quoted:
        usable = False
        findings.append(Finding(
            "stripe.quoted", Severity.ERROR, f"{name} is wrapped in quotes that are part of the value",
            "The quotes reach Stripe as characters of the key (or of the signing secret), so Stripe rejects "
            "it: requests fail with `Invalid API Key provided`, and webhook signatures never match.",
            ctx.set_fix(name, "<the value without quotes>", text="Set the value without surrounding quotes."),
            vars=(name,)))
    where = describe_whitespace(value)
    if where:
        tolerated = name != WEBHOOK and value.lstrip() == value and value.rstrip(" \t") == value.strip() \
            and value.strip().isascii()
        usable = usable and tolerated
        detail = (
            "Only trailing spaces: they are usually trimmed before Stripe sees the key (HTTP header parsing), so "
            "this works today, but other tools, scripts and key comparisons break." if tolerated else
            "stripe-python sends the key as is: a newline makes the HTTP library refuse to send the request "
            "(`Invalid leading whitespace, reserved character(s), or return character(s) in header value`), and "
            "other characters make Stripe answer `Invalid API Key provided`."
        )
        if name == WEBHOOK:
            detail = ("stripe-python computes the HMAC with the secret exactly as given, so every webhook "
                      "signature check fails (`No signatures found matching the expected signature`).")
        findings.append(Finding(
            "stripe.whitespace", Severity.WARNING if tolerated else Severity.ERROR,
            f"{name} has {where}", detail,
            ctx.set_fix(name, "<the value without whitespace>", text="Re-paste the value without spaces or newlines."),
            vars=(name,)))
    return value.strip(), usable


def _secret_key(ctx: Context, value: str, usable: bool, result: StaticResult) -> None:
    out = result.findings
    if value.startswith("pk_"):
        out.append(Finding(
            "stripe.publishable_in_secret_slot", Severity.CRITICAL,
            f"{SECRET} holds a publishable key (pk_…), not a secret key",
            "Publishable keys can only create tokens from a browser; every server-side call (charges, "
            "customers, webhooks) fails with a permission error, so payments cannot work.",
            ctx.set_fix(SECRET, "<sk_… secret key>", text=f"Copy the Secret key (sk_…) from {KEYS_PAGE}."),
            vars=(SECRET,)))
        return
    if not value.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
        out.append(Finding(
            "stripe.secret_key_shape", Severity.ERROR,
            f"{SECRET} is a {kind_of(value)}, not a Stripe secret key (sk_live_/sk_test_)",
            "Stripe rejects anything else with `Invalid API Key provided`.",
            ctx.set_fix(SECRET, "<sk_… secret key>", text=f"Copy the Secret key from {KEYS_PAGE}."),
            vars=(SECRET,)))
        return
    result.key_mode = mode_of(value)
    result.restricted = value.startswith("rk_")
    if result.restricted:
        out.append(Finding(
            "stripe.restricted_key", Severity.INFO, f"{SECRET} is a restricted key (rk_…)",
            "Restricted keys work only for the resources they were granted; a call outside them fails with "
            "a permission error. The live check reports missing permissions it can see.", vars=(SECRET,)))
    if usable:
        result.key = value


def _publishable_key(ctx: Context, value: str, out: list[Finding]) -> None:
    if value.startswith(("sk_", "rk_")):
        out.append(Finding(
            "stripe.secret_in_publishable_slot", Severity.ERROR,
            f"{PUBLISHABLE} holds a secret key ({value[:3]}…), which is sent to every browser",
            "The publishable key is embedded in the frontend, so this secret key is public: anyone can use "
            "it against your Stripe account. Treat it as leaked.",
            Fix(f"Roll the leaked key now ({KEYS_PAGE} > Roll key), then set the publishable key (pk_…).")
            + ctx.set_fix(PUBLISHABLE, "<pk_… publishable key>"),
            vars=(PUBLISHABLE,)))
    elif not value.startswith(("pk_live_", "pk_test_")):
        out.append(Finding(
            "stripe.publishable_key_shape", Severity.ERROR,
            f"{PUBLISHABLE} is a {kind_of(value)}, not a publishable key (pk_live_/pk_test_)",
            "Stripe.js rejects it, so the checkout page cannot load.",
            ctx.set_fix(PUBLISHABLE, "<pk_… publishable key>", text=f"Copy the Publishable key from {KEYS_PAGE}."),
            vars=(PUBLISHABLE,)))


def _webhook_secret(ctx: Context, value: str, out: list[Finding]) -> None:
    if value.startswith("whsec_") and len(value) > len("whsec_") + 8:
        return
    fix = ctx.set_fix(WEBHOOK, "<whsec_… signing secret>",
                      text=f"Open {WEBHOOKS_PAGE} > your endpoint > Signing secret > Reveal.")
    if value.startswith("we_"):
        out.append(Finding(
            "stripe.webhook_endpoint_id_not_secret", Severity.ERROR,
            f"{WEBHOOK} holds a webhook endpoint id (we_…), not its signing secret (whsec_…)",
            "The endpoint id is not a key: every webhook signature check fails, so no Stripe event is accepted.",
            fix, vars=(WEBHOOK,)))
        return
    what = f"is only {len(value)} characters" if value.startswith("whsec_") else f"is a {kind_of(value)}"
    out.append(Finding(
        "stripe.webhook_secret_shape", Severity.ERROR,
        f"{WEBHOOK} {what}, not a webhook signing secret (whsec_…)",
        "Webhook signatures are computed with the endpoint's whsec_ secret; with this value every signature "
        "check fails and no Stripe event is accepted.", fix, vars=(WEBHOOK,)))


def _modes(ctx: Context, modes: dict[str, str], out: list[Finding]) -> None:
    if len(set(modes.values())) > 1:
        out.append(Finding(
            "stripe.mode_mismatch", Severity.ERROR,
            f"{SECRET} is a {modes[SECRET]}-mode key but {PUBLISHABLE} is {modes[PUBLISHABLE]}-mode",
            "Objects created in the browser with one mode do not exist in the other: payments fail with "
            "`No such token` / `No such PaymentMethod`.",
            Fix(f"Take both keys from the same mode in {KEYS_PAGE} (the Test mode toggle)."),
            vars=(SECRET, PUBLISHABLE)))
    test = tuple(name for name, mode in modes.items() if mode == "test")
    live = tuple(name for name, mode in modes.items() if mode == "live")
    if ctx.production and test:
        are = "are test keys" if len(test) > 1 else "is a test key"
        out.append(Finding(
            "stripe.test_keys_in_production", Severity.ERROR,
            f"ENVIRONMENT is production but {' and '.join(test)} {are}",
            "Test-mode keys never move real money: customers' cards are not charged.",
            _set_all(ctx, test, "live", "Switch off Test mode in the Dashboard and copy the live keys."),
            vars=(*test, "ENVIRONMENT")))
    elif ctx.nonproduction and live:  # an unset or invalid ENVIRONMENT is neither side: no key is moved
        env = ctx.known_environment
        out.append(Finding(
            "stripe.live_keys_outside_production", Severity.WARNING,
            f"ENVIRONMENT is {env} but {' and '.join(live)} {'are live keys' if len(live) > 1 else 'is a live key'}",
            "Live keys charge real cards and touch real customers; development and staging should use test keys.",
            _set_all(ctx, live, "test", "Use the Test mode keys outside production."), vars=(*live, "ENVIRONMENT")))


def _set_all(ctx: Context, names: tuple[str, ...], mode: str, text: str) -> Fix:
    prefix = {SECRET: "sk", PUBLISHABLE: "pk"}
    return ctx.set_many_fix({name: f"<{prefix[name]}_{mode}_…>" for name in names}, text)


def static_findings(ctx: Context) -> StaticResult:
    """Everything that can be said without a connection."""
    result = StaticResult([])
    modes: dict[str, str] = {}
    secret, usable = _clean(ctx, SECRET, result.findings)
    if secret is not None:
        _secret_key(ctx, secret, usable, result)
        if result.key_mode:
            modes[SECRET] = result.key_mode
    if ctx.is_set(PUBLISHABLE):
        publishable, _ = _clean(ctx, PUBLISHABLE, result.findings)
        if publishable is not None:
            _publishable_key(ctx, publishable, result.findings)
            if publishable.startswith("pk_") and mode_of(publishable):
                modes[PUBLISHABLE] = mode_of(publishable) or ""
    if ctx.is_set(WEBHOOK):
        webhook, _ = _clean(ctx, WEBHOOK, result.findings)
        if webhook is not None:
            _webhook_secret(ctx, webhook, result.findings)
    _modes(ctx, modes, result.findings)
    return result



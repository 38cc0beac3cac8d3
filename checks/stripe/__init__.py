"""The stripe check: see static.py for the offline rules and probe.py for the live ones."""

from __future__ import annotations

from checks.stripe.const import PUBLISHABLE, SDK_MODULES, SECRET, WEBHOOK
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GUIDE = "Secrets Management Guide"
_SEPARATION_DOCS = f"{_GUIDE} › Security Best Practices › Environment Separation"
_ROTATION_DOCS = f"{_GUIDE} › Key Rotation › API Keys"
_KEYS = (SECRET, PUBLISHABLE, WEBHOOK)
_API = "stripe-python"


class StripeCheck(Check):
    """Stripe keys: right kind in each variable, right mode for ENVIRONMENT, accepted by Stripe."""

    id = "stripe"
    title = "Stripe (payments)"
    vars = (SECRET, PUBLISHABLE, WEBHOOK, "FRONTEND_URL", "DOCTOR_STRIPE_API_BASE")
    network = True
    boot_critical = False
    order = 100
    docs = "Secrets Management Guide › Environment Variables › Stripe (Payments); Key Rotation › API Keys"
    catalog = (
        # -- the offline half (static.py) ------------------------------------------------------------
        FindingSpec(
            "placeholder", Severity.ERROR,
            "A Stripe variable is still the guide's example (sk_live_<key>, whsec_<secret>), not a real value.",
            "Copy the real value from Stripe Dashboard > Developers > API keys (or the endpoint's signing secret).",
            causes="The guide's or .env.example's Stripe lines copied without filling them in.", vars=_KEYS),
        FindingSpec(
            "quoted", Severity.ERROR,
            "A Stripe key or signing secret is wrapped in quotes that reach Stripe as part of the value.",
            "Set the value again without the surrounding quotes.",
            causes="A value quoted twice (in .env and inside the value), or pasted with quotes into a dashboard.",
            vars=_KEYS),
        FindingSpec(
            "whitespace", Severity.ERROR,
            f"A Stripe key or signing secret has stray whitespace: {_API} sends it as is, so calls or webhook "
            "signature checks fail.",
            "Paste the value again without spaces or newlines.",
            causes="A value pasted with a trailing newline or a no-break space. Only trailing spaces on a key, which "
                   "HTTP header parsing trims, are a warning.", vars=_KEYS),
        FindingSpec(
            "publishable_in_secret_slot", Severity.CRITICAL,
            "STRIPE_SECRET_KEY holds a publishable key (pk_…): every server-side Stripe call fails, so no payment "
            "works.",
            "Copy the Secret key (sk_…) from Stripe Dashboard > Developers > API keys into STRIPE_SECRET_KEY.",
            causes="The two keys of the API keys page swapped, or the publishable key pasted twice.", vars=(SECRET,)),
        FindingSpec(
            "secret_key_shape", Severity.ERROR,
            "STRIPE_SECRET_KEY is not a Stripe secret key (sk_live_/sk_test_/rk_…), so Stripe rejects every call.",
            "Copy the Secret key from Stripe Dashboard > Developers > API keys.",
            causes="The webhook signing secret, an endpoint id or another service's key in the wrong variable.",
            vars=(SECRET,)),
        FindingSpec(
            "restricted_key", Severity.INFO,
            "STRIPE_SECRET_KEY is a restricted key (rk_…): calls outside the permissions it was granted fail.",
            "Nothing to do if it was granted what the app uses; the live check reports permissions it sees missing.",
            causes="A restricted key created for this app on purpose (least privilege).", vars=(SECRET,)),
        FindingSpec(
            "secret_in_publishable_slot", Severity.ERROR,
            "STRIPE_PUBLISHABLE_KEY holds a secret key, which the frontend sends to every browser: treat it as "
            "leaked.",
            "Roll the key in Stripe Dashboard > Developers > API keys now, then set the publishable key (pk_…).",
            causes="The two keys of the API keys page swapped.",
            docs=f"{_GUIDE} › Emergency Procedures › Suspected Key Compromise; Key Rotation › API Keys",
            vars=(PUBLISHABLE,)),
        FindingSpec(
            "publishable_key_shape", Severity.ERROR,
            "STRIPE_PUBLISHABLE_KEY is not a publishable key (pk_live_/pk_test_), so Stripe.js cannot load checkout.",
            "Copy the Publishable key from Stripe Dashboard > Developers > API keys.",
            causes="The signing secret or another service's value pasted into the wrong variable.",
            vars=(PUBLISHABLE,)),
        FindingSpec(
            "webhook_endpoint_id_not_secret", Severity.ERROR,
            "STRIPE_WEBHOOK_SECRET holds the endpoint's id (we_…), not its signing secret: every webhook is rejected.",
            "Open Stripe Dashboard > Developers > Webhooks > your endpoint > Signing secret > Reveal, and set it.",
            causes="The id shown at the top of the endpoint's page copied instead of its signing secret.",
            vars=(WEBHOOK,)),
        FindingSpec(
            "webhook_secret_shape", Severity.ERROR,
            "STRIPE_WEBHOOK_SECRET is not a webhook signing secret (whsec_…), so every webhook signature check fails.",
            "Open Stripe Dashboard > Developers > Webhooks > your endpoint > Signing secret > Reveal, and set it.",
            causes="An API key pasted into the wrong variable, or a truncated whsec_ value.", vars=(WEBHOOK,)),
        FindingSpec(
            "mode_mismatch", Severity.ERROR,
            "The secret and publishable keys are from different modes (test and live): payments fail with "
            "`No such token`.",
            "Take both keys from the same mode in Stripe Dashboard > Developers > API keys (the Test mode toggle).",
            causes="One key updated after switching the Dashboard's Test mode toggle, the other not.",
            vars=(SECRET, PUBLISHABLE)),
        FindingSpec(
            "test_keys_in_production", Severity.ERROR,
            "ENVIRONMENT is production but a Stripe key is a test-mode key: no real card is charged.",
            "Switch off Test mode in the Stripe Dashboard, copy the live keys and set them.",
            causes="Development keys copied into the production config, or the live keys never set after launch.",
            docs=f"{_SEPARATION_DOCS}; Heroku Configuration › Set Environment Variables › Stripe",
            vars=(SECRET, PUBLISHABLE, "ENVIRONMENT")),
        FindingSpec(
            "live_keys_outside_production", Severity.WARNING,
            "A Stripe key is a live-mode key outside production: real cards are charged and real customers touched.",
            "Use the Test mode keys in development and staging.",
            causes="Production config copied to staging or a laptop, or ENVIRONMENT not set to production.",
            docs=f"{_GUIDE} › Local Development Setup › Stripe Test Mode; Security Best Practices › Environment "
                 "Separation",
            vars=(SECRET, PUBLISHABLE, "ENVIRONMENT")),
        # -- the live half (probe.py) --------------------------------------------------------------
        FindingSpec(
            "timeout", Severity.ERROR,
            "Stripe's API did not answer within the timeout: payment calls from this host hang the same way.",
            "Check outbound HTTPS to api.stripe.com from this host and https://status.stripe.com.",
            causes="A firewall dropping outbound HTTPS, a proxy that never answers, or a Stripe incident.",
            vars=(SECRET,)),
        FindingSpec(
            "unreachable", Severity.ERROR,
            "The doctor could not connect to Stripe's API (or DOCTOR_STRIPE_API_BASE is not a usable URL).",
            "Check DNS and outbound HTTPS to api.stripe.com; leave DOCTOR_STRIPE_API_BASE unset unless testing.",
            causes="No network or DNS, a refused connection, or a mistyped DOCTOR_STRIPE_API_BASE.",
            vars=(SECRET, "DOCTOR_STRIPE_API_BASE")),
        FindingSpec(
            "api_error", Severity.ERROR,
            "Stripe's API answered with a server error (HTTP 5xx): payment calls fail while it lasts.",
            "Check https://status.stripe.com and run the doctor again.",
            causes="An incident at Stripe, or a proxy in between failing.", vars=(SECRET,)),
        FindingSpec(
            "inconclusive", Severity.INFO,
            "Stripe's API gave an answer the doctor cannot judge (not JSON, or an unexpected status), so it cannot "
            "tell whether the key works.",
            "Check DOCTOR_STRIPE_API_BASE and any proxy in between, then run the doctor again.",
            causes="A captive portal or proxy answering instead of Stripe, or a DOCTOR_STRIPE_API_BASE that is not "
                   "Stripe's API.", vars=(SECRET,)),
        FindingSpec(
            "not_the_service", Severity.WARNING,
            "Something other than Stripe's API answered (HTML, a body that is not JSON, JSON of another shape, or "
            "an answer over the size cap): the key could not be checked, and payment calls reach the same answer.",
            "Check DOCTOR_STRIPE_API_BASE (leave it unset for https://api.stripe.com) and any proxy in between.",
            causes="A captive portal or proxy answering in Stripe's place, or a DOCTOR_STRIPE_API_BASE that is not "
                   "Stripe's API.", vars=(SECRET,)),
        FindingSpec(
            "key_expired", Severity.ERROR,
            "Stripe says STRIPE_SECRET_KEY has expired: every payment call fails.",
            "Roll the key in Stripe Dashboard > Developers > API keys and set the new key.",
            causes="A key rolled earlier whose grace period has ended, while the app kept the old one.",
            docs=_ROTATION_DOCS, vars=(SECRET,)),
        FindingSpec(
            "key_invalid", Severity.ERROR,
            "Stripe rejects STRIPE_SECRET_KEY as an invalid API key: every payment call fails.",
            "Copy the current secret key from Stripe Dashboard > Developers > API keys and set it.",
            causes="A deleted or rolled key, a typo, or a key from another Stripe account.", vars=(SECRET,)),
        FindingSpec(
            "permission_missing", Severity.ERROR,
            "The restricted key lacks a permission the doctor needs (e.g. rak_balance_read): calls needing it fail.",
            "Edit the restricted key in Stripe Dashboard > Developers > API keys and grant the permission named.",
            causes="A restricted key created with fewer permissions than the app uses.", vars=(SECRET,)),
        FindingSpec(
            "rate_limited", Severity.WARNING,
            "Stripe's API is rate limiting this key: payment calls are being refused too.",
            "Wait and run the doctor again; look for a job or loop flooding Stripe with requests.",
            causes="A batch job, a retry loop or load testing with this key.", vars=(SECRET,)),
        FindingSpec(
            "webhooks_unreadable", Severity.INFO,
            "The restricted key cannot list webhook endpoints, so the doctor cannot check that Stripe delivers events.",
            "Grant the key webhook read access (rak_webhook_read) if you want the doctor to check endpoints.",
            causes="A restricted key without webhook read access, which the app itself does not need.",
            vars=(SECRET,)),
        FindingSpec(
            "webhook_disabled", Severity.WARNING,
            "This app's Stripe webhook endpoint is disabled: payments succeed but the app never hears about them.",
            "Enable the endpoint in Stripe Dashboard > Developers > Webhooks (same mode as the key).",
            causes="Disabled by hand, or by Stripe after the endpoint failed for days.",
            vars=(SECRET, "FRONTEND_URL")),
        FindingSpec(
            "webhook_local", Severity.INFO,
            "FRONTEND_URL is a local host, which Stripe cannot deliver webhooks to.",
            "Forward events with `stripe listen --forward-to localhost:8000/<webhook path>` and use its whsec_.",
            causes="Local development, as expected.", vars=("FRONTEND_URL", WEBHOOK)),
        FindingSpec(
            "webhook_other_mode", Severity.WARNING,
            "This app's webhook endpoint exists only in the other mode (test or live) than the key's: no event "
            "arrives.",
            "Add the endpoint in Stripe Dashboard > Developers > Webhooks in the key's mode and set its whsec_.",
            causes="The endpoint created with the Dashboard's Test mode toggle on, and never recreated for live.",
            vars=(SECRET, "FRONTEND_URL")),
        FindingSpec(
            "webhook_missing", Severity.WARNING,
            "No webhook endpoint in the key's mode points at this app: Stripe does not notify it of payments.",
            "Add an endpoint at the app's URL in Stripe Dashboard > Developers > Webhooks and set its whsec_.",
            causes="A new deployment or domain whose endpoint was never added, or one still pointing at an old host.",
            vars=(SECRET, "FRONTEND_URL")),
        FindingSpec(
            "webhook_secret_unverifiable", Severity.INFO,
            "Stripe's API never returns a signing secret, so STRIPE_WEBHOOK_SECRET can only be checked against a "
            "real delivery.",
            "Save a delivery's raw body and Stripe-Signature header and run `doctor stripe-verify`.",
            causes="Always the case when STRIPE_WEBHOOK_SECRET is set and looks right.", vars=(WEBHOOK,)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the API probe unless offline or the key is unusable."""
        from checks.stripe.static import static_findings
        from doctor import import_in_thread

        ctx.require(SECRET)
        result = static_findings(ctx)
        if ctx.offline or result.key is None:
            return result.findings
        await import_in_thread(*SDK_MODULES)
        from checks.stripe.probe import probe

        return await probe(ctx, result)

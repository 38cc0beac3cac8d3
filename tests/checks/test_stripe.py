"""The `stripe` check, static part (offline): key kinds per variable, modes, quotes, whitespace."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.stripe import StripeCheck
from doctor import Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    get,
    ids,
    make_context,
    run_check,
    run_result,
)

SK_TEST = HEALTHY_DEV["STRIPE_SECRET_KEY"]
PK_TEST = HEALTHY_DEV["STRIPE_PUBLISHABLE_KEY"]
SK_LIVE = HEALTHY_PROD["STRIPE_SECRET_KEY"]
PK_LIVE = HEALTHY_PROD["STRIPE_PUBLISHABLE_KEY"]
WHSEC = HEALTHY_DEV["STRIPE_WEBHOOK_SECRET"]


def offline(**overrides: str) -> list:
    """Findings of the check over HEALTHY_DEV with overrides, offline."""
    return run_check(StripeCheck, {**HEALTHY_DEV, **overrides}, offline=True)


def offline_prod(**overrides: str) -> list:
    """Findings over HEALTHY_PROD with overrides, offline."""
    return run_check(StripeCheck, {**HEALTHY_PROD, **overrides}, offline=True)


def test_declaration() -> None:
    assert StripeCheck.id == "stripe"
    assert StripeCheck.title == "Stripe (payments)"
    assert StripeCheck.vars == ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "FRONTEND_URL",
                                "DOCTOR_STRIPE_API_BASE")
    assert StripeCheck.network is True and StripeCheck.boot_critical is False and StripeCheck.order == 100


def test_healthy_dev_and_prod_offline() -> None:
    assert_no_warning_or_worse(offline())
    assert_no_warning_or_worse(offline_prod())


def test_missing_secret_key_skips() -> None:
    env = {k: v for k, v in HEALTHY_DEV.items() if k != "STRIPE_SECRET_KEY"}
    result = run_result(StripeCheck, make_context(env, offline=True))
    assert result.status is Status.SKIPPED
    assert "STRIPE_SECRET_KEY" in result.skip_vars


def test_publishable_key_in_secret_slot_is_critical() -> None:
    finding = get(offline(STRIPE_SECRET_KEY=PK_TEST), "stripe.publishable_in_secret_slot")
    assert finding.severity is Severity.CRITICAL
    assert finding.vars == ("STRIPE_SECRET_KEY",)
    assert finding.fix and finding.fix.commands


def test_other_value_in_secret_slot() -> None:
    finding = get(offline(STRIPE_SECRET_KEY=WHSEC), "stripe.secret_key_shape")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "webhook signing secret" in finding.title


def test_restricted_key_is_info() -> None:
    findings = offline(STRIPE_SECRET_KEY="rk_test_" + SK_TEST[8:])
    finding = get(findings, "stripe.restricted_key")
    assert finding.severity is Severity.INFO and finding.vars == ("STRIPE_SECRET_KEY",)
    assert_no_warning_or_worse(findings)


def test_secret_key_in_publishable_slot_says_rotate() -> None:
    finding = get(offline(STRIPE_PUBLISHABLE_KEY=SK_TEST), "stripe.secret_in_publishable_slot")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_PUBLISHABLE_KEY",)
    assert "Roll" in finding.fix.text and "browser" in finding.title


def test_publishable_key_shape() -> None:
    finding = get(offline(STRIPE_PUBLISHABLE_KEY="pub_abcdefghijklmnopqrstuvwxyz"), "stripe.publishable_key_shape")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_PUBLISHABLE_KEY",)


def test_test_keys_in_production() -> None:
    finding = get(offline_prod(STRIPE_SECRET_KEY=SK_TEST, STRIPE_PUBLISHABLE_KEY=PK_TEST),
                  "stripe.test_keys_in_production")
    assert finding.severity is Severity.ERROR
    assert set(finding.vars) == {"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "ENVIRONMENT"}
    assert any("heroku config:set STRIPE_SECRET_KEY=<sk_live_" in c for c in finding.fix.commands)


def test_live_keys_outside_production() -> None:
    for environment in ("development", "staging"):
        finding = get(offline(ENVIRONMENT=environment, STRIPE_SECRET_KEY=SK_LIVE, STRIPE_PUBLISHABLE_KEY=PK_LIVE),
                      "stripe.live_keys_outside_production")
        assert finding.severity is Severity.WARNING
        assert set(finding.vars) == {"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "ENVIRONMENT"}


def test_mode_mismatch() -> None:
    findings = offline_prod(STRIPE_PUBLISHABLE_KEY=PK_TEST)
    finding = get(findings, "stripe.mode_mismatch")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY")
    assert get(findings, "stripe.test_keys_in_production").vars == ("STRIPE_PUBLISHABLE_KEY", "ENVIRONMENT")


def test_webhook_endpoint_id_instead_of_secret() -> None:
    finding = get(offline(STRIPE_WEBHOOK_SECRET="we_1MzQ2bKc8aT9vQwErTyUiOp"), "stripe.webhook_endpoint_id_not_secret")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_WEBHOOK_SECRET",)
    assert "Signing secret" in finding.fix.text


def test_webhook_secret_shape() -> None:
    finding = get(offline(STRIPE_WEBHOOK_SECRET=SK_TEST), "stripe.webhook_secret_shape")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_WEBHOOK_SECRET",)
    short = get(offline(STRIPE_WEBHOOK_SECRET="whsec_abc"), "stripe.webhook_secret_shape")
    assert "9 characters" in short.title


def test_whitespace_severities() -> None:
    newline = get(offline(STRIPE_SECRET_KEY=SK_TEST + "\n"), "stripe.whitespace")
    assert newline.severity is Severity.ERROR and newline.vars == ("STRIPE_SECRET_KEY",)
    assert "newline" in newline.title
    trailing = get(offline(STRIPE_SECRET_KEY=SK_TEST + "  "), "stripe.whitespace")
    assert trailing.severity is Severity.WARNING
    leading = get(offline(STRIPE_SECRET_KEY=" " + SK_TEST), "stripe.whitespace")
    assert leading.severity is Severity.ERROR
    nbsp = get(offline(STRIPE_SECRET_KEY=SK_TEST + "\u00a0"), "stripe.whitespace")
    assert nbsp.severity is Severity.ERROR
    webhook = get(offline(STRIPE_WEBHOOK_SECRET=WHSEC + " "), "stripe.whitespace")
    assert webhook.severity is Severity.ERROR and webhook.vars == ("STRIPE_WEBHOOK_SECRET",)
    publishable = get(offline(STRIPE_PUBLISHABLE_KEY=PK_TEST + " "), "stripe.whitespace")
    assert publishable.severity is Severity.WARNING and publishable.vars == ("STRIPE_PUBLISHABLE_KEY",)


def test_quotes_are_part_of_the_value() -> None:
    findings = offline(STRIPE_SECRET_KEY=f'"{SK_TEST}"')
    finding = get(findings, "stripe.quoted")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "stripe.secret_key_shape" not in ids(findings)  # the inner value is judged, and it is fine


def test_quotes_from_dotenv_file_are_not_a_problem() -> None:
    findings = run_check(StripeCheck, {"ENVIRONMENT": "development"}, offline=True,
                         dotenv=f'STRIPE_SECRET_KEY="{SK_TEST}"\nSTRIPE_WEBHOOK_SECRET=\'{WHSEC}\'\n')
    assert_no_warning_or_worse(findings)


def test_placeholder() -> None:
    finding = get(offline(STRIPE_SECRET_KEY="sk_live_<key>"), "stripe.placeholder")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    webhook = get(offline(STRIPE_WEBHOOK_SECRET="whsec_<secret>"), "stripe.placeholder")
    assert webhook.vars == ("STRIPE_WEBHOOK_SECRET",)


def test_no_key_value_in_any_field() -> None:
    canary = "sk_test_CANARYstaticK3yZZ9876543210"
    cases = [canary + "\n", f'"{canary}"', " " + canary, canary.replace("sk_", "pk_")]
    for value in cases:
        for finding in offline_prod(STRIPE_SECRET_KEY=value, STRIPE_PUBLISHABLE_KEY=value, STRIPE_WEBHOOK_SECRET=value):
            text = " ".join([finding.title, finding.detail, finding.fix.text if finding.fix else "",
                             *(finding.fix.commands if finding.fix else ())])
            assert "CANARYstaticK3y" not in text, finding.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.text(min_size=1, max_size=80), publishable=st.text(max_size=40), webhook=st.text(max_size=40),
       prefix=st.sampled_from(["", "sk_live_", "sk_test_", "pk_live_", "rk_test_", "whsec_", "we_", '"', " "]))
def test_never_crashes(secret: str, publishable: str, webhook: str, prefix: str) -> None:
    env = {"ENVIRONMENT": "production", "STRIPE_SECRET_KEY": prefix + secret,
           "STRIPE_PUBLISHABLE_KEY": publishable, "STRIPE_WEBHOOK_SECRET": prefix + webhook}
    env = {k: v.replace("\x00", "") for k, v in env.items()}
    result = run_result(StripeCheck, make_context(env, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED, Status.SKIPPED), result.reason

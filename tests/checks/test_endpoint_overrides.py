"""A broken endpoint override is a finding of the check that uses it, never a crash."""

from __future__ import annotations

import pytest

from checks.oauth import OAuthCheck
from checks.s3 import S3Check
from checks.stripe import StripeCheck
from checks.twilio import TwilioCheck
from doctor import Status
from tests.helpers import HEALTHY_PROD, make_context, run_result

OVERRIDES = ("DOCTOR_GOOGLE_TOKEN_URL", "DOCTOR_GOOGLE_AUTH_URL", "DOCTOR_STRIPE_API_BASE", "DOCTOR_TWILIO_API_BASE",
             "AWS_ENDPOINT_URL")


@pytest.mark.parametrize("check", [OAuthCheck, StripeCheck, TwilioCheck, S3Check])
@pytest.mark.parametrize("url", ["http://127.0.0.1:333212", "ht+tp://127.0.0.1:1", "http://[::1", "http://" + "é" * 70])
def test_unusable_override_is_a_finding(check, url: str) -> None:
    ctx = make_context({**HEALTHY_PROD, **{name: url for name in OVERRIDES}}, timeout=1)
    result = run_result(check, ctx)
    assert result.status is Status.FAILED, (result.status, result.findings)
    ids = {f.id for f in result.findings}
    assert ids & {f"{check.id}.unreachable", f"{check.id}.endpoint_invalid", f"{check.id}.request_failed"}, ids

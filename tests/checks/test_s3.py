"""The `s3` check's static half: key shapes, bucket names, region codes, environment, bad input.

All offline (`offline=True`): nothing here opens a connection. The live half is in test_s3_live.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.s3 import S3Check
from checks.s3.clock import describe_skew, skew_seconds
from checks.s3.regions import REGIONS
from checks.s3.static import bucket_name_problem, static_findings
from doctor import Severity, Status
from tests.helpers import HEALTHY_DEV, HEALTHY_PROD, assert_no_warning_or_worse, get, ids, make_context, run_result

KEY_ID, SECRET, BUCKET, REGION = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_BUCKET", "AWS_REGION"
CANARY = "CANARYs3secretQx7Zt0Wm3Lp9Vb2Nc5Rf8Hj1Kd"  # 40 characters, like a real secret
CANARY_NEEDLES = ("CANARY", "s3secret", "Rf8Hj1Kd", "Hj1K")


def offline(env: dict[str, str], base: dict[str, str] = HEALTHY_DEV) -> list:
    """The check's findings over `base` + `env`, offline, through the real Runner."""
    result = run_result(S3Check, make_context({**base, **env}, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED), (result.status, result.reason)
    return result.findings


def test_metadata() -> None:
    assert (S3Check.id, S3Check.title, S3Check.network, S3Check.boot_critical, S3Check.order) == (
        "s3", "AWS S3 (file storage)", True, False, 90)
    assert S3Check.vars == (KEY_ID, SECRET, BUCKET, REGION, "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                            "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS")


@pytest.mark.parametrize("base", [HEALTHY_DEV, HEALTHY_PROD], ids=["dev", "prod"])
def test_healthy_offline(base: dict[str, str]) -> None:
    assert_no_warning_or_worse(offline({}, base))


@pytest.mark.parametrize("missing", [KEY_ID, SECRET, BUCKET, REGION])
def test_missing_variable_skips(missing: str) -> None:
    env = {k: v for k, v in HEALTHY_DEV.items() if k != missing}
    result = run_result(S3Check, make_context(env, offline=True))
    assert result.status is Status.SKIPPED and missing in result.skip_vars


# -- bucket names ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,suggested", [
    ("Chaski-Proofs", "chaski-proofs"),
    ("ab", None),
    ("a" * 64, None),
    ("chaski_proofs", None),
    ("-chaski-proofs", None),
    ("chaski-proofs-", None),
    ("chaski..proofs", None),
    ("chaski.-proofs", None),
    ("192.168.1.10", None),
    ("xn--chaski", None),
    ("sthree-chaski", None),
    ("chaski-proofs-s3alias", None),
    ("chaski--ol-s3", None),
    ("s3://chaski-proofs/uploads", "chaski-proofs"),
    ("arn:aws:s3:::chaski-proofs", "chaski-proofs"),
    ("https://chaski-proofs.s3.amazonaws.com", "chaski-proofs"),
    ("chaski-proofs.s3.eu-west-1.amazonaws.com", "chaski-proofs"),
    ("https://s3.amazonaws.com/chaski-proofs", "chaski-proofs"),
])
def test_bucket_name_invalid(name: str, suggested: str | None) -> None:
    found = get(offline({BUCKET: name}), "s3.bucket_name_invalid")
    assert found.severity is Severity.ERROR and found.vars == (BUCKET,)
    assert found.fix is not None
    expected = f"{BUCKET}={suggested}" if suggested else f"{BUCKET}=<bucket-name>"
    assert expected in found.fix.commands


@pytest.mark.parametrize("name", ["chaski-production-proofs", "abc", "a.b.c", "123", "x" * 63, "chaski.proofs.eu"])
def test_bucket_name_valid(name: str) -> None:
    assert bucket_name_problem(name) is None


# -- regions ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed,code", [
    ("US East (N. Virginia)", "us-east-1"),
    ("us-east-1 ", "us-east-1"),
    (" eu-west-1", "eu-west-1"),
    ('"us-west-2"', "us-west-2"),
    ("US-EAST-1", "us-east-1"),
    ("us-east-1a", "us-east-1"),
    ("us_west_2", "us-west-2"),
    ("Europe (Ireland)", "eu-west-1"),
    ("EU (Frankfurt)", "eu-central-1"),
    ("South America (São Paulo)", "sa-east-1"),
    ("s3.eu-west-2.amazonaws.com", "eu-west-2"),
    ("AWS GovCloud (US-West)", "us-gov-west-1"),
])
def test_region_typed_forms_suggest_the_code(typed: str, code: str) -> None:
    found = get(offline({REGION: typed}), "s3.region_invalid")
    assert found.severity is Severity.ERROR and found.vars == (REGION,)
    assert found.fix is not None and f"{REGION}={code}" in found.fix.commands


@pytest.mark.parametrize("typed", ["mars-north-1", "us-east", "virginia-ish", "Central"])
def test_region_unknown(typed: str) -> None:
    found = get(offline({REGION: typed}), "s3.region_invalid")
    assert found.fix is not None and f"{REGION}=<region-code>" in found.fix.commands


@pytest.mark.parametrize("code", ["us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1", "us-gov-west-1",
                                  "cn-north-1", "cn-northwest-1", "il-central-1"])
def test_region_codes_accepted(code: str) -> None:
    assert code in REGIONS
    assert "s3.region_invalid" not in ids(offline({REGION: code}))


def test_production_region_fix_uses_heroku() -> None:
    found = get(offline({REGION: "US East (Ohio)"}, HEALTHY_PROD), "s3.region_invalid")
    assert found.fix is not None and found.fix.commands == ("heroku config:set AWS_REGION=us-east-2",)


# -- keys ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key_id", ["AKIA123", "akiaiosfodnn7example", "AIDAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE1",
                                    "AKIAIOSFODNN7EXAMPL!"])
def test_access_key_shape(key_id: str) -> None:
    found = get(offline({KEY_ID: key_id}), "s3.access_key_shape")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID,)


def test_access_key_shape_relaxed_for_custom_endpoint() -> None:
    findings = offline({KEY_ID: "minioadmin", SECRET: "minioadmin", "AWS_ENDPOINT_URL": "http://localhost:9000"})
    assert not ids(findings) & {"s3.access_key_shape", "s3.secret_shape"}


def test_temporary_key_without_session_token() -> None:
    found = get(offline({KEY_ID: "ASIAIOSFODNN7EXAMPLE"}), "s3.session_token_missing")
    assert found.severity is Severity.WARNING and found.vars == (KEY_ID, "AWS_SESSION_TOKEN")


@pytest.mark.parametrize("base,severity", [(HEALTHY_DEV, Severity.INFO), (HEALTHY_PROD, Severity.WARNING)])
def test_temporary_key_with_session_token(base: dict[str, str], severity: Severity) -> None:
    findings = offline({KEY_ID: "ASIAIOSFODNN7EXAMPLE", "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr" + "x" * 200}, base)
    assert "s3.session_token_missing" not in ids(findings)
    assert get(findings, "s3.temporary_credentials").severity is severity


@pytest.mark.parametrize("secret,severity", [(CANARY[:39], Severity.ERROR), (CANARY + "x", Severity.ERROR),
                                             (CANARY[:39] + "!", Severity.WARNING)])
def test_secret_shape(secret: str, severity: Severity) -> None:
    found = get(offline({SECRET: secret}), "s3.secret_shape")
    assert found.severity is severity and found.vars == (SECRET,)


def test_keys_swapped() -> None:
    findings = offline({KEY_ID: CANARY, SECRET: "AKIAIOSFODNN7EXAMPLE"})
    found = get(findings, "s3.keys_swapped")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, SECRET)
    assert not ids(findings) & {"s3.access_key_shape", "s3.secret_shape"}


@pytest.mark.parametrize("name", [KEY_ID, SECRET, BUCKET])
@pytest.mark.parametrize("wrap,slug", [(" {} ", "whitespace"), ("{}\n", "whitespace"), ("{}\r\n", "whitespace"),
                                       ("\u200b{}", "whitespace"), ('"{}"', "quoted"), ("'{}'", "quoted")])
def test_whitespace_and_quotes(name: str, wrap: str, slug: str) -> None:
    found = get(offline({name: wrap.format(HEALTHY_DEV[name])}), f"s3.{slug}")
    assert found.severity is Severity.ERROR and found.vars == (name,)


def test_bucket_whitespace_fix_shows_clean_name() -> None:
    found = get(offline({BUCKET: "chaski-dev-proofs "}), "s3.whitespace")
    assert found.fix is not None and f"{BUCKET}=chaski-dev-proofs" in found.fix.commands


@pytest.mark.parametrize("name,value", [(KEY_ID, "<access-key>"), (SECRET, "<secret-key>"), (BUCKET, "<bucket>")])
def test_placeholders(name: str, value: str) -> None:
    found = get(offline({name: value}), "s3.placeholder")
    assert found.severity is Severity.ERROR and found.vars == (name,)


# -- environment naming ----------------------------------------------------------------------------
@pytest.mark.parametrize("bucket", ["chaski-dev-proofs", "chaski-staging-proofs", "test-chaski", "chaski.qa.proofs",
                                    "dev"])
def test_production_uses_other_environment_bucket(bucket: str) -> None:
    found = get(offline({BUCKET: bucket}, HEALTHY_PROD), "s3.bucket_environment")
    assert found.severity is Severity.WARNING and found.vars == (BUCKET, "ENVIRONMENT")


def test_development_uses_production_bucket() -> None:
    found = get(offline({BUCKET: "chaski-production-proofs"}), "s3.bucket_environment")
    assert found.severity is Severity.WARNING


@pytest.mark.parametrize("bucket", ["chaski-devices-proofs", "chaski-latest-proofs", "chaski-proofs"])
def test_environment_words_match_whole_words(bucket: str) -> None:
    assert "s3.bucket_environment" not in ids(offline({BUCKET: bucket}, HEALTHY_PROD))


# -- clock skew arithmetic (live behaviour in test_s3_live.py) --------------------------------------
def test_skew_from_s3_error_fields() -> None:
    response = {"Error": {"Code": "RequestTimeTooSkewed", "RequestTime": "2026-01-01T12:00:00Z",
                          "ServerTime": "2026-01-01T10:30:00Z"}}
    assert skew_seconds(response) == 5400
    assert describe_skew(5400) == "1 h 30 min ahead of AWS"


def test_skew_from_an_sts_message_and_a_hostile_one() -> None:
    message = ("Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z "
               "(20260101T002500Z - 15 min.)")
    assert skew_seconds({"Error": {"Message": message}}) == -1500
    # A 1 MB message of stamps and digits (once 39 s of backtracking on the event loop) reads only its start.
    hostile = "20260101T000000Z (" + "20260101T00000" * 75_000 + " (20260101T002500Z - 15 min"
    assert skew_seconds({"Error": {"Message": hostile}}) is None


def test_skew_from_date_header() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    response = {"Error": {"Code": "RequestTimeTooSkewed"},
                "ResponseMetadata": {"HTTPHeaders": {"date": "Thu, 01 Jan 2026 12:20:00 GMT"}}}
    assert skew_seconds(response, now) == -1200
    assert describe_skew(-1200) == "20 min behind AWS"
    assert skew_seconds({"Error": {"ServerTime": "garbage", "RequestTime": "x"}}) is None


# -- secrets and robustness ------------------------------------------------------------------------
@pytest.mark.parametrize("env", [
    {SECRET: CANARY + " "}, {SECRET: f'"{CANARY}"'}, {SECRET: CANARY[:30]}, {SECRET: CANARY[:39] + "!"},
    {KEY_ID: CANARY, SECRET: "AKIAIOSFODNN7EXAMPLE"}, {KEY_ID: "ASIAIOSFODNN7EXAMPLE", SECRET: CANARY},
    {SECRET: CANARY, BUCKET: "Bad_Bucket", REGION: "nowhere"}, {SECRET: "\u200b" + CANARY},
], ids=["whitespace", "quoted", "short", "charset", "swapped", "asia", "all-bad", "invisible"])
def test_canary_never_in_static_findings(env: dict[str, str]) -> None:
    findings = offline(env, HEALTHY_PROD) + offline(env)
    assert findings
    for f in findings:
        text = " ".join([f.title, f.detail, f.fix.text if f.fix else "", *(f.fix.commands if f.fix else ())])
        for needle in CANARY_NEEDLES:
            assert needle not in text, (f.id, needle)


_VALUES = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["", " ", '""', "''", "\n", "s3://", "arn:aws:s3:::", "AKIA", "ASIA" + "Z" * 16, "x" * 5000, "1.2.3.4",
     "us-east-1", "\ufeffus-east-1", "é" * 40])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key_id=_VALUES, secret=_VALUES, bucket=_VALUES, region=_VALUES)
def test_static_never_raises(key_id: str, secret: str, bucket: str, region: str) -> None:
    env = {**HEALTHY_PROD, KEY_ID: key_id, SECRET: secret, BUCKET: bucket, REGION: region}
    findings = static_findings(make_context(env, offline=True))
    assert all(f.id.startswith("s3.") and f.vars for f in findings)

"""The `twilio` check offline: optional-skip behaviour and the static shape checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.twilio import TwilioCheck
from checks.twilio.static import normalise_phone
from doctor.model import Finding, Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    findings_text,
    get,
    ids,
    make_context,
    run_result,
)

SID, TOKEN, PHONE = "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"
TWILIO = {k: HEALTHY_PROD[k] for k in (SID, TOKEN, PHONE)}
CANARY_TOKEN = "CanaryTwilioTok3n-zq9x"  # malformed on purpose: exercises the shape paths
LAZY = ("twilio", "aiohttp", "aiohttp_retry", "httpx")  # the probe's SDK and its transport


def offline(env: dict[str, str], **kwargs: object) -> list[Finding]:
    result = run_result(TwilioCheck, make_context(env, offline=True, **kwargs))  # type: ignore[arg-type]
    assert result.status is not Status.CRASHED, result
    return result.findings




def test_unconfigured_twilio_is_skipped_as_optional():
    result = run_result(TwilioCheck, make_context(HEALTHY_DEV, offline=True))
    assert result.status is Status.SKIPPED
    assert result.reason == "Twilio is not configured (optional)"
    assert result.findings == []


def test_partial_twilio_skips_and_names_the_missing_variables():
    result = run_result(TwilioCheck, make_context({**HEALTHY_DEV, SID: TWILIO[SID]}, offline=True))
    assert result.status is Status.SKIPPED
    assert set(result.skip_vars) == {TOKEN, PHONE}
    assert "env.missing" in (result.reason or "")


def test_healthy_prod_and_dev_offline_have_no_warning():
    assert_no_warning_or_worse(offline(HEALTHY_PROD))
    assert_no_warning_or_worse(offline({**HEALTHY_DEV, **TWILIO}))
    assert offline(HEALTHY_PROD) == []


def test_api_key_sid_is_explained():
    findings = offline({**HEALTHY_PROD, SID: "SK" + "0123456789abcdef0123456789abcdef"})
    finding = get(findings, "twilio.api_key_sid_not_account_sid")
    assert finding.severity is Severity.ERROR
    assert finding.vars == (SID,)
    assert "API key" in finding.detail and "AC" in finding.detail
    assert "twilio.account_sid_shape" not in ids(findings)


def test_account_sid_shape():
    for bad, words in (("AC123", "3 characters after AC"), ("XX" + "a" * 32, "does not start with AC"),
                       ("AC" + "g" * 32, "other than 0-9")):
        finding = get(offline({**HEALTHY_PROD, SID: bad}), "twilio.account_sid_shape")
        assert finding.severity is Severity.ERROR and finding.vars == (SID,)
        assert words in finding.title


def test_auth_token_shape_never_shows_the_token():
    findings = offline({**HEALTHY_PROD, TOKEN: CANARY_TOKEN})
    finding = get(findings, "twilio.auth_token_shape")
    assert finding.severity is Severity.ERROR and finding.vars == (TOKEN,)
    assert f"{len(CANARY_TOKEN)} characters" in finding.title
    assert CANARY_TOKEN not in findings_text(findings)


def test_phone_not_e164_suggests_the_normalised_number():
    finding = get(offline({**HEALTHY_PROD, PHONE: "+1 (415) 555-0123"}), "twilio.phone_not_e164")
    assert finding.severity is Severity.ERROR and finding.vars == (PHONE,)
    assert "+14155550123" in finding.detail
    assert any("+14155550123" in c for c in finding.fix.commands)
    no_plus = get(offline({**HEALTHY_PROD, PHONE: "14155550123"}), "twilio.phone_not_e164")
    assert "Did you mean +14155550123?" in no_plus.detail


def test_phone_without_country_code_gets_no_guess():
    finding = get(offline({**HEALTHY_PROD, PHONE: "415-555-0123"}), "twilio.phone_not_e164")
    assert "Did you mean" not in finding.detail
    assert any("<+countrycode and number>" in c for c in finding.fix.commands)


def test_normalise_phone():
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("0044 20 7946 0958") == "+442079460958"
    assert normalise_phone("+1.415.555.0123") == "+14155550123"
    assert normalise_phone("4155550123") is None
    assert normalise_phone("call me") is None


def test_whitespace_around_the_token_is_an_error_without_echo():
    findings = offline({**HEALTHY_PROD, TOKEN: TWILIO[TOKEN] + " "})
    finding = get(findings, "twilio.stray_characters")
    assert finding.severity is Severity.ERROR and finding.vars == (TOKEN,)
    assert "trailing whitespace" in finding.title
    assert TWILIO[TOKEN] not in findings_text(findings)
    assert "twilio.auth_token_shape" not in ids(findings)


def test_quoted_sid_is_an_error_with_the_clean_value_as_fix():
    finding = get(offline({**HEALTHY_PROD, SID: f'"{TWILIO[SID]}"'}), "twilio.stray_characters")
    assert finding.vars == (SID,) and "quotes" in finding.title
    assert any(c.endswith(f"{SID}={TWILIO[SID]}") for c in finding.fix.commands)


def test_placeholders_from_the_guide():
    env = {**HEALTHY_PROD, SID: "<account-sid>", TOKEN: "<auth-token>", PHONE: "+1234567890"}
    findings = offline(env)
    finding = get(findings, "twilio.placeholder")
    assert finding.severity is Severity.ERROR
    assert set(finding.vars) == {SID, TOKEN, PHONE}
    assert not {"twilio.account_sid_shape", "twilio.auth_token_shape"} & ids(findings)


def test_fix_is_heroku_config_in_production_and_dotenv_locally():
    prod = get(offline({**HEALTHY_PROD, PHONE: "14155550123"}), "twilio.phone_not_e164")
    assert prod.fix.commands == ("heroku config:set TWILIO_PHONE_NUMBER=+14155550123",)
    dev = get(offline({**HEALTHY_DEV, **TWILIO, PHONE: "14155550123"}), "twilio.phone_not_e164")
    assert dev.fix.commands == ("TWILIO_PHONE_NUMBER=+14155550123",)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sid=st.text(max_size=80), token=st.text(max_size=80), phone=st.text(max_size=40))
def test_never_crashes_and_never_echoes_the_token(sid, token, phone):
    env = {**HEALTHY_PROD, SID: sid or "x", TOKEN: token or "x", PHONE: phone or "x"}
    result = run_result(TwilioCheck, make_context(env, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED, Status.SKIPPED), result
    clean = token.strip()
    if len(clean) >= 8 and not any(clean in other for other in (sid, phone, "TWILIO_AUTH_TOKEN TWILIO_ACCOUNT_SID")):
        assert clean not in findings_text(result.findings)


@pytest.mark.parametrize("args", [["--offline", "--format", "json"], ["--version"], ["list", "--findings"],
                                  ["explain", "twilio.auth_failed"]])
def test_sdk_is_not_imported_without_a_probe(tmp_path: Path, args: list[str]) -> None:
    """With Twilio configured, --offline, --version, list and explain load neither the SDK nor aiohttp."""
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in HEALTHY_PROD.items()))
    code = (
        "import sys\nfrom doctor.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {LAZY!r})\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_environ(), timeout=120)
    assert "LOADED=" in proc.stderr, proc.stderr
    assert proc.stderr.rsplit("LOADED=", 1)[1].strip() == ""
    if args[0] == "--offline":
        assert '"twilio"' in proc.stdout  # the check did run (its static part)


def test_catalog_declares_every_static_and_probe_id():
    """The catalog names each id the check's modules can emit, with production's default severity."""
    catalog = {spec.slug: spec for spec in TwilioCheck.catalog}
    assert len(catalog) == len(TwilioCheck.catalog)  # no slug twice
    assert catalog["trial_account"].severity is Severity.WARNING
    assert all(spec.severity is Severity.ERROR for slug, spec in catalog.items() if slug != "trial_account")
    assert catalog["auth_failed"].vars == (SID, TOKEN)

"""The `twilio` check online, against a loopback server speaking Twilio's REST wire format."""

from __future__ import annotations

import base64
import time

from checks.twilio import TwilioCheck
from doctor.model import Finding, Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    findings_text,
    free_port,
    get,
    ids,
    make_context,
    run_result,
)
from tests.servers import twilio as twilio_servers
from tests.servers.http import SilentListener
from tests.servers.twilio import (
    CLOSED_SID,
    GOOD_SID,
    GOOD_TOKEN,
    SMS_NUMBER,
    SUSPENDED_SID,
    TRIAL_SID,
    VOICE_ONLY_NUMBER,
    TwilioServer,
    default_accounts,
)

twilio_api = twilio_servers.twilio_api  # the fixtures, made visible to pytest in this module
twilio_server = twilio_servers.twilio_server

SID, TOKEN, PHONE = "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"
CANARY = "c0ffee15dead4bad0f00d5ca1ab1e999"  # a well-formed token, so it reaches every live path


def live(base: str, timeout: float = 5.0, base_env: dict[str, str] = HEALTHY_PROD, **env: str) -> list[Finding]:
    """Findings of the check against `base`; never a crash or a runner timeout."""
    ctx = make_context({**base_env, "DOCTOR_TWILIO_API_BASE": base, **env}, timeout=timeout)
    result = run_result(TwilioCheck, ctx)
    assert result.status not in (Status.CRASHED, Status.TIMED_OUT), result
    return result.findings


def basic_auth(request) -> tuple[str, str]:
    header = request.headers["authorization"]
    assert header.startswith("Basic ")
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def test_healthy_prod_passes_and_sends_the_right_requests(twilio_server):
    findings = live(twilio_server.url)
    assert findings == []
    account, numbers = twilio_server.requests
    assert (account.method, account.path) == ("GET", f"/2010-04-01/Accounts/{GOOD_SID}.json")
    assert basic_auth(account) == (GOOD_SID, GOOD_TOKEN)
    assert (numbers.method, numbers.path) == ("GET", f"/2010-04-01/Accounts/{GOOD_SID}/IncomingPhoneNumbers.json")
    assert numbers.query == {"PhoneNumber": [SMS_NUMBER]}
    assert basic_auth(numbers) == (GOOD_SID, GOOD_TOKEN)


def test_healthy_dev_with_twilio_has_no_warning(twilio_server):
    twilio_env = {k: HEALTHY_PROD[k] for k in (SID, TOKEN, PHONE)}
    assert_no_warning_or_worse(live(twilio_server.url, base_env={**HEALTHY_DEV, **twilio_env}))


def test_offline_opens_no_connection(twilio_server):
    ctx = make_context({**HEALTHY_PROD, "DOCTOR_TWILIO_API_BASE": twilio_server.url}, offline=True)
    result = run_result(TwilioCheck, ctx)
    assert result.findings == [] and result.offline_partial
    assert twilio_server.requests == []


def test_wrong_token_is_auth_failed(twilio_server):
    findings = live(twilio_server.url, **{TOKEN: CANARY})
    finding = get(findings, "twilio.auth_failed")
    assert finding.severity is Severity.ERROR
    assert finding.vars == (SID, TOKEN)
    assert "20003" in finding.title
    assert len(twilio_server.requests) == 1  # no number lookup after a failed login
    assert CANARY not in findings_text(findings)


def test_suspended_and_closed_accounts(twilio_server):
    for sid, finding_id in ((SUSPENDED_SID, "twilio.account_suspended"), (CLOSED_SID, "twilio.account_closed")):
        finding = get(live(twilio_server.url, **{SID: sid}), finding_id)
        assert finding.severity is Severity.ERROR and finding.vars == (SID,)


def test_trial_account_warns_in_production_only(twilio_server):
    prod = get(live(twilio_server.url, **{SID: TRIAL_SID}), "twilio.trial_account")
    assert prod.severity is Severity.WARNING and prod.vars == (SID,)
    assert "verified" in prod.detail
    dev = get(live(twilio_server.url, **{SID: TRIAL_SID, "ENVIRONMENT": "development"}), "twilio.trial_account")
    assert dev.severity is Severity.INFO


def test_number_not_on_account(twilio_server):
    findings = live(twilio_server.url, **{PHONE: "+14155550100"})
    finding = get(findings, "twilio.number_not_on_account")
    assert finding.severity is Severity.ERROR and finding.vars == (PHONE, SID)
    assert twilio_server.requests[-1].query == {"PhoneNumber": ["+14155550100"]}


def test_voice_only_number(twilio_server):
    finding = get(live(twilio_server.url, **{PHONE: VOICE_ONLY_NUMBER}), "twilio.number_not_sms_capable")
    assert finding.severity is Severity.ERROR and finding.vars == (PHONE,)


def test_outage_is_api_error(twilio_server):
    twilio_server.fail_with = 503
    finding = get(live(twilio_server.url), "twilio.api_error")
    assert finding.severity is Severity.ERROR and "503" in finding.title and finding.vars == (SID,)


def test_silent_server_times_out_quickly():
    with SilentListener() as silent:
        started = time.monotonic()
        findings = live(silent.url, timeout=1.0)
        elapsed = time.monotonic() - started
    finding = get(findings, "twilio.timeout")
    assert finding.severity is Severity.ERROR and finding.vars == (SID,)
    assert elapsed < 2.5


def test_refused_connection_is_unreachable():
    finding = get(live(f"http://127.0.0.1:{free_port()}"), "twilio.unreachable")
    assert finding.severity is Severity.ERROR and finding.vars == (SID,)
    assert "ConnectError" in finding.detail


def test_invalid_api_base_is_unreachable_not_a_crash():
    finding = get(live("not a url at all"), "twilio.unreachable")
    assert finding.severity is Severity.ERROR


def test_api_base_credentials_are_not_shown(twilio_server):
    base = twilio_server.url.replace("http://", "http://proxyuser:proxy-pass-999@")
    twilio_server.fail_with = 502
    findings = live(base)
    assert "proxy-pass-999" not in findings_text(findings)


def test_stray_whitespace_probes_with_the_clean_token(twilio_server):
    findings = live(twilio_server.url, **{TOKEN: GOOD_TOKEN + "\n"})
    assert ids(findings) == {"twilio.stray_characters"}
    assert basic_auth(twilio_server.requests[0]) == (GOOD_SID, GOOD_TOKEN)


def test_canary_token_never_leaks_on_any_failure_path():
    """The canary is the accounts' real token here, so every live path is reached with it."""
    with TwilioServer(default_accounts(token=CANARY)) as server, SilentListener() as silent:
        cases = [
            (server.url, {TOKEN: CANARY[::-1]}, "twilio.auth_failed"),
            (server.url, {SID: SUSPENDED_SID}, "twilio.account_suspended"),
            (server.url, {SID: CLOSED_SID}, "twilio.account_closed"),
            (server.url, {SID: TRIAL_SID}, "twilio.trial_account"),
            (server.url, {PHONE: "+14155550100"}, "twilio.number_not_on_account"),
            (server.url, {PHONE: VOICE_ONLY_NUMBER}, "twilio.number_not_sms_capable"),
            (server.url, {TOKEN: f"  '{CANARY}'"}, "twilio.stray_characters"),
            (server.url, {TOKEN: CANARY + "zz"}, "twilio.auth_token_shape"),
            (server.url, {SID: "SK" + "1" * 32}, "twilio.api_key_sid_not_account_sid"),
            (silent.url, {}, "twilio.timeout"),
            (f"http://127.0.0.1:{free_port()}", {}, "twilio.unreachable"),
        ]
        for base, extra, expected in cases:
            findings = live(base, timeout=1.0, **{TOKEN: CANARY, **extra})
            assert expected in ids(findings), (expected, ids(findings))
            shown = findings_text(findings)
            assert CANARY not in shown and CANARY[:-4] not in shown, expected
        server.fail_with = 500
        findings = live(server.url, **{TOKEN: CANARY})
        assert "twilio.api_error" in ids(findings) and CANARY not in findings_text(findings)

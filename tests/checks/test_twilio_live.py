"""The `twilio` check online, against a loopback server speaking Twilio's REST wire format."""

from __future__ import annotations

import base64
import gc
import json
import logging
import time
import warnings

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
    run_doctor,
    run_result,
)
from tests.servers import twilio as twilio_servers
from tests.servers.http import Response, SilentListener
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


# -- the SDK path: base URL, HTTP errors, odd answers, timeouts, retries, logging, cleanup ---------------------------


def test_api_base_path_is_where_the_sdk_sends_requests(twilio_server):
    """DOCTOR_TWILIO_API_BASE is the api domain's base URL: a wrong path prefix gets the fake's 404 (20404)."""
    finding = get(live(twilio_server.url + "/not-twilio"), "twilio.api_error")
    assert finding.severity is Severity.ERROR and finding.vars == (SID,)
    assert "HTTP 404" in finding.title and "20404" in finding.title
    (request,) = twilio_server.requests
    assert request.path == f"/not-twilio/2010-04-01/Accounts/{GOOD_SID}.json"
    assert basic_auth(request) == (GOOD_SID, GOOD_TOKEN)


def test_server_error_is_api_error_and_is_not_retried(twilio_server):
    twilio_server.fail_with = 500
    finding = get(live(twilio_server.url), "twilio.api_error")
    assert finding.severity is Severity.ERROR and finding.vars == (SID,)
    assert "HTTP 500" in finding.title and "20500" in finding.title
    assert len(twilio_server.requests) == 1  # no retry


def test_non_json_answer_is_api_error(twilio_server):
    twilio_server.reply = Response(200, "<html><body>Please sign in to the guest Wi-Fi</body></html>")
    finding = get(live(twilio_server.url), "twilio.api_error")
    assert finding.severity is Severity.ERROR
    assert "HTTP 200, not the JSON Twilio sends" in finding.title


def test_redirect_is_not_followed(twilio_server):
    twilio_server.reply = Response(302, {"moved": True}, {"Location": f"http://127.0.0.1:{free_port()}/elsewhere"})
    finding = get(live(twilio_server.url), "twilio.api_error")
    assert finding.severity is Severity.ERROR and "HTTP 302" in finding.title
    assert len(twilio_server.requests) == 1


def test_number_lookup_outage_is_api_error(twilio_server):
    twilio_server.numbers_reply = Response(503, {"code": 20503, "message": "Service unavailable", "status": 503})
    findings = live(twilio_server.url)
    assert ids(findings) == {"twilio.api_error"}
    finding = get(findings, "twilio.api_error")
    assert "HTTP 503" in finding.title and "20503" in finding.title
    assert [r.path for r in twilio_server.requests] == [f"/2010-04-01/Accounts/{GOOD_SID}.json",
                                                        f"/2010-04-01/Accounts/{GOOD_SID}/IncomingPhoneNumbers.json"]


def test_number_lookup_rejected_is_auth_failed(twilio_server):
    twilio_server.numbers_reply = Response(401, twilio_servers.AUTHENTICATE)
    finding = get(live(twilio_server.url), "twilio.auth_failed")
    assert finding.severity is Severity.ERROR and finding.vars == (SID, TOKEN)
    assert "20003" in finding.title


def test_number_lookup_without_records_is_api_error(twilio_server):
    twilio_server.numbers_reply = Response(200, {"page": 0, "uri": "/x"})
    finding = get(live(twilio_server.url), "twilio.api_error")
    assert "not the JSON Twilio sends" in finding.title


def test_number_lookup_that_never_answers_times_out_without_retry(twilio_server):
    twilio_server.stall_numbers = 5.0
    started = time.monotonic()
    findings = live(twilio_server.url, timeout=1.0)
    elapsed = time.monotonic() - started
    finding = get(findings, "twilio.timeout")
    assert finding.severity is Severity.ERROR and "1 s" in finding.title
    assert elapsed < 3.0
    assert len(twilio_server.requests) == 2  # the account, then one number lookup: no retry


def test_api_base_credentials_are_never_sent(twilio_server):
    base = twilio_server.url.replace("http://", "http://proxyuser:proxy-pass-999@")
    assert live(base) == []
    assert all(basic_auth(r) == (GOOD_SID, GOOD_TOKEN) for r in twilio_server.requests)


def test_process_environment_edge_and_region_are_ignored(twilio_server, monkeypatch):
    """The SDK would read TWILIO_EDGE/TWILIO_REGION from os.environ and rewrite the API host."""
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    assert live(twilio_server.url) == []
    assert len(twilio_server.requests) == 2


def test_sdk_logs_nothing_and_prints_nothing(twilio_server, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    live(twilio_server.url)
    twilio_server.fail_with = 503
    live(twilio_server.url, **{TOKEN: CANARY})
    assert not [r for r in caplog.records if r.name.split(".")[0] in ("twilio", "aiohttp", "aiohttp_retry")]
    assert "Twilio API Request" not in caplog.text and CANARY not in caplog.text
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_aiohttp_session_is_closed_on_every_path(twilio_server, caplog):
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught, SilentListener() as silent:
        warnings.simplefilter("always")
        assert live(twilio_server.url) == []
        get(live(silent.url, timeout=0.5), "twilio.timeout")
        get(live(f"http://127.0.0.1:{free_port()}"), "twilio.unreachable")
        twilio_server.stall_numbers = 3.0
        get(live(twilio_server.url, timeout=0.5), "twilio.timeout")
        gc.collect()
    unclosed = [str(w.message) for w in caught if "Unclosed" in str(w.message)]
    assert unclosed == []
    assert "Unclosed" not in caplog.text


def test_doctor_cli_prints_nothing_on_stderr(twilio_server, tmp_path):
    env = tmp_path / ".env"
    env.write_text("".join(f"{k}={v}\n" for k, v in {**HEALTHY_PROD, "DOCTOR_TWILIO_API_BASE": twilio_server.url,
                                                      TOKEN: CANARY}.items()))
    proc = run_doctor("--env-file", str(env), "--only", "twilio", "--timeout", "5", "--format", "json", "-v",
                      cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    report = json.loads(proc.stdout)
    assert [f["id"] for f in report["findings"]] == ["twilio.auth_failed"]
    assert CANARY not in proc.stdout

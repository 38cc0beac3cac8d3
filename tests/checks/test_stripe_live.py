"""The `stripe` check against a loopback server speaking Stripe's wire format (tests/servers/stripe.py)."""

from __future__ import annotations

import json
import logging
import time
import warnings

import pytest

from checks.stripe import StripeCheck
from doctor import Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    free_port,
    get,
    ids,
    make_context,
    run_check,
    run_doctor,
    run_result,
)
from tests.servers import stripe as stripe_server
from tests.servers.http import RecordingServer, Response, SilentListener
from tests.servers.stripe import (
    EXPIRED_KEY,
    LIVE_KEY,
    RESTRICTED_KEY,
    RESTRICTED_TEST_KEY,
    TEST_KEY,
    FakeStripe,
    KeyInfo,
    endpoint,
)

fake_stripe = stripe_server.fake_stripe  # the fixture, made visible to this module

PROD_HOOK = "https://chaski-app.herokuapp.com/api/webhooks/stripe"


def prod_env(server_url: str, **overrides: str) -> dict[str, str]:
    """HEALTHY_PROD pointed at the fake, with the fake's live key."""
    return {**HEALTHY_PROD, "STRIPE_SECRET_KEY": LIVE_KEY, "DOCTOR_STRIPE_API_BASE": server_url, **overrides}


def dev_env(server_url: str, **overrides: str) -> dict[str, str]:
    """HEALTHY_DEV pointed at the fake, with the fake's test key."""
    return {**HEALTHY_DEV, "STRIPE_SECRET_KEY": TEST_KEY, "DOCTOR_STRIPE_API_BASE": server_url, **overrides}


def test_healthy_prod_sends_get_with_bearer_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.endpoints.append(endpoint(PROD_HOOK))
    findings = run_check(StripeCheck, prod_env(fake_stripe.url))
    assert_no_warning_or_worse(findings)
    assert [(r.method, r.path) for r in fake_stripe.requests] == [("GET", "/v1/balance"),
                                                                 ("GET", "/v1/webhook_endpoints")]
    assert fake_stripe.requests[1].query == {"limit": ["100"]}
    assert all(r.headers["authorization"] == f"Bearer {LIVE_KEY}" for r in fake_stripe.requests)
    note = get(findings, "stripe.webhook_secret_unverifiable")
    assert note.severity is Severity.INFO and note.vars == ("STRIPE_WEBHOOK_SECRET",)
    assert any("doctor stripe-verify" in c for c in note.fix.commands)


def test_healthy_dev_on_localhost(fake_stripe: FakeStripe) -> None:
    findings = run_check(StripeCheck, dev_env(fake_stripe.url))
    assert_no_warning_or_worse(findings)
    local = get(findings, "stripe.webhook_local")
    assert local.severity is Severity.INFO and "stripe listen" in local.fix.commands[0]


def test_offline_and_unusable_keys_send_nothing(fake_stripe: FakeStripe) -> None:
    run_check(StripeCheck, prod_env(fake_stripe.url), offline=True)
    findings = run_check(StripeCheck, prod_env(fake_stripe.url, STRIPE_SECRET_KEY="pk_live_" + LIVE_KEY[8:]))
    assert "stripe.publishable_in_secret_slot" in ids(findings)
    run_check(StripeCheck, prod_env(fake_stripe.url, STRIPE_SECRET_KEY=LIVE_KEY + "\n"))
    assert fake_stripe.requests == []


def test_invalid_key(fake_stripe: FakeStripe) -> None:
    unknown = "sk_live_" + "Z" * 40 + "9876"
    finding = get(run_check(StripeCheck, prod_env(fake_stripe.url, STRIPE_SECRET_KEY=unknown)), "stripe.key_invalid")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "Invalid API Key provided" in finding.detail and "ZZZZ" not in finding.detail


def test_expired_key_says_roll(fake_stripe: FakeStripe) -> None:
    findings = run_check(StripeCheck, dev_env(fake_stripe.url, STRIPE_SECRET_KEY=EXPIRED_KEY))
    finding = get(findings, "stripe.key_expired")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "expired" in finding.title and "Roll key" in finding.fix.text
    assert finding.fix.commands == ("STRIPE_SECRET_KEY=<new sk_… key>",)
    assert "stripe.key_invalid" not in ids(findings)


def test_restricted_key_missing_permission(fake_stripe: FakeStripe) -> None:
    fake_stripe.endpoints.append(endpoint(PROD_HOOK))
    findings = run_check(StripeCheck, prod_env(fake_stripe.url, STRIPE_SECRET_KEY=RESTRICTED_KEY))
    finding = get(findings, "stripe.permission_missing")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "rak_balance_read" in finding.title and "rak_balance_read" in finding.fix.text


def test_restricted_key_without_webhook_read(fake_stripe: FakeStripe) -> None:
    findings = run_check(StripeCheck, dev_env(fake_stripe.url, STRIPE_SECRET_KEY=RESTRICTED_TEST_KEY))
    assert get(findings, "stripe.webhooks_unreadable").severity is Severity.INFO
    assert_no_warning_or_worse(findings)


def test_api_livemode_confirms_test_key_in_production(fake_stripe: FakeStripe) -> None:
    findings = run_check(StripeCheck, prod_env(fake_stripe.url, STRIPE_SECRET_KEY=TEST_KEY))
    finding = get(findings, "stripe.test_keys_in_production")
    assert finding.severity is Severity.ERROR and "livemode=false" in finding.detail
    assert [f.id for f in findings].count("stripe.test_keys_in_production") == 1


def test_api_livemode_contradicting_the_prefix_is_reported(fake_stripe: FakeStripe) -> None:
    odd = "sk_test_" + "Q" * 40 + "1111"
    fake_stripe.keys[odd] = KeyInfo(livemode=True)
    finding = get(run_check(StripeCheck, dev_env(fake_stripe.url, STRIPE_SECRET_KEY=odd)),
                  "stripe.live_keys_outside_production")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY", "ENVIRONMENT")
    assert "Stripe says" in finding.title


def test_webhook_disabled(fake_stripe: FakeStripe) -> None:
    fake_stripe.endpoints.append(endpoint(PROD_HOOK, status="disabled"))
    finding = get(run_check(StripeCheck, prod_env(fake_stripe.url)), "stripe.webhook_disabled")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY", "FRONTEND_URL")
    assert "Developers > Webhooks" in finding.fix.text


def test_webhook_missing_for_this_host(fake_stripe: FakeStripe) -> None:
    fake_stripe.endpoints.append(endpoint("https://old-app.example.com/webhooks"))
    finding = get(run_check(StripeCheck, prod_env(fake_stripe.url)), "stripe.webhook_missing")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY", "FRONTEND_URL")
    assert "chaski-app.herokuapp.com" in finding.title and "old-app.example.com" in finding.detail
    assert "Developers > Webhooks" in finding.fix.text


def test_webhook_only_in_other_mode() -> None:
    with FakeStripe(scoped=False, endpoints=[endpoint(PROD_HOOK, livemode=False)]) as server:
        finding = get(run_check(StripeCheck, prod_env(server.url)), "stripe.webhook_other_mode")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY", "FRONTEND_URL")
    assert "test mode" in finding.title


def test_timeout() -> None:
    with SilentListener() as silent:
        started = time.monotonic()
        findings = run_check(StripeCheck, prod_env(silent.url), timeout=1.0)
        elapsed = time.monotonic() - started
    finding = get(findings, "stripe.timeout")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert elapsed < 4


def test_connection_refused() -> None:
    finding = get(run_check(StripeCheck, prod_env(f"http://127.0.0.1:{free_port()}")), "stripe.unreachable")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)


def test_bad_api_base() -> None:
    finding = get(run_check(StripeCheck, prod_env("ftp://nowhere")), "stripe.unreachable")
    assert finding.vars == ("DOCTOR_STRIPE_API_BASE",)


def test_server_error() -> None:
    with FakeStripe(status_override=503) as server:
        finding = get(run_check(StripeCheck, prod_env(server.url)), "stripe.api_error")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)


def test_a_captive_portal_is_not_the_service_and_never_a_pass() -> None:
    """An HTML 200 where Stripe should answer (a captive portal, a proxy's page): something else answered."""
    with FakeStripe(raw_override="<html>Captive portal</html>") as server:
        findings = run_check(StripeCheck, prod_env(server.url))
    finding = get(findings, "stripe.not_the_service")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY",)


# -- canaries: no key value in findings or CLI output, on every failure path --------------------
CANARY_KEY = "sk_live_CANARYkeyQx7Zt0Wm3Lp9Vb2Nc5Rf8Hj1Kd4Sg6Ty0Ue3Io7"
CANARY_WHSEC = "whsec_CANARYwhsecMn4Bv8Cx2Zl6Kj0Hg5Fd9"
CANARY_NEEDLES = ("CANARYkey", "CANARYwhsec", "Ue3Io7")  # the last 4 may show, as Stripe does


def _scenario(name: str) -> FakeStripe | SilentListener | str:
    keys = {
        "valid": KeyInfo(livemode=True), "test_mode": KeyInfo(livemode=False),
        "expired": KeyInfo(livemode=True, expired=True),
        "restricted": KeyInfo(livemode=True, permissions=frozenset()),
    }
    if name == "timeout":
        return SilentListener()
    if name == "refused":
        return f"http://127.0.0.1:{free_port()}"
    server = FakeStripe(status_override=503 if name == "server_error" else None,
                        raw_override="<html/>" if name == "non_json" else None)
    server.keys = {CANARY_KEY: keys[name]} if name in keys else {}
    if name == "valid":
        server.endpoints.append(endpoint(PROD_HOOK, status="disabled"))
    return server


SCENARIOS = ["valid", "test_mode", "expired", "restricted", "invalid", "timeout", "refused", "server_error", "non_json"]
SECRET_VALUES = [CANARY_KEY, CANARY_KEY + "\n", f"'{CANARY_KEY}'", CANARY_KEY.replace("sk_", "pk_")]


def _assert_clean(text: str, where: str) -> None:
    for needle in CANARY_NEEDLES:
        assert needle not in text, f"{needle} leaked in {where}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_canary_check_findings(scenario: str) -> None:
    target = _scenario(scenario)
    with target if not isinstance(target, str) else _null() as server:
        base = target if isinstance(target, str) else server.url
        for value in SECRET_VALUES:
            env = prod_env(base, STRIPE_SECRET_KEY=value, STRIPE_WEBHOOK_SECRET=CANARY_WHSEC)
            result = run_result(StripeCheck, make_context(env, timeout=1.0))
            assert result.status in (Status.PASSED, Status.FAILED), result.reason
            for f in result.findings:
                fix = f.fix
                _assert_clean(" ".join([f.title, f.detail, fix.text if fix else "", *(fix.commands if fix else ())]),
                              f"{scenario}/{f.id}")


CLI_EXPECTED = {"valid": "stripe.webhook_disabled", "expired": "stripe.key_expired",
                "restricted": "stripe.permission_missing", "invalid": "stripe.key_invalid", "timeout": "stripe.timeout"}


@pytest.mark.parametrize("scenario", sorted(CLI_EXPECTED))
def test_canary_cli_output(scenario: str, tmp_path) -> None:
    target = _scenario(scenario)
    with target if not isinstance(target, str) else _null() as server:
        base = target if isinstance(target, str) else server.url
        environ = clean_environ(**prod_env(base, STRIPE_SECRET_KEY=CANARY_KEY, STRIPE_WEBHOOK_SECRET=CANARY_WHSEC))
        for fmt in ("json", "text", "markdown"):
            proc = run_doctor("--only", "stripe", "--format", fmt, "--timeout", "1", env=environ, cwd=tmp_path)
            _assert_clean(proc.stdout + proc.stderr, f"{scenario}/{fmt}")
            if fmt == "json":
                report = json.loads(proc.stdout)
                assert report["checks"][0]["id"] == "stripe" and report["checks"][0]["status"] == "failed"
                assert CLI_EXPECTED[scenario] in {f["id"] for f in report["findings"]}


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("body", ["[]", "null", '{"livemode": "yes", "data": 5}', '{"error": "nope"}',
                                  '{"object": "list", "data": [1, {"url": 7, "status": null}]}'])
def test_odd_json_answers_never_crash(body: str) -> None:
    with FakeStripe(raw_override=body) as server:
        result = run_result(StripeCheck, make_context(prod_env(server.url)))
    assert result.status in (Status.PASSED, Status.FAILED), result.reason
    assert all(f.id.startswith("stripe.") for f in result.findings)


# -- the SDK path: what stripe-python sends, how it fails, and that it stays quiet ---------------
def test_sdk_sends_get_without_body_or_telemetry(fake_stripe: FakeStripe) -> None:
    fake_stripe.endpoints.append(endpoint(PROD_HOOK))
    assert_no_warning_or_worse(run_check(StripeCheck, prod_env(fake_stripe.url)))
    assert [(r.method, r.path, r.body) for r in fake_stripe.requests] == [("GET", "/v1/balance", b""),
                                                                         ("GET", "/v1/webhook_endpoints", b"")]
    for request in fake_stripe.requests:
        assert request.headers["authorization"] == f"Bearer {LIVE_KEY}"
        assert request.headers["user-agent"].startswith("Stripe/v1 PythonBindings/")
        assert request.headers.get("stripe-version")  # the SDK pins the API version it was built for
        client = json.loads(request.headers["x-stripe-client-user-agent"])
        assert client["httplib"] == "httpx"
        assert "platform" not in client and "telemetry_id" not in client  # telemetry is off
        assert "x-stripe-client-telemetry" not in request.headers


def test_server_error_500_is_not_retried() -> None:
    with FakeStripe(status_override=500) as server:
        finding = get(run_check(StripeCheck, prod_env(server.url)), "stripe.api_error")
        assert len(server.requests) == 1
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "HTTP 500" in finding.title and "/v1/balance" in finding.title


def test_rate_limited() -> None:
    with FakeStripe(rate_limit=True) as server:
        findings = run_check(StripeCheck, prod_env(server.url))
        assert len(server.requests) == 1
    finding = get(findings, "stripe.rate_limited")
    assert finding.severity is Severity.WARNING and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "HTTP 429" in finding.title and "stripe.key_invalid" not in ids(findings)


def test_timeout_on_the_second_call_is_bounded_and_not_retried() -> None:
    with FakeStripe(hang=frozenset({"/v1/webhook_endpoints"})) as server:
        started = time.monotonic()
        findings = run_check(StripeCheck, prod_env(server.url), timeout=1.0)
        elapsed = time.monotonic() - started
        paths = [r.path for r in server.requests]
    finding = get(findings, "stripe.timeout")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "/v1/webhook_endpoints?limit=100" in finding.detail
    assert paths == ["/v1/balance", "/v1/webhook_endpoints"]
    assert elapsed < 4


def test_never_answering_server_gets_one_request_per_call() -> None:
    with FakeStripe(hang=frozenset({"/v1/balance"})) as server:
        finding = get(run_check(StripeCheck, prod_env(server.url), timeout=0.5), "stripe.timeout")
        assert [r.path for r in server.requests] == ["/v1/balance"]
    assert "0.5 s" in finding.title and "/v1/balance" in finding.detail


def test_api_base_with_a_path_is_inconclusive(fake_stripe: FakeStripe) -> None:
    findings = run_check(StripeCheck, prod_env(fake_stripe.url + "/stripe"))
    finding = get(findings, "stripe.inconclusive")
    assert finding.severity is Severity.INFO and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "HTTP 404" in finding.title and "Unrecognized request URL" in finding.detail
    assert [r.path for r in fake_stripe.requests] == ["/stripe/v1/balance"]


def test_port_out_of_range_is_unreachable() -> None:
    finding = get(run_check(StripeCheck, prod_env("http://127.0.0.1:99999")), "stripe.unreachable")
    assert finding.severity is Severity.ERROR and finding.vars == ("STRIPE_SECRET_KEY",)
    assert "host and port" in finding.detail


@pytest.mark.parametrize("status,body", [(401, {"error": "Unauthorized"}), (401, "Unauthorized"),
                                         (403, {"error": {"message": 5, "code": ["x"]}})])
def test_gateway_error_bodies_never_crash(status: int, body: object) -> None:
    with RecordingServer(lambda request: Response(status, body)) as server:
        result = run_result(StripeCheck, make_context(prod_env(server.url)))
    assert result.status in (Status.PASSED, Status.FAILED), result.reason
    assert {f.id for f in result.findings} & {"stripe.inconclusive", "stripe.key_invalid",
                                               "stripe.permission_missing"}


def test_unauthorized_gateway_without_stripe_error_is_inconclusive() -> None:
    with RecordingServer(lambda request: Response(401, {"error": "Unauthorized"})) as server:
        findings = run_check(StripeCheck, prod_env(server.url))
    finding = get(findings, "stripe.inconclusive")
    assert finding.severity is Severity.INFO and "stripe-python could not read" in finding.title


def test_sdk_warnings_and_logs_stay_silent(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import stripe

    monkeypatch.setattr(stripe._util, "STRIPE_LOG", "debug")  # as if STRIPE_LOG=debug was set at import
    with FakeStripe(notice="This API version is deprecated.") as server, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        logging.getLogger().setLevel(logging.DEBUG)
        try:
            assert_no_warning_or_worse(run_check(StripeCheck, dev_env(server.url)))
        finally:
            logging.getLogger().setLevel(logging.WARNING)
        assert len(server.requests) == 2
    assert [str(w.message) for w in seen] == []
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_cli_prints_nothing_from_the_sdk_and_writes_no_telemetry_id(tmp_path) -> None:
    with FakeStripe(notice="This API version is deprecated.") as server:
        server.endpoints.append(endpoint(PROD_HOOK))
        environ = clean_environ(**prod_env(server.url), STRIPE_LOG="debug", HOME=str(tmp_path),
                                XDG_CONFIG_HOME=str(tmp_path / "xdg"))
        proc = run_doctor("--only", "stripe", "--format", "json", env=environ, cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert report["checks"][0]["id"] == "stripe" and report["checks"][0]["status"] == "passed", report
    assert proc.stderr == ""
    assert not (tmp_path / ".config").exists() and not (tmp_path / "xdg").exists()

"""The `oauth` check online, against a loopback server speaking Google's OAuth wire format; plus the
CLI canary test for both `oauth` and `twilio` secrets."""

from __future__ import annotations

import json
import time

import pytest

from checks.oauth import OAuthCheck
from doctor.model import Finding, Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    findings_text,
    free_port,
    get,
    ids,
    make_context,
    run_doctor,
    run_result,
)
from tests.servers import google as google_servers
from tests.servers.google import GOOD_CLIENT_ID, GOOD_SECRET, REGISTERED, Client, GoogleServer
from tests.servers.http import SilentListener
from tests.servers.twilio import TwilioServer, default_accounts

google_oauth = google_servers.google_oauth  # the fixtures, made visible to pytest in this module
google_server = google_servers.google_server

CLIENT_ID, SECRET = "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"
REDIRECT, FRONTEND = "GOOGLE_REDIRECT_URI", "FRONTEND_URL"
PROD_URI = HEALTHY_PROD[REDIRECT]
CANARY_SECRET = "GOCSPX-Canary7Qw3Rt9Yp2Lk5Zx8Mn1"
CANARY_TOKEN = "c0ffee15dead4bad0f00d5ca1ab1e999"


def endpoints(server: GoogleServer | SilentListener | str) -> dict[str, str]:
    if isinstance(server, GoogleServer):
        return {"DOCTOR_GOOGLE_TOKEN_URL": server.token_url, "DOCTOR_GOOGLE_AUTH_URL": server.auth_url}
    base = server if isinstance(server, str) else server.url
    return {"DOCTOR_GOOGLE_TOKEN_URL": f"{base}/token", "DOCTOR_GOOGLE_AUTH_URL": f"{base}/o/oauth2/v2/auth"}


def live(server, timeout: float = 5.0, base_env: dict[str, str] = HEALTHY_PROD, **env: str) -> list[Finding]:
    """Findings of the check against `server`; never a crash or a runner timeout."""
    result = run_result(OAuthCheck, make_context({**base_env, **endpoints(server), **env}, timeout=timeout))
    assert result.status not in (Status.CRASHED, Status.TIMED_OUT), result
    return result.findings


def test_healthy_prod_passes_and_sends_the_right_requests(google_server):
    assert live(google_server) == []
    token, auth = sorted(google_server.requests, key=lambda r: r.method, reverse=True)  # sent concurrently
    assert (token.method, token.path) == ("POST", "/token")
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token.form == {"grant_type": ["authorization_code"], "code": ["chaski-doctor-probe"],
                          "client_id": [GOOD_CLIENT_ID], "client_secret": [GOOD_SECRET], "redirect_uri": [PROD_URI]}
    assert (auth.method, auth.path) == ("GET", "/o/oauth2/v2/auth")
    assert auth.query == {"client_id": [GOOD_CLIENT_ID], "redirect_uri": [PROD_URI], "response_type": ["code"],
                          "scope": ["openid"]}
    assert auth.body == b""


def test_healthy_dev_passes(google_server):
    assert_no_warning_or_worse(live(google_server, base_env=HEALTHY_DEV))
    (auth,) = [r for r in google_server.requests if r.method == "GET"]
    assert auth.query["redirect_uri"] == [HEALTHY_DEV[REDIRECT]]


def test_offline_opens_no_connection(google_server):
    result = run_result(OAuthCheck, make_context({**HEALTHY_PROD, **endpoints(google_server)}, offline=True))
    assert result.findings == [] and result.offline_partial
    assert google_server.requests == []


def test_unknown_client_is_reported_once(google_server):
    other = "999999999999-zyxwvutsrqponmlkjihgfedcba654321.apps.googleusercontent.com"
    findings = live(google_server, **{CLIENT_ID: other})
    assert [f.id for f in findings] == ["oauth.client_not_found"]
    assert findings[0].severity is Severity.ERROR and findings[0].vars == (CLIENT_ID,)


def test_unknown_client_at_the_authorization_endpoint_alone(google_server):
    """When only the authorization endpoint can tell (token step inconclusive), it reports it."""
    other = "999999999999-zyxwvutsrqponmlkjihgfedcba654321.apps.googleusercontent.com"
    with GoogleServer(token_mode="unrecognised") as server:
        findings = live(server, **{CLIENT_ID: other})
    assert get(findings, "oauth.client_not_found").severity is Severity.ERROR


def test_wrong_secret(google_server):
    findings = live(google_server, **{SECRET: CANARY_SECRET})
    assert ids(findings) == {"oauth.client_secret_wrong"}
    finding = findings[0]
    assert finding.severity is Severity.ERROR and set(finding.vars) == {SECRET, CLIENT_ID}
    assert CANARY_SECRET not in findings_text(findings)


def test_unregistered_redirect_uri_names_the_console_path_and_the_uri(google_server):
    uri = "https://chaski-app.herokuapp.com/api/auth/google/callback2"
    findings = live(google_server, **{REDIRECT: uri})
    finding = get(findings, "oauth.redirect_uri_not_registered")
    assert finding.severity is Severity.ERROR and set(finding.vars) == {REDIRECT, CLIENT_ID}
    assert "APIs & Services > Credentials > OAuth 2.0 Client IDs" in finding.fix.text
    assert "Authorized redirect URIs" in finding.fix.text and uri in finding.fix.text


def test_trailing_slash_mismatch_is_reported_once_as_the_cause(google_server):
    findings = live(google_server, **{REDIRECT: PROD_URI + "/"})
    assert ids(findings) == {"oauth.redirect_trailing_slash"}
    finding = findings[0]
    assert finding.severity is Severity.ERROR and "Google confirms" in finding.detail
    assert finding.fix.commands == (f"heroku config:set {REDIRECT}={PROD_URI}",)


def test_trailing_slash_registered_that_way_is_only_info():
    with GoogleServer([Client(GOOD_CLIENT_ID, GOOD_SECRET, (PROD_URI + "/",))]) as server:
        findings = live(server, **{REDIRECT: PROD_URI + "/"})
    finding = get(findings, "oauth.redirect_trailing_slash")
    assert finding.severity is Severity.INFO and finding.fix is None
    assert_no_warning_or_worse(findings)


def test_redirect_to_googles_error_page_is_decoded():
    """Google may redirect to /signin/oauth/error?authError=<base64>; that is not a sign-in page."""
    import base64

    blob = base64.urlsafe_b64encode(b"\n\x15redirect_uri_mismatch\x12\x05hello").decode().rstrip("=")
    with GoogleServer() as server:
        server.route = lambda request: _error_redirect(request, blob)
        findings = live(server)
    assert "oauth.redirect_uri_not_registered" in ids(findings)


def _error_redirect(request, blob):
    from tests.servers.http import Response

    if request.path == "/token":
        return Response(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
    return Response(302, "", {"Location": f"https://accounts.google.com/signin/oauth/error/v2?authError={blob}"})


_DELETED_PAGE = """<!doctype html><html lang="en"><head><title>Error 401 (OAuth2 Error)</title></head>
<body><h1>Access blocked: Authorization Error</h1>
<p>The OAuth client was deleted.</p><p><b>Error 401: deleted_client</b></p></body></html>"""


def _deleted_client(request, token_knows: bool):
    """Google's answers for a client deleted in the Console: 401 deleted_client at both endpoints."""
    from tests.servers.http import Response

    if request.path == "/token":
        if not token_knows:
            return Response(418, {"error": "teapot", "error_description": "short and stout"})
        return Response(401, {"error": "deleted_client", "error_description": "The OAuth client was deleted."})
    return Response(401, _DELETED_PAGE)


@pytest.mark.parametrize("token_knows", [True, False], ids=["both-endpoints", "authorization-endpoint-only"])
def test_deleted_client_is_reported_once(token_knows):
    with GoogleServer() as server:
        server.route = lambda request: _deleted_client(request, token_knows)
        findings = live(server)
        assert {r.path for r in server.requests} == {"/token", "/o/oauth2/v2/auth"}
    assert [f.id for f in findings if f.id != "oauth.inconclusive"] == ["oauth.client_deleted"]
    finding = get(findings, "oauth.client_deleted")
    assert finding.severity is Severity.ERROR and finding.vars == (CLIENT_ID, SECRET)
    assert "30 days" in finding.detail
    assert ("oauth.inconclusive" in ids(findings)) is not token_knows  # an unrecognised token answer is said


def test_unrecognised_answers_are_inconclusive_never_ok():
    with GoogleServer(auth_mode="unrecognised") as server:
        findings = live(server)
    finding = get(findings, "oauth.inconclusive")
    assert finding.severity is Severity.INFO and set(finding.vars) == {CLIENT_ID, REDIRECT}
    assert "authorization endpoint's HTTP 200" in finding.detail


def test_unrecognised_token_answer_is_scrubbed():
    with GoogleServer(token_mode="unrecognised") as server:
        findings = live(server, **{SECRET: CANARY_SECRET})
    finding = get(findings, "oauth.inconclusive")
    assert "teapot" in finding.detail and "[redacted]" in finding.detail
    assert CANARY_SECRET not in findings_text(findings)


def test_silent_endpoints_time_out_quickly():
    with SilentListener() as silent:
        started = time.monotonic()
        findings = live(silent, timeout=1.0)
        elapsed = time.monotonic() - started
    finding = get(findings, "oauth.timeout")
    assert finding.severity is Severity.ERROR and finding.vars == (CLIENT_ID,)
    assert "token endpoint" in finding.detail and "authorization endpoint" in finding.detail
    assert elapsed < 2.0  # the two endpoints are asked at once


def test_refused_connection_is_unreachable():
    finding = get(live(f"http://127.0.0.1:{free_port()}"), "oauth.unreachable")
    assert finding.severity is Severity.ERROR and finding.vars == (CLIENT_ID,)


def test_canary_secret_never_leaks_on_any_failure_path(google_server):
    """The canary is the client's real secret, so the healthy and registered paths are reached too."""
    client = Client(GOOD_CLIENT_ID, CANARY_SECRET, REGISTERED)
    with GoogleServer([client]) as server, GoogleServer([client], token_mode="unrecognised",
                                                        auth_mode="unrecognised") as odd, SilentListener() as silent:
        cases = [
            (server, {SECRET: CANARY_SECRET + "x"}, "oauth.client_secret_wrong"),
            (server, {CLIENT_ID: "1-abc.apps.googleusercontent.com"}, "oauth.client_not_found"),
            (server, {REDIRECT: PROD_URI + "2"}, "oauth.redirect_uri_not_registered"),
            (server, {REDIRECT: PROD_URI + "/"}, "oauth.redirect_trailing_slash"),
            (server, {SECRET: f" '{CANARY_SECRET}'"}, "oauth.stray_characters"),
            (odd, {}, "oauth.inconclusive"),
            (silent, {}, "oauth.timeout"),
            (f"http://127.0.0.1:{free_port()}", {}, "oauth.unreachable"),
        ]
        for target, extra, expected in cases:
            findings = live(target, timeout=1.0, **{SECRET: CANARY_SECRET, **extra})
            assert expected in ids(findings), (expected, ids(findings))
            shown = findings_text(findings)
            assert CANARY_SECRET not in shown and CANARY_SECRET[4:-4] not in shown, expected
        assert live(server, **{SECRET: CANARY_SECRET}) == []


def _env_file(path, values: dict[str, str]) -> str:
    path.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in values.items()))
    return str(path)


@pytest.mark.parametrize("scenario", ["wrong", "odd", "silent"])
def test_cli_never_prints_the_canaries(tmp_path, scenario):
    """`doctor --only twilio,oauth --env-file …` in all three formats, endpoints set in the file."""
    client = Client(GOOD_CLIENT_ID, CANARY_SECRET, REGISTERED)
    with TwilioServer(default_accounts(token=CANARY_TOKEN)) as twilio, GoogleServer([client]) as google, \
            GoogleServer([client], token_mode="unrecognised") as odd, SilentListener() as silent:
        values = {**HEALTHY_PROD, SECRET: CANARY_SECRET, "TWILIO_AUTH_TOKEN": CANARY_TOKEN}
        if scenario == "wrong":  # both secrets rejected
            values.update({SECRET: CANARY_SECRET[::-1], "TWILIO_AUTH_TOKEN": CANARY_TOKEN[::-1],
                           "DOCTOR_TWILIO_API_BASE": twilio.url, **endpoints(google)})
        elif scenario == "odd":  # an echoing token endpoint, a suspended account, a padded secret
            values.update({SECRET: f"{CANARY_SECRET} ", "TWILIO_ACCOUNT_SID": default_accounts()[1].sid,
                           "DOCTOR_TWILIO_API_BASE": twilio.url, **endpoints(odd)})
        else:
            values.update({"DOCTOR_TWILIO_API_BASE": silent.url, **endpoints(silent)})
        env_file = _env_file(tmp_path / "prod.env", values)
        canaries = [CANARY_SECRET, CANARY_TOKEN, CANARY_SECRET[::-1], CANARY_TOKEN[::-1]]
        for fmt in ("json", "text", "markdown"):
            done = run_doctor("--env-file", env_file, "--only", "twilio,oauth", "--format", fmt,
                              "--timeout", "0.5" if scenario == "silent" else "2",
                              env=clean_environ(), cwd=tmp_path)
            assert done.returncode == 1, (done.stdout, done.stderr)
            for canary in canaries:
                assert canary not in done.stdout and canary not in done.stderr, (fmt, canary)
                assert canary[4:-4] not in done.stdout + done.stderr, (fmt, canary)
            if fmt == "json":
                report = json.loads(done.stdout)
                found = {f["id"] for f in report["findings"]}
                expected = {"wrong": {"oauth.client_secret_wrong", "twilio.auth_failed"},
                            "odd": {"oauth.inconclusive", "oauth.stray_characters", "twilio.account_suspended"},
                            "silent": {"oauth.timeout", "twilio.timeout"}}[scenario]
                if scenario == "silent":  # under load the SDK import can use up the check's own budget first
                    found = {"twilio.timeout" if f == "twilio.timed_out" else f for f in found}
                assert expected <= found, found

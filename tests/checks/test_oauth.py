"""The `oauth` check offline: client id, secret and redirect URI shape."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.oauth import OAuthCheck
from doctor.model import Finding, Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    findings_text,
    get,
    ids,
    make_context,
    run_result,
)

CLIENT_ID, SECRET = "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"
REDIRECT, FRONTEND = "GOOGLE_REDIRECT_URI", "FRONTEND_URL"
PROD_URI = HEALTHY_PROD[REDIRECT]


def offline(env: dict[str, str]) -> list[Finding]:
    result = run_result(OAuthCheck, make_context(env, offline=True))
    assert result.status is not Status.CRASHED, result
    return result.findings


def test_healthy_dev_and_prod_offline_are_clean():
    assert offline(HEALTHY_DEV) == []
    assert offline(HEALTHY_PROD) == []
    assert_no_warning_or_worse(offline({**HEALTHY_PROD, SECRET: "a1B2c3D4e5F6g7H8i9J0k1L2"}))  # legacy 24-char


def test_missing_variables_skip_the_check():
    env = {k: v for k, v in HEALTHY_PROD.items() if k != SECRET}
    result = run_result(OAuthCheck, make_context(env, offline=True))
    assert result.status is Status.SKIPPED and result.skip_vars == (SECRET,)


def test_client_id_shape():
    for bad in ("123456789012", "chaski-web", "abc-def.apps.googleusercontent.com"):
        finding = get(offline({**HEALTHY_PROD, CLIENT_ID: bad}), "oauth.client_id_shape")
        assert finding.severity is Severity.ERROR and finding.vars == (CLIENT_ID,)


def test_secret_nonsense_is_only_a_warning_and_never_shown():
    for bad in ("short", HEALTHY_PROD[CLIENT_ID], "this is my google secret!!"):
        findings = offline({**HEALTHY_PROD, SECRET: bad})
        finding = get(findings, "oauth.client_secret_shape")
        assert finding.severity is Severity.WARNING and finding.vars == (SECRET,)
        if bad != HEALTHY_PROD[CLIENT_ID]:
            assert bad not in findings_text(findings)


def test_secret_whitespace_and_quotes_warn_without_echo():
    secret = HEALTHY_PROD[SECRET]
    for raw, words in ((secret + " ", "trailing whitespace"), (f'"{secret}"', "quotes")):
        findings = offline({**HEALTHY_PROD, SECRET: raw})
        finding = get(findings, "oauth.stray_characters")
        assert finding.severity is Severity.WARNING and finding.vars == (SECRET,)
        assert words in finding.title
        assert secret not in findings_text(findings)


def test_client_id_whitespace_is_an_error():
    finding = get(offline({**HEALTHY_PROD, CLIENT_ID: HEALTHY_PROD[CLIENT_ID] + "\r\n"}), "oauth.stray_characters")
    assert finding.severity is Severity.ERROR and finding.vars == (CLIENT_ID,)


def test_redirect_not_https_in_production():
    finding = get(offline({**HEALTHY_PROD, REDIRECT: PROD_URI.replace("https", "http")}), "oauth.redirect_not_https")
    assert finding.severity is Severity.ERROR and finding.vars == (REDIRECT,)
    assert finding.fix.commands == (f"heroku config:set {REDIRECT}={PROD_URI}",)
    assert offline(HEALTHY_DEV) == []  # http://localhost is fine in development


def test_redirect_trailing_slash():
    findings = offline({**HEALTHY_PROD, REDIRECT: PROD_URI + "/"})
    finding = get(findings, "oauth.redirect_trailing_slash")
    assert finding.severity is Severity.ERROR and finding.vars == (REDIRECT,)
    assert "oauth.redirect_path" not in ids(findings)
    assert finding.fix.commands == (f"heroku config:set {REDIRECT}={PROD_URI}",)


def test_redirect_host_mismatch_in_production():
    uri = "https://chaski-staging.herokuapp.com/api/auth/google/callback"
    finding = get(offline({**HEALTHY_PROD, REDIRECT: uri}), "oauth.redirect_host_mismatch")
    assert finding.severity is Severity.ERROR and set(finding.vars) == {REDIRECT, FRONTEND}
    assert "chaski-app.herokuapp.com" in finding.title
    dev = {**HEALTHY_DEV, REDIRECT: "http://127.0.0.1:8000/api/auth/google/callback"}
    assert "oauth.redirect_host_mismatch" not in ids(offline(dev))


def test_redirect_path_is_a_warning():
    finding = get(offline({**HEALTHY_PROD, REDIRECT: "https://chaski-app.herokuapp.com/auth/callback"}),
                  "oauth.redirect_path")
    assert finding.severity is Severity.WARNING and finding.vars == (REDIRECT,)


def test_malformed_redirect():
    for bad in ("chaski-app.herokuapp.com/api/auth/google/callback", "https://[::1/cb", "https://host:99999/x",
                "ftp://chaski-app.herokuapp.com/api/auth/google/callback"):
        finding = get(offline({**HEALTHY_PROD, REDIRECT: bad}), "oauth.redirect_malformed")
        assert finding.severity is Severity.ERROR and finding.vars == (REDIRECT,)
    fragment = get(offline({**HEALTHY_PROD, REDIRECT: PROD_URI + "#x"}), "oauth.redirect_malformed")
    assert "fragment" in fragment.title


def test_placeholders_from_the_guide():
    env = {**HEALTHY_PROD, CLIENT_ID: "<client-id>.apps.googleusercontent.com", SECRET: "<secret>",
           REDIRECT: "https://your-app.herokuapp.com/api/auth/google/callback"}
    findings = offline(env)
    finding = get(findings, "oauth.placeholder")
    assert finding.severity is Severity.ERROR and set(finding.vars) == {CLIENT_ID, SECRET, REDIRECT}
    assert not {"oauth.client_id_shape", "oauth.client_secret_shape", "oauth.redirect_host_mismatch"} & ids(findings)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_id=st.text(max_size=80), secret=st.text(max_size=60), uri=st.text(max_size=80),
       frontend=st.text(max_size=40))
def test_never_crashes_and_never_echoes_the_secret(client_id, secret, uri, frontend):
    env = {**HEALTHY_PROD, CLIENT_ID: client_id or "x", SECRET: secret or "x", REDIRECT: uri or "x",
           FRONTEND: frontend or "x"}
    result = run_result(OAuthCheck, make_context(env, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED, Status.SKIPPED), result
    clean = secret.strip().strip("\"'").strip()
    if len(clean) >= 8 and not any(clean in v for v in (client_id, uri, frontend)):
        assert clean not in findings_text(result.findings)

"""The `smtp` check against real aiosmtpd servers on loopback (tests/servers/smtp.py).

Trust: the check verifies certificates against the default verify paths, like the app's
aiosmtplib, so the trusted cases point SSL_CERT_FILE at the throwaway CA and the untrusted ones
leave it unset.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from checks.smtp import SmtpCheck
from doctor import Finding, Severity
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    finding_text,
    free_port,
    get,
    ids,
    run_check,
    run_doctor,
)
from tests.servers.http import SilentListener
from tests.servers.smtp import (  # noqa: F401 - fixtures
    APP_PASSWORD_REQUIRED,
    SmtpServer,
    TestCA,
    TlsAlertServer,
    smtp_534,
    smtp_ca,
    smtp_expired,
    smtp_implicit,
    smtp_plain,
    smtp_plain_noauth,
    smtp_starttls,
    smtp_wrong_name,
)

CANARY = "Kq7Canary-SmtpPw-3vXz9"
CANARY_FORMS = (CANARY, base64.b64encode(CANARY.encode()).decode())
TLS_VARS = ("MAIL_PORT", "MAIL_STARTTLS", "MAIL_SSL_TLS")


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch, smtp_ca: TestCA) -> str:  # noqa: F811
    """Trust the throwaway CA for this test (as a custom CA bundle in the process environment)."""
    monkeypatch.setenv("SSL_CERT_FILE", smtp_ca.pem_path)
    return smtp_ca.pem_path


@pytest.fixture
def untrusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the system trust store: the throwaway CA is unknown."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)


@pytest.fixture(autouse=True)
def nothing_delivered(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test delivers mail to a shared server: only --send-test-email may send, on its own server."""
    yield
    for name in ("smtp_starttls", "smtp_implicit", "smtp_plain", "smtp_plain_noauth", "smtp_534", "smtp_wrong_name",
                 "smtp_expired"):
        if name in request.fixturenames:
            assert request.getfixturevalue(name).messages == [], f"{name} received mail"


def only(findings: list[Finding], finding_id: str) -> Finding:
    """The single finding of the run, which must have this id."""
    assert ids(findings) == {finding_id}, [(f.id, f.title) for f in findings]
    return findings[0]


def assert_no_canary(findings: list[Finding]) -> None:
    """No form of the canary password in any field of any finding."""
    for finding in findings:
        fields = [finding.title, finding.detail, finding.docs, *finding.vars]
        if finding.fix:
            fields += [finding.fix.text, *finding.fix.commands]
        for form in CANARY_FORMS:
            assert all(form not in text for text in fields), (finding.id, fields)


# -- healthy -----------------------------------------------------------------------------------
def test_healthy_starttls_server(trusted: str, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    assert run_check(SmtpCheck, smtp_starttls.env()) == []
    assert smtp_starttls.attempts[-1] == smtp_starttls.user  # it really logged in


def test_healthy_implicit_tls_server(trusted: str, smtp_implicit: SmtpServer) -> None:  # noqa: F811
    assert run_check(SmtpCheck, smtp_implicit.env()) == []


def test_healthy_dev_and_prod_against_a_real_server(trusted: str, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    for healthy in (HEALTHY_DEV, HEALTHY_PROD):
        findings = run_check(SmtpCheck, {**healthy, **smtp_starttls.env()})
        assert_no_warning_or_worse(findings)


def test_local_plain_catcher_is_fine(smtp_plain: SmtpServer) -> None:  # noqa: F811
    assert_no_warning_or_worse(run_check(SmtpCheck, smtp_plain.env()))


# -- login -------------------------------------------------------------------------------------
def test_535_credentials_rejected(trusted: str, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_starttls.env(MAIL_PASSWORD="wrong-password-123")), "smtp.auth_failed")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_USERNAME", "MAIL_PASSWORD")
    assert "535 5.7.8" in finding.detail


def test_534_app_password_required(trusted: str, smtp_534: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_534.env()), "smtp.app_password_required")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_USERNAME", "MAIL_PASSWORD")
    assert "534 5.7.9" in finding.detail
    assert finding.fix and "https://myaccount.google.com/apppasswords" in finding.fix.text


def test_other_auth_reply_is_a_server_error_in_its_own_words(trusted: str, smtp_ca: TestCA) -> None:  # noqa: F811
    with SmtpServer(ca=smtp_ca, reject="454 4.7.0 Temporary authentication failure, try later") as server:
        finding = only(run_check(SmtpCheck, server.env()), "smtp.server_error")
    assert finding.severity is Severity.ERROR
    assert "454" in finding.title and "Temporary authentication failure" in finding.detail
    assert set(finding.vars) >= {"MAIL_SERVER", "MAIL_PORT"}


def test_auth_not_offered_before_tls(trusted: str, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_starttls.env(MAIL_STARTTLS="False")), "smtp.auth_not_offered")
    assert finding.severity is Severity.ERROR
    assert "AUTH before TLS" in finding.title
    assert "MAIL_STARTTLS" in finding.vars
    assert finding.fix and "MAIL_STARTTLS=True" in finding.fix.commands


def test_auth_not_offered_at_all(smtp_plain_noauth: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_plain_noauth.env()), "smtp.auth_not_offered")
    assert "before TLS" not in finding.title
    assert set(finding.vars) >= {"MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME"}


def test_no_credentials_means_no_login(smtp_plain_noauth: SmtpServer) -> None:  # noqa: F811
    assert run_check(SmtpCheck, smtp_plain_noauth.env(MAIL_USERNAME="", MAIL_PASSWORD="")) == []


# -- TLS ---------------------------------------------------------------------------------------
def test_starttls_not_offered(smtp_plain: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_plain.env(MAIL_STARTTLS="True")), "smtp.starttls_not_offered")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_SERVER", "MAIL_PORT", "MAIL_STARTTLS")


def test_implicit_tls_on_a_starttls_port(trusted: str, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    env = smtp_starttls.env(MAIL_STARTTLS="False", MAIL_SSL_TLS="True")
    finding = only(run_check(SmtpCheck, env), "smtp.tls_mismatch")
    assert finding.severity is Severity.ERROR
    assert finding.vars == TLS_VARS
    assert "WRONG_VERSION_NUMBER" in finding.detail


def test_starttls_on_an_implicit_tls_port_times_out(trusted: str, smtp_implicit: SmtpServer) -> None:  # noqa: F811
    env = smtp_implicit.env(MAIL_STARTTLS="True", MAIL_SSL_TLS="False")
    finding = only(run_check(SmtpCheck, env, timeout=1), "smtp.timeout")
    assert finding.severity is Severity.ERROR
    assert "implicit TLS" in finding.detail
    assert set(finding.vars) == {"MAIL_SERVER", *TLS_VARS}
    assert finding.fix and "MAIL_SSL_TLS=True" in finding.fix.commands


def test_untrusted_certificate_starttls(untrusted: None, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_starttls.env()), "smtp.cert_untrusted")
    assert finding.severity is Severity.ERROR
    assert f"127.0.0.1:{smtp_starttls.port}" in finding.title
    assert "unable to get local issuer certificate" in finding.detail
    assert finding.vars == ("MAIL_SERVER", "MAIL_PORT")
    assert finding.fix and finding.fix.commands[0].startswith("openssl s_client")


def test_untrusted_certificate_implicit(untrusted: None, smtp_implicit: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_implicit.env()), "smtp.cert_untrusted")
    assert f"127.0.0.1:{smtp_implicit.port}" in finding.title


def test_certificate_for_another_name(trusted: str, smtp_wrong_name: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_wrong_name.env()), "smtp.cert_hostname_mismatch")
    assert finding.severity is Severity.ERROR
    assert "127.0.0.1" in finding.title and "mismatch" in finding.detail


def test_expired_certificate(trusted: str, smtp_expired: SmtpServer) -> None:  # noqa: F811
    finding = only(run_check(SmtpCheck, smtp_expired.env()), "smtp.cert_expired")
    assert finding.severity is Severity.ERROR
    assert "expired" in finding.detail


def test_other_tls_handshake_failure() -> None:
    with TlsAlertServer() as server:
        env = {**HEALTHY_DEV, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(server.port), "MAIL_STARTTLS": "False",
               "MAIL_SSL_TLS": "True", "MAIL_PASSWORD": CANARY}
        finding = only(run_check(SmtpCheck, env, timeout=2), "smtp.tls_failed")
    assert finding.severity is Severity.ERROR
    assert "HANDSHAKE_FAILURE" in finding.title
    assert set(finding.vars) == {"MAIL_SERVER", *TLS_VARS}
    assert_no_canary([finding])


# -- network -----------------------------------------------------------------------------------
def test_refused_port() -> None:
    env = {**HEALTHY_DEV, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port())}
    finding = only(run_check(SmtpCheck, env, timeout=2), "smtp.refused")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_SERVER", "MAIL_PORT")
    assert "587" in finding.detail and "465" in finding.detail and "Heroku" in finding.detail


def test_silent_server_times_out() -> None:
    with SilentListener() as listener:
        env = {**HEALTHY_DEV, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(listener.port)}
        finding = only(run_check(SmtpCheck, env, timeout=1), "smtp.timeout")
    assert finding.severity is Severity.ERROR
    assert "no greeting within 1 s" in finding.title


def test_unknown_host_is_a_dns_finding() -> None:
    env = {**HEALTHY_DEV, "MAIL_SERVER": "no-such-mail-host.invalid"}
    finding = only(run_check(SmtpCheck, env, timeout=3), "smtp.dns")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("MAIL_SERVER",)


def test_offline_opens_no_connection(smtp_starttls: SmtpServer) -> None:  # noqa: F811
    before = len(smtp_starttls.attempts)
    assert run_check(SmtpCheck, smtp_starttls.env(MAIL_PASSWORD="wrong"), offline=True) == []
    assert len(smtp_starttls.attempts) == before


def test_static_error_skips_the_probe(smtp_starttls: SmtpServer) -> None:  # noqa: F811
    before = len(smtp_starttls.attempts)
    findings = run_check(SmtpCheck, smtp_starttls.env(MAIL_SSL_TLS="True"))
    assert ids(findings) == {"smtp.tls_both"}
    assert len(smtp_starttls.attempts) == before


# -- sending -----------------------------------------------------------------------------------
def test_send_test_email_delivers_one_message(trusted: str, smtp_ca: TestCA) -> None:  # noqa: F811
    with SmtpServer(ca=smtp_ca) as server:
        findings = run_check(SmtpCheck, server.env(), send_test_email="ops@chaski.test")
        finding = only(findings, "smtp.test_email_sent")
        assert finding.severity is Severity.INFO
        assert len(server.messages) == 1
        message = server.messages[0]
        assert message.mail_from == "noreply@chaski.test"
        assert message.rcpt_tos == ["ops@chaski.test"]
        assert b"Subject: chaski-doctor test message" in message.content
        assert b"From: Chaski <noreply@chaski.test>" in message.content


def test_send_test_email_to_a_non_address(trusted: str, smtp_ca: TestCA) -> None:  # noqa: F811
    with SmtpServer(ca=smtp_ca) as server:
        finding = only(run_check(SmtpCheck, server.env(), send_test_email="not-an-address"), "smtp.test_email_failed")
        assert server.messages == []
    assert finding.severity is Severity.ERROR


# -- secrets -----------------------------------------------------------------------------------
def failure_paths(smtp_ca: TestCA, silent_port: int) -> Iterator[tuple[str, dict[str, str], float]]:  # noqa: F811
    """(expected id, env with the canary password, timeout) for every live failure path."""
    with SmtpServer(ca=smtp_ca) as ok, SmtpServer(ca=smtp_ca, reject=APP_PASSWORD_REQUIRED) as s534, \
            SmtpServer(ca=smtp_ca, reject=f"454 4.7.0 Bad {CANARY} {CANARY_FORMS[1]}") as echo, \
            SmtpServer(ca=smtp_ca, tls="implicit") as implicit, SmtpServer(tls="none") as plain:
        pw = {"MAIL_PASSWORD": CANARY}
        yield "smtp.auth_failed", ok.env(**pw), 5
        yield "smtp.app_password_required", s534.env(**pw), 5
        yield "smtp.server_error", echo.env(**pw), 5
        yield "smtp.tls_mismatch", ok.env(MAIL_STARTTLS="False", MAIL_SSL_TLS="True", **pw), 5
        yield "smtp.timeout", implicit.env(MAIL_STARTTLS="True", MAIL_SSL_TLS="False", **pw), 1
        yield "smtp.timeout", {**plain.env(**pw), "MAIL_PORT": str(silent_port)}, 1
        yield "smtp.refused", {**plain.env(**pw), "MAIL_PORT": str(free_port())}, 2
        yield "smtp.starttls_not_offered", plain.env(MAIL_STARTTLS="True", **pw), 5
        yield "smtp.auth_not_offered", ok.env(MAIL_STARTTLS="False", **pw), 5


def test_canary_never_leaks_from_findings(trusted: str, smtp_ca: TestCA) -> None:  # noqa: F811
    seen = set()
    with SilentListener() as silent:
        for expected, env, timeout in failure_paths(smtp_ca, silent.port):
            findings = run_check(SmtpCheck, env, timeout=timeout)
            assert expected in ids(findings)
            assert_no_canary(findings)
            seen.add(expected)
    assert len(seen) == 8


def test_canary_never_leaks_from_cert_failure(untrusted: None, smtp_starttls: SmtpServer) -> None:  # noqa: F811
    findings = run_check(SmtpCheck, smtp_starttls.env(MAIL_PASSWORD=CANARY))
    assert ids(findings) == {"smtp.cert_untrusted"}
    assert_no_canary(findings)


def _write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in env.items()))
    return path


def test_canary_never_leaks_from_the_cli(tmp_path: Path, smtp_ca: TestCA) -> None:  # noqa: F811
    process_env = clean_environ(SSL_CERT_FILE=smtp_ca.pem_path, NO_COLOR="1")
    with SilentListener() as silent:
        for n, (expected, env, timeout) in enumerate(failure_paths(smtp_ca, silent.port)):
            env_file = _write_env(tmp_path / f"{n}.env", env)
            formats = ("json", "text", "markdown") if n == 0 else ("json",)
            for fmt in formats:
                done = run_doctor("--only", "smtp", "--format", fmt, "--timeout", str(timeout),
                                  "--env-file", str(env_file), env=process_env, cwd=tmp_path)
                assert done.returncode == 1, (expected, fmt, done.stdout, done.stderr)
                for form in CANARY_FORMS:
                    assert form not in done.stdout and form not in done.stderr, (expected, fmt)
                if fmt == "json":
                    assert expected in {f["id"] for f in json.loads(done.stdout)["findings"]}
                else:
                    assert expected in done.stdout


def test_a_password_split_across_continuation_lines_is_masked(trusted: str, smtp_ca: TestCA) -> None:  # noqa: F811
    """A server that echoes the password in a multi-line reply, 3 characters per line: each piece is below the
    redactor's 4-character fragment, so the reply is searched with its line breaks taken out."""
    password = "Qz7Wx4Kp9"
    reply = "454-4.7.0 temporary failure for Qz7\r\n454-Wx4\r\n454 4.7.0 Kp9 try later"
    with SmtpServer(ca=smtp_ca, reject=reply) as echo:
        findings = run_check(SmtpCheck, echo.env(MAIL_PASSWORD=password))
    finding = get(findings, "smtp.server_error")
    text = finding_text(finding)
    assert "temporary failure" in text and "try later" in text  # the server's words are still shown
    for piece in ("Qz7", "Wx4", "Kp9"):
        assert piece not in text, piece

"""The `smtp` check's static half (offline): port, TLS flags, addresses, Gmail app passwords.

The live half, against real aiosmtpd servers, is in test_smtp_live.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.smtp import SmtpCheck
from checks.smtp.static import email_address, is_local_host
from doctor import Severity
from doctor.model import Status
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

TLS_VARS = ("MAIL_PORT", "MAIL_STARTTLS", "MAIL_SSL_TLS")
CANARY = "Zq9Canary4Mail7Xw2Pass"


def offline(**overrides: str) -> list:
    """Findings for HEALTHY_DEV with `overrides`, offline."""
    return run_check(SmtpCheck, {**HEALTHY_DEV, **overrides}, offline=True)


def test_healthy_dev_and_prod_offline_have_no_warning() -> None:
    for env in (HEALTHY_DEV, HEALTHY_PROD):
        findings = run_check(SmtpCheck, env, offline=True)
        assert_no_warning_or_worse(findings)
        # Gmail with a From on another domain: worth knowing, nothing more.
        assert get(findings, "smtp.gmail_from_rewritten").severity is Severity.INFO


def test_gmail_from_on_own_domain_is_silent() -> None:
    assert ids(offline(MAIL_FROM="dev.chaski@gmail.com")) == set()


def test_missing_server_or_port_skips_the_check() -> None:
    for missing in ("MAIL_SERVER", "MAIL_PORT"):
        env = {k: v for k, v in HEALTHY_DEV.items() if k != missing}
        result = run_result(SmtpCheck, make_context(env, offline=True))
        assert result.status is Status.SKIPPED
        assert missing in result.skip_vars


def test_port_not_a_number() -> None:
    for port in ("abc", "0", "70000", "587.5", "-1"):
        finding = get(offline(MAIL_PORT=port), "smtp.port_invalid")
        assert finding.severity is Severity.ERROR
        assert finding.vars == ("MAIL_PORT",)
        assert finding.fix and finding.fix.commands


def test_port_with_whitespace_is_accepted() -> None:
    assert "smtp.port_invalid" not in ids(offline(MAIL_PORT=" 587 "))


def test_both_tls_flags_true() -> None:
    finding = get(offline(MAIL_SSL_TLS="true"), "smtp.tls_both")
    assert finding.severity is Severity.ERROR
    assert finding.vars == TLS_VARS
    assert "not compatible" in finding.detail
    # on 587 the fix keeps STARTTLS
    assert finding.fix and "MAIL_SSL_TLS=False" in finding.fix.commands
    on_465 = get(offline(MAIL_PORT="465", MAIL_SSL_TLS="1"), "smtp.tls_both")
    assert on_465.fix and "MAIL_SSL_TLS=True" in on_465.fix.commands


def test_starttls_on_465_is_a_mismatch() -> None:
    finding = get(offline(MAIL_PORT="465"), "smtp.tls_mismatch")
    assert finding.severity is Severity.ERROR
    assert finding.vars == TLS_VARS
    assert "Timed out waiting for server ready message" in finding.detail
    assert finding.fix and set(finding.fix.commands) == {"MAIL_STARTTLS=False", "MAIL_SSL_TLS=True"}


def test_plain_text_on_465_is_a_mismatch() -> None:
    finding = get(offline(MAIL_PORT="465", MAIL_STARTTLS="False"), "smtp.tls_mismatch")
    assert "plain text" in finding.title


def test_implicit_tls_on_587_is_a_mismatch() -> None:
    finding = get(offline(MAIL_STARTTLS="False", MAIL_SSL_TLS="True"), "smtp.tls_mismatch")
    assert finding.severity is Severity.ERROR
    assert finding.vars == TLS_VARS
    assert "WRONG_VERSION_NUMBER" in finding.detail


def test_465_with_implicit_tls_is_fine() -> None:
    assert_no_warning_or_worse(offline(MAIL_PORT="465", MAIL_STARTTLS="False", MAIL_SSL_TLS="True"))


def test_no_tls_to_a_remote_server_warns() -> None:
    finding = get(offline(MAIL_PORT="25", MAIL_STARTTLS="False"), "smtp.no_tls")
    assert finding.severity is Severity.WARNING
    assert finding.vars == TLS_VARS
    assert "clear text" in finding.detail


def test_no_tls_on_the_submission_port_with_a_login_is_an_error() -> None:
    finding = get(offline(MAIL_PORT="587", MAIL_STARTTLS="False"), "smtp.no_tls")
    assert finding.severity is Severity.ERROR and "login is refused" in finding.title


@pytest.mark.parametrize("port", ["25", "2525"])
def test_implicit_tls_on_a_plain_port_is_a_mismatch(port: str) -> None:
    finding = get(offline(MAIL_PORT=port, MAIL_STARTTLS="False", MAIL_SSL_TLS="True"), "smtp.tls_mismatch")
    assert finding.severity is Severity.ERROR and f"port {port}" in finding.title


def test_no_tls_unset_flags_count_as_false() -> None:
    env = {k: v for k, v in HEALTHY_DEV.items() if k not in ("MAIL_STARTTLS", "MAIL_SSL_TLS")}
    assert "smtp.no_tls" in ids(run_check(SmtpCheck, env, offline=True))


def test_no_tls_to_a_local_catcher_is_fine() -> None:
    for host in ("localhost", "127.0.0.1", "mailhog", "10.0.0.5", "::1"):
        findings = offline(MAIL_SERVER=host, MAIL_PORT="1025", MAIL_STARTTLS="False", MAIL_USERNAME="",
                           MAIL_PASSWORD="")
        assert_no_warning_or_worse(findings)


def test_non_boolean_flags_do_not_crash() -> None:
    result = run_result(SmtpCheck, make_context({**HEALTHY_DEV, "MAIL_STARTTLS": "maybe"}, offline=True))
    assert result.status is not Status.CRASHED
    assert not ids(result.findings) & {"smtp.tls_both", "smtp.tls_mismatch", "smtp.no_tls"}


def test_server_with_scheme_port_or_whitespace() -> None:
    for value, words in (("smtp://smtp.gmail.com", "scheme"), ("smtp.gmail.com:587", "port"),
                         ("smtp.gmail.com\n", "newline"), ("smtp gmail com", "not a valid host")):
        finding = get(offline(MAIL_SERVER=value), "smtp.server_invalid")
        assert finding.severity is Severity.ERROR
        assert finding.vars == ("MAIL_SERVER",)
        assert words in finding.title


def test_mail_from_not_an_address() -> None:
    for value in ("noreply", "noreply@", "@chaski.example.com", "no reply@chaski.example.com", "a@b"):
        finding = get(offline(MAIL_FROM=value), "smtp.address_invalid")
        assert finding.severity is Severity.ERROR
        assert finding.vars == ("MAIL_FROM",)


def test_mail_from_with_display_name_is_accepted() -> None:
    assert "smtp.address_invalid" not in ids(offline(MAIL_FROM="Chaski <noreply@chaski.example.com>"))


def test_gmail_username_must_be_an_address() -> None:
    finding = get(offline(MAIL_USERNAME="devchaski"), "smtp.address_invalid")
    assert finding.vars == ("MAIL_USERNAME",)
    assert "Gmail" in finding.detail


def test_non_gmail_username_may_be_a_login_name() -> None:
    findings = offline(MAIL_SERVER="smtp.sendgrid.net", MAIL_USERNAME="apikey", MAIL_PASSWORD="SG.x" * 10)
    assert_no_warning_or_worse(findings)


def test_gmail_account_password_warns_about_app_passwords() -> None:
    finding = get(offline(MAIL_PASSWORD="MyGmailPassw0rd!"), "smtp.gmail_app_password")
    assert finding.severity is Severity.WARNING
    assert set(finding.vars) == {"MAIL_PASSWORD", "MAIL_SERVER"}
    assert finding.fix and "https://myaccount.google.com/apppasswords" in finding.fix.text
    assert "2-Step Verification" in finding.fix.text
    assert "digits and symbols" in finding.detail


def test_gmail_app_password_shape_accepted() -> None:
    assert ids(offline(MAIL_PASSWORD="abcdwxyzefghstuv", MAIL_FROM="dev.chaski@gmail.com")) == set()


def test_gmail_app_password_with_display_spaces_warns() -> None:
    findings = offline(MAIL_PASSWORD="abcd wxyz efgh stuv")
    assert "smtp.gmail_app_password" not in ids(findings)
    finding = get(findings, "smtp.gmail_app_password_spaces")
    assert finding.severity is Severity.WARNING
    assert set(finding.vars) == {"MAIL_PASSWORD", "MAIL_SERVER"}
    assert "wxyz" not in finding.title + finding.detail


def test_app_password_rule_only_for_gmail() -> None:
    assert "smtp.gmail_app_password" not in ids(offline(MAIL_SERVER="smtp.mailgun.org", MAIL_PASSWORD="short1!"))


def test_static_findings_never_show_the_password() -> None:
    for overrides in ({"MAIL_PASSWORD": CANARY}, {"MAIL_PASSWORD": CANARY, "MAIL_PORT": "465"},
                      {"MAIL_PASSWORD": CANARY, "MAIL_SSL_TLS": "yes"}, {"MAIL_PASSWORD": CANARY, "MAIL_PORT": "x"}):
        for finding in offline(**overrides):
            text = " ".join([finding.title, finding.detail, *(finding.fix.commands if finding.fix else ()),
                             finding.fix.text if finding.fix else ""])
            assert CANARY not in text
            assert CANARY[-4:] not in text  # not even the tail


def test_production_fix_is_heroku_config_set() -> None:
    findings = run_check(SmtpCheck, {**HEALTHY_PROD, "MAIL_PORT": "465"}, offline=True)
    finding = get(findings, "smtp.tls_mismatch")
    assert finding.fix and all(c.startswith("heroku config:set ") for c in finding.fix.commands)


def test_email_address_helper() -> None:
    assert email_address("a.b+c@mail.example.co.uk") == "a.b+c@mail.example.co.uk"
    assert email_address("Chaski <x@y.example>") == "x@y.example"
    assert email_address("x@xn--p1ai.xn--p1ai") == "x@xn--p1ai.xn--p1ai"
    assert email_address("jürgen@müller.de") == "jürgen@müller.de"
    for bad in ("x@y", "x..y@z.example", ".x@z.example", "x@-z.example", "x@z.example\nBcc: y@z.example", "a" * 300):
        assert email_address(bad) is None, bad


def test_is_local_host_helper() -> None:
    assert is_local_host("localhost") and is_local_host("127.0.0.1") and is_local_host("mailpit")
    assert not is_local_host("smtp.gmail.com") and not is_local_host("8.8.8.8")


_MAIL_VARS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM", "MAIL_FROM_NAME",
              "MAIL_STARTTLS", "MAIL_SSL_TLS")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_MAIL_VARS), st.text(max_size=300)),
       st.one_of(st.text(max_size=40), st.text(max_size=20).map(lambda tail: CANARY + tail)))
def test_never_crashes_on_any_value(values: dict[str, str], password: str) -> None:
    env = {**HEALTHY_DEV, **{k: v.replace("\x00", "") for k, v in values.items()},
           "MAIL_PASSWORD": password.replace("\x00", "")}
    result = run_result(SmtpCheck, make_context(env, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED, Status.SKIPPED), (result.status, result.reason)
    for finding in result.findings:
        fix = finding.fix.text + " ".join(finding.fix.commands) if finding.fix else ""
        assert CANARY not in finding.title + finding.detail + fix

"""The redis check's static half: REDIS_URL parsing, platform rules, and no leaks (offline)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.redis import RedisCheck
from doctor import Severity
from doctor.model import Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    finding_text,
    findings_text,
    get,
    ids,
    make_context,
    run_check,
    run_result,
)

CANARY = "CanaryRedisPw7q3Zx9"
PROD = {"ENVIRONMENT": "production"}


def offline(url: str, **env: str) -> list:
    """Findings for REDIS_URL=url (plus env), offline."""
    return run_check(RedisCheck, {"REDIS_URL": url, **env}, offline=True)


def assert_finding(findings: list, finding_id: str, severity: Severity) -> None:
    """The finding exists with this severity and names REDIS_URL."""
    found = get(findings, finding_id)
    assert found.severity is severity, (found.id, found.severity)
    assert found.vars == ("REDIS_URL",)
    assert found.title and found.detail and found.check == "redis"




def test_declaration() -> None:
    assert (RedisCheck.id, RedisCheck.title, RedisCheck.vars) == ("redis", "Redis (REDIS_URL)", ("REDIS_URL",))
    assert RedisCheck.network and not RedisCheck.boot_critical and RedisCheck.order == 60


def test_healthy_dev_and_prod_offline() -> None:
    assert offline(HEALTHY_DEV["REDIS_URL"]) == []
    assert run_check(RedisCheck, HEALTHY_DEV, offline=True) == []
    assert_no_warning_or_worse(run_check(RedisCheck, HEALTHY_PROD, offline=True))
    assert_no_warning_or_worse(run_check(RedisCheck, {**HEALTHY_PROD, "DYNO": "web.1"}, offline=True))


def test_missing_is_skipped() -> None:
    result = run_result(RedisCheck, make_context({}, offline=True))
    assert result.status is Status.SKIPPED and result.skip_vars == ("REDIS_URL",)
    assert run_result(RedisCheck, make_context({"REDIS_URL": "  "}, offline=True)).status is Status.SKIPPED


def test_malformed_port_never_shows_password() -> None:
    findings = offline(f"redis://:{CANARY}@127.0.0.1:abc/0")
    assert_finding(findings, "redis.url_invalid", Severity.ERROR)
    assert CANARY not in findings_text(findings)


def test_password_with_slash_hints_percent_encoding() -> None:
    findings = offline("redis://:Canary/Slash99@example.com:6379/0")
    found = get(findings, "redis.url_invalid")
    assert "percent-encoded" in found.detail
    assert "Canary" not in findings_text(findings) and "Slash99" not in findings_text(findings)


def test_no_host() -> None:
    assert_finding(offline("redis://"), "redis.url_invalid", Severity.ERROR)
    assert_finding(offline("redis://:6379/0"), "redis.url_invalid", Severity.ERROR)
    assert_finding(offline("unix://"), "redis.url_invalid", Severity.ERROR)
    assert_finding(offline("redis://localhost:0/0"), "redis.url_invalid", Severity.ERROR)


def test_scheme() -> None:
    for url in ("localhost:6379", "http://localhost:6379/0", "postgres://localhost/0"):
        assert_finding(offline(url), "redis.scheme_invalid", Severity.ERROR)
    assert offline("unix:///var/run/redis.sock") == []
    assert offline("rediss://localhost:6380/0") == []


def test_quotes_and_whitespace() -> None:
    assert_finding(offline('"redis://localhost:6379/0"'), "redis.quoted", Severity.ERROR)
    assert_finding(offline("redis://localhost:6379/0 "), "redis.whitespace", Severity.WARNING)
    assert_finding(offline("redis://localhost:6379/0\r\n"), "redis.whitespace", Severity.WARNING)
    assert_finding(offline("redis://local\u200bhost:6379/0"), "redis.whitespace", Severity.ERROR)


def test_placeholder() -> None:
    assert_finding(offline("redis://:password@host:6379/0"), "redis.placeholder", Severity.ERROR)


def test_db_number() -> None:
    assert_finding(offline("redis://localhost:6379/cache"), "redis.db_invalid", Severity.WARNING)
    assert_finding(offline("redis://localhost:6379/-1"), "redis.db_invalid", Severity.ERROR)
    assert_finding(offline("redis://localhost:6379?db=x"), "redis.db_invalid", Severity.ERROR)
    assert offline("redis://localhost:6379/3") == []
    assert offline("redis://localhost:6379") == []


def test_ssl_options() -> None:
    assert_finding(offline("redis://localhost:6379/0?ssl_cert_reqs=none"), "redis.ssl_option_on_plain", Severity.ERROR)
    assert_finding(offline("rediss://h.example.com:6380/0?ssl_cert_reqs=none"), "redis.tls_unverified", Severity.INFO)


def test_username_without_password() -> None:
    findings = offline(f"redis://{CANARY}@example.com:6379/0")
    assert_finding(findings, "redis.username_without_password", Severity.WARNING)
    assert CANARY not in findings_text(findings)


def test_not_tls_in_production_and_on_dyno() -> None:
    remote = f"redis://:{CANARY}@ec2-34-5-6-7.compute-1.amazonaws.com:25070"
    for env in (PROD, {"DYNO": "web.1"}):
        findings = offline(remote, **env)
        assert_finding(findings, "redis.not_tls", Severity.WARNING)
        assert CANARY not in findings_text(findings)
        assert "heroku config:get REDIS_URL" in get(findings, "redis.not_tls").fix.commands
    assert offline(remote) == []  # locally, plain Redis on a remote host is the developer's choice
    assert offline("redis://localhost:6379/0") == []


def test_heroku_commands_name_the_app_when_known() -> None:
    remote = "redis://:pw-not-shown@ec2-34-5-6-7.compute-1.amazonaws.com:25070"
    for url, finding_id in ((remote, "redis.not_tls"), ("redis://localhost:6379/0", "redis.localhost_in_production"),
                            ("localhost:6379", "redis.scheme_invalid")):
        fix = get(offline(url, DYNO="web.1", HEROKU_APP_NAME="chaski-app"), finding_id).fix
        heroku = [c for c in fix.commands if c.startswith("heroku ")]
        assert heroku and all(c.endswith(" -a chaski-app") for c in heroku), (finding_id, fix.commands)


def test_localhost_in_production() -> None:
    assert_finding(offline("redis://localhost:6379/0", **PROD), "redis.localhost_in_production", Severity.ERROR)
    assert_finding(offline("unix:///tmp/redis.sock", DYNO="web.1"), "redis.localhost_in_production", Severity.ERROR)


def test_fix_is_platform_aware() -> None:
    local = get(offline("localhost:6379"), "redis.scheme_invalid").fix
    assert any(c.startswith("REDIS_URL=") for c in local.commands)
    heroku = get(offline("localhost:6379", DYNO="web.1"), "redis.scheme_invalid").fix
    assert "heroku config:get REDIS_URL" in heroku.commands


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=200),
    st.builds(lambda a, b: f"redis://{a}@{b}", st.text(max_size=40), st.text(max_size=40)),
    st.builds(lambda a, b: f"rediss://:{a}@h:{b}/0", st.text(max_size=30), st.text(max_size=8)),
))
def test_never_raises_on_any_value(value: str) -> None:
    result = run_result(RedisCheck, make_context({"REDIS_URL": value}, offline=True))
    assert result.status in (Status.PASSED, Status.FAILED, Status.SKIPPED), (result.status, result.reason)
    for finding in result.findings:
        assert finding.id.startswith("redis.") and finding.vars == ("REDIS_URL",)


def test_huge_value() -> None:
    findings = offline("redis://" + "a" * 100_000 + ":6379/0")
    assert all(len(f.title) < 300 for f in findings)


@pytest.mark.parametrize("url", [
    "rediss://:pw-ok-long@redis.example.com:6380/0?ssl_cert_reqs=None",
    "rediss://:pw-ok-long@redis.example.com:6380/0?ssl_cert_reqs=CERT_NONE",
    "redis://:pw-ok-long@redis.example.com:6379/0?bogus_option=1",
    "redis://:pw-ok-long@redis.example.com:6379/0?socket_timeout=abc",
])
def test_options_redis_py_refuses_are_errors_offline(url: str) -> None:
    import redis.asyncio

    with pytest.raises((ValueError, TypeError, redis.RedisError)):  # the oracle: the app's own client
        redis.asyncio.ConnectionPool.from_url(url).make_connection()
    findings = run_check(RedisCheck, {**HEALTHY_DEV, "REDIS_URL": url}, offline=True)
    finding = get(findings, "redis.url_option_invalid")
    assert finding.severity is Severity.ERROR and "pw-ok-long" not in finding_text(finding)
    assert "redis.tls_unverified" not in ids(findings)


def test_lower_case_none_is_accepted_and_only_info() -> None:
    url = "rediss://:pw-ok-long@redis.example.com:6380/0?ssl_cert_reqs=none"
    found = ids(run_check(RedisCheck, {**HEALTHY_DEV, "REDIS_URL": url}, offline=True))
    assert "redis.tls_unverified" in found and "redis.url_option_invalid" not in found

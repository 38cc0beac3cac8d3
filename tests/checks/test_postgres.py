"""The postgres check's static half (no server), the offline mode and the message scrubber.

Live behaviour against a real PostgreSQL is in test_postgres_live.py.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.postgres import PostgresCheck
from checks.postgres.probe import classify, scrub, server_words
from doctor import Severity
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    get,
    make_context,
    run_check,
    run_result,
)
from tests.servers.http import SilentListener

CANARY = "CanaryPw-5e1f9c0b7a"


def offline(url: str, **env: str) -> list:
    """Findings of the check with --offline for this DATABASE_URL."""
    return run_check(PostgresCheck, {**HEALTHY_DEV, "DATABASE_URL": url, **env}, offline=True)


def assert_finding(findings: list, finding_id: str, severity: Severity) -> None:
    found = get(findings, finding_id)
    assert found.severity is severity, (finding_id, found.severity)
    assert found.vars == ("DATABASE_URL",)
    assert found.fix is not None and found.fix.text


def test_declaration() -> None:
    assert PostgresCheck.id == "postgres"
    assert PostgresCheck.vars == ("DATABASE_URL",)
    assert PostgresCheck.network and PostgresCheck.boot_critical and PostgresCheck.order == 50


def test_healthy_dev_and_prod_offline_have_no_warning() -> None:
    for env in (HEALTHY_DEV, HEALTHY_PROD):
        findings = run_check(PostgresCheck, env, offline=True)
        assert_no_warning_or_worse(findings)
        assert findings == []


def test_guide_local_example_is_fine() -> None:
    assert offline("postgresql://localhost/chaski_dev") == []


def test_missing_url_skips() -> None:
    result = run_result(PostgresCheck, make_context({"ENVIRONMENT": "development"}, offline=True))
    assert result.status.value == "skipped" and "DATABASE_URL" in (result.reason or "")


def test_legacy_scheme_fix_is_code_rewrite_not_config_set() -> None:
    url = "postgres://u7f3k2:p9c8e7d6b5a4f3e2d1c0b9a8@ec2-52-1-2-3.compute-1.amazonaws.com:5432/d4k2m9"
    findings = run_check(PostgresCheck, {**HEALTHY_PROD, "DATABASE_URL": url, "DYNO": "web.1"}, offline=True)
    assert_finding(findings, "postgres.legacy_scheme", Severity.WARNING)
    finding = get(findings, "postgres.legacy_scheme")
    assert "NoSuchModuleError" in finding.detail
    assert any('url.replace("postgres://", "postgresql://", 1)' in c for c in finding.fix.commands)
    assert not any("config:set" in c for c in finding.fix.commands)


def test_driver_scheme_is_accepted() -> None:
    assert offline("postgresql+psycopg://chaski:pw@localhost:5432/chaski_dev") == []


def test_unknown_scheme_is_critical() -> None:
    findings = offline(f"mysql://u:{CANARY}@db.example.com:3306/app")
    assert_finding(findings, "postgres.unknown_scheme", Severity.CRITICAL)
    assert "mysql" in get(findings, "postgres.unknown_scheme").title


def test_key_value_conninfo_is_unknown_scheme() -> None:
    findings = offline(f"host=localhost dbname=chaski password={CANARY}")
    assert_finding(findings, "postgres.unknown_scheme", Severity.CRITICAL)


def test_malformed_port_is_url_invalid_without_password() -> None:
    findings = offline(f"postgresql://u:{CANARY}@db.example.com:99999/app")
    assert_finding(findings, "postgres.url_invalid", Severity.CRITICAL)
    assert "port" in get(findings, "postgres.url_invalid").title
    assert_no_canary(findings)


def test_unbalanced_bracket_is_url_invalid() -> None:
    findings = offline(f"postgresql://u:{CANARY}@[::1:5432/app")
    assert_finding(findings, "postgres.url_invalid", Severity.CRITICAL)
    assert_no_canary(findings)


def test_missing_database_name_warns_locally() -> None:
    findings = offline("postgresql://chaski:pw@localhost:5432")
    assert_finding(findings, "postgres.url_incomplete", Severity.WARNING)


def test_missing_host_in_production_is_critical() -> None:
    findings = run_check(PostgresCheck, {**HEALTHY_PROD, "DATABASE_URL": "postgresql:///d4k2m9"}, offline=True)
    assert_finding(findings, "postgres.url_incomplete", Severity.CRITICAL)
    assert "host" in get(findings, "postgres.url_incomplete").title


def test_socket_url_is_fine_locally() -> None:
    assert offline("postgresql:///chaski_dev") == []


def test_quotes_are_critical() -> None:
    findings = offline(f'"postgresql://chaski:{CANARY}@localhost:5432/chaski_dev"')
    assert_finding(findings, "postgres.quoted", Severity.CRITICAL)
    assert_no_canary(findings)


def test_trailing_newline_is_critical_and_trailing_space_a_warning() -> None:
    """SQLAlchemy reads trailing whitespace into the last part of the URL: after the database name
    it is part of the name (critical; this test used to expect a warning, libpq's own URL rule, but
    the app's engine is SQLAlchemy); after a harmless option it changes nothing (a warning)."""
    newline = offline(f"postgresql://chaski:{CANARY}@localhost:5432/chaski_dev\n")
    assert_finding(newline, "postgres.whitespace", Severity.CRITICAL)
    space = offline(f"postgresql://chaski:{CANARY}@localhost:5432/chaski_dev  ")
    assert_finding(space, "postgres.whitespace", Severity.CRITICAL)
    assert "database name" in get(space, "postgres.whitespace").detail
    harmless = offline(f"postgresql://chaski:{CANARY}@localhost:5432/chaski_dev?application_name=chaski  ")
    assert_finding(harmless, "postgres.whitespace", Severity.WARNING)
    leading = offline(f"  postgresql://chaski:{CANARY}@localhost:5432/chaski_dev")
    assert_finding(leading, "postgres.whitespace", Severity.CRITICAL)
    assert_no_canary(newline + space + harmless + leading)


def test_placeholder_is_critical() -> None:
    findings = offline("postgresql://user:pass@host:5432/dbname")
    assert_finding(findings, "postgres.placeholder", Severity.CRITICAL)


def test_sslmode_disable_warns_only_in_production() -> None:
    url = "postgresql://u7f3k2:p9c8e7d6b5a4f3e2d1c0b9a8@ec2-52-1-2-3.compute-1.amazonaws.com:5432/d4k2m9"
    prod = run_check(PostgresCheck, {**HEALTHY_PROD, "DATABASE_URL": url + "?sslmode=disable"}, offline=True)
    assert_finding(prod, "postgres.ssl_disabled", Severity.WARNING)
    dev = offline("postgresql://chaski:pw@localhost:5432/chaski_dev?sslmode=disable")
    assert dev == []


def test_invalid_sslmode_is_critical() -> None:
    findings = offline(f"postgresql://chaski:{CANARY}@localhost:5432/chaski_dev?sslmode=yes")
    assert_finding(findings, "postgres.url_invalid", Severity.CRITICAL)
    fix = get(findings, "postgres.url_invalid").fix
    assert any("sslmode=require" in c and "<password>" in c for c in fix.commands)
    assert_no_canary(findings)


def test_offline_opens_no_connection() -> None:
    with SilentListener() as listener:
        url = f"postgresql://chaski:{CANARY}@127.0.0.1:{listener.port}/chaski_dev"
        started = time.monotonic()
        result = run_result(PostgresCheck, make_context({**HEALTHY_DEV, "DATABASE_URL": url}, offline=True))
        elapsed = time.monotonic() - started
        time.sleep(0.3)  # give the listener's accept loop a chance to see a connection
        assert listener._held == []
    assert result.findings == []
    assert result.reason == "offline: network probe not run"
    assert elapsed < 1


# -- the scrubber and the classifier -------------------------------------------------------------
def test_scrub_removes_dsn_password_and_userinfo() -> None:
    conninfo = f"postgresql://chaski:{CANARY}@db:5432/app"
    message = (f'missing "=" after "{conninfo}" in connection info string; other: '
               f"postgres://x:{CANARY}@h/d password={CANARY} postgresql://someone:other-secret@h/d "
               f"quoted {CANARY.replace('-', '%2D')}")
    cleaned = scrub(message, conninfo, CANARY.replace("-", "%2D"))
    assert CANARY not in cleaned and "other-secret" not in cleaned and "%2D" not in cleaned
    assert "[redacted]" in cleaned


def test_server_words_drops_prefix() -> None:
    message = ('connection failed: connection to server at "127.0.0.1", port 5 failed: '
               'FATAL:  database "x" does not exist')
    assert server_words(message) == 'connection to server at "127.0.0.1", port 5 failed: database "x" does not exist'


def test_classify_known_messages() -> None:
    cases = {
        'FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", SSL off': "ssl_required",
        'FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", no encryption': "ssl_required",
        "could not translate host name \"db\" to address: Name or service not known": "dns",
        'FATAL:  role "ghost" does not exist': "role_missing",
        'FATAL:  too many connections for role "limited"': "connections_exhausted",
        "connection timeout expired": "timeout",
    }
    for message, slug in cases.items():
        failure = classify(message)
        assert failure is not None and failure.slug == slug, message
    assert classify('FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "u", database "d", SSL on') is None


# -- never raises, never leaks -------------------------------------------------------------------
def assert_no_canary(findings: list, canary: str = CANARY) -> None:
    for finding in findings:
        text = " ".join([finding.title, finding.detail, finding.fix.text if finding.fix else "",
                         *(finding.fix.commands if finding.fix else ())])
        assert canary not in text, finding.id


url_pieces = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=st.sampled_from(["postgres", "postgresql", "postgresql+psycopg", "mysql", "", "http"]),
       user=url_pieces, host=url_pieces, port=url_pieces, path=url_pieces, query=url_pieces,
       wrap=st.sampled_from(["", " ", "\n", '"', "'", "\r\n"]))
def test_any_value_gives_findings_not_crashes_or_leaks(scheme: str, user: str, host: str, port: str, path: str,
                                                       query: str, wrap: str) -> None:
    url = f"{wrap}{scheme}://{user}:{CANARY}@{host}:{port}/{path}?{query}{wrap}"
    for env in (HEALTHY_DEV, HEALTHY_PROD):
        result = run_result(PostgresCheck, make_context({**env, "DATABASE_URL": url}, offline=True))
        assert result.status.value in ("passed", "failed"), (result.status, result.reason)
        assert_no_canary(result.findings)
        assert all(f.id.startswith("postgres.") and f.vars == ("DATABASE_URL",) for f in result.findings)


@pytest.mark.parametrize("url", ["postgresql:/localhost/chaski", "postgres:localhost", "postgresql+psycopg:x"])
def test_scheme_without_slashes_is_url_invalid(url: str) -> None:
    findings = run_check(PostgresCheck, {**HEALTHY_DEV, "DATABASE_URL": url}, offline=True)
    assert get(findings, "postgres.url_invalid").severity is Severity.CRITICAL

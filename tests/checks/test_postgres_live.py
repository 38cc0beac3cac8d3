"""The postgres check against a real PostgreSQL 15 cluster the suite starts (tests/servers/postgres.py).

Every failure classification is produced by the real server or libpq, never mocked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from checks.postgres import PostgresCheck
from doctor import Finding, Severity
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    finding_text,
    free_port,
    get,
    make_context,
    run_check,
    run_doctor,
    run_result,
)
from tests.servers.http import SilentListener
from tests.servers.postgres import (
    LIMITED_PASSWORD,
    LIMITED_USER,
    SUPERUSER,
    SUPERUSER_PASSWORD,
    TRUST_DB,
    PostgresCluster,
    postgres_cluster,  # noqa: F401 - pytest fixture
    postgres_ssl_only_cluster,  # noqa: F401 - pytest fixture
)
from tests.servers.smtp import SmtpServer, smtp_plain  # noqa: F401 - pytest fixture

CANARY_USER = "canary"
CANARY = "CanaryPg-9d4b2e7f1a"  # the real password of role `canary`
WRONG_CANARY = "CanaryWrong-3c8a6f0e5b"  # a wrong password: appears only in the URL


@pytest.fixture(scope="module")
def pg(postgres_cluster: PostgresCluster) -> PostgresCluster:  # noqa: F811
    """The session cluster, plus a role whose real password is a canary."""
    postgres_cluster.execute(
        f"DO $$ BEGIN CREATE ROLE {CANARY_USER} LOGIN PASSWORD '{CANARY}'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    return postgres_cluster


def check(url: str, env: dict[str, str] | None = None, **kwargs: object) -> list[Finding]:
    return run_check(PostgresCheck, {**(env or HEALTHY_DEV), "DATABASE_URL": url}, **kwargs)


def assert_critical(findings: list[Finding], finding_id: str) -> Finding:
    found = get(findings, finding_id)
    assert found.severity is Severity.CRITICAL
    assert found.vars == ("DATABASE_URL",)
    assert found.fix is not None and found.fix.text and found.fix.commands
    assert [f.id for f in findings if f.severity >= Severity.WARNING] == [finding_id]
    return found


# -- healthy ---------------------------------------------------------------------------------------
def test_healthy_dev_has_no_warning(pg: PostgresCluster) -> None:
    findings = check(pg.url())
    assert_no_warning_or_worse(findings)
    connected = get(findings, "postgres.connected")
    assert connected.severity is Severity.INFO and "PostgreSQL 15" in connected.title


def test_driver_scheme_connects(pg: PostgresCluster) -> None:
    assert_no_warning_or_worse(check(pg.url(scheme="postgresql+psycopg")))


def test_legacy_scheme_connects_but_warns(pg: PostgresCluster) -> None:
    findings = check(pg.url(scheme="postgres"))
    assert {f.id for f in findings} == {"postgres.legacy_scheme", "postgres.connected"}


def test_production_without_ssl_warns_not_encrypted(pg: PostgresCluster) -> None:
    findings = check(pg.url(), HEALTHY_PROD)
    found = get(findings, "postgres.not_encrypted")
    assert found.severity is Severity.WARNING and found.vars == ("DATABASE_URL",)


# -- classified failures ---------------------------------------------------------------------------
def test_wrong_password_is_auth_failed(pg: PostgresCluster) -> None:
    found = assert_critical(check(pg.url(password="not-the-password")), "postgres.auth_failed")
    assert "password authentication failed" in found.detail and "role does not exist" in found.detail


@pytest.mark.parametrize("password", ["password", "p", "authentication"])
def test_passwords_that_are_words_of_the_message_still_classify(pg: PostgresCluster, password: str) -> None:
    assert_critical(check(pg.url(password=password)), "postgres.auth_failed")


def test_unknown_role_under_scram_is_auth_failed(pg: PostgresCluster) -> None:
    assert_critical(check(pg.url(user="ghost")), "postgres.auth_failed")


def test_unknown_role_under_trust_is_role_missing(pg: PostgresCluster) -> None:
    found = assert_critical(check(pg.url(user="ghost", database=TRUST_DB)), "postgres.role_missing")
    assert any("createuser" in c for c in found.fix.commands)


def test_missing_password_is_password_missing(pg: PostgresCluster) -> None:
    assert_critical(check(pg.url(password=None)), "postgres.password_missing")


def test_missing_database(pg: PostgresCluster) -> None:
    found = assert_critical(check(pg.url(database="chaski_nope")), "postgres.database_missing")
    assert any("createdb" in c and "chaski_nope" in c for c in found.fix.commands)


def test_missing_database_on_heroku_fix(pg: PostgresCluster) -> None:
    found = assert_critical(check(pg.url(database="chaski_nope"), {**HEALTHY_DEV, "DYNO": "web.1"}),
                            "postgres.database_missing")
    assert "heroku pg:info" in found.fix.commands


def test_ssl_required_by_server(postgres_ssl_only_cluster: PostgresCluster) -> None:  # noqa: F811
    found = assert_critical(check(postgres_ssl_only_cluster.url(sslmode="disable")), "postgres.ssl_required")
    assert "no encryption" in found.detail
    assert any("sslmode=require" in c for c in found.fix.commands)


def test_ssl_unsupported_by_server(pg: PostgresCluster) -> None:
    found = assert_critical(check(pg.url(sslmode="require")), "postgres.ssl_unsupported")
    assert "does not support SSL" in found.detail


def test_dns_failure() -> None:
    assert_critical(check("postgresql://chaski:pw@chaski-db.invalid:5432/chaski_dev"), "postgres.dns")


def test_refused() -> None:
    assert_critical(check(f"postgresql://chaski:pw@127.0.0.1:{free_port()}/chaski_dev"), "postgres.refused")


def test_timeout_against_silent_listener() -> None:
    with SilentListener() as listener:
        ctx = make_context({**HEALTHY_DEV, "DATABASE_URL": f"postgresql://c:pw@127.0.0.1:{listener.port}/d"},
                           timeout=1)
        started = time.monotonic()
        result = run_result(PostgresCheck, ctx)
        elapsed = time.monotonic() - started
    assert result.status.value == "failed"  # finished by itself, not stopped by the runner
    assert_critical(result.findings, "postgres.timeout")
    assert elapsed < 2.8  # the per-check limit is 3 x 1 s


def test_unknown_query_parameter_is_url_invalid(pg: PostgresCluster) -> None:
    """Found offline now: SQLAlchemy passes the option to psycopg, whose make_conninfo refuses it (this
    test used to read libpq's words for its own URL parser, 'invalid URI query parameter', which the
    app's engine never reaches)."""
    found = assert_critical(check(pg.url(pool_size="5")), "postgres.url_invalid")
    assert 'invalid connection option "pool_size"' in found.detail and "pool_size" in found.title


def test_role_connection_limit_exhausted(pg: PostgresCluster) -> None:
    limited = pg.url(LIMITED_USER, LIMITED_PASSWORD)
    with pg.hold(2, limited):
        found = assert_critical(check(limited), "postgres.connections_exhausted")
    assert "too many connections for role" in found.detail


def test_reserved_slots_and_too_many_clients(pg: PostgresCluster) -> None:
    with pg.hold(7):  # max_connections 10 - 3 reserved for superusers
        reserved = assert_critical(check(pg.url()), "postgres.connections_exhausted")
        with pg.hold(3, pg.admin_url):
            full = assert_critical(check(pg.url()), "postgres.connections_exhausted")
    assert "remaining connection slots are reserved" in reserved.detail
    assert "too many clients already" in full.detail


def test_connections_exhausted_heroku_fix(pg: PostgresCluster) -> None:
    limited = pg.url(LIMITED_USER, LIMITED_PASSWORD)
    with pg.hold(2, limited):
        found = assert_critical(check(limited, {**HEALTHY_DEV, "DYNO": "web.1"}), "postgres.connections_exhausted")
    assert {"heroku pg:info", "heroku pg:killall  # DESTRUCTIVE: disconnects every session"} <= set(found.fix.commands)


def test_another_service_on_the_port_is_connect_failed(smtp_plain: SmtpServer) -> None:  # noqa: F811
    """A real SMTP server where PostgreSQL should be: libpq's complaint matches no known failure."""
    found = assert_critical(check(f"postgresql://chaski:pw@127.0.0.1:{smtp_plain.port}/chaski_dev"),
                            "postgres.connect_failed")
    assert "The connection failed:" in found.detail
    assert any(c.startswith("pg_isready") for c in found.fix.commands)


LOCKED_DB = "chaski_locked"


@pytest.fixture(scope="module")
def locked_db(pg: PostgresCluster) -> str:
    """A database whose pg_stat_activity PUBLIC may not read (a hardened server), for the app role."""
    import psycopg

    with psycopg.connect(pg.admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (LOCKED_DB,)).fetchone()
        if exists is None:
            conn.execute(f"CREATE DATABASE {LOCKED_DB} OWNER chaski")  # type: ignore[arg-type]
    with psycopg.connect(pg.url(SUPERUSER, SUPERUSER_PASSWORD, LOCKED_DB), autocommit=True,
                         connect_timeout=10) as conn:
        conn.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC")
    return LOCKED_DB


def test_query_refused_after_connecting_is_query_failed(pg: PostgresCluster, locked_db: str) -> None:
    findings = check(pg.url(database=locked_db))
    found = get(findings, "postgres.query_failed")
    assert found.severity is Severity.ERROR and found.vars == ("DATABASE_URL",)
    assert "permission denied" in found.detail and "pg_stat_activity" in found.detail
    assert [f.id for f in findings] == ["postgres.query_failed"]
    assert pg.url().split("@")[0].split(":")[-1] not in finding_text(found)  # the password stays out


# -- usage (75 % warning, 90 % error, as heroku pg:diagnose; 7 slots here) ----------------------------------
def test_usage_at_86_percent_warns_and_names_the_group(pg: PostgresCluster) -> None:
    with pg.hold(5):  # + the doctor's own = 6 of 7
        findings = check(pg.url())
    found = get(findings, "postgres.connections_high")
    assert found.severity is Severity.WARNING and found.vars == ("DATABASE_URL",)
    assert "6 of 7" in found.title and "86%" in found.title
    assert "Most are held by (no application_name) as chaski: 5 sessions from 1 client address (5 idle)" in found.detail
    assert "WEB_CONCURRENCY × pool size" in found.detail
    assert not any("killall" in c for c in found.fix.commands) and "killall" not in found.fix.text
    summary = get(findings, "postgres.sessions")
    assert summary.severity is Severity.INFO and "(no application_name) as chaski from 127.0.0.1, idle: 5" in (
        summary.detail)


def test_usage_at_86_percent_on_heroku_offers_pgbouncer_not_killall(pg: PostgresCluster) -> None:
    with pg.hold(5):
        found = get(check(pg.url(), {**HEALTHY_DEV, "DYNO": "web.1", "HEROKU_APP_NAME": "chaski-app"}),
                    "postgres.connections_high")
    assert found.fix.commands == ("heroku pg:info -a chaski-app",
                                  "heroku buildpacks:add heroku/pgbouncer -a chaski-app")


def test_usage_at_100_percent_is_an_error_with_killall_on_heroku(pg: PostgresCluster) -> None:
    with pg.hold(6):  # + the doctor's own = 7 of 7: the doctor takes the last slot
        found = get(check(pg.url(), {**HEALTHY_DEV, "DYNO": "web.1"}), "postgres.connections_high")
    assert found.severity is Severity.ERROR and "7 of 7" in found.title and "100%" in found.title
    assert "heroku pg:killall  # DESTRUCTIVE: disconnects every session" in found.fix.commands
    assert "heroku pg:killall disconnects every session" in found.fix.text


def test_usage_below_75_percent_is_quiet(pg: PostgresCluster) -> None:
    with pg.hold(4):  # 5 of 7 = 71 %
        findings = check(pg.url())
    assert_no_warning_or_worse(findings)
    assert "5 of 7" in get(findings, "postgres.connected").detail
    assert "postgres.sessions" not in {f.id for f in findings}  # nothing worth showing without -v


def test_role_limit_usage_is_an_error_when_full(pg: PostgresCluster) -> None:
    limited = pg.url(LIMITED_USER, LIMITED_PASSWORD)
    with pg.hold(1, limited):
        found = get(check(limited), "postgres.connections_high")
    assert "2 of 2" in found.title and "CONNECTION LIMIT" in found.title
    assert found.severity is Severity.ERROR
    assert "Most are held by (no application_name) as limited: 1 session" in found.detail


def test_doctor_leaves_no_connection_behind(pg: PostgresCluster) -> None:
    check(pg.url())
    import psycopg

    with psycopg.connect(pg.admin_url) as conn:
        rows = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'chaski'").fetchone()
    assert rows == (0,)


# -- secrets never leak ----------------------------------------------------------------------------
def leak_cases(pg: PostgresCluster, silent_port: int) -> dict[str, tuple[str, str, str]]:
    """name -> (DATABASE_URL, canary, expected finding id)."""
    return {
        "auth_failed": (pg.url(CANARY_USER, WRONG_CANARY), WRONG_CANARY, "postgres.auth_failed"),
        "database_missing": (pg.url(CANARY_USER, CANARY, "canary_nope"), CANARY, "postgres.database_missing"),
        "refused": (f"postgresql://canary:{CANARY}@127.0.0.1:{free_port()}/d", CANARY, "postgres.refused"),
        "timeout": (f"postgresql://canary:{CANARY}@127.0.0.1:{silent_port}/d", CANARY, "postgres.timeout"),
        "dns": (f"postgresql://canary:{CANARY}@canary-db.invalid/d", CANARY, "postgres.dns"),
        "malformed": (f"postgresql://canary:{CANARY}@db.example.com:99999/d", CANARY, "postgres.url_invalid"),
        # SQLAlchemy keeps an invalid %-escape as it is, so the password reaches the server (this case
        # used to expect libpq's URL parser to refuse it: postgres.url_invalid); psycopg refuses an
        # unknown option before connecting.
        "libpq_parse": (f"postgresql://canary:{CANARY}%zz@127.0.0.1:{pg.port}/d", CANARY, "postgres.auth_failed"),
        "unknown_option": (pg.url(CANARY_USER, CANARY, pool_size="5"), CANARY, "postgres.url_invalid"),
        "quoted": (f'"{pg.url(CANARY_USER, CANARY)}"', CANARY, "postgres.quoted"),
        "ssl_unsupported": (pg.url(CANARY_USER, CANARY, sslmode="require"), CANARY, "postgres.ssl_unsupported"),
        "healthy": (pg.url(CANARY_USER, CANARY, "postgres"), CANARY, "postgres.connected"),
    }


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    with SilentListener() as listener:
        yield listener.port



def test_canary_never_in_findings(pg: PostgresCluster, silent_port: int) -> None:
    for name, (url, canary, expected) in leak_cases(pg, silent_port).items():
        for env in (HEALTHY_DEV, HEALTHY_PROD):
            findings = check(url, env, timeout=1)
            assert expected in {f.id for f in findings}, (name, [f.id for f in findings])
            for finding in findings:
                assert canary not in finding_text(finding), (name, finding.id)


@pytest.mark.parametrize("name", ["auth_failed", "timeout", "malformed", "libpq_parse", "unknown_option"])
def test_canary_never_in_cli_output(pg: PostgresCluster, silent_port: int, name: str, tmp_path) -> None:
    url, canary, expected = leak_cases(pg, silent_port)[name]
    (tmp_path / "app.env").write_text(f"DATABASE_URL={url}\n")
    common = ("--only", "postgres", "--timeout", "1", "--no-color")
    runs = {
        "json (environment)": run_doctor(*common, "--format", "json", env=clean_environ(DATABASE_URL=url),
                                         cwd=tmp_path),
        **{f"{fmt} (--env-file)": run_doctor(*common, "--format", fmt, "--env-file", str(tmp_path / "app.env"),
                                             env=clean_environ(), cwd=tmp_path)
           for fmt in ("json", "text", "markdown")},
    }
    for how, proc in runs.items():
        assert proc.returncode == 1, (name, how, proc.returncode, proc.stderr[-2000:])
        assert canary not in proc.stdout and canary not in proc.stderr, (name, how)
        if how.startswith("json"):
            report = json.loads(proc.stdout)
            assert expected in {f["id"] for f in report["findings"]}, (name, how, report["findings"])

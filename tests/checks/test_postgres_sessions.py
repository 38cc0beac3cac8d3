"""Who holds the connections and which sessions are stuck, against real PostgreSQL clusters.

Two clusters of this module's own, each with 20 slots a non-superuser can take (max_connections
23, 3 reserved), so that 75 %, 90 % and 25 % fall on whole sessions:

- `aged` holds a whole scenario from the module's first test on: web sessions idle, a worker idle
  in transaction, a row lock holder idle in transaction, an UPDATE blocked on that row and a long
  pg_sleep, each query carrying personal data in its literals. Most tests judge it with
  `sessions.STUCK_AFTER_S` lowered (monkeypatched); the first test sees it with the real 60 s
  threshold while it is young (nothing stuck yet) and the last ones, once it is over a minute
  old, with the real threshold, in-process and through the `doctor` command (text and JSON).
- `pg` is for the scenarios a test builds itself (connection counts, shares of the slots).

The last tests wait for the aged scenario to pass 60 s; the module's other tests run meanwhile.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.postgres import PostgresCheck, sessions
from checks.postgres.querytext import LIMIT, normalise, shown
from doctor import Finding, Severity
from tests.helpers import (
    HEALTHY_DEV,
    assert_no_warning_or_worse,
    clean_environ,
    findings_text,
    get,
    ids,
    run_check,
    run_doctor,
)
from tests.servers.postgres import (
    APP_PASSWORD,
    LIMITED_PASSWORD,
    LIMITED_USER,
    SUPERUSER,
    SUPERUSER_PASSWORD,
    HeldSessions,
    PostgresCluster,
    cluster_binaries,
)

SLOTS = 20
REAL_THRESHOLD = 60.0
PII = ("ann.secret@example.com", "bob.secret@example.com", "carol.secret@example.com", "4242")
QUERY_WORDS = ("accounts", "pg_sleep", "FOR UPDATE", "UPDATE")  # parts of the scenario's query text


def cluster(**settings: str) -> PostgresCluster:
    initdb, pg_ctl = cluster_binaries()
    return PostgresCluster(initdb, pg_ctl, max_connections=SLOTS + 3, superuser_reserved_connections=3,
                           settings=settings)


@dataclass
class Aged:
    """The aged scenario: its cluster, when it started and the pids of its sessions."""

    pg: PostgresCluster
    started: float
    pids: dict[str, int]

    def wait_older_than(self, seconds: float) -> None:
        time.sleep(max(0.0, self.started + seconds - time.monotonic()))


@pytest.fixture(scope="module", autouse=True)
def aged() -> Iterator[Aged]:
    """Started before the module's first test, so that its sessions age while the others run."""
    with cluster() as pg, pg.held() as held:
        with psycopg.connect(pg.url(), autocommit=True) as owner:
            owner.execute("CREATE TABLE accounts (id int PRIMARY KEY, email text)")
            owner.execute("INSERT INTO accounts VALUES (1, 'first@example.com'), (2, 'second@example.com')")
        pids = {f"web{n}": held.open("web", "SELECT 1").info.backend_pid for n in range(3)}
        pids["worker"] = held.open("worker", "SELECT count(*) FROM accounts WHERE email = 'ann.secret@example.com' "
                                             "AND id > 4242", transaction=True).info.backend_pid
        pids["holder"] = held.open("holder", "SELECT email FROM accounts WHERE id = 1 FOR UPDATE",
                                   transaction=True).info.backend_pid
        pids["api"] = held.start("api", "UPDATE accounts SET email = 'bob.secret@example.com' WHERE id = 1",
                                 waits_on="Lock").info.backend_pid
        pids["report"] = held.start("report", "SELECT pg_sleep(3600), 'carol.secret@example.com'").info.backend_pid
        yield Aged(pg, time.monotonic(), pids)


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresCluster]:
    """A cluster for the scenarios tests build themselves; it logs every statement it receives."""
    with cluster(log_statement="all") as server:
        yield server


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch, aged: Aged) -> float:
    """STUCK_AFTER_S lowered to 1 s (the constant, not the check), once the aged sessions are older."""
    monkeypatch.setattr(sessions, "STUCK_AFTER_S", 1.0)
    aged.wait_older_than(1.5)
    return 1.0


def check(url: str, env: dict[str, str] | None = None, **kwargs: object) -> list[Finding]:
    return run_check(PostgresCheck, {**(env or HEALTHY_DEV), "DATABASE_URL": url}, **kwargs)


def assert_no_query_text(text: str) -> None:
    for word in (*PII, *QUERY_WORDS, APP_PASSWORD):
        assert word not in text, word


# -- the real threshold, while the scenario is young -------------------------------------------------
def test_real_threshold_sees_nothing_stuck_in_a_young_scenario(aged: Aged) -> None:
    findings = check(aged.pg.url())
    assert time.monotonic() - aged.started < REAL_THRESHOLD  # still young: the result means something
    assert sessions.STUCK_AFTER_S == REAL_THRESHOLD
    assert ids(findings) == {"postgres.connected"}  # nothing stuck, slots at 40 %: nothing worth showing
    assert "8 of 20 connection slots" in get(findings, "postgres.connected").detail


# -- the query text normaliser ---------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * FROM users WHERE email = 'ann@example.com' AND id = 42",
     "SELECT * FROM users WHERE email = '…' AND id = N"),
    ("UPDATE t SET a = E'it\\'s 12' WHERE b = $$x 9$$ -- by 'bob'", "UPDATE t SET a = '…' WHERE b = '…' /*…*/"),
    ("SELECT $body$ secret $body$, 'it''s', 1.5e-3, 0x1F, .5", "SELECT '…', '…', N, N, N"),
    ("SELECT users_1.id FROM users AS users_1 WHERE id = $1::int8", "SELECT users_N.id FROM users AS users_N "
                                                                  "WHERE id = $N::intN"),
    ("SELECT 'left open by the cut", "SELECT '…'"),
    ("SELECT\n\t1 /* note 7 */,\x1b[31m 'x'", "SELECT N /*…*/ , [Nm '…'"),
])
def test_normalise_examples(query: str, expected: str) -> None:
    assert normalise(query) == expected


def test_shown_cuts_at_80_characters_without_halving_a_placeholder() -> None:
    query = "SELECT " + "a" * 70 + " 'secret'"
    assert shown(query) == "SELECT " + "a" * 70 + "…"
    assert len(shown("SELECT " + "b" * 200)) == LIMIT
    assert shown("SELECT 1") == "SELECT N"


@given(st.text())
def test_no_digit_or_quoted_literal_survives_any_text(text: str) -> None:
    out = shown(text)
    assert len(out) <= LIMIT
    assert not re.search(r"\d", out)
    assert "'" not in out.replace("'…'", "")


SECRET = "xyzXYZ@!#é"  # characters no generated code token contains

_literal_text = st.text(alphabet=SECRET + "0123456789 '\\$", min_size=1, max_size=12)
_literals = st.one_of(
    _literal_text.map(lambda v: "'" + v.replace("'", "''") + "'"),
    _literal_text.map(lambda v: "E'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.tuples(st.sampled_from(["", "q", "tag_1"]), _literal_text.filter(lambda v: "$" not in v)).map(
        lambda t: f"${t[0]}${t[1]}${t[0]}$"),
    st.integers(min_value=0, max_value=10**12).map(str),
    st.floats(min_value=0, max_value=1e9, allow_nan=False).map(repr),
)
_code = st.sampled_from(["SELECT", "FROM", "WHERE", "AND", "=", "(", ")", ",", "users", "email", "id", "t.a"])


@given(st.lists(st.one_of(_literals, _code), min_size=1, max_size=30))
def test_no_literal_content_survives_a_query(tokens: list[str]) -> None:
    out = normalise(" ".join(tokens))
    assert not set(out) & set(SECRET)
    assert not re.search(r"\d", out)
    assert "'" not in out.replace("'…'", "")


# -- the aged scenario, with the threshold lowered ---------------------------------------------------------
def test_groups_and_stuck_sessions_without_query_text(aged: Aged, fast: float) -> None:
    findings = check(aged.pg.url())
    assert ids(findings) == {"postgres.connected", "postgres.blocked", "postgres.idle_in_transaction",
                             "postgres.long_query", "postgres.sessions"}
    for finding in findings:
        assert finding.severity is (Severity.INFO if finding.id in ("postgres.connected", "postgres.sessions")
                                    else Severity.WARNING), finding.id  # 2 of 20 at most: under 25 %
    pids = aged.pids
    blocked = get(findings, "postgres.blocked")
    assert blocked.title.startswith("1 session has been waiting for a lock")
    assert f"pid {pids['api']} ('api' as chaski" in blocked.detail
    assert f"blocked by pid {pids['holder']} ('holder'), idle in transaction, its transaction began" in blocked.detail
    assert blocked.fix.commands == (f"psql -h 127.0.0.1 -p {aged.pg.port} -U chaski chaski_dev -c "
                                    f"'SELECT pg_terminate_backend({pids['holder']})'",)
    idle = get(findings, "postgres.idle_in_transaction")
    assert idle.title == "2 sessions have been idle in transaction for over 1 s (10% of the slots)"
    assert f"pid {pids['worker']} ('worker'" in idle.detail and f"pid {pids['holder']} ('holder'" in idle.detail
    assert "commits or rolls back" in idle.detail and "-v shows the first 80 characters" in idle.detail
    long_query = get(findings, "postgres.long_query")
    assert long_query.title == "1 session has been running one query for over 1 s (5% of the slots)"
    assert f"pid {pids['report']} ('report'" in long_query.detail
    assert f"pid {pids['api']}" not in long_query.detail  # blocked, not slow: reported once, as blocked
    assert "pg_cancel_backend" in long_query.fix.text and str(pids["report"]) in long_query.fix.commands[0]
    summary = get(findings, "postgres.sessions")
    assert summary.title == "Who holds the connections: 7 other sessions in 5 groups; most: 'web' as chaski (3)"
    for group in ("'web' as chaski from 127.0.0.1, idle: 3", "'worker' as chaski from 127.0.0.1, idle in "
                  "transaction: 1", "'api' as chaski from 127.0.0.1, active: 1", "'report' as chaski from "
                  "127.0.0.1, active: 1", "against 20 connection slots"):
        assert group in summary.detail, group
    assert_no_query_text(findings_text(findings))


def test_verbose_shows_the_first_80_characters_without_literals(aged: Aged, fast: float) -> None:
    findings = check(aged.pg.url(), verbose=True)
    blocked = get(findings, "postgres.blocked").detail
    assert "query: UPDATE accounts SET email = '…' WHERE id = N" in blocked
    assert "the blocker's: SELECT email FROM accounts WHERE id = N FOR UPDATE" in blocked
    idle = get(findings, "postgres.idle_in_transaction").detail
    assert "query: SELECT count(*) FROM accounts WHERE email = '…' AND id > N" in idle
    assert "query: SELECT pg_sleep(N), '…'" in get(findings, "postgres.long_query").detail
    text = findings_text(findings)
    for secret in (*PII, APP_PASSWORD):
        assert secret not in text
    assert "-v shows" not in text


def test_a_heroku_fix_ends_the_blocker_with_the_app_flag(aged: Aged, fast: float) -> None:
    env = {**HEALTHY_DEV, "DYNO": "run.1", "HEROKU_APP_NAME": "chaski-app"}
    blocked = get(check(aged.pg.url(), env), "postgres.blocked")
    assert blocked.fix.commands == (f"heroku pg:psql -c 'SELECT pg_terminate_backend({aged.pids['holder']})' "
                                    "-a chaski-app",)
    assert "rolls back its transaction" in blocked.fix.text


# -- connection counts against the 75 % / 90 % thresholds ----------------------------------------------------
def test_below_75_percent_nothing_shows(pg: PostgresCluster) -> None:
    with pg.held() as held:
        for _ in range(13):  # + the doctor's own: 14 of 20 = 70 %
            held.open("web", "SELECT 1")
        findings = check(pg.url())
    assert_no_warning_or_worse(findings)
    assert ids(findings) == {"postgres.connected"}


def open_many(held: HeldSessions, count: int, app: str = "web") -> None:
    for _ in range(count):
        held.open(app, "SELECT 1")


def test_75_percent_warns_and_names_the_group_holding_most(pg: PostgresCluster) -> None:
    env = {**HEALTHY_DEV, "DYNO": "web.1", "HEROKU_APP_NAME": "chaski-app", "WEB_CONCURRENCY": "4"}
    with pg.held() as held:
        open_many(held, 11)
        open_many(held, 3, "worker")  # 11 + 3 + the doctor's own = 15 of 20 = 75 %
        findings = check(pg.url(), env)
    high = get(findings, "postgres.connections_high")
    assert high.severity is Severity.WARNING
    assert high.title == ("The database is at 75% of its connection limit (15 of 20 of the server's connection slots "
                          "a non-superuser can take)")
    assert "Most are held by 'web' as chaski: 11 sessions from 1 client address (11 idle)" in high.detail
    assert "WEB_CONCURRENCY × pool size (pool_size + max_overflow) × dynos; WEB_CONCURRENCY is 4 here" in high.detail
    assert high.fix.commands == ("heroku pg:info -a chaski-app", "heroku buildpacks:add heroku/pgbouncer -a chaski-app")
    assert "killall" not in high.fix.text  # never offered under a mere warning
    assert "pool_size" in high.fix.text and "PgBouncer" in high.fix.text and "plan" in high.fix.text
    assert get(findings, "postgres.sessions").title.endswith("most: 'web' as chaski (11)")


def test_90_percent_is_an_error_and_offers_killall_marked_destructive(pg: PostgresCluster) -> None:
    env = {**HEALTHY_DEV, "DYNO": "web.1", "HEROKU_APP_NAME": "chaski-app"}
    with pg.held() as held:
        open_many(held, 17)  # + the doctor's own = 18 of 20 = 90 %
        findings = check(pg.url(), env)
        local = get(check(pg.url()), "postgres.connections_high")
    high = get(findings, "postgres.connections_high")
    assert high.severity is Severity.ERROR and "at 90%" in high.title
    assert "heroku pg:killall -a chaski-app  # DESTRUCTIVE: disconnects every session" in high.fix.commands
    assert "heroku pg:killall disconnects every session" in high.fix.text
    assert local.severity is Severity.ERROR and not any("killall" in c for c in local.fix.commands)


def test_sessions_of_other_roles_show_as_hidden(pg: PostgresCluster) -> None:
    with pg.held() as held:
        held.open("reporting", "SELECT 1", url=pg.url(LIMITED_USER, LIMITED_PASSWORD))
        findings = check(pg.url(), verbose=True)  # -v shows the groups even when nothing is wrong
    summary = get(findings, "postgres.sessions")
    assert summary.severity is Severity.INFO
    assert "'reporting' as limited, state hidden (another role's session): 1" in summary.detail


# -- stuck sessions holding a large share of the slots ------------------------------------------------------
@pytest.mark.parametrize(("count", "severity"), [(4, Severity.WARNING), (5, Severity.ERROR)])
def test_idle_in_transaction_is_an_error_from_25_percent(pg: PostgresCluster, monkeypatch: pytest.MonkeyPatch,
                                                          count: int, severity: Severity) -> None:
    monkeypatch.setattr(sessions, "STUCK_AFTER_S", 0.5)
    with pg.held() as held:
        for n in range(count):
            held.open(f"job{n}", f"SELECT {n}", transaction=True)
        time.sleep(0.8)
        found = get(check(pg.url()), "postgres.idle_in_transaction")
    assert found.severity is severity
    assert f"({count * 5}% of the slots)" in found.title
    assert len(found.fix.commands) == 3  # the oldest three, never a mass kill


def test_a_refused_pg_blocking_pids_keeps_the_usage_figure(pg: PostgresCluster) -> None:
    pg.execute("CREATE DATABASE chaski_hardened OWNER chaski")
    with psycopg.connect(pg.url(SUPERUSER, SUPERUSER_PASSWORD, "chaski_hardened"), autocommit=True) as conn:
        conn.execute("REVOKE EXECUTE ON FUNCTION pg_blocking_pids(integer) FROM PUBLIC")
    findings = check(pg.url(database="chaski_hardened"))
    assert ids(findings) == {"postgres.connected", "postgres.query_failed"}
    failed = get(findings, "postgres.query_failed")
    assert failed.severity is Severity.ERROR
    assert "permission denied for function pg_blocking_pids" in failed.detail
    assert "1 of 20 connection slots" in get(findings, "postgres.connected").detail


def test_an_aborted_transaction_counts_as_idle_in_transaction(pg: PostgresCluster,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sessions, "STUCK_AFTER_S", 0.5)
    with pg.held() as held:
        broken = held.open("importer", transaction=True)
        pid = broken.info.backend_pid
        with pytest.raises(psycopg.errors.DivisionByZero):
            broken.execute("SELECT 1 / 0")
        time.sleep(0.8)
        findings = check(pg.url())
    assert f"pid {pid} ('importer'" in get(findings, "postgres.idle_in_transaction").detail
    assert "'importer' as chaski from 127.0.0.1, idle in transaction (aborted): 1" in (
        get(findings, "postgres.sessions").detail)


def test_the_doctor_reads_in_a_read_only_transaction_under_the_timeout(pg: PostgresCluster) -> None:
    start = pg.log.stat().st_size
    check(pg.url(), timeout=2)
    with pg.log.open(errors="replace") as log:
        log.seek(start)
        text = log.read()
    assert "BEGIN READ ONLY" in text
    assert "set_config('statement_timeout', $1, false)" in text and "$1 = '2000ms'" in text
    assert text.index("$1 = '2000ms'") < text.index("pg_stat_activity")  # before the first read of activity
    statements = re.findall(r"(?:statement|execute [^:]*):\s+(\w+)", text)
    assert statements[0] == "BEGIN" and statements[-1] == "ROLLBACK" and "WITH" in statements, statements
    assert set(statements) == {"BEGIN", "SELECT", "WITH", "ROLLBACK"}, statements  # reads only


# -- the real 60 s threshold, once the scenario is a minute old (last: the module's other tests ran meanwhile) --
def test_real_threshold_after_a_minute(aged: Aged) -> None:
    aged.wait_older_than(REAL_THRESHOLD + 1)
    findings = check(aged.pg.url())
    assert {"postgres.blocked", "postgres.idle_in_transaction", "postgres.long_query",
            "postgres.sessions"} <= ids(findings)
    assert "for over 60 s" in get(findings, "postgres.idle_in_transaction").title
    assert re.search(r"for 1 min \d+ s", get(findings, "postgres.long_query").detail)
    assert_no_query_text(findings_text(findings))


@pytest.mark.parametrize("verbose", [False, True])
def test_cli_after_a_minute_text_and_json(aged: Aged, verbose: bool) -> None:
    aged.wait_older_than(REAL_THRESHOLD + 1)
    env = clean_environ(DATABASE_URL=aged.pg.url())
    flags = ("-v",) if verbose else ()
    text = run_doctor("--only", "postgres", "--no-color", *flags, env=env)
    report = run_doctor("--only", "postgres", "--format", "json", *flags, env=env)
    assert text.returncode == report.returncode == 0, (text.stdout[-2000:], text.stderr[-2000:])
    found = {f["id"]: f for f in json.loads(report.stdout)["findings"]}
    assert {k: found[k]["severity"] for k in ("postgres.blocked", "postgres.idle_in_transaction",
                                               "postgres.long_query", "postgres.sessions")} == {
        "postgres.blocked": "warning", "postgres.idle_in_transaction": "warning", "postgres.long_query": "warning",
        "postgres.sessions": "info"}
    for output in (" ".join((text.stdout + text.stderr).split()), report.stdout):  # the text wraps at 100
        assert "idle in transaction" in output and f"pid {aged.pids['holder']}" in output
        for secret in (*PII, APP_PASSWORD):
            assert secret not in output
        if verbose:
            assert "UPDATE accounts SET email = '…' WHERE id = N" in output
        else:
            assert_no_query_text(output)

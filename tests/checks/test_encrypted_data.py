"""The encrypted_data check against the suite's real PostgreSQL, with real Fernet tokens.

Every scenario builds its own schema in its own database (`encdata`, owned by the app role), so
nothing here touches the tables of other tests. Plaintexts are canaries that must never appear
in a finding, nor any part of a ciphertext.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from checks.encrypted_data import EncryptedDataCheck
from checks.encrypted_data.static import Column, parse_entry
from checks.encrypted_data.tally import Kind, classify, load_keys
from doctor import Finding, Severity
from doctor.model import Status
from tests.helpers import (
    GOOD_FERNET_KEY,
    GOOD_FERNET_KEY_2,
    HEALTHY_DEV,
    clean_environ,
    findings_text,
    free_port,
    get,
    ids,
    make_context,
    run_doctor,
    run_result,
)
from tests.servers.postgres import (
    APP_USER,
    SUPERUSER,
    SUPERUSER_PASSWORD,
    PostgresCluster,
    postgres_cluster,  # noqa: F401 - pytest fixture
)

DB = "encdata"
CURRENT, NEW = GOOD_FERNET_KEY, GOOD_FERNET_KEY_2
OTHER = "Xq1cWm3pQ0b8yZ2Jv5Lr7Tn9Ks4Hd6Gf1Ea3Cw5Bu8I="  # a third key: encrypted none of the app's data
COLUMNS = ("email_encrypted", "full_name_encrypted", "phone_number_encrypted")
HEROKU = {"DYNO": "web.1", "HEROKU_APP_NAME": "chaski-app"}
SECRETS = (CURRENT, NEW, OTHER)


def canary(i: int) -> str:
    return f"canary{i:04d}-pii-5b8e@example.com"


class Data:
    """The test database: schemas of `users`-like tables filled with real tokens."""

    def __init__(self, pg: PostgresCluster) -> None:
        self.pg = pg
        self.tokens: list[str] = []  # every ciphertext written, for the leak assertions

    def url(self, schema: str | None = None) -> str:
        return self.pg.url(database=DB, **({"options": f"-csearch_path%3D{schema}"} if schema else {}))

    def token(self, key: str, i: int, at: float | None = None) -> str:
        fernet = Fernet(key)
        raw = canary(i).encode()
        token = (fernet.encrypt(raw) if at is None else fernet.encrypt_at_time(raw, int(at))).decode()
        self.tokens.append(token)
        return token

    def table(self, schema: str, rows: Iterable[Sequence[object]], columns: Sequence[str] = COLUMNS,
              table: str = "users", kind: str = "text", owner_only: bool = False) -> None:
        import psycopg
        from psycopg import sql

        url = self.pg.url(SUPERUSER, SUPERUSER_PASSWORD, DB) if owner_only else self.url()
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            fresh = sql.SQL("DROP SCHEMA IF EXISTS {s} CASCADE; CREATE SCHEMA {s}")
            conn.execute(fresh.format(s=sql.Identifier(schema)))
            if owner_only:
                conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema),
                                                                          sql.Identifier(APP_USER)))
            name = sql.Identifier(schema, table)
            defs = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kind)) for c in columns)
            conn.execute(sql.SQL("CREATE TABLE {} (id serial, {})").format(name, defs))
            cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(name, cols)) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.execute(sql.SQL("ANALYZE {}").format(name))

    def run(self, schema: str | None, extra: dict[str, str] | None = None, *, timeout: float = 5.0,
            offline: bool = False, url: str | None = None) -> tuple[list[Finding], Status]:
        env = {**HEALTHY_DEV, "DATABASE_URL": url or self.url(schema), **(extra or {})}
        result = run_result(EncryptedDataCheck, make_context(env, timeout=timeout, offline=offline))
        assert_no_leak(findings_text(result.findings), self.tokens)
        return result.findings, result.status


def assert_no_leak(text: str, tokens: Iterable[str]) -> None:
    """No canary plaintext, no key, and no 16-character stretch of any ciphertext."""
    assert "canary" not in text.lower()
    for secret in SECRETS:
        assert secret not in text and secret[:20] not in text
    for token in tokens:
        for start in range(0, len(token) - 16, 8):
            assert token[start:start + 16] not in text, "a ciphertext fragment leaked"


@pytest.fixture(scope="module")
def data(postgres_cluster: PostgresCluster) -> Data:  # noqa: F811
    postgres_cluster.execute(f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB} OWNER {APP_USER}")
    return Data(postgres_cluster)


def rows_of(*columns: list[object]) -> list[tuple[object, ...]]:
    return list(zip(*columns, strict=True))


def only(findings: list[Finding], finding_id: str, severity: Severity) -> Finding:
    found = get(findings, finding_id)
    assert found.severity is severity, (found.id, found.severity)
    return found


# -- healthy ------------------------------------------------------------------------------------
def test_healthy_default_columns_give_one_info_with_counts(data: Data) -> None:
    data.table("ok", rows_of([data.token(CURRENT, i) for i in range(30)], [data.token(CURRENT, i) for i in range(30)],
                             [data.token(CURRENT, i) if i % 2 else None for i in range(30)]))
    findings, status = data.run("ok")
    assert status is Status.PASSED and ids(findings) == {"encrypted_data.readable"}
    env = {**HEALTHY_DEV, "DATABASE_URL": data.url("ok"), "ENCRYPTION_KEY_NEW": NEW}
    result = run_result(EncryptedDataCheck, make_context(env))
    assert set(result.vars_read) <= set(EncryptedDataCheck.vars), result.vars_read
    readable = only(findings, "encrypted_data.readable", Severity.INFO)
    assert readable.title == "All 75 sampled values in 3 columns decrypt with ENCRYPTION_KEY"
    assert "users.phone_number_encrypted: 15 values" in readable.detail
    assert "at random from the whole table" in readable.detail


def test_a_large_table_is_sampled_through_tablesample(data: Data) -> None:
    data.table("big", ([data.token(CURRENT, i % 7)] for i in range(30000)), columns=("email_encrypted",))
    findings, _ = data.run(None, {"DOCTOR_ENCRYPTED_COLUMNS": "big.users.email_encrypted"})
    readable = only(findings, "encrypted_data.readable", Severity.INFO)
    assert "TABLESAMPLE SYSTEM" in readable.detail and "200 values" in readable.detail
    assert "of about 30,000 rows" in readable.detail


def test_a_sparse_column_in_a_large_table_is_still_found(data: Data) -> None:
    rows = [[None]] * 120_000 + [[data.token(CURRENT, i)] for i in range(20)]
    data.table("sparse", rows, columns=("email_encrypted",))
    findings, _ = data.run(None, {"DOCTOR_ENCRYPTED_COLUMNS": "sparse.users.email_encrypted"})
    readable = only(findings, "encrypted_data.readable", Severity.INFO)
    assert readable.title.startswith("All ") and "sampled values in 1 column" in readable.title


# -- the keys against the values ------------------------------------------------------------------
def test_wrong_key_is_critical_and_never_offers_a_new_key(data: Data) -> None:
    data.table("wrong", rows_of(*([data.token(OTHER, i) for i in range(10)] for _ in COLUMNS)))
    findings, status = data.run("wrong", HEROKU)
    wrong = only(findings, "encrypted_data.wrong_key", Severity.CRITICAL)
    assert status is Status.FAILED and wrong.vars == ("ENCRYPTION_KEY",)
    assert "30 of 30 sampled values (100 %)" in wrong.title
    assert "InvalidToken" in wrong.detail and wrong.fix is not None
    assert "password manager" in wrong.fix.text and "does not bring the data back" in wrong.fix.text
    assert "heroku releases -a chaski-app" in wrong.fix.commands
    assert not any("generate_key" in c or "$(" in c for c in wrong.fix.commands)
    assert ids(findings) == {"encrypted_data.wrong_key"}


def test_a_mix_with_tokens_under_another_key_is_an_error(data: Data) -> None:
    data.table("mix", rows_of([data.token(CURRENT if i % 4 else OTHER, i) for i in range(40)]),
               columns=("email_encrypted",))
    findings, _ = data.run(None, {"DOCTOR_ENCRYPTED_COLUMNS": "mix.users.email_encrypted"})
    found = only(findings, "encrypted_data.undecryptable", Severity.ERROR)
    assert "10 of 40 sampled values (25 %) do not decrypt with ENCRYPTION_KEY" in found.title
    assert "encrypted_data.readable" not in ids(findings)


def test_rotation_half_done_names_both_keys_and_the_share(data: Data) -> None:
    values = [data.token(NEW if i < 37 else CURRENT, i) for i in range(50)]
    data.table("half", rows_of(values), columns=("email_encrypted",))
    findings, _ = data.run("half", {"ENCRYPTION_KEY_NEW": NEW, "DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted",
                                    **HEROKU})
    found = only(findings, "encrypted_data.rotation_incomplete", Severity.ERROR)
    assert found.vars == ("ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW")
    assert "37 of 50 sampled values (74 %)" in found.title and "ENCRYPTION_KEY_NEW" in found.title
    assert found.fix is not None and "MultiFernet" in found.fix.text
    assert "heroku run -a chaski-app python scripts/rotate_encryption_key.py" in found.fix.commands
    assert not any("config:set" in c for c in found.fix.commands)


def test_rotation_finished_but_not_promoted_gives_the_swap(data: Data) -> None:
    data.table("done", rows_of(*([data.token(NEW, i) for i in range(20)] for _ in COLUMNS)))
    findings, _ = data.run("done", {"ENCRYPTION_KEY_NEW": NEW, **HEROKU})
    found = only(findings, "encrypted_data.rotation_not_promoted", Severity.ERROR)
    assert "60 of 60 sampled values (100 %)" in found.title
    assert found.fix is not None
    set_line, unset_line = found.fix.commands
    assert set_line.startswith("heroku config:set ENCRYPTION_KEY=<the value of ENCRYPTION_KEY_NEW> -a chaski-app")
    assert "# DESTRUCTIVE:" in set_line
    assert unset_line == "heroku config:unset ENCRYPTION_KEY_NEW -a chaski-app"


def test_rotation_not_promoted_locally_edits_dotenv(data: Data) -> None:
    findings, _ = data.run("done", {"ENCRYPTION_KEY_NEW": NEW})
    found = only(findings, "encrypted_data.rotation_not_promoted", Severity.ERROR)
    assert found.fix is not None and found.fix.commands[0].startswith("ENCRYPTION_KEY=<the value of")
    assert "ENCRYPTION_KEY_NEW" in found.fix.text


def test_rotation_not_started_is_healthy(data: Data) -> None:
    findings, _ = data.run("ok", {"ENCRYPTION_KEY_NEW": NEW})
    readable = only(findings, "encrypted_data.readable", Severity.INFO)
    assert "has not started" in readable.detail and readable.vars == ("ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW")


def test_plaintext_and_damaged_tokens(data: Data) -> None:
    emails = [canary(i) if i < 5 else data.token(CURRENT, i) for i in range(20)]
    names = [data.token(CURRENT, i)[:60] if i < 4 else data.token(CURRENT, i) for i in range(20)]
    data.table("plain", rows_of(emails, names), columns=COLUMNS[:2])
    findings, _ = data.run("plain", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted,users.full_name_encrypted"})
    plain = only(findings, "encrypted_data.plaintext", Severity.ERROR)
    assert "5 of 40 sampled values (12 %)" in plain.title
    assert "users.email_encrypted 5 of 20, users.full_name_encrypted 0 of 20" in plain.detail
    damaged = only(findings, "encrypted_data.damaged", Severity.ERROR)
    assert "4 of 40 sampled values (10 %)" in damaged.title
    assert "encrypted_data.wrong_key" not in ids(findings)


# -- the tokens' own timestamps ---------------------------------------------------------------------
def test_tokens_from_the_future_and_from_long_ago(data: Data) -> None:
    now = time.time()
    values = [data.token(CURRENT, i, now + 3 * 3600 if i < 3 else now - 2 * 365 * 86400 if i < 8 else None)
              for i in range(10)]
    data.table("clock", rows_of(values), columns=("email_encrypted",))
    findings, _ = data.run("clock", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted"})
    future = only(findings, "encrypted_data.future_tokens", Severity.WARNING)
    assert "3 of 10 sampled tokens (30 %)" in future.title and "3 h ahead" in future.title
    old = only(findings, "encrypted_data.old_tokens", Severity.INFO)
    assert "5 of 10 tokens under ENCRYPTION_KEY (50 %)" in old.title and "2.0 years" in old.title
    assert "encrypted_data.readable" in ids(findings)
    during_rotation, _ = data.run("clock", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted",
                                            "ENCRYPTION_KEY_NEW": NEW})
    assert "encrypted_data.old_tokens" not in ids(during_rotation)


# -- which columns ---------------------------------------------------------------------------------
def test_custom_columns_schema_qualified_bytea_and_quoted_names(data: Data) -> None:
    data.table("Custom", rows_of([data.token(CURRENT, i).encode() for i in range(12)]), columns=("Secret Blob",),
               table="Accounts", kind="bytea")
    findings, _ = data.run(None, {"DOCTOR_ENCRYPTED_COLUMNS": '"Custom"."Accounts"."Secret Blob"'})
    readable = only(findings, "encrypted_data.readable", Severity.INFO)
    assert '"Custom"."Accounts"."Secret Blob": 12 values' in readable.detail


def test_missing_default_columns_are_info_and_suggest_real_ones(data: Data) -> None:
    data.table("elsewhere", rows_of([data.token(CURRENT, 1)]), columns=("card_encrypted",), table="cards")
    findings, status = data.run("public")
    missing = only(findings, "encrypted_data.column_missing", Severity.INFO)
    assert status is Status.PASSED and "no such table" in missing.detail + missing.title
    assert "elsewhere.cards.card_encrypted" in missing.detail
    assert missing.fix is not None and "DOCTOR_ENCRYPTED_COLUMNS=" in missing.fix.commands[0]


def test_an_explicit_missing_column_is_a_warning(data: Data) -> None:
    findings, status = data.run("ok", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted,users.ssn_encrypted"})
    missing = only(findings, "encrypted_data.column_missing", Severity.WARNING)
    assert "users.ssn_encrypted (no such column)" in missing.title and status is Status.FAILED
    assert "encrypted_data.readable" in ids(findings)


def test_an_empty_column_has_nothing_to_sample(data: Data) -> None:
    data.table("empty", rows_of([data.token(CURRENT, 1)], [None], [None]))
    findings, _ = data.run("empty")
    empty = only(findings, "encrypted_data.nothing_to_sample", Severity.INFO)
    assert "users.full_name_encrypted, users.phone_number_encrypted" in empty.title


def test_invalid_entries_are_a_warning_also_offline(data: Data) -> None:
    extra = {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted,users;drop table users,justonename"}
    for offline in (True, False):
        findings, _ = data.run("ok", extra, offline=offline)
        invalid = only(findings, "encrypted_data.columns_invalid", Severity.WARNING)
        assert "2 entries" in invalid.title and "'users;drop table users'" in invalid.title
        assert ("encrypted_data.readable" in ids(findings)) is not offline


def test_a_slow_relation_is_cut_by_the_statement_timeout(data: Data) -> None:
    import psycopg

    with psycopg.connect(data.url(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS slow CASCADE; CREATE SCHEMA slow")
        conn.execute("CREATE FUNCTION slow.nothing(int) RETURNS text LANGUAGE plpgsql AS "
                     "$$ BEGIN PERFORM pg_sleep(0.01); RETURN NULL; END $$")
        conn.execute("CREATE VIEW slow.users AS SELECT slow.nothing(g) AS email_encrypted "
                     "FROM generate_series(1, 100000) g")
    started = time.monotonic()
    findings, _ = data.run("slow", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted"}, timeout=1)
    assert time.monotonic() - started < 4
    cut = only(findings, "encrypted_data.sample_cut", Severity.INFO)
    assert "users.email_encrypted" in cut.title and "statement_timeout of 1 s" in cut.detail


def test_a_table_the_role_cannot_read_is_query_failed(data: Data) -> None:
    data.table("locked", rows_of([data.token(CURRENT, 1)]), columns=("email_encrypted",), owner_only=True)
    findings, _ = data.run("locked", {"DOCTOR_ENCRYPTED_COLUMNS": "users.email_encrypted"})
    failed = only(findings, "encrypted_data.query_failed", Severity.ERROR)
    assert "permission denied" in failed.detail


def test_an_unreachable_database_is_a_finding_not_a_crash(data: Data) -> None:
    url = f"postgresql://chaski:Zx8vQp2Lm9RtYw4Kc7Nb@127.0.0.1:{free_port()}/encdata"
    findings, status = data.run(None, url=url, timeout=2)
    only(findings, "encrypted_data.unreachable", Severity.ERROR)
    assert "Zx8vQp2Lm9RtYw4Kc7Nb" not in findings_text(findings) and status is Status.FAILED


def test_without_an_encryption_key_the_check_is_skipped(data: Data) -> None:
    env = {**HEALTHY_DEV, "DATABASE_URL": data.url("ok"), "ENCRYPTION_KEY": "not-a-fernet-key"}
    result = run_result(EncryptedDataCheck, make_context(env))
    assert result.status is Status.SKIPPED and "fernet" in (result.reason or "")


def test_the_session_cannot_write(data: Data) -> None:
    """Every transaction the probe opens is READ ONLY, and so is the session's default."""
    import asyncio

    import psycopg

    from checks.encrypted_data.probe import close, connect

    async def attempt() -> list[str]:
        connection = await connect(5, data.url("ok"), None)
        refused = []
        try:
            for read_only in (True, None):  # the probe's transactions, then the session default alone
                await connection.conn.set_read_only(read_only)
                try:
                    async with connection.conn.transaction():
                        await connection.conn.execute("CREATE TABLE ok.written (i int)")
                except psycopg.errors.ReadOnlySqlTransaction:
                    refused.append(str(read_only))
        finally:
            await close(connection.conn, 5)
        return refused

    assert asyncio.run(attempt()) == ["True", "None"]


# -- pure parts ----------------------------------------------------------------------------------
def test_entries_parse_as_identifiers() -> None:
    assert parse_entry("Users.Email_Encrypted") == Column(None, "users", "email_encrypted")
    assert parse_entry('app."Users".email') == Column("app", "Users", "email")
    for bad in ("users", "a.b.c.d", "users.email;x", "users.", '"unclosed.x', "1users.x", "a" * 64 + ".x"):
        assert parse_entry(bad) is None, bad


def test_values_are_told_apart_by_key_and_structure() -> None:
    keys = load_keys(CURRENT, NEW)
    assert keys is not None
    token = Fernet(OTHER).encrypt(b"x").decode()
    assert classify(Fernet(CURRENT).encrypt(b"x").decode(), keys)[0] is Kind.CURRENT
    assert classify(Fernet(NEW).encrypt(b"x"), keys)[0] is Kind.NEW
    assert classify(token, keys)[0] is Kind.FOREIGN
    assert classify(token[:-8], keys)[0] is Kind.DAMAGED
    assert classify("alice@example.com", keys)[0] is Kind.PLAIN
    assert classify(12345, keys)[0] is Kind.PLAIN


# -- through the doctor command -------------------------------------------------------------------
def test_doctor_never_prints_a_value_in_any_format(data: Data, tmp_path: Path) -> None:
    emails = [canary(9000 + i) for i in range(3)] + [data.token(NEW, i) for i in range(5)]
    names = [data.token(OTHER, i) for i in range(4)] + [data.token(CURRENT, i) for i in range(4)]
    data.table("leak", rows_of(emails, names, [None] * 8))
    env_file = tmp_path / ".env"
    config = {**HEALTHY_DEV, "DATABASE_URL": data.url("leak"), "ENCRYPTION_KEY_NEW": NEW}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
    base = ("--env-file", str(env_file), "--only", "postgres,fernet,encrypted_data", "--timeout", "5")
    for extra in (("--format", "json"), ("--format", "text"), ("--format", "markdown"), ("-v",)):
        done = run_doctor(*base, *extra, env=clean_environ(), cwd=tmp_path)
        assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
        assert_no_leak(done.stdout + done.stderr, data.tokens)
        if extra[-1] == "json":
            report = json.loads(done.stdout)
            found = {f["id"] for f in report["findings"]}
            assert {"encrypted_data.plaintext", "encrypted_data.undecryptable",
                    "encrypted_data.rotation_incomplete", "encrypted_data.nothing_to_sample"} <= found
        else:
            assert "encrypted_data" in done.stdout
    offline = run_doctor(*base, "--offline", "--format", "json", env=clean_environ(), cwd=tmp_path)
    check = next(c for c in json.loads(offline.stdout)["checks"] if c["id"] == "encrypted_data")
    assert check["reason"] == "offline: network probe not run"

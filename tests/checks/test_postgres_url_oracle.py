"""DATABASE_URL: the doctor's verdict against SQLAlchemy's make_url and psycopg's conninfo (issue 9).

The oracle is the libraries themselves: `sqlalchemy.engine.make_url`, `URL.get_dialect()`, the
psycopg dialect's `create_connect_args`, psycopg's `make_conninfo` / `conninfo_to_dict`, and
libpq's own option checks, reached by connecting to a Unix socket in a folder that does not exist
(libpq checks sslmode, the port and the rest before it looks for the socket; no network).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from checks.postgres import PostgresCheck
from checks.postgres.oracle import judge
from doctor import Severity
from tests.helpers import HEALTHY_DEV, HEALTHY_PROD, get, make_context, run_result

sqlalchemy = pytest.importorskip("sqlalchemy")
psycopg = pytest.importorskip("psycopg")

NOWHERE = "/nonexistent-doctor-oracle"
CANARY = "CanaryPw-5e1f9c0b7a"


def oracle(url: str) -> tuple[bool, dict | None]:
    """(does the app's engine accept `url`, its parts as SQLAlchemy holds them, or None)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return False, None
    parts = {"user": parsed.username, "password": parsed.password, "host": parsed.host, "port": parsed.port,
             "database": parsed.database,
             "query": {k: (v if isinstance(v, str) else tuple(v)) for k, v in parsed.query.items()}}
    try:
        dialect = parsed.get_dialect()
        if dialect.name != "postgresql":
            return False, parts
        _, kwargs = PGDialect_psycopg().create_connect_args(parsed)
        params = conninfo_to_dict(make_conninfo("", **kwargs))
    except Exception:
        return False, parts
    hosts = ",".join(NOWHERE for _ in params.get("host", "").split(","))  # as many hosts, none reachable
    params = {k: v for k, v in params.items() if k not in ("host", "hostaddr", "service")}
    try:
        psycopg.connect(make_conninfo("", host=hosts, **params)).close()
    except psycopg.OperationalError as exc:  # every attempt got past the option checks to the socket
        words = str(exc)
        reached = ".s.PGSQL." in words or "over a local socket" in words  # gssencmode=require: socket-only refusal
        return reached and re.search(r"invalid|could not match|bad value", words) is None, parts
    except psycopg.ProgrammingError:
        return False, parts
    raise AssertionError("connected to a socket that does not exist")


def doctor(url: str, model: str) -> tuple[bool, dict | None]:
    """The doctor's verdict and parts with the `model` it has: `library` (SQLAlchemy and psycopg),
    `builtin` (the copy of SQLAlchemy 2.1, psycopg itself) or `offline` (both copies)."""
    verdict = judge(url, builtin=model == "builtin", offline=model == "offline")
    if verdict.url is None:
        return False, None
    u = verdict.url
    parts = {"user": u.username, "password": u.password, "host": u.host, "port": u.port, "database": u.database,
             "query": dict(u.query)}
    return verdict.slug is None, parts


TRICKY = "#?/ %@:[]&=+'\"\\\n\t\u00e9\u200b"
piece = st.text(alphabet=st.sampled_from(list("abcXYZ019_-.~") + list(TRICKY)), max_size=8)
encoded = st.sampled_from(["%40", "%2F", "%23", "%3F", "%25", "%20", "%zz", "%", "%4", "%C3%A9"])
part = st.lists(st.one_of(piece, encoded), max_size=3).map("".join)
SCHEMES = ["postgresql", "postgresql+psycopg", "postgresql+psycopg_async", "postgresql+psycopg2", "postgresql+asyncpg",
           "postgresql+base", "postgresql+nosuch", "postgresql+", "PostgreSQL", "Postgresql+psycopg", "postgres",
           "mysql", "mysql+pymysql", "sqlite", "http", "post-gres", "postgresql+psycopg+x", "pg"]
KEYS = ["sslmode", "application_name", "connect_timeout", "target_session_attrs", "gssencmode", "channel_binding",
        "options", "pool_size", "foo", "port", "host", "load_balance_hosts", "sslnegotiation", "sslcertmode",
        "keepalives"]
VALUES = ["require", "disable", "prefer", "verify-full", "REQUIRE", "yes", "", "5", "0", "-1", "abc", "1.5",
          "any", "read-write", "random", "direct", "x y", "require ", "h1,h2", "h1:5432", "5432,5433", "99999"]
option = st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(VALUES), part))
port = st.one_of(st.none(), st.just("5432"), st.sampled_from(["", "0", "65535", "65536", "-1", "+5", " 5432", "5_432",
                                                            "\u0665\u0664", "abc", "99999"]), part)


@st.composite
def database_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(SCHEMES))
    user, password, host, database = draw(part), draw(st.one_of(st.none(), part)), draw(part), draw(part)
    auth = "" if draw(st.booleans()) else user + ("" if password is None else f":{password}") + "@"
    host = f"[{host}]" if draw(st.integers(0, 9)) == 0 else host
    port_text = draw(port)
    tail = "" if draw(st.integers(0, 5)) == 0 else f"/{database}"
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(option, max_size=3)))
    sep = draw(st.sampled_from(["://"] * 8 + [":/", ":"]))
    return f"{scheme}{sep}{auth}{host}" + ("" if port_text is None else f":{port_text}") + tail + (
        f"?{query}" if query or draw(st.booleans()) else "")


def _agree(url: str, model: str) -> None:
    assert doctor(url, model) == oracle(url), (model, url)


@seed(20260901)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=database_urls())
def test_verdict_and_parts_agree_with_sqlalchemy_and_psycopg(url: str) -> None:
    _agree(url, "library")


@seed(20260902)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=database_urls())
def test_builtin_model_agrees_with_sqlalchemy_and_psycopg(url: str) -> None:
    """The fallbacks, called directly: the SQLAlchemy 2.1 copy (a machine without SQLAlchemy), and
    both copies (every --offline run, which imports neither library) against the same oracle."""
    _agree(url, "builtin")
    _agree(url, "offline")


# -- issue 9, every example by name -----------------------------------------------------------------
def offline(url: str, env: dict[str, str] = HEALTHY_DEV) -> list:
    result = run_result(PostgresCheck, make_context({**env, "DATABASE_URL": url}, offline=True))
    assert result.status.value in ("passed", "failed"), result.reason
    return result.findings


def both_models(url: str) -> None:
    for model in ("library", "builtin", "offline"):
        _agree(url, model)


@pytest.mark.parametrize("char", ["#", "?", "/", " ", "%", "%zz", "#?/ %"])
def test_unencoded_character_in_password_works(char: str) -> None:
    url = f"postgresql://chaski:{CANARY}{char}@db.example.com:5432/chaski"
    both_models(url)
    assert judge(url).url.password == f"{CANARY}{char}"
    assert offline(url) == [], "was postgres.url_invalid: the port is not a number"


def test_psycopg_async_driver_is_accepted() -> None:
    both_models("postgresql+psycopg_async://chaski:pw@localhost:5432/chaski_dev")
    assert offline("postgresql+psycopg_async://chaski:pw@localhost:5432/chaski_dev") == []


def test_empty_sslmode_is_dropped_by_sqlalchemy() -> None:
    both_models("postgresql://chaski:pw@localhost:5432/chaski_dev?sslmode=")
    assert offline("postgresql://chaski:pw@localhost:5432/chaski_dev?sslmode=") == []


def test_port_zero_means_the_default_port() -> None:
    both_models("postgresql://chaski:pw@localhost:0/chaski_dev")
    assert offline("postgresql://chaski:pw@localhost:0/chaski_dev") == []
    assert "port" not in judge("postgresql://chaski:pw@localhost:0/chaski_dev").params


def test_capitalised_scheme_fails_in_sqlalchemy() -> None:
    both_models("PostgreSQL://chaski:pw@localhost:5432/chaski_dev")
    found = get(offline(f"PostgreSQL://chaski:{CANARY}@localhost:5432/chaski_dev"), "postgres.unknown_scheme")
    assert found.severity is Severity.CRITICAL and "NoSuchModuleError" in found.detail


def test_postgres_scheme_stays_a_warning_with_a_code_fix() -> None:
    assert judge("postgres://u:pw@h/db").slug == "legacy_scheme"
    found = get(offline("postgres://u:pw@h/db"), "postgres.legacy_scheme")
    assert found.severity is Severity.WARNING


@pytest.mark.parametrize("url,where", [
    ("postgresql://chaski:pw@localhost:5432/chaski_dev ", "database name"),
    ("postgresql://chaski:pw@localhost:5432/chaski_dev?sslmode=require ", "sslmode"),
])
def test_trailing_space_that_lands_in_a_part_is_critical(url: str, where: str) -> None:
    both_models(url)
    found = get(offline(url), "postgres.whitespace")
    assert found.severity is Severity.CRITICAL
    assert where in found.detail or "refuses an option" in found.detail


def test_colon_without_port_is_invalid() -> None:
    both_models("postgresql://chaski:pw@localhost:/chaski_dev")
    found = get(offline(f"postgresql://chaski:{CANARY}@localhost:/chaski_dev"), "postgres.url_invalid")
    assert found.severity is Severity.CRITICAL and "no port" in found.title


def test_unknown_query_option_is_invalid() -> None:
    both_models("postgresql://chaski:pw@localhost/chaski_dev?pool_size=5")
    found = get(offline(f"postgresql://chaski:{CANARY}@localhost/chaski_dev?pool_size=5"), "postgres.url_invalid")
    assert "pool_size" in found.title and any("<password>" in c for c in found.fix.commands)


def test_sslmode_twice_is_invalid() -> None:
    url = "postgresql://chaski:pw@localhost/chaski_dev?sslmode=require&sslmode=disable"
    both_models(url)
    found = get(offline(url), "postgres.url_invalid")
    assert "2 times" in found.title


def test_model_is_recorded() -> None:
    ctx = make_context({**HEALTHY_DEV, "DATABASE_URL": "postgresql://localhost/chaski_dev"}, offline=True)
    run_result(PostgresCheck, ctx)
    assert ctx.models.get("sqlalchemy") == "builtin"  # offline: the copies decide (both libraries import asyncio)
    assert judge("postgresql://localhost/x").model == sqlalchemy.__version__


@pytest.mark.parametrize("url", [
    f"postgresql://u:{CANARY}@h/db?sslmode=yes", f"postgresql://u/x:{CANARY}@h:1/p?sslmode=yes",
    f"postgresql://u:{CANARY}@h/db?{CANARY}=1", f"PostgreSQL://u:{CANARY}@h/db", f"postgresql://u:{CANARY}@h:/db",
    f"postgresql://u:a/{CANARY}@h:x/db", f"postgresql://u:{CANARY}@h/db?sslmode={CANARY}",
])
def test_findings_never_show_the_password(url: str) -> None:
    for env in (HEALTHY_DEV, HEALTHY_PROD):
        for finding in offline(url, env):
            text = " ".join([finding.title, finding.detail, finding.fix.text if finding.fix else "",
                             *(finding.fix.commands if finding.fix else ())])
            assert CANARY not in text, (url, finding.id, text)

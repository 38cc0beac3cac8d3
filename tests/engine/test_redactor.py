"""The redactor masks whole secrets everywhere and, in peer text, every 4-character run of one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from doctor.config import Config, query_credentials
from doctor.secret import REDACTED, Redactor, fingerprint

SECRET_CHARS = st.characters(min_codepoint=33, max_codepoint=126)


def survives(secret: str, text: str) -> list[str]:
    """Every run of 4 or more characters of `secret` still in `text`."""
    return [secret[i:i + 4] for i in range(len(secret) - 3) if secret[i:i + 4] in text]


def test_a_short_password_echoed_whole_or_in_part_is_masked() -> None:
    scrub = Redactor(["p4ss5"])
    assert scrub.fragments("454 4.7.0 temporary failure for p4ss5") == f"454 4.7.0 temporary failure for {REDACTED}"
    assert "p4ss" not in scrub.fragments("auth p4ss then 4ss5")


def test_a_prefix_cut_by_truncation_and_pieces_split_across_lines_are_masked() -> None:
    secret = "CanaryPg-9d4b2e7f1a"
    scrub = Redactor([secret])
    assert survives(secret, scrub.fragments("error: password CanaryPg" + "…")) == []
    assert survives(secret, scrub.fragments("535-5.7.8 CanaryPg-9d\n535 4b2e7f1a rejected")) == []


def test_whole_values_only_in_the_doctors_own_words() -> None:
    scrub = Redactor(["chaski-secret-key-2024"])
    assert scrub("heroku config:set X=1 -a chaski-app") == "heroku config:set X=1 -a chaski-app"
    assert scrub("SECRET_KEY=chaski-secret-key-2024") == f"SECRET_KEY={REDACTED}"


def test_the_fingerprint_tail_and_public_prefixes_stay() -> None:
    key = "sk_live_51MzQ2bKc8aT9vQwErTyUiOp1234"
    scrub = Redactor([key])
    shown = fingerprint(key)
    assert scrub.fragments(f"STRIPE_SECRET_KEY is {shown}") == f"STRIPE_SECRET_KEY is {shown}"
    assert scrub.fragments("use a live key (sk_live_…)") == "use a live key (sk_live_…)"
    assert "1234" not in scrub.fragments("the server echoed 51MzQ2bK and then 1234 alone")


def test_percent_encoded_and_decoded_forms_are_known() -> None:
    scrub = Redactor(["p@ss/word#1"])
    assert "p%40ss" not in scrub.fragments("dsn postgresql://u:p%40ss%2Fword%231@h/db")
    assert "word" not in scrub.fragments("libpq kept ss/word#1@h after the first @")


def test_query_credentials_and_at_split_passwords_reach_the_redactor() -> None:
    assert query_credentials("postgresql://u@h/db?sslmode=require&password=Qu3ry%2BPw") == ["Qu3ry%2BPw", "Qu3ry+Pw"]
    assert query_credentials("redis://h:6379/0?socket_timeout=5") == []
    config = Config([], {"DATABASE_URL": "postgresql://u@h/db?password=QueryCanary77",
                         "REDIS_URL": "redis://:first@half@h:6379/0"})
    scrub = config.redactor()
    assert "QueryCanary77" not in scrub("fix: postgresql://u@h/db?password=QueryCanary77")
    assert "half" not in scrub.fragments("could not connect to half@h")


@settings(max_examples=300, deadline=None)
@given(st.text(SECRET_CHARS, min_size=4, max_size=40), st.integers(0, 40), st.integers(0, 40),
       st.text(max_size=30), st.text(max_size=30))
def test_no_run_of_four_characters_of_a_secret_survives_in_peer_text(secret: str, cut: int, split: int,
                                                                     before: str, after: str) -> None:
    echo = secret[:cut] + "\n" + secret[min(cut, split):] if split else secret[:cut]
    text = before + echo + after
    masked = Redactor([secret]).fragments(text)
    leftover = [g for g in survives(secret, masked) if g not in before + after and g not in REDACTED]
    assert leftover == []


def test_a_password_that_reaches_a_url_through_expansion_is_a_secret() -> None:
    """`REDIS_URL=redis://:${PW}@host` with PW in no secret-named variable: the expanded URL's password is known."""
    from doctor.config import Config
    from doctor.heroku import parse_dotenv

    raw = b"PW=Zq9hostileEchoPw\nREDIS_URL=redis://:${PW}@cache.example.com:6379/0\n"
    redactor = Config([parse_dotenv(raw, ".env")], {}).redactor()
    assert "Zq9hostileEchoPw" not in redactor("INFO says: requirepass Zq9hostileEchoPw")
    assert "Zq9h" not in redactor.fragments("AUTH failed for Zq9hostile")  # a truncated echo too


def test_a_key_pasted_alone_on_a_line_is_masked_even_as_a_name(tmp_path) -> None:
    """python-dotenv reads a bare `<fernet key>=` line as a variable *named* by the key."""
    import json

    from tests.helpers import clean_environ, run_doctor

    key = "9ydu5Yf7crLEP9WrFKoQnoFEBuPZuuEd9BvdiHptLPQ"
    (tmp_path / ".env").write_text(f"ENCRYPTION_KEY=mjxXy8MCg0-ntJHRBBblj8181u0iHcnzslnYAmuhUAA=\n{key}=\n{key}=\n")
    for fmt in ("json", "text", "markdown"):
        done = run_doctor("--offline", "-v" if fmt == "text" else "--no-color", "--format", fmt,
                          env=clean_environ(), cwd=tmp_path)
        assert key[:8] not in done.stdout + done.stderr, fmt
    data = json.loads(run_doctor("--offline", "--format", "json", env=clean_environ(), cwd=tmp_path).stdout)
    assert "dotenv.duplicate_key" in {f["id"] for f in data["findings"]}

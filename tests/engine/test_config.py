"""Configuration precedence, shadowing, secrets and platform-aware fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from doctor.config import ConfigError, load_config
from doctor.context import Context
from doctor.model import SkipCheck
from doctor.secret import REDACTED, Secret, fingerprint


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_environment_wins_over_files_and_later_file_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "a.env", "A=from-a\nB=from-a\nC=from-a\n")
    second = write(tmp_path / "b.env", "B=from-b\nC=from-b\n")
    config = load_config([first, second], {"C": "from-env"})
    assert config.lookup("A").value == "from-a"
    assert config.lookup("B").value == "from-b"
    assert (config.lookup("B").origin, config.lookup("B").line) == (second, 1)
    assert config.lookup("C").value == "from-env"
    assert config.lookup("C").where == "the environment"
    assert [s.name for s in config.shadowed()] == ["C"]


def test_default_dotenv_is_read_only_when_present(tmp_path: Path) -> None:
    assert load_config(None, {}, cwd=str(tmp_path)).sources == []
    write(tmp_path / ".env", "A=1\n")
    config = load_config(None, {}, cwd=str(tmp_path))
    assert config.sources == [".env"]
    assert config.lookup("A").where == ".env:1"


@pytest.mark.parametrize("make", [lambda p: str(p / "missing.env"), lambda p: str(p)])
def test_unreadable_env_file_is_a_config_error(tmp_path: Path, make) -> None:
    with pytest.raises(ConfigError):
        load_config([make(tmp_path)], {})


def test_context_records_reads_and_wraps_secrets(tmp_path: Path) -> None:
    ctx = Context(load_config([write(tmp_path / ".env", "SECRET_KEY=s3cr3t-value-abcdef123456\n")], {}))
    secret = ctx.secret("SECRET_KEY")
    assert isinstance(secret, Secret)
    assert "s3cr3t" not in str(secret) and "s3cr3t" not in repr(secret) and "s3cr3t" not in f"{secret}"
    assert secret.reveal() == "s3cr3t-value-abcdef123456"
    assert ctx.read_vars == {"SECRET_KEY"}
    with pytest.raises(SkipCheck) as skipped:
        ctx.require("SECRET_KEY", "DATABASE_URL")
    assert skipped.value.vars == ("DATABASE_URL",)


def test_fingerprint_shows_public_prefix_length_and_at_most_four() -> None:
    value = "sk_live_" + "A" * 20 + "WXYZ"
    assert fingerprint(value) == "<secret sk_live_…, 32 chars, ending …WXYZ>"
    assert fingerprint("short") == "<secret 5 chars>"


def test_fixes_follow_the_platform(tmp_path: Path) -> None:
    env_file = write(tmp_path / ".env", "ENVIRONMENT=development\nLOG_LEVEL=LOUD\n")
    local = Context(load_config([env_file], {}))
    fix = local.set_fix("LOG_LEVEL", "INFO")
    assert fix.commands == ("LOG_LEVEL=INFO",) and f"{env_file}:2" in fix.text
    heroku = Context(load_config([env_file], {"DYNO": "run.1234", "HEROKU_APP_NAME": "chaski"}))
    assert heroku.set_fix("LOG_LEVEL", "INFO").commands == ("heroku config:set LOG_LEVEL=INFO -a chaski",)
    prod = Context(load_config([], {"ENVIRONMENT": "production"}))
    generated = prod.generate_fix("SECRET_KEY", "python -c 'import secrets; print(secrets.token_urlsafe(64))'")
    assert generated.commands[0].startswith('heroku config:set SECRET_KEY="$(python -c')
    # a secret slot never gets a literal value, even if a check computed one
    assert prod.set_fix("SECRET_KEY", "leaked-value-123").commands == ("heroku config:set SECRET_KEY=<new value>",)


def test_redactor_knows_every_secret_source(tmp_path: Path) -> None:
    env_file = write(tmp_path / ".env", 'MAIL_PASSWORD="pa ss-word-123"\nDATABASE_URL=postgres://u:dbp%40ss99@h/d\n')
    config = load_config([env_file], {"STRIPE_SECRET_KEY": "sk_test_abcdefghijkl"})
    scrub = config.redactor()
    text = "x pa ss-word-123 y dbp%40ss99 z dbp@ss99 sk_test_abcdefghijkl"
    assert scrub(text) == f"x {REDACTED} y {REDACTED} z {REDACTED} {REDACTED}"


def test_set_fix_never_echoes_a_url_password() -> None:
    ctx = Context(load_config([], {"ENVIRONMENT": "production"}))
    fix = ctx.set_fix("SENTRY_DSN", "https://:hunter2hunter2@example.com:6380/0")
    assert fix.commands == ("heroku config:set SENTRY_DSN=https://:<password>@example.com:6380/0",)
    local = Context(load_config([], {"ENVIRONMENT": "development"})).set_fix("REDIS_URL", "redis://:hunter2hunter2@h/0")
    assert local.commands == ("REDIS_URL=redis://:<password>@h/0",)


def test_an_addon_owned_variable_is_never_the_target_of_config_set() -> None:
    ctx = Context(load_config([], {"ENVIRONMENT": "production", "HEROKU_APP_NAME": "chaski-app"}))
    for name in ("DATABASE_URL", "REDIS_URL"):
        fix = ctx.set_fix(name, "postgresql://u:hunter2hunter2@h/d", text="Use the right URL.")
        assert not any("config:set" in c for c in fix.commands)
        assert fix.commands == (f"heroku config:get {name} -a chaski-app", "heroku addons -a chaski-app")
        assert fix.text.startswith("Use the right URL.") and "hunter2" not in fix.text


def test_settings_that_change_together_are_one_config_set() -> None:
    ctx = Context(load_config([], {"ENVIRONMENT": "production", "HEROKU_APP_NAME": "chaski-app"}))
    fix = ctx.set_many_fix({"MAIL_STARTTLS": "True", "MAIL_SSL_TLS": "False"}, "Use STARTTLS on 587.")
    assert fix.commands == ("heroku config:set MAIL_STARTTLS=True MAIL_SSL_TLS=False -a chaski-app",)
    mixed = ctx.set_many_fix({"MAIL_PORT": "587", "DATABASE_URL": "postgresql://h/d"})
    assert mixed.commands[0] == "heroku config:set MAIL_PORT=587 -a chaski-app"
    assert not any("config:set DATABASE_URL" in c for c in mixed.commands)
    local = Context(load_config([], {"ENVIRONMENT": "development"}))
    assert local.set_many_fix({"A": "1", "B": "x y"}).commands == ("A=1", "B='x y'")

"""The env check: presence, placeholders, Twilio completeness, formats and shadowing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.dotenv import DotenvCheck
from checks.env import EnvCheck
from checks.env.static import REQUIRED, TWILIO_VARS
from doctor import Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    finding_text,
    get,
    ids,
    make_context,
    run_check,
    run_doctor,
    run_result,
)

BOOT = {"SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY"}


def without(base: dict[str, str], *names: str, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in base.items() if k not in names}
    env.update(changes)
    return env


def as_dotenv(env: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in env.items())




# -- healthy ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", [HEALTHY_DEV, HEALTHY_PROD], ids=["dev", "prod"])
def test_healthy_environment_gives_nothing(env):
    assert_no_warning_or_worse(run_check(EnvCheck, env))


@pytest.mark.parametrize("env", [HEALTHY_DEV, HEALTHY_PROD], ids=["dev", "prod"])
def test_healthy_dotenv_gives_nothing_from_either_check(env, tmp_path):
    ctx = make_context(dotenv=as_dotenv(env), dotenv_path=str(tmp_path / "absent.env"))
    for check in (EnvCheck, DotenvCheck):
        result = run_result(check, ctx)
        assert result.status is Status.PASSED, result.findings
        assert_no_warning_or_worse(result.findings)


# -- presence --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REQUIRED))
def test_missing_variable(name):
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, name)), "env.missing")
    assert finding.vars == (name,)
    assert finding.severity is (Severity.CRITICAL if name in BOOT else Severity.ERROR)
    assert finding.root_cause
    assert finding.fix and finding.fix.commands


@pytest.mark.parametrize("value", ["", "   ", "\t"])
@pytest.mark.parametrize("name", ["SECRET_KEY", "REDIS_URL"])
def test_empty_variable(name, value):
    findings = run_check(EnvCheck, without(HEALTHY_DEV, **{name: value}))
    finding = get(findings, "env.empty")
    assert finding.vars == (name,)
    assert finding.severity is (Severity.CRITICAL if name in BOOT else Severity.ERROR)
    assert finding.root_cause
    assert "env.missing" not in ids(findings)


def test_missing_is_tied_to_the_skip_of_a_check_that_requires_it():
    from doctor.ranking import rank
    from doctor.runner import Runner

    class NeedsDb(EnvCheck):
        id = "needs_db"

        async def run(self, ctx):
            ctx.require("DATABASE_URL")
            return []

    import asyncio
    ctx = make_context(without(HEALTHY_DEV, "DATABASE_URL"))
    results = asyncio.run(Runner([EnvCheck(), NeedsDb()], ctx, 10).run())
    assert results[1].status is Status.SKIPPED and results[1].skip_vars == ("DATABASE_URL",)
    assert rank(results)[0].finding.id == "env.missing"


def test_missing_explains_a_line_python_dotenv_does_not_read(tmp_path):
    text = as_dotenv(without(HEALTHY_DEV, "DATABASE_URL", "SECRET_KEY")) + 'SECRET_KEY="abc\nDATABASE_URL=x\n'
    findings = run_check(EnvCheck, dotenv=text, dotenv_path=str(tmp_path / "x.env"))
    missing = [f for f in findings if f.id == "env.missing"]
    assert {f.vars for f in missing} == {("SECRET_KEY",)}
    lines = text.count("\n")
    assert f"x.env:{lines - 1}" in missing[0].detail


def test_a_name_in_other_case_is_read_by_default_and_missing_when_the_app_is_case_sensitive():
    base = as_dotenv(without(HEALTHY_DEV, "REDIS_URL")) + "redis_url=redis://x\n"
    findings = run_check(EnvCheck, dotenv=base)
    assert "env.missing" not in ids(findings)
    assert "redis_url" in get(findings, "env.name_case").title
    strict = run_check(EnvCheck, dotenv=base + "DOCTOR_CASE_SENSITIVE=true\n")
    assert "'redis_url'" in get(strict, "env.missing").detail


PLACEHOLDERS = [
    ("SECRET_KEY", "<64-char-random>", Severity.CRITICAL),
    ("ENCRYPTION_KEY", "<44-char-fernet-key>", Severity.CRITICAL),
    ("DATABASE_URL", "postgresql://user:pass@host:5432/dbname", Severity.CRITICAL),
    ("REDIS_URL", "redis://:password@host:6379/0", Severity.ERROR),
    ("FRONTEND_URL", "https://your-app.herokuapp.com", Severity.ERROR),
    ("MAIL_USERNAME", "your-email@gmail.com", Severity.ERROR),
    ("MAIL_PASSWORD", "<app-specific-password>", Severity.ERROR),
    ("GOOGLE_CLIENT_ID", "<client-id>.apps.googleusercontent.com", Severity.ERROR),
    ("GOOGLE_CLIENT_SECRET", "<secret>", Severity.ERROR),
    ("GOOGLE_REDIRECT_URI", "https://your-app.herokuapp.com/api/auth/google/callback", Severity.ERROR),
    ("AWS_ACCESS_KEY_ID", "<access-key>", Severity.ERROR),
    ("STRIPE_SECRET_KEY", "sk_live_<key>", Severity.ERROR),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_<key>", Severity.ERROR),
    ("STRIPE_WEBHOOK_SECRET", "whsec_<secret>", Severity.ERROR),
]


@pytest.mark.parametrize(("name", "value", "severity"), PLACEHOLDERS, ids=[p[0] for p in PLACEHOLDERS])
def test_placeholder(name, value, severity):
    finding = get(run_check(EnvCheck, without(HEALTHY_PROD, **{name: value})), "env.placeholder")
    assert (finding.vars, finding.severity, finding.root_cause) == ((name,), severity, True)
    if name in ("SECRET_KEY", "MAIL_PASSWORD", "GOOGLE_CLIENT_SECRET", "STRIPE_SECRET_KEY", "DATABASE_URL"):
        assert value not in finding.title + finding.detail  # the fix may show the guide's placeholder form


# -- Twilio ----------------------------------------------------------------------------------------

def test_twilio_absent_is_not_a_finding():
    assert not [f for f in run_check(EnvCheck, HEALTHY_DEV) if "twilio" in f.id]


def test_twilio_complete_is_fine():
    assert_no_warning_or_worse(run_check(EnvCheck, HEALTHY_PROD))


@pytest.mark.parametrize("drop", [("TWILIO_AUTH_TOKEN",), ("TWILIO_ACCOUNT_SID", "TWILIO_PHONE_NUMBER")])
def test_twilio_partial(drop):
    finding = get(run_check(EnvCheck, without(HEALTHY_PROD, *drop)), "env.twilio_partial")
    assert (finding.severity, set(finding.vars), finding.root_cause) == (Severity.ERROR, set(drop), True)


def test_twilio_empty_token_counts_as_missing():
    finding = get(run_check(EnvCheck, without(HEALTHY_PROD, TWILIO_AUTH_TOKEN="")), "env.twilio_partial")
    assert finding.vars == ("TWILIO_AUTH_TOKEN",) and "empty" in finding.detail


def test_twilio_placeholder_phone():
    finding = get(run_check(EnvCheck, without(HEALTHY_PROD, TWILIO_PHONE_NUMBER="+1234567890")), "env.placeholder")
    assert (finding.vars, finding.severity) == (("TWILIO_PHONE_NUMBER",), Severity.ERROR)


# -- formats ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "words"), [("Production ", "whitespace"), ("PRODUCTION", "case"),
                                               ("prod", "not development"), ("'production'", "quotes")])
def test_environment_invalid(value, words):
    finding = get(run_check(EnvCheck, without(HEALTHY_PROD, ENVIRONMENT=value)), "env.environment_invalid")
    assert (finding.severity, finding.vars) == (Severity.ERROR, ("ENVIRONMENT",))
    assert words in finding.title
    assert any("production" in c for c in finding.fix.commands)


@pytest.mark.parametrize(("value", "severity"), [("info", Severity.WARNING), ("INFO ", Severity.WARNING),
                                                  ("verbose", Severity.ERROR), ("20", Severity.ERROR)])
def test_log_level_invalid(value, severity):
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, LOG_LEVEL=value)), "env.log_level_invalid")
    assert (finding.severity, finding.vars) == (severity, ("LOG_LEVEL",))


@pytest.mark.parametrize("value", ["WARNING", "DEBUG", "CRITICAL", "WARN"])
def test_log_level_valid(value):
    assert "env.log_level_invalid" not in ids(run_check(EnvCheck, without(HEALTHY_DEV, LOG_LEVEL=value)))


@pytest.mark.parametrize(("value", "severity"), [("abc", Severity.CRITICAL), ("1.5", Severity.CRITICAL),
                                                  ("", Severity.CRITICAL), ("0", Severity.ERROR),
                                                  ("-60", Severity.ERROR)])
@pytest.mark.parametrize("name", ["ACCESS_TOKEN_EXPIRE_MINUTES", "REMEMBER_ME_EXPIRE_MINUTES"])
def test_expiry_invalid(name, value, severity):
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, **{name: value})), "env.expiry_invalid")
    assert (finding.severity, finding.vars) == (severity, (name,))


@pytest.mark.parametrize("value", ["60", " 60 ", "1_440", "+30", "10.0"])
def test_expiry_valid_per_pydantic(value):
    findings = run_check(EnvCheck, without(HEALTHY_DEV, ACCESS_TOKEN_EXPIRE_MINUTES=value))
    assert "env.expiry_invalid" not in ids(findings)


@pytest.mark.parametrize("value", ["maybe", "enabled", " True", "True ", "2"])
@pytest.mark.parametrize("name", ["RATE_LIMIT_ENABLED", "MAIL_STARTTLS", "MAIL_SSL_TLS"])
def test_bool_invalid(name, value):
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, **{name: value})), "env.bool_invalid")
    assert (finding.severity, finding.vars) == (Severity.CRITICAL, (name,))


def test_bool_spellings_pydantic_accepts():
    from pydantic import TypeAdapter

    adapter = TypeAdapter(bool)
    for value in ["true", "FALSE", "yes", "0", "on", "off", "t", "N"]:
        adapter.validate_python(value)  # the real library agrees these are booleans
        findings = run_check(EnvCheck, without(HEALTHY_DEV, RATE_LIMIT_ENABLED=value))
        assert "env.bool_invalid" not in ids(findings), value


def test_bool_whitespace_really_is_rejected_by_pydantic():
    from pydantic import TypeAdapter, ValidationError

    with pytest.raises(ValidationError):
        TypeAdapter(bool).validate_python(" True")


def test_frontend_not_https_in_production():
    env = without(HEALTHY_PROD, FRONTEND_URL="http://chaski-app.herokuapp.com")
    finding = get(run_check(EnvCheck, env), "env.frontend_not_https")
    assert (finding.severity, finding.vars) == (Severity.ERROR, ("FRONTEND_URL",))
    assert "https://chaski-app.herokuapp.com" in " ".join(finding.fix.commands)


def test_frontend_http_is_fine_in_development():
    assert "env.frontend_not_https" not in ids(run_check(EnvCheck, HEALTHY_DEV))


@pytest.mark.parametrize("value", ["localhost:3000", "chaski.example.com", "ftp://x.example.com", "https://",
                                   "http://[::1"])
def test_frontend_not_a_url(value):
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, FRONTEND_URL=value)), "env.frontend_invalid")
    assert (finding.severity, finding.vars) == (Severity.ERROR, ("FRONTEND_URL",))


def test_frontend_trailing_slash():
    env = without(HEALTHY_PROD, FRONTEND_URL="https://chaski-app.herokuapp.com/")
    finding = get(run_check(EnvCheck, env), "env.frontend_path")
    assert (finding.severity, finding.vars) == (Severity.WARNING, ("FRONTEND_URL",))


def test_frontend_localhost_in_production():
    env = without(HEALTHY_PROD, FRONTEND_URL="https://localhost:3000")
    finding = get(run_check(EnvCheck, env), "env.frontend_localhost")
    assert finding.severity is Severity.ERROR


def test_frontend_whitespace():
    finding = get(run_check(EnvCheck, without(HEALTHY_DEV, FRONTEND_URL="http://localhost:3000 ")),
                  "env.frontend_whitespace")
    assert (finding.severity, finding.vars) == (Severity.WARNING, ("FRONTEND_URL",))


# -- shadowing -------------------------------------------------------------------------------------

def test_shadowed_non_secret_shows_both_values_and_the_line():
    dotenv = as_dotenv(HEALTHY_DEV).replace("MAIL_SERVER=smtp.gmail.com", "MAIL_SERVER=smtp.sendgrid.net")
    ctx = make_context({"MAIL_SERVER": "smtp.gmail.com"}, dotenv=dotenv)
    finding = get(run_result(EnvCheck, ctx).findings, "env.shadowed")
    line = list(HEALTHY_DEV).index("MAIL_SERVER") + 1
    assert (finding.severity, finding.vars) == (Severity.WARNING, ("MAIL_SERVER",))
    assert f".env:{line}" in finding.title and "environment" in finding.title
    assert "smtp.sendgrid.net" in finding.detail and "smtp.gmail.com" in finding.detail


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "MAIL_PASSWORD"])
def test_shadowed_secret_shows_neither_value(name):
    env_value = "CanaryEnvValue" + HEALTHY_DEV[name] if name != "DATABASE_URL" else \
        "postgresql://chaski:CanaryEnvPw771@localhost/chaski"
    ctx = make_context({name: env_value}, dotenv=as_dotenv(HEALTHY_DEV))
    finding = get(run_result(EnvCheck, ctx).findings, "env.shadowed")
    text = finding_text(finding)
    assert env_value not in text and HEALTHY_DEV[name] not in text
    assert "CanaryEnv" not in text and "Zx8vQp2Lm9RtYw4Kc7Nb" not in text


def test_same_value_in_both_is_not_shadowing():
    ctx = make_context({"MAIL_SERVER": "smtp.gmail.com"}, dotenv=as_dotenv(HEALTHY_DEV))
    assert "env.shadowed" not in ids(run_result(EnvCheck, ctx).findings)


# -- robustness and secrets ------------------------------------------------------------------------

NAMES = st.sampled_from([*REQUIRED, *TWILIO_VARS, "LOG_LEVEL", "RATE_LIMIT_ENABLED", "ACCESS_TOKEN_EXPIRE_MINUTES",
                         "REMEMBER_ME_EXPIRE_MINUTES", "DYNO"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(env=st.dictionaries(NAMES, st.text(max_size=80), max_size=30),
       file_env=st.dictionaries(NAMES, st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)))
def test_arbitrary_values_never_crash(env, file_env):
    dotenv = "".join(f"{k}={json.dumps(v)}\n" for k, v in file_env.items())
    result = run_result(EnvCheck, make_context(env, dotenv=dotenv))
    assert result.status in (Status.PASSED, Status.FAILED), [f.title for f in result.findings]


CANARY = {
    "SECRET_KEY": "CanarySecretKey-7f3e9a1b2c4d6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f",
    "MAIL_PASSWORD": "CanaryMailPw-81726354",
    "STRIPE_WEBHOOK_SECRET": "whsec_CanaryWebhook99887766",
    "DATABASE_URL": "postgresql://chaski:CanaryDbPw-5566@db.example.com:5432/chaski",
    "TWILIO_AUTH_TOKEN": "CanaryTwilioTok-123123123",
}
CANARY_NEEDLES = ["CanarySecretKey", "CanaryMailPw", "CanaryWebhook", "CanaryDbPw", "CanaryTwilioTok",
                  "CanaryFileSecret", "CanaryFileDbPw"]


def _canary_setup():
    """Every env failure path, with canary secrets in both sources."""
    environ = {**without(HEALTHY_PROD, "TWILIO_ACCOUNT_SID", "TWILIO_PHONE_NUMBER", "GOOGLE_CLIENT_ID"), **CANARY,
               "ENVIRONMENT": "Production ", "LOG_LEVEL": "loud", "MAIL_STARTTLS": "maybe",
               "ACCESS_TOKEN_EXPIRE_MINUTES": "0", "FRONTEND_URL": "http://u:CanaryFrontPw@localhost:3000/",
               "STRIPE_SECRET_KEY": "sk_live_<key>", "REDIS_URL": " "}
    dotenv = ("SECRET_KEY=CanaryFileSecret-0099887766554433221100\n"
              "DATABASE_URL=postgresql://chaski:CanaryFileDbPw@localhost/x\nMAIL_PASSWORD=CanaryFileSecret-2\n")
    return environ, dotenv


def test_canaries_never_appear_in_findings():
    environ, dotenv = _canary_setup()
    findings = run_check(EnvCheck, environ, dotenv=dotenv)
    assert {"env.shadowed", "env.environment_invalid", "env.log_level_invalid", "env.bool_invalid",
            "env.expiry_invalid", "env.placeholder", "env.empty", "env.missing",
            "env.twilio_partial"} <= ids(findings)
    production = run_check(EnvCheck, {**environ, "ENVIRONMENT": "production"}, dotenv=dotenv)
    assert "env.frontend_not_https" in ids(production)  # an invalid ENVIRONMENT assumes no side
    findings += production
    for finding in findings:
        text = finding_text(finding)
        for needle in [*CANARY_NEEDLES, "CanaryFrontPw"]:
            assert needle not in text, (finding.id, needle)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_canaries_never_appear_in_cli_output(tmp_path, fmt):
    environ, dotenv = _canary_setup()
    (tmp_path / "app.env").write_text(dotenv)
    process = run_doctor("--env-file", str(tmp_path / "app.env"), "--only", "env,dotenv", "--format", fmt,
                         env=clean_environ(**environ), cwd=tmp_path)
    assert process.returncode == 1, process.stderr
    assert "env.shadowed" in process.stdout or fmt == "text"
    for needle in CANARY_NEEDLES:
        assert needle not in process.stdout and needle not in process.stderr, needle


def test_expiry_beyond_what_timedelta_holds_is_an_error() -> None:
    findings = run_check(EnvCheck, {**HEALTHY_DEV, "REMEMBER_ME_EXPIRE_MINUTES": "1008" * 80}, offline=True)
    found = get(findings, "env.expiry_invalid")
    assert found.severity is Severity.ERROR and found.vars == ("REMEMBER_ME_EXPIRE_MINUTES",)
    assert "timedelta" in found.detail

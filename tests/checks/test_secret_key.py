"""Tests for the `secret_key` check: every fault with id, severity and vars; healthy configs;
arbitrary values never crash; and no value ever leaks into findings or CLI output."""

from __future__ import annotations

import json
import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.secret_key import SecretKeyCheck
from checks.secret_key.static import OTHER_SECRETS, weakness_reason
from doctor.model import Severity, Status
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

DEV = HEALTHY_DEV
PROD = HEALTHY_PROD


def check(base: dict[str, str], **overrides: str) -> list:
    """Findings of SecretKeyCheck over `base` with some variables replaced."""
    return run_check(SecretKeyCheck, {**base, **overrides})




@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
def test_healthy_configs_have_no_warning(env):
    assert_no_warning_or_worse(run_check(SecretKeyCheck, env))
    result = run_result(SecretKeyCheck, make_context(env))
    assert result.status is Status.PASSED


def test_unset_or_blank_skips_for_env_check():
    for env in ({k: v for k, v in DEV.items() if k != "SECRET_KEY"}, {**DEV, "SECRET_KEY": "  "}):
        result = run_result(SecretKeyCheck, make_context(env))
        assert result.status is Status.SKIPPED
        assert result.skip_vars == ("SECRET_KEY",)


def test_declares_contract():
    assert (SecretKeyCheck.id, SecretKeyCheck.order, SecretKeyCheck.boot_critical, SecretKeyCheck.network) == \
        ("secret_key", 30, True, False)


@pytest.mark.parametrize(("env", "severity"), [(PROD, Severity.ERROR), (DEV, Severity.WARNING)])
def test_too_short_says_length(env, severity):
    short = secrets.token_urlsafe(30)  # 40 random characters
    finding = get(check(env, SECRET_KEY=short), "secret_key.too_short")
    assert finding.severity is severity
    assert finding.vars == ("SECRET_KEY",)
    assert "40 characters" in finding.title
    assert short not in finding_text(finding)
    assert "python3 -c \"import secrets; print(secrets.token_urlsafe(64))\"" in " ".join(finding.fix.commands)
    assert "logged out" in finding.fix.text


def test_exactly_64_random_characters_is_fine():
    assert_no_warning_or_worse(check(PROD, SECRET_KEY=secrets.token_urlsafe(48)))


@pytest.mark.parametrize("value", ["<64-char-random>", "changeme", "secret", "your-secret-key", "  <64-char-random>\n"])
@pytest.mark.parametrize(("env", "severity"), [(PROD, Severity.CRITICAL), (DEV, Severity.ERROR)])
def test_placeholder(value, env, severity):
    findings = check(env, SECRET_KEY=value)
    finding = get(findings, "secret_key.placeholder")
    assert finding.severity is severity
    assert finding.vars == ("SECRET_KEY",)
    assert not {"secret_key.too_short", "secret_key.weak"} & ids(findings)  # the placeholder explains it all


def test_placeholder_fix_is_platform_aware():
    prod = get(check(PROD, SECRET_KEY="<64-char-random>"), "secret_key.placeholder")
    assert prod.fix.commands[0].startswith("heroku config:set SECRET_KEY=\"$(python3 -c")
    dev = get(check(DEV, SECRET_KEY="<64-char-random>"), "secret_key.placeholder")
    assert any(c.startswith("SECRET_KEY=<output of the command above>") for c in dev.fix.commands)


WEAK = {
    "one character": "a" * 80,
    "pattern": "abc123" * 15,
    "pattern with partial tail": ("x9Y" * 30)[:88],
    "phrase": "development-secret-key",
    "phrase with digits": "changeme2024changeme2024-password-secret-key-for-the-app-123456789",
    "glued words": "MySuperSecretJwtKeyForProductionPleaseChangeMeThisIsALongValue1234",
    "password digits": "Password123",
    "low entropy": "ababababbbaabababbabaabbbabababbaabbabababababbbabaabababaabababbbabaabbaab",
}


@pytest.mark.parametrize("value", WEAK.values(), ids=WEAK.keys())
@pytest.mark.parametrize(("env", "severity"), [(PROD, Severity.ERROR), (DEV, Severity.WARNING)])
def test_weak(value, env, severity):
    findings = check(env, SECRET_KEY=value)
    finding = get(findings, "secret_key.weak")
    assert finding.severity is severity
    assert finding.vars == ("SECRET_KEY",)
    assert value not in finding_text(finding)
    assert "secret_key.too_short" not in ids(findings)


def test_weak_reason_names_the_kind_not_the_word():
    assert weakness_reason("a" * 70) == "one character repeated"
    assert weakness_reason("abc" * 30) == "a 3-character pattern repeated"
    assert weakness_reason("development-secret-key") == "it is made of common words"
    assert "low entropy" in weakness_reason("ab" * 20 + "ba" * 20 + "aab")


def test_random_keys_are_never_called_weak():
    for _ in range(3000):
        for value in (secrets.token_urlsafe(64), secrets.token_hex(32), secrets.token_urlsafe(48)):
            assert weakness_reason(value) is None, len(value)


@pytest.mark.parametrize(("raw", "said"), [
    (" " + DEV["SECRET_KEY"], "leading whitespace"),
    (DEV["SECRET_KEY"] + "\n", "a trailing newline"),
    (DEV["SECRET_KEY"] + "\r\n", "a trailing newline"),
    (DEV["SECRET_KEY"] + "  ", "trailing whitespace"),
    ('"' + DEV["SECRET_KEY"] + '"', "surrounding quotes"),
    ("\ufeff" + DEV["SECRET_KEY"], "byte-order mark"),
])
def test_whitespace(raw, said):
    findings = check(DEV, SECRET_KEY=raw)
    finding = get(findings, "secret_key.whitespace")
    assert finding.severity is Severity.WARNING
    assert finding.vars == ("SECRET_KEY",)
    assert said in finding.title
    assert "as set" in finding.detail
    assert DEV["SECRET_KEY"] not in finding_text(finding)
    assert_no_warning_or_worse([f for f in findings if f.id != "secret_key.whitespace"])


def test_whitespace_from_dotenv_quoted_value():
    # A value quoted inside .env is unquoted by the parser: no finding. Nested quotes survive: a finding.
    clean = run_check(SecretKeyCheck, dotenv=f'SECRET_KEY="{DEV["SECRET_KEY"]}"\n')
    assert_no_warning_or_worse(clean)
    nested = run_check(SecretKeyCheck, dotenv=f"SECRET_KEY='\"{DEV['SECRET_KEY']}\"'\n")
    assert get(nested, "secret_key.whitespace").severity is Severity.WARNING


@pytest.mark.parametrize("other", OTHER_SECRETS)
def test_reused(other):
    findings = check(PROD, **{other: PROD["SECRET_KEY"]})
    finding = get(findings, "secret_key.reused")
    assert finding.severity is Severity.ERROR
    assert finding.vars == ("SECRET_KEY", other)
    assert other in finding.title
    assert PROD["SECRET_KEY"] not in finding_text(finding)
    assert finding.fix.commands[0].startswith("heroku config:set SECRET_KEY=")


def test_reused_ignores_surrounding_whitespace_and_names_encryption_risk():
    findings = check(DEV, ENCRYPTION_KEY=DEV["SECRET_KEY"] + "\n")
    finding = get(findings, "secret_key.reused")
    assert finding.vars == ("SECRET_KEY", "ENCRYPTION_KEY")
    assert "unreadable" in finding.fix.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1, 20_000)),
), production=st.booleans())
def test_never_crashes(value, production):
    env = {**(PROD if production else DEV), "SECRET_KEY": value, "MAIL_PASSWORD": value}
    result = run_result(SecretKeyCheck, make_context(env))
    assert result.status is not Status.CRASHED, result.findings
    for finding in result.findings:
        assert finding.id.startswith("secret_key.")
        if looks_random(value):
            assert value.strip() not in finding_text(finding)


def looks_random(value: str) -> bool:
    """Long enough and mixed enough that it cannot be a word the check's own text contains."""
    core = value.strip()
    return len(core) >= 12 and any(c.isdigit() for c in core) and any(c.isalpha() for c in core)


# --- canary leak tests -----------------------------------------------------------------------
CANARY = "Zq9CanaryXsk"
CANARY_VALUES = {
    "too_short": CANARY + "Pw7Lm2Vb8",
    "placeholder": f"<{CANARY}>",
    "weak_pattern": CANARY * 8,
    "whitespace": f'  "{CANARY}{secrets.token_urlsafe(64)}"\n',
    "reused": CANARY + secrets.token_urlsafe(64),
}


@pytest.mark.parametrize("case", CANARY_VALUES)
@pytest.mark.parametrize("env", [DEV, PROD], ids=["dev", "prod"])
def test_canary_never_in_findings(case, env):
    value = CANARY_VALUES[case]
    overrides = {"SECRET_KEY": value}
    if case == "reused":
        overrides["STRIPE_WEBHOOK_SECRET"] = value
    findings = check(env, **overrides)
    assert any(f.severity >= Severity.WARNING for f in findings), case
    for finding in findings:
        assert CANARY not in finding_text(finding)


@pytest.mark.parametrize("fmt", ["json", "text", "markdown"])
def test_canary_never_in_cli_output(tmp_path, fmt):
    lines = [f"{k}={v}" for k, v in DEV.items() if k not in ("SECRET_KEY", "MAIL_PASSWORD")]
    env_file = tmp_path / "app.env"
    env_file.write_text("\n".join(lines) + f"\nSECRET_KEY={CANARY * 8}\nMAIL_PASSWORD={CANARY * 8}\n")
    done = run_doctor("--env-file", str(env_file), "--only", "secret_key,fernet", "--format", fmt,
                      env=clean_environ(), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert CANARY not in done.stdout and CANARY not in done.stderr
    if fmt == "json":
        found = {f["id"] for f in json.loads(done.stdout)["findings"]}
        assert {"secret_key.weak", "secret_key.reused"} <= found
    else:
        assert "secret_key.weak" in done.stdout or "SECRET_KEY is guessable" in done.stdout

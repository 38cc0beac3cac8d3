"""Shared test helpers: build a Context from a dict or dotenv text, run one check through the
real Runner, run the installed `doctor` as a subprocess, and find server binaries."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from doctor.check import Check
from doctor.config import Config
from doctor.context import Context, RunOptions
from doctor.heroku import parse_dotenv
from doctor.model import CheckResult, Finding, Severity
from doctor.runner import Runner

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Realistic, valid values (generated once; they protect nothing).
GOOD_SECRET_KEY = "QHvj-Om4CVXZLyehrc0uqjF143XPNbgvfw5583X8jnYXhYODcQyjwG4kZqehTku_c8cEVswW8kmufBpoR8X_VA"
GOOD_SECRET_KEY_2 = "lZ42IeuIdYfEr0ujkbo3jjLmVP97Jxhyce6f59W1APqOu-V3AJh6aziEh44iYBn06-plmi-EXvROKV55NN2eIg"
GOOD_FERNET_KEY = "9ydu5Yf7crLEP9WrFKoQnoFEBuPZuuEd9BvdiHptLPQ="
GOOD_FERNET_KEY_2 = "mjxXy8MCg0-ntJHRBBblj8181u0iHcnzslnYAmuhUAA="

HEALTHY_DEV: dict[str, str] = {
    "ENVIRONMENT": "development",
    "SECRET_KEY": GOOD_SECRET_KEY,
    "FRONTEND_URL": "http://localhost:3000",
    "DATABASE_URL": "postgresql://chaski:Zx8vQp2Lm9RtYw4Kc7Nb@localhost:5432/chaski_dev",
    "ENCRYPTION_KEY": GOOD_FERNET_KEY,
    "REDIS_URL": "redis://localhost:6379/0",
    "MAIL_USERNAME": "dev.chaski@gmail.com",
    "MAIL_PASSWORD": "abcdwxyzefghstuv",
    "MAIL_FROM": "noreply@chaski.example.com",
    "MAIL_PORT": "587",
    "MAIL_SERVER": "smtp.gmail.com",
    "MAIL_FROM_NAME": "Chaski",
    "MAIL_STARTTLS": "True",
    "MAIL_SSL_TLS": "False",
    "GOOGLE_CLIENT_ID": "123456789012-abcdefghijklmnopqrstuvwxyz123456.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12",
    "GOOGLE_REDIRECT_URI": "http://localhost:3000/api/auth/google/callback",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_S3_BUCKET": "chaski-dev-proofs",
    "AWS_REGION": "us-east-1",
    "STRIPE_SECRET_KEY": "sk_test_51MzQ2bKc8aT9vQwErTyUiOp1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51MzQ2bKc8aT9vQwE0987654321zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPO",
    "STRIPE_WEBHOOK_SECRET": "whsec_8f3kD9sLq2Wm7Xv1Bn4Hc6Jt0Ry5Pz3A",
    "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
    "REMEMBER_ME_EXPIRE_MINUTES": "10080",
    "RATE_LIMIT_ENABLED": "True",
    "LOG_LEVEL": "INFO",
}

HEALTHY_PROD: dict[str, str] = {
    **HEALTHY_DEV,
    "ENVIRONMENT": "production",
    "SECRET_KEY": GOOD_SECRET_KEY_2,
    "ENCRYPTION_KEY": GOOD_FERNET_KEY_2,
    "FRONTEND_URL": "https://chaski-app.herokuapp.com",
    "DATABASE_URL": "postgresql://u7f3k2:p9c8e7d6b5a4f3e2d1c0b9a8@ec2-52-1-2-3.compute-1.amazonaws.com:5432/d4k2m9",
    "REDIS_URL": "rediss://:p1q2w3e4r5t6y7u8i9o0@ec2-34-5-6-7.compute-1.amazonaws.com:25070",
    "MAIL_USERNAME": "ops.chaski@gmail.com",
    "GOOGLE_REDIRECT_URI": "https://chaski-app.herokuapp.com/api/auth/google/callback",
    "AWS_S3_BUCKET": "chaski-production-proofs",
    "STRIPE_SECRET_KEY": "sk_live_51MzQ2bKc8aT9vQwErTyUiOp1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_51MzQ2bKc8aT9vQwE0987654321zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPO",
    "TWILIO_ACCOUNT_SID": "AC" + "b88aa6e41dd947462cb8f90e7160f964",
    "TWILIO_AUTH_TOKEN": "45109fe22233be8db57900593ab19137",
    "TWILIO_PHONE_NUMBER": "+14155550123",
}


def make_context(
    env: Mapping[str, str] | None = None,
    dotenv: str | bytes | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    offline: bool = False,
    timeout: float = 5.0,
    dotenv_path: str = ".env",
    **options: object,
) -> Context:
    """A Context over `env` (as process environment) and/or dotenv text, isolated from os.environ."""
    files = []
    if dotenv is not None:
        raw = dotenv.encode("utf-8") if isinstance(dotenv, str) else dotenv
        files.append(parse_dotenv(raw, dotenv_path))
    merged = dict(environ or {})
    merged.update(env or {})
    run_options = RunOptions(timeout=timeout, offline=offline)
    for key, value in options.items():
        setattr(run_options, key, value)
    return Context(Config(files, merged), run_options)


def run_result(check: Check | type[Check], ctx: Context, deadline: float | None = None) -> CheckResult:
    """Run one check through the real Runner (timeouts, skips, crash isolation included)."""
    instance = check() if isinstance(check, type) else check
    runner = Runner([instance], ctx, deadline or ctx.options.timeout * 3 + 5)
    (result,) = asyncio.run(runner.run())
    return result


def run_check(check: Check | type[Check], env: Mapping[str, str] | None = None, **kwargs: object) -> list[Finding]:
    """Findings of one check over `env` (and `dotenv=`), run through the real Runner."""
    ctx = make_context(env, **kwargs)  # type: ignore[arg-type]
    return run_result(check, ctx).findings


def ids(findings: list[Finding]) -> set[str]:
    """The set of finding ids."""
    return {f.id for f in findings}


def get(findings: list[Finding], finding_id: str) -> Finding:
    """The one finding with this id (fails the test with the ids present otherwise)."""
    matches = [f for f in findings if f.id == finding_id]
    assert matches, f"no {finding_id} among {sorted(ids(findings))}"
    return matches[0]


def finding_text(finding: Finding) -> str:
    """Every user-visible field of a finding, joined: what a leak test searches."""
    parts = [finding.id, finding.title, finding.detail, finding.docs, *finding.vars]
    if finding.fix is not None:
        parts += [finding.fix.text, *finding.fix.commands]
    return "\n".join(parts)


def findings_text(findings: list[Finding]) -> str:
    """`finding_text` of every finding, joined."""
    return "\n".join(finding_text(f) for f in findings)


def assert_no_warning_or_worse(findings: list[Finding]) -> None:
    """A healthy configuration: nothing at warning or above."""
    bad = [(f.id, f.severity.value, f.title) for f in findings if f.severity >= Severity.WARNING]
    assert not bad, bad


def require_binary(name: str, *candidates: str) -> str:
    """Path of a server binary; skip when absent, but fail under CI=true (CI must install it)."""
    found = shutil.which(name)
    for candidate in candidates:
        if not found and Path(candidate).exists():
            found = candidate
    if found:
        return found
    message = f"{name} is not installed; .ci/run installs it"
    if IN_CI:
        pytest.fail(f"{message} (missing under CI=true)")
    pytest.skip(message)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environ(**extra: str) -> dict[str, str]:
    """A minimal process environment for running `doctor` as a subprocess."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR") if k in os.environ}
    keep.update(extra)
    return keep


def run_doctor(*args: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
               timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `doctor` console script (falls back to `python -m doctor`), by default in an
    empty folder of its own."""
    from tests.catalog_audit import strict_environ
    from tests.schema import validate_output

    exe = shutil.which("doctor")
    command = [exe, *args] if exe else [sys.executable, "-m", "doctor", *args]
    environ = {**(dict(env) if env is not None else clean_environ()), **strict_environ()}
    with tempfile.TemporaryDirectory(prefix="doctor-cwd-") as empty:
        # Not the source checkout: its .env (if any) and its git history (the repo check) are not the test's.
        done = subprocess.run(command, env=environ, cwd=cwd if cwd is not None else empty, capture_output=True,
                              text=True, timeout=timeout, input=stdin)
    validate_output(args, done.stdout)
    return done

"""Every check at once, through the `doctor` CLI, against real loopback servers.

One set of healthy servers (benchmarks.healthy) serves the module: first the healthy development
configuration must pass every check with nothing at warning or worse; then the same servers are
given a configuration where everything is broken at once (wrong database, Redis, SMTP, Google,
Stripe and Twilio credentials, an unknown AWS key and a truncated ENCRYPTION_KEY), whose secrets
are all canaries that must never be printed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from benchmarks.healthy import healthy_servers
from tests.helpers import GOOD_FERNET_KEY, clean_environ, require_binary, run_doctor
from tests.servers.postgres import cluster_binaries

ALL_CHECKS = {"dotenv", "env", "secret_key", "fernet", "postgres", "redis", "smtp", "oauth", "s3", "stripe", "twilio",
              "encrypted_data", "repo"}

# Every secret of the broken configuration is a distinctive canary (each keeps the shape its
# check expects, so the probe really runs and fails on the server's answer).
DB_PASSWORD = "CnryDbPw7Q2x9Lk4Vt"
REDIS_PASSWORD = "CnryRedisPw5Hs8Jd3"
CANARY_SECRETS = {
    "SECRET_KEY": "CnrySecretKey_QHvj-Om4CVXZLyehrc0uqjF143XPNbgvfw5583X8jnYXhYODcQyjwG4kZqehTku",
    "ENCRYPTION_KEY": "CnryFernetKey" + GOOD_FERNET_KEY[13:42] + "=",  # 43 characters: one lost
    "MAIL_PASSWORD": "CnryMailPw6Gp1Zw0xQ",
    "AWS_SECRET_ACCESS_KEY": "CnryAwsSecret0123456789abcdefghijKLMNOPQ",
    "STRIPE_SECRET_KEY": "sk_test_51CnryStripeKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR",
    "STRIPE_WEBHOOK_SECRET": "whsec_CnryWebhook8f3kD9sLq2Wm7Xv1Bn4Hc6J",
    "TWILIO_AUTH_TOKEN": "c0ffee0c0ffee0c0ffee0c0ffee0c0ff",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-CnryGoogleSecretAbCdEfGh12",
}
# What each broken integration must report, with the variables it names.
BROKEN_FINDINGS = {
    "fernet.truncated": ("critical", {"ENCRYPTION_KEY"}),
    "postgres.auth_failed": ("critical", {"DATABASE_URL"}),
    "redis.auth_failed": ("critical", {"REDIS_URL"}),
    "smtp.auth_failed": ("error", {"MAIL_USERNAME", "MAIL_PASSWORD"}),
    "oauth.client_secret_wrong": ("error", {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"}),
    "s3.access_key_unknown": ("error", {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}),
    "stripe.key_invalid": ("error", {"STRIPE_SECRET_KEY"}),
    "twilio.auth_failed": ("error", {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"}),
}
FORMATS = ("json", "text", "markdown")


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:{quote(password, safe='')}@{parts.hostname}:{parts.port}").geturl()


def _write_env(path: Path, values: dict[str, str]) -> str:
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return str(path)


def _doctor(env_file: str, environ: dict[str, str], fmt: str) -> subprocess.CompletedProcess[str]:
    """The doctor in the env file's folder: a clean git checkout whose .gitignore covers the file."""
    folder = Path(env_file).parent
    if not (folder / ".git").exists():
        require_binary("git")
        (folder / ".gitignore").write_text("*.env\n")
        for command in (["init", "-q"], ["add", ".gitignore"],
                        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "ignore env"]):
            subprocess.run(["git", "-C", str(folder), *command], check=True, capture_output=True, timeout=30)
    return run_doctor("--env-file", env_file, "--format", fmt, "--timeout", "5", env=clean_environ(**environ),
                      cwd=folder)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The healthy servers, started once for this module."""
    initdb, pg_ctl = cluster_binaries()
    redis = require_binary("redis-server")
    with healthy_servers(initdb=initdb, pg_ctl=pg_ctl, redis=redis) as started:
        yield started


@pytest.fixture(scope="module")
def healthy_runs(servers, tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """The healthy configuration run in json and text."""
    config, environ = servers
    env_file = _write_env(tmp_path_factory.mktemp("healthy") / "healthy.env", config)
    return {fmt: _doctor(env_file, environ, fmt) for fmt in ("json", "text")}


@pytest.fixture(scope="module")
def broken_runs(servers, tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Everything broken at once, run in every format."""
    config, environ = servers
    broken = {
        **config,
        **CANARY_SECRETS,
        "DATABASE_URL": _with_password(config["DATABASE_URL"], DB_PASSWORD),
        "REDIS_URL": _with_password(config["REDIS_URL"], REDIS_PASSWORD),
        "AWS_ACCESS_KEY_ID": "AKIACNRYUNKNOWN00001",
    }
    assert len(broken["ENCRYPTION_KEY"]) == 43
    env_file = _write_env(tmp_path_factory.mktemp("broken") / "broken.env", broken)
    return {fmt: _doctor(env_file, environ, fmt) for fmt in FORMATS}


def test_healthy_json_every_check_passes(healthy_runs) -> None:
    run = healthy_runs["json"]
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses == dict.fromkeys(ALL_CHECKS, "passed")
    bad = [(f["id"], f["severity"], f["title"]) for f in report["findings"] if f["severity"] not in ("info",)]
    assert not bad, bad
    assert report["status"] in ("ok", "info") and report["exit_code"] == 0
    assert report["context"]["environment"] == "development"
    # The probes really reached the servers: the live checks' notes say so.
    assert {"postgres.connected", "s3.identity"} <= {f["id"] for f in report["findings"]}


def test_healthy_text_exits_zero(healthy_runs) -> None:
    run = healthy_runs["text"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for check_id in ALL_CHECKS:
        assert f"✓ {check_id}" in run.stdout


def test_everything_broken_ranks_a_boot_failure_first(broken_runs) -> None:
    run = broken_runs["json"]
    assert run.returncode == 1, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["status"] == "critical" and report["exit_code"] == 1
    first = report["findings"][0]
    assert first["rank"] == 1 and first["severity"] == "critical"
    assert first["check"] in ("fernet", "postgres")


def test_everything_broken_each_check_reports_its_own_finding(broken_runs) -> None:
    report = json.loads(broken_runs["json"].stdout)
    found = {f["id"]: f for f in report["findings"] if f["severity"] != "info"}
    assert set(found) == set(BROKEN_FINDINGS)
    for finding_id, (severity, variables) in BROKEN_FINDINGS.items():
        finding = found[finding_id]
        assert finding["check"] == finding_id.split(".")[0]
        assert finding["severity"] == severity, finding_id
        assert set(finding["vars"]) == variables, finding_id
        assert finding["title"] and finding["fix"], finding_id
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    broken_checks = {finding_id.split(".")[0] for finding_id in BROKEN_FINDINGS}
    expected = {c: "failed" if c in broken_checks else "passed" for c in ALL_CHECKS}
    expected["encrypted_data"] = "skipped"  # its prerequisites (postgres, fernet) failed
    assert statuses == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_everything_broken_leaks_no_canary(broken_runs, fmt: str) -> None:
    run = broken_runs[fmt]
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    canaries = {**CANARY_SECRETS, "DATABASE_URL password": DB_PASSWORD, "REDIS_URL password": REDIS_PASSWORD}
    for name, value in canaries.items():
        # The whole value, and the part after its public prefix (sk_test_, whsec_, GOCSPX-).
        core = value.split("_")[-1] if value.startswith(("sk_", "whsec_")) else value.removeprefix("GOCSPX-")
        for text in (value, core):
            assert text not in run.stdout, f"{name} leaked to stdout ({fmt})"
            assert text not in run.stderr, f"{name} leaked to stderr ({fmt})"
    for finding_id in BROKEN_FINDINGS:
        assert finding_id in run.stdout, f"{finding_id} missing from the {fmt} report"


def test_every_check_declares_the_variables_it_reads(servers) -> None:
    """`doctor list` tells the truth: what a check reads on a full live run is what it declares."""
    from doctor.registry import discover
    from tests.helpers import make_context, run_result

    config, _ = servers
    ctx = make_context({**config, "ENCRYPTION_KEY_NEW": config["ENCRYPTION_KEY"]})
    for check in discover().checks:
        result = run_result(check, ctx.for_check())
        undeclared = set(result.vars_read) - set(check.vars)
        assert not undeclared, f"{check.id} reads {sorted(undeclared)} without declaring them"

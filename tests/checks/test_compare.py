"""`doctor compare` (issue 11 part 4): real files of both formats, through the installed CLI.
Every finding of the guide's environment separation table, separate environments that raise
nothing, and no value (nor a digest of one) in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import GOOD_FERNET_KEY, HEALTHY_DEV, HEALTHY_PROD, clean_environ, run_doctor
from tests.test_leaks import assert_no_leak, make_canaries

PROD = {k: v for k, v in HEALTHY_PROD.items() if not k.startswith("TWILIO")}

# A staging that shares nothing with PROD: its own keys, database, Redis, bucket and test-mode Stripe.
STAGING = {
    **HEALTHY_DEV,
    "ENVIRONMENT": "staging",
    "SECRET_KEY": "St4g1ngOnly-" + "k" * 40 + "Zq9WvX2mN8",
    "ENCRYPTION_KEY": GOOD_FERNET_KEY,
    "DATABASE_URL": "postgresql://stg:Stg8vQp2Lm9RtYw4Kc7Nb@ec2-9-9-9-9.compute-1.amazonaws.com:5432/stgdb",
    "REDIS_URL": "rediss://:stgredis8q7w6e5r4t3y@ec2-8-8-8-8.compute-1.amazonaws.com:25070",
    "FRONTEND_URL": "https://chaski-staging.herokuapp.com",
    "GOOGLE_REDIRECT_URI": "https://chaski-staging.herokuapp.com/api/auth/google/callback",
    "AWS_S3_BUCKET": "chaski-staging-proofs",
    "MAIL_PASSWORD": "stgmailpassword0",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-StagingOnlySecret0123456789",
    "AWS_SECRET_ACCESS_KEY": "StagingOnlyAwsSecretKey0123456789abcdefg",
    "STRIPE_WEBHOOK_SECRET": "whsec_StagingOnlyWebhookSecret0123456",
}


def write_json(path: Path, values: dict[str, str]) -> str:
    path.write_text(json.dumps(values, indent=2))
    return str(path)


def write_dotenv(path: Path, values: dict[str, str]) -> str:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return str(path)


def compare(tmp_path: Path, *sources: str, stdin: str | None = None) -> tuple[dict, str, int]:
    """The JSON report, the text and Markdown output, and the exit code of `doctor compare`."""
    env = clean_environ()
    as_json = run_doctor("compare", *sources, "--format", "json", env=env, cwd=tmp_path, stdin=stdin)
    text = run_doctor("compare", *sources, "-v", env=env, cwd=tmp_path, stdin=stdin)
    markdown = run_doctor("compare", *sources, "--format", "markdown", env=env, cwd=tmp_path, stdin=stdin)
    assert as_json.returncode == text.returncode == markdown.returncode, (as_json.stderr, text.stderr)
    assert "Traceback" not in as_json.stderr + text.stderr + markdown.stderr
    return json.loads(as_json.stdout), text.stdout + markdown.stdout, as_json.returncode


def ids(data: dict) -> list[str]:
    return [f["id"] for f in data["findings"]]


def cells(data: dict, row: str) -> dict[str, str]:
    return next(r["cells"] for r in data["context"]["compare"]["table"] if r["row"] == row)


def test_separate_environments_raise_nothing(tmp_path: Path) -> None:
    data, text, code = compare(tmp_path, "production=" + write_json(tmp_path / "prod.json", PROD),
                               write_dotenv(tmp_path / "staging.env", STAGING))
    assert not [f for f in data["findings"] if f["severity"] in ("critical", "error", "warning")], ids(data)
    assert code == 0 and data["status"] in ("ok", "info")
    assert cells(data, "SECRET_KEY") == {"production": "set", "staging": "differs"}
    assert cells(data, "Database (DATABASE_URL)")["staging"] == "separate"
    assert cells(data, "Stripe") == {"production": "live keys", "staging": "test keys"}
    assert "Environment separation" in text and "differs" in text


def test_a_copied_production_env_shares_every_secret_and_resource(tmp_path: Path) -> None:
    copy = {**PROD, "ENVIRONMENT": "staging",
            "DATABASE_URL": PROD["DATABASE_URL"].replace("u7f3k2:p9c8", "other:x9c8")}  # other login, same db
    data, text, code = compare(tmp_path, write_json(tmp_path / "production.json", PROD),
                               "staging=" + write_dotenv(tmp_path / "stg.env", copy))
    found = ids(data)
    shared = {f["vars"][0]: f["severity"] for f in data["findings"] if f["id"] == "compare.shared_secret"}
    assert shared["SECRET_KEY"] == shared["ENCRYPTION_KEY"] == shared["STRIPE_SECRET_KEY"] == "critical", shared
    assert "REDIS_URL" in shared  # the same Redis password (REDIS_URL password)
    assert "ACCESS_TOKEN_EXPIRE_MINUTES" not in shared  # a duration, not a secret
    for finding_id in ("compare.shared_database", "compare.shared_redis", "compare.shared_bucket",
                       "compare.live_stripe_outside_production", "compare.bucket_named_for_other_environment"):
        assert finding_id in found, (finding_id, found)
    assert found[0] == "compare.shared_secret" and code == 1 and data["status"] == "critical"
    assert cells(data, "Database (DATABASE_URL)") == {"production": "set", "staging": "same database as production"}
    assert cells(data, "SECRET_KEY")["staging"] == "same as production"
    # the first line of the findings is the cause, and the fix for SECRET_KEY says what rotating it does
    secret_key = next(f for f in data["findings"] if f["vars"] == ["SECRET_KEY"])
    assert "logs that environment's users out" in secret_key["fix"]
    encryption = next(f for f in data["findings"] if f["vars"] == ["ENCRYPTION_KEY"])
    assert "re-encrypted" in encryption["fix"] and not encryption["commands"]


def test_two_non_production_environments_sharing_a_secret_is_an_error(tmp_path: Path) -> None:
    dev = {**STAGING, "ENVIRONMENT": "development", "AWS_S3_BUCKET": "chaski-dev-proofs",
           "DATABASE_URL": "postgresql://dev:devpassword123@localhost:5432/chaski_dev",
           "REDIS_URL": "redis://localhost:6379/0"}
    data, _, _ = compare(tmp_path, write_dotenv(tmp_path / "staging.env", STAGING),
                         write_dotenv(tmp_path / "dev.env", dev))
    shared = {f["vars"][0]: f["severity"] for f in data["findings"] if f["id"] == "compare.shared_secret"}
    assert shared and set(shared.values()) == {"error"}, shared
    assert "compare.no_production" in ids(data)


def test_test_stripe_keys_in_production(tmp_path: Path) -> None:
    prod = {**PROD, "STRIPE_SECRET_KEY": STAGING["STRIPE_SECRET_KEY"] + "Prod",
            "STRIPE_PUBLISHABLE_KEY": STAGING["STRIPE_PUBLISHABLE_KEY"] + "Prod"}
    data, _, _ = compare(tmp_path, write_json(tmp_path / "prod.json", prod),
                         write_dotenv(tmp_path / "staging.env", STAGING))
    finding = next(f for f in data["findings"] if f["id"] == "compare.test_stripe_in_production")
    assert finding["severity"] == "error" and set(finding["vars"]) == {"STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"}


def test_missing_variables_warn_for_required_ones_only(tmp_path: Path) -> None:
    staging = {k: v for k, v in STAGING.items() if k not in ("MAIL_SERVER", "LOG_LEVEL")}
    data, _, _ = compare(tmp_path, write_json(tmp_path / "prod.json", {**PROD, "SENTRY_DSN": "https://x@o1.ingest/1"}),
                         write_dotenv(tmp_path / "staging.env", staging))
    missing = [f for f in data["findings"] if f["id"] == "compare.missing_variable"]
    warnings = [f["vars"] for f in missing if f["severity"] == "warning"]
    infos = [f["vars"] for f in missing if f["severity"] == "info"]
    assert warnings == [["MAIL_SERVER"]], warnings
    assert infos == [["LOG_LEVEL", "SENTRY_DSN"]], infos
    assert cells(data, "MAIL_SERVER") == {"prod": "set", "staging": "missing"}


def test_two_sources_claiming_one_environment(tmp_path: Path) -> None:
    data, _, _ = compare(tmp_path, write_json(tmp_path / "a.json", PROD), write_json(tmp_path / "b.json", PROD))
    assert "compare.same_environment" in ids(data)


def test_three_sources_and_standard_input(tmp_path: Path) -> None:
    dev = {**STAGING, "ENVIRONMENT": "development", "SECRET_KEY": "Dev0nly-" + "d" * 60,
           "AWS_S3_BUCKET": "chaski-dev-proofs", "DATABASE_URL": "postgresql://dev:devpw12345@localhost/chaski_dev",
           "REDIS_URL": "redis://localhost:6379/0", "ENCRYPTION_KEY": "Jq2n0l3CwO1bH0gL6g2cQm8cQm2VtM3rPp0wYb5cU3A="}
    data, text, _ = compare(tmp_path, "production=-", write_dotenv(tmp_path / "staging.env", STAGING),
                            write_dotenv(tmp_path / "dev.env", dev), stdin=json.dumps(PROD))
    sources = data["context"]["compare"]["sources"]
    assert [(s["label"], s["environment"], s["production"]) for s in sources] == [
        ("production", "production", True), ("staging", "staging", False), ("dev", "development", False)]
    assert cells(data, "SECRET_KEY") == {"production": "set", "staging": "differs", "dev": "differs"}
    # dev and staging share the mail password and the OAuth secret with each other, not with production
    shared = [f for f in data["findings"] if f["id"] == "compare.shared_secret"]
    assert shared and all(f["severity"] == "error" for f in shared)


@pytest.mark.parametrize(("args", "said"), [
    (["only-one.env"], "at least two sources"),
    (["a.env", "missing.env"], "no such file"),
    (["a.env", "bad.json"], "not a string"),
    (["x=a.env", "x=a.env"], "used twice"),
])
def test_usage_errors(tmp_path: Path, args: list[str], said: str) -> None:
    write_dotenv(tmp_path / "a.env", STAGING)
    write_dotenv(tmp_path / "only-one.env", STAGING)
    (tmp_path / "bad.json").write_text('{"SECRET_KEY": ["canary-Zq9W"]}')
    done = run_doctor("compare", *args, env=clean_environ(), cwd=tmp_path)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "canary-Zq9W" not in done.stderr


def test_compare_is_not_part_of_the_main_run(tmp_path: Path) -> None:
    listed = json.loads(run_doctor("list", "--format", "json", env=clean_environ()).stdout)
    assert "compare" in [c["id"] for c in listed["checks"]]
    done = run_doctor("--offline", "--format", "json", env=clean_environ(), cwd=tmp_path)
    assert "compare" not in [c["id"] for c in json.loads(done.stdout)["checks"]]
    only = run_doctor("--only", "compare", env=clean_environ(), cwd=tmp_path)
    assert only.returncode == 2 and "doctor compare" in only.stderr


def test_no_value_and_no_digest_in_any_output(tmp_path: Path) -> None:
    canaries = make_canaries()
    prod = {**PROD, **{k: v for k, v in canaries.items() if k not in ("DB_PASSWORD", "REDIS_PASSWORD")},
            "DATABASE_URL": f"postgresql://u:{canaries['DB_PASSWORD']}@db.example.com:5432/app",
            "REDIS_URL": f"redis://:{canaries['REDIS_PASSWORD']}@redis.example.com:6379"}
    staging = {**prod, "ENVIRONMENT": "staging", "SECRET_KEY": "Other" + canaries["SECRET_KEY"][5:]}
    sources = (write_json(tmp_path / "production.json", prod), "staging=" + write_dotenv(tmp_path / "stg.env", staging))
    data, text, _ = compare(tmp_path, *sources)
    output = json.dumps(data) + text
    assert_no_leak(output, {**canaries, "STAGING_SECRET_KEY": staging["SECRET_KEY"]})
    # two runs compare the same files with different keys: nothing in the output depends on a digest
    again, _, _ = compare(tmp_path, *sources)
    assert again["findings"] == data["findings"] and again["context"] == data["context"]

"""The `s3` check's live half against a real moto server (IAM auth enforced), a silent listener, a
closed port and small recording servers for answers moto cannot give (clock skew, 500s)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta

import pytest

from checks.s3 import S3Check
from doctor import Severity, Status
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    free_port,
    get,
    ids,
    make_context,
    run_doctor,
    run_result,
)
from tests.servers import moto as moto_server
from tests.servers.http import RecordingServer, Request, Response, SilentListener
from tests.servers.moto import BUCKET, DEV_BUCKET, EU_BUCKET, MotoAws

KEY_ID, SECRET, BUCKET_VAR, REGION = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_BUCKET", "AWS_REGION"
CANARY = "CANARYs3secretQx7Zt0Wm3Lp9Vb2Nc5Rf8Hj1Kd"  # 40 characters, like a real secret
UNKNOWN_KEY_ID = "AKIAZZZZZZZZZZZZZZZZ"

moto_aws = moto_server.moto_aws  # the session fixture, made visible to this module


def live(env: dict[str, str], base: dict[str, str] = HEALTHY_PROD, timeout: float = 5.0, **options: object) -> list:
    """Findings of the check, online, through the real Runner; it must finish (not crash or time out)."""
    result = run_result(S3Check, make_context({**base, **env}, timeout=timeout, **options))
    assert result.status in (Status.PASSED, Status.FAILED), (result.status, result.reason, result.findings)
    return result.findings


def at_least_error(findings: list) -> set[str]:
    return {f.id for f in findings if f.severity >= Severity.ERROR}


# -- healthy ---------------------------------------------------------------------------------------
def test_healthy_production(moto_aws: MotoAws) -> None:
    findings = live(moto_aws.env())
    assert_no_warning_or_worse(findings)
    identity = get(findings, "s3.identity")
    assert identity.severity is Severity.INFO and "user/app" in identity.title


def test_healthy_development(moto_aws: MotoAws) -> None:
    assert_no_warning_or_worse(live(moto_aws.env(bucket=DEV_BUCKET), HEALTHY_DEV))


def test_service_specific_endpoints_win(moto_aws: MotoAws) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = moto_aws.env(AWS_ENDPOINT_URL=closed, AWS_ENDPOINT_URL_S3=moto_aws.url, AWS_ENDPOINT_URL_STS=moto_aws.url)
    assert_no_warning_or_worse(live(env))


def test_ignores_the_machines_aws_configuration(moto_aws: MotoAws, tmp_path, monkeypatch) -> None:
    """boto3 must not read the process environment or ~/.aws: only the Context's values count."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:9\nmax_attempts = 7\n")
    for name, value in {"AWS_PROFILE": "doctor-no-such-profile", "AWS_CONFIG_FILE": str(config),
                        "AWS_SHARED_CREDENTIALS_FILE": str(config), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
                        "AWS_ACCESS_KEY_ID": UNKNOWN_KEY_ID, "AWS_SECRET_ACCESS_KEY": "x" * 40,
                        "AWS_DEFAULT_REGION": "eu-west-3", "AWS_MAX_ATTEMPTS": "9", "AWS_S3_USE_ARN_REGION": "nope",
                        "AWS_CA_BUNDLE": str(tmp_path / "missing.pem")}.items():
        monkeypatch.setenv(name, value)
    assert_no_warning_or_worse(live(moto_aws.env()))


# -- credentials -----------------------------------------------------------------------------------
def test_unknown_access_key(moto_aws: MotoAws) -> None:
    findings = live(moto_aws.env(AWS_ACCESS_KEY_ID=UNKNOWN_KEY_ID))
    found = get(findings, "s3.access_key_unknown")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, SECRET)
    assert at_least_error(findings) == {"s3.access_key_unknown"}  # the bucket steps are not run


def test_wrong_secret(moto_aws: MotoAws) -> None:
    findings = live(moto_aws.env(AWS_SECRET_ACCESS_KEY=CANARY))
    found = get(findings, "s3.secret_wrong")
    assert found.severity is Severity.ERROR and found.vars == (SECRET, KEY_ID)
    assert at_least_error(findings) == {"s3.secret_wrong"}


def _skewed_sts(request: Request) -> Response:
    ours = datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    theirs = ours - timedelta(hours=1)
    stamp = "%Y%m%dT%H%M%SZ"
    message = (f"Signature expired: {ours:{stamp}} is now earlier than {theirs - timedelta(minutes=15):{stamp}} "
               f"({theirs:{stamp}} - 15 min.)")
    body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>SignatureDoesNotMatch</Code><Message>{message}</Message></Error><RequestId>1</RequestId>"
            "</ErrorResponse>")
    return Response(403, body, {"Content-Type": "text/xml"})


def test_clock_skew_shows_the_offset() -> None:
    with RecordingServer(_skewed_sts) as server:
        findings = live({"AWS_ENDPOINT_URL": server.url, SECRET: CANARY})
    found = get(findings, "s3.clock_skew")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID,)
    assert "1 h 0 min ahead of AWS" in found.title
    assert "s3.secret_wrong" not in ids(findings)


def _sts_answer(body: str, status: int = 200) -> RecordingServer:
    """A stand-in STS endpoint that answers every request with `body` (query-protocol XML)."""
    return RecordingServer(lambda _: Response(status, body, {"Content-Type": "text/xml"}))


def test_expired_session_credentials() -> None:
    """moto never expires session tokens; AWS answers ExpiredToken (400) once they are past their expiry."""
    body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            "<Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message>"
            "</Error><RequestId>1</RequestId></ErrorResponse>")
    token = "FwoGZXIvYXdzEJr" + "t" * 200
    with _sts_answer(body, 400) as server:
        findings = live({"AWS_ENDPOINT_URL": server.url, KEY_ID: "ASIAIOSFODNN7EXAMPLE", SECRET: CANARY,
                         "AWS_SESSION_TOKEN": token})
        (request,) = server.requests
    assert request.headers["x-amz-security-token"] == token  # the token was sent, and still refused
    found = get(findings, "s3.credentials_expired")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, "AWS_SESSION_TOKEN")
    assert at_least_error(findings) == {"s3.credentials_expired"}  # the bucket steps are not run


def test_root_user_keys_are_a_warning(moto_aws: MotoAws) -> None:
    """moto names no caller the root user, so STS is a stand-in that does; the bucket steps still run on moto."""
    body = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            "<Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account>"
            "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>")
    with _sts_answer(body) as sts:
        findings = live(moto_aws.env(AWS_ENDPOINT_URL_STS=sts.url))
        assert len(sts.requests) == 1
    found = get(findings, "s3.root_credentials")
    assert found.severity is Severity.WARNING and found.vars == (KEY_ID,)
    assert "s3.identity" not in ids(findings) and not at_least_error(findings)


def test_no_retries() -> None:
    body = "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code></Error></ErrorResponse>"
    with RecordingServer(lambda _: Response(500, body, {"Content-Type": "text/xml"})) as server:
        findings = live({"AWS_ENDPOINT_URL": server.url})
        assert len(server.requests) == 1
    found = get(findings, "s3.request_failed")
    assert found.severity is Severity.ERROR and "InternalFailure" in found.title


# -- the bucket ------------------------------------------------------------------------------------
def test_user_without_s3_rights(moto_aws: MotoAws) -> None:
    findings = live(moto_aws.env("nos3"))
    assert "user/nos3" in get(findings, "s3.identity").title
    found = get(findings, "s3.access_denied")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, BUCKET_VAR)
    assert found.fix is not None
    for action in ("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert action in found.fix.text and action in found.fix.commands[0]
    assert f"arn:aws:s3:::{BUCKET}/*" in found.fix.commands[0] and "--user-name nos3" in found.fix.commands[0]


def test_missing_bucket(moto_aws: MotoAws) -> None:
    found = get(live(moto_aws.env(bucket="chaski-no-such-proofs")), "s3.bucket_missing")
    assert found.severity is Severity.ERROR and found.vars == (BUCKET_VAR,)


def test_bucket_in_another_region(moto_aws: MotoAws) -> None:
    findings = live(moto_aws.env(bucket=EU_BUCKET))
    found = get(findings, "s3.region_mismatch")
    assert found.severity is Severity.WARNING and found.vars == (REGION, BUCKET_VAR)
    assert "eu-west-1" in found.title
    assert found.fix is not None and found.fix.commands == ("heroku config:set AWS_REGION=eu-west-1",)
    assert not at_least_error(findings)


def test_bucket_in_the_configured_region(moto_aws: MotoAws) -> None:
    assert_no_warning_or_worse(live(moto_aws.env(bucket=EU_BUCKET, region="eu-west-1")))


def test_list_denied(moto_aws: MotoAws) -> None:
    found = get(live(moto_aws.env("headonly")), "s3.list_denied")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, BUCKET_VAR)


# -- the write probe -------------------------------------------------------------------------------
def test_no_write_without_the_flag(moto_aws: MotoAws) -> None:
    before = moto_aws.object_keys()
    findings = live(moto_aws.env())
    assert "s3.write_ok" not in ids(findings)
    assert moto_aws.object_keys() == before


def test_write_probe_writes_and_cleans_up(moto_aws: MotoAws) -> None:
    before = moto_aws.object_keys()
    findings = live(moto_aws.env(), write_probe=True)
    assert get(findings, "s3.write_ok").severity is Severity.INFO
    assert_no_warning_or_worse(findings)
    assert moto_aws.object_keys() == before


def test_write_probe_denied(moto_aws: MotoAws) -> None:
    before = moto_aws.object_keys()
    found = get(live(moto_aws.env("reader"), write_probe=True), "s3.write_denied")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, BUCKET_VAR)
    assert moto_aws.object_keys() == before


def test_write_probe_delete_denied_leaves_and_names_the_object(moto_aws: MotoAws) -> None:
    """A user that may put but not delete: the probe object stays behind and the finding says so."""
    admin = moto_aws.users["admin"]
    iam = moto_aws.client("iam", admin)
    user = f"nodelete-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    resources = [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    statements = [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:HeadBucket"],
                   "Resource": resources}]
    iam.put_user_policy(UserName=user, PolicyName="s3",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    before = moto_aws.object_keys()
    findings = live(moto_aws.env(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"]),
                    write_probe=True)
    left = sorted(set(moto_aws.object_keys()) - set(before))
    for name in left:
        moto_aws.client("s3", admin).delete_object(Bucket=BUCKET, Key=name)
    found = get(findings, "s3.delete_denied")
    assert found.severity is Severity.ERROR and found.vars == (KEY_ID, BUCKET_VAR)
    assert len(left) == 1 and left[0].startswith(".chaski-doctor/probe-") and left[0] in found.detail
    assert "s3.write_ok" not in ids(findings) and "s3.write_denied" not in ids(findings)
    assert found.fix is not None and "s3:DeleteObject" in found.fix.commands[0]


# -- transport -------------------------------------------------------------------------------------
def test_stalled_endpoint_times_out() -> None:
    with SilentListener() as silent:
        started = time.monotonic()
        findings = live({"AWS_ENDPOINT_URL": silent.url}, timeout=1.0)
        elapsed = time.monotonic() - started
    found = get(findings, "s3.timeout")
    assert found.severity is Severity.ERROR and found.vars == (REGION, "AWS_ENDPOINT_URL")
    assert elapsed < 6, elapsed  # ~1 s of read timeout plus loading boto3's models


def test_refused_connection() -> None:
    found = get(live({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}, timeout=1.0), "s3.unreachable")
    assert found.severity is Severity.ERROR and found.vars == (REGION, "AWS_ENDPOINT_URL")


@pytest.mark.parametrize("name", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS"])
@pytest.mark.parametrize("value", ["not a url", "ftp://127.0.0.1", "http://[::1", "http://"])
def test_invalid_endpoint(name: str, value: str) -> None:
    found = get(live({name: value}), "s3.endpoint_invalid")
    assert found.severity is Severity.ERROR and found.vars == (name,)


def test_offline_opens_no_connection() -> None:
    with SilentListener() as silent:
        started = time.monotonic()
        findings = live({"AWS_ENDPOINT_URL": silent.url}, offline=True)
        assert time.monotonic() - started < 1
    assert_no_warning_or_worse(findings)
    assert "s3.identity" not in ids(findings)


# -- secrets never leak ----------------------------------------------------------------------------
def _needles(secret: str) -> tuple[str, ...]:
    return (secret, secret[8:20], secret[-8:], secret[-4:])


def _assert_clean(text: str, secret: str, where: str) -> None:
    for needle in _needles(secret):
        assert needle not in text, f"{needle!r} leaked in {where}"


def _scenarios(aws: MotoAws, silent: SilentListener) -> dict[str, dict[str, str]]:
    """Every failure path: (env, the secret in it). Paths after STS need a real secret: its own needles."""
    closed = f"http://127.0.0.1:{free_port()}"
    return {
        "wrong_secret": aws.env(AWS_SECRET_ACCESS_KEY=CANARY),
        "unknown_key": aws.env(AWS_ACCESS_KEY_ID=UNKNOWN_KEY_ID, AWS_SECRET_ACCESS_KEY=CANARY),
        "stalled": aws.env(AWS_SECRET_ACCESS_KEY=CANARY, AWS_ENDPOINT_URL=silent.url),
        "refused": aws.env(AWS_SECRET_ACCESS_KEY=CANARY, AWS_ENDPOINT_URL=closed),
        "bad_endpoint": aws.env(AWS_SECRET_ACCESS_KEY=CANARY, AWS_ENDPOINT_URL=f"http://u:{CANARY}@[::1"),
        "swapped": aws.env(AWS_ACCESS_KEY_ID=CANARY, AWS_SECRET_ACCESS_KEY=UNKNOWN_KEY_ID),
        "short_secret": aws.env(AWS_SECRET_ACCESS_KEY=CANARY[:33] + "\n"),
        "access_denied": aws.env("nos3"),
        "list_denied": aws.env("headonly"),
        "write_denied": aws.env("reader"),
        "missing_bucket": aws.env(bucket="chaski-no-such-proofs"),
        "region_mismatch": aws.env(bucket=EU_BUCKET),
    }


def test_canary_never_in_findings(moto_aws: MotoAws) -> None:
    with SilentListener() as silent:
        for name, env in _scenarios(moto_aws, silent).items():
            findings = live(env, timeout=1.0, write_probe=True)
            assert findings, name
            secret = env[SECRET].strip()
            for f in findings:
                text = " ".join([f.title, f.detail, f.fix.text if f.fix else "", *(f.fix.commands if f.fix else ())])
                _assert_clean(text, secret, f"{name}/{f.id}")


@pytest.mark.parametrize("scenario,formats", [
    ("wrong_secret", ("json", "text", "markdown")), ("stalled", ("json", "text", "markdown")),
    ("unknown_key", ("json",)), ("swapped", ("json",)), ("access_denied", ("json", "markdown")),
    ("bad_endpoint", ("text",)),
])
def test_canary_never_in_cli_output(moto_aws: MotoAws, tmp_path, scenario: str, formats: tuple[str, ...]) -> None:
    with SilentListener() as silent:
        env = {**HEALTHY_PROD, **_scenarios(moto_aws, silent)[scenario]}
        env_file = tmp_path / "app.env"
        env_file.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in env.items()))
        for fmt in formats:
            proc = run_doctor("--env-file", str(env_file), "--only", "s3", "--format", fmt, "--timeout", "1",
                              "--write-probe", env=clean_environ(), cwd=tmp_path)
            _assert_clean(proc.stdout + proc.stderr, env[SECRET].strip(), f"{scenario}/{fmt}")
            assert proc.returncode == 1, (scenario, fmt, proc.stdout[-2000:], proc.stderr[-2000:])
            if fmt == "json":
                report = json.loads(proc.stdout)
                assert report["status"] == "error" and any(f["check"] == "s3" for f in report["findings"])

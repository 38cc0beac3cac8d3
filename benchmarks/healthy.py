"""One healthy instance of every server the doctor's live checks talk to, on loopback.

`healthy_servers()` starts a PostgreSQL cluster, a TLS redis-server with a password, an aiosmtpd
server with STARTTLS and AUTH, moto (S3/STS/IAM, authentication enforced, in a child process) and the Stripe, Twilio
and Google wire-format servers of the test suite, then yields `(config, environ)`:

- `config`: a complete development configuration (HEALTHY_DEV plus Twilio) pointing every
  variable and endpoint override at those servers, ready to be written as a dotenv file;
- `environ`: the extra process environment the doctor subprocess needs (SSL_CERT_FILE naming a
  bundle of the throwaway CAs, so SMTP STARTTLS and Redis TLS verify).

Everything is stopped and removed on exit. Used by `benchmarks/bench.py` and tests/test_all_live.py:

    with healthy_servers() as (config, environ):
        ...
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.helpers import HEALTHY_DEV
from tests.servers import google, stripe, twilio
from tests.servers.postgres import _PG_BINDIR_CANDIDATES, PostgresCluster
from tests.servers.redis import RedisServer, TlsFiles
from tests.servers.smtp import SmtpServer, TestCA

ROOT = Path(__file__).resolve().parent.parent
REDIS_PASSWORD = "Hb3kTq9wXv2mLr7pZs5n"  # noqa: S105 - a throwaway server's password
FRONTEND_URL = "http://localhost:3000"  # Google's registered dev redirect URI lives under it


def find_binary(name: str, *candidates: str) -> str:
    """Path of a server binary on PATH or at one of `candidates`; RuntimeError when absent."""
    found = shutil.which(name) or next((c for c in candidates if Path(c).exists()), None)
    if not found:
        raise RuntimeError(f"{name} is not installed (needed for the healthy servers)")
    return found


def default_binaries() -> dict[str, str]:
    """initdb, pg_ctl and redis-server, found the way the test fixtures find them."""
    return {
        "initdb": find_binary("initdb", *(f"{d}/initdb" for d in _PG_BINDIR_CANDIDATES)),
        "pg_ctl": find_binary("pg_ctl", *(f"{d}/pg_ctl" for d in _PG_BINDIR_CANDIDATES)),
        "redis": find_binary("redis-server"),
    }


# moto keeps its accounts in process-global state: a second MotoAws in a process that already ran
# one (the test session's `moto_aws`) cannot recreate its users and buckets. So it gets a process.
_MOTO_SCRIPT = """
import json, sys
from tests.servers.moto import DEV_BUCKET, MotoAws
with MotoAws() as aws:
    print(json.dumps(aws.env("app", bucket=DEV_BUCKET, region="us-east-1")), flush=True)
    sys.stdin.read()
"""


@contextmanager
def moto_process(startup_timeout: float = 60.0) -> Iterator[dict[str, str]]:
    """MotoAws (IAM users, buckets, authentication on) in a child process; yields the app user's
    AWS_* variables with AWS_ENDPOINT_URL. The child stops when its stdin closes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    proc = subprocess.Popen([sys.executable, "-c", _MOTO_SCRIPT], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            line = proc.stdout.readline() if selector.select(startup_timeout) else ""
        if not line:
            raise RuntimeError(f"the moto server did not start (exit code {proc.poll()})")
        yield json.loads(line)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def healthy_servers(initdb: str | None = None, pg_ctl: str | None = None,
                    redis: str | None = None) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Start every healthy server; yield `(config, environ)`; stop everything on exit.

    Binary paths default to what `default_binaries()` finds (pytest callers pass paths obtained
    through `require_binary`, so a missing binary skips locally and fails under CI=true).
    """
    if not (initdb and pg_ctl and redis):
        found = default_binaries()
        initdb, pg_ctl, redis = initdb or found["initdb"], pg_ctl or found["pg_ctl"], redis or found["redis"]
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="doctor-healthy-"))
        stack.callback(shutil.rmtree, workdir, True)
        smtp_ca = stack.enter_context(TestCA())
        redis_tls = TlsFiles.create(workdir)
        bundle = workdir / "ca-bundle.pem"
        bundle.write_bytes(Path(smtp_ca.pem_path).read_bytes() + redis_tls.ca.read_bytes())

        cluster = stack.enter_context(PostgresCluster(initdb, pg_ctl))
        cache = stack.enter_context(RedisServer(redis, password=REDIS_PASSWORD, tls=redis_tls))
        mail = stack.enter_context(SmtpServer(ca=smtp_ca, tls="starttls"))
        aws_env = stack.enter_context(moto_process())
        payments = stack.enter_context(stripe.FakeStripe())
        sms = stack.enter_context(twilio.TwilioServer())
        oauth = stack.enter_context(google.GoogleServer())

        config = {
            **HEALTHY_DEV,
            "FRONTEND_URL": FRONTEND_URL,
            "DATABASE_URL": cluster.url(),
            "REDIS_URL": cache.url(),
            **mail.env(),
            **aws_env,
            "STRIPE_SECRET_KEY": stripe.TEST_KEY,
            "DOCTOR_STRIPE_API_BASE": payments.url,
            "TWILIO_ACCOUNT_SID": twilio.GOOD_SID,
            "TWILIO_AUTH_TOKEN": twilio.GOOD_TOKEN,
            "TWILIO_PHONE_NUMBER": twilio.SMS_NUMBER,
            "DOCTOR_TWILIO_API_BASE": sms.url,
            "GOOGLE_CLIENT_ID": google.GOOD_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": google.GOOD_SECRET,
            "GOOGLE_REDIRECT_URI": f"{FRONTEND_URL}/api/auth/google/callback",
            "DOCTOR_GOOGLE_AUTH_URL": oauth.auth_url,
            "DOCTOR_GOOGLE_TOKEN_URL": oauth.token_url,
        }
        assert config["GOOGLE_REDIRECT_URI"] in google.REGISTERED
        yield config, {"SSL_CERT_FILE": str(bundle)}

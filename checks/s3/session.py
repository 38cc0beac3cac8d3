"""Talking to AWS: boto3 clients built only from the values the doctor was given, with short timeouts and no retries.

boto3's default session reads the process environment (AWS_PROFILE, AWS_ENDPOINT_URL,
AWS_MAX_ATTEMPTS, AWS_CA_BUNDLE, ...) and ~/.aws/config and ~/.aws/credentials. The doctor must
judge the app's configuration as the Context sees it, so:
- the botocore session gets session variables with no environment variable and no config-file
  key behind them (only instance values and built-in defaults), and its config/credentials file
  paths point at a file that does not exist, so no profile is ever loaded;
- the `s3` and `proxies_config` sections (which read AWS_S3_* variables) are pinned to empty;
- credentials are passed explicitly, so the credential provider chain never runs;
- `ignore_configured_endpoint_urls=True` stops botocore reading AWS_ENDPOINT_URL* from os.environ;
  the endpoint comes from the Context instead.
HTTP(S)_PROXY is still honoured: that is the machine's network, which the app shares.

Also here: endpoint overrides as boto3 resolves them (from the Context), and `call`, which runs one
SDK call in a daemon thread the deadline can abandon, bounded in total time (`call_budget`) and, through
capped.py, in the size and time of the answer's body, and turns transport failures into findings.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge, network_symptom, parse_url
from checks.s3.capped import cap_bodies
from doctor import Context, Finding, Fix, Severity
from doctor.threads import run_blocking

_NO_FILE = os.path.join(os.sep, "nonexistent", "chaski-doctor", "aws-config")


def hermetic_session() -> Any:
    """A botocore session that reads no environment variable and no AWS config file."""
    import botocore.session
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES, ConstantProvider

    variables = {
        name: (None, None, default, convert)
        for name, (_config_key, _env, default, convert) in BOTOCORE_DEFAUT_SESSION_VARIABLES.items()
    }
    variables["config_file"] = (None, None, _NO_FILE, None)
    variables["credentials_file"] = (None, None, _NO_FILE, None)
    session = botocore.session.Session(session_vars=variables)
    store = session.get_component("config_store")
    store.set_config_provider("s3", ConstantProvider({}))
    store.set_config_provider("proxies_config", ConstantProvider({}))
    return session


def client_config(region: str, timeout: float) -> Any:
    """Timeouts of `timeout` seconds and exactly one attempt.

    botocore's `retries.max_attempts` in a Config means *retries* (it adds one; see
    botocore/args.py `_compute_retry_max_attempts`), so `max_attempts: 1` would allow a second
    try. `total_max_attempts: 1` is the initial request only.
    """
    from botocore.config import Config

    return Config(connect_timeout=timeout, read_timeout=timeout, region_name=region,
                  retries={"total_max_attempts": 1, "mode": "standard"},
                  ignore_configured_endpoint_urls=True, user_agent_extra="chaski-doctor")


def make_clients(key_id: str, secret: str, token: str | None, region: str, timeout: float,
                 sts_endpoint: str | None, s3_endpoint: str | None) -> tuple[Any, Any]:
    """(sts, s3) clients over explicit credentials and endpoints."""
    import boto3.session

    session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                    aws_session_token=token, region_name=region,
                                    botocore_session=hermetic_session())
    config = client_config(region, timeout)
    credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret, "aws_session_token": token}
    sts = session.client("sts", endpoint_url=sts_endpoint, config=config, **credentials)
    s3 = session.client("s3", endpoint_url=s3_endpoint, config=config, **credentials)
    for client in (sts, s3):
        cap_bodies(client, call_budget(timeout))
    return sts, s3


def call_budget(timeout: float) -> float:
    """The most one SDK call may take, body included: connect and first byte, plus as long again."""
    return timeout * 2 + 1


class Stop(Exception):
    """Raised during the probe when a finding makes the remaining steps pointless."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.id)
        self.finding = found


def endpoint(ctx: Context, service: str) -> tuple[str | None, str | None]:
    """(endpoint URL, variable it came from) as boto3 resolves it: service-specific first."""
    for name in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
        value = (ctx.get(name) or "").strip()
        if value:
            return value, name
    return None, None


def endpoint_label(ctx: Context) -> str:
    """`AWS`, or the override's scheme://host:port (never its userinfo) for messages."""
    url, _ = endpoint(ctx, "s3")
    parts = parse_url(url).parts if url else None
    if not parts or not parts.hostname:
        return "AWS"
    port = parse_url(url or "").port
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def endpoint_problem(ctx: Context) -> Finding | None:
    """A finding when an AWS_ENDPOINT_URL* override is not an http(s) URL boto3 can use."""
    for service in ("s3", "sts"):
        url, name = endpoint(ctx, service)
        if url is None or name is None:
            continue
        parsed = parse_url(url)
        parts = parsed.parts
        if parsed.error or not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            return Finding("s3.endpoint_invalid", Severity.ERROR, f"{name} is not an http(s) URL",
                           "boto3 refuses to build a client for this endpoint, so the app cannot reach storage.",
                           ctx.unset_fix(name, text="Remove the override to use AWS, or set a full http(s) URL."),
                           vars=(name,))
    return None


def error_parts(exc: Exception) -> tuple[str, int, dict[str, Any]]:
    """(error code, HTTP status, full error response) of a botocore ClientError."""
    response: dict[str, Any] = getattr(exc, "response", {}) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code, status, response


async def call(ctx: Context, label: str, function: Any, operation: str, **params: Any) -> Any:
    """Run one blocking SDK call in a thread. ClientError propagates (the caller classifies it);
    transport failures and anything unexpected become a Stop carrying a finding."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        HTTPClientError,
        ReadTimeoutError,
        SSLError,
    )

    timeout = ctx.timeout
    names = ("AWS_REGION", *{name for service in ("sts", "s3") if (name := endpoint(ctx, service)[1])})
    try:
        async with asyncio.timeout(call_budget(timeout)):  # the total bound botocore's per-read timeouts lack
            return await run_blocking(function, **params)
    except ClientError:
        raise
    except ResponseTooLarge:
        raise Stop(Finding("s3.response_too_large", Severity.WARNING,
                           f"{label} answered {operation} with more than {MAX_RESPONSE_BYTES // 2**20} MB",
                           "No S3 or STS answer the doctor asks for is that large: something other than S3 answered "
                           "(a proxy, a captive portal, a wrong endpoint override). Only the first bytes were read.",
                           Fix("Check any AWS_ENDPOINT_URL override and proxy in between."), vars=names)) from None
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError) as exc:
        how = "opened but no answer came" if isinstance(exc, ReadTimeoutError) else "could not be opened in time"
        raise Stop(Finding("s3.timeout", Severity.ERROR, f"{label} did not answer {operation} within {timeout:g} s",
                           f"The connection {how}; the app's uploads would hang the same way.",
                           Fix("Check network access to S3 (firewall, proxy, AWS status) and any AWS_ENDPOINT_URL "
                               "override."), vars=names)) from None
    except (EndpointConnectionError, HTTPClientError, SSLError) as exc:  # SSLError: verification failed, too
        raise Stop(Finding("s3.unreachable", Severity.ERROR, f"Cannot connect to {label} ({type(exc).__name__})",
                           "The connection was refused or dropped before any answer: nothing listens there, or a "
                           "proxy or firewall is in the way.",
                           Fix("Check AWS_REGION and any AWS_ENDPOINT_URL override; make sure the host is up."),
                           vars=names, symptom=network_symptom(exc))) from None
    except Exception as exc:  # noqa: BLE001 - any SDK surprise is a finding, never a traceback
        raise Stop(request_failed(operation, type(exc).__name__)) from None


def request_failed(operation: str, code: str) -> Finding:
    """A request that failed for a reason without a finding of its own (only the code is shown)."""
    return Finding("s3.request_failed", Severity.ERROR, f"S3 {operation} failed with {code[:80]}",
                   "An unexpected answer from AWS; the app's own S3 calls probably fail the same way.",
                   Fix("Check AWS status and the IAM user in the console; run with -v for details."),
                   vars=("AWS_ACCESS_KEY_ID", "AWS_S3_BUCKET"))

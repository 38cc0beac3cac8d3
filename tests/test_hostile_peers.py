"""Hostile peers the suite starts on loopback: a run ends by its deadline, stays small, says what it saw.

Every HTTP-based check (Stripe, Twilio, Google OAuth, S3 through AWS_ENDPOINT_URL) is pointed at one
`HostileHTTP` peer, and REDIS_URL at a RESP server whose INFO reply is 500 MB. The doctor runs as a
real process with `--timeout 2 --deadline 8`; its own peak RSS is its VmHWM, sampled while it runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.catalog_audit import strict_environ
from tests.helpers import clean_environ, free_port
from tests.servers.hostile import HostileHTTP, HugeRedis, Measured, measure
from tests.test_leaks import assert_no_leak, configuration, make_canaries

DEADLINE = 8.0
RSS_LIMIT_MB = 150
HTTP_CHECKS = ("stripe", "twilio", "oauth", "s3")
TOO_LARGE = {"stripe": {"stripe.not_the_service"}, "twilio": {"twilio.not_the_service"},
             "oauth": {"oauth.not_the_service"}, "s3": {"s3.response_too_large"}}
EXPECTED: dict[str, dict[str, set[str]]] = {
    "huge": TOO_LARGE,
    "endless": TOO_LARGE,
    "html": {"stripe": {"stripe.not_the_service"}, "twilio": {"twilio.api_error"},
             "oauth": {"oauth.not_the_service"}},
    "other_json": {"stripe": {"stripe.not_the_service"}, "twilio": {"twilio.not_the_service"},
                   "oauth": {"oauth.not_the_service"}},
    "trickle": {"stripe": {"stripe.timeout"}, "twilio": {"twilio.timeout"}, "oauth": {"oauth.timeout"},
                "s3": {"s3.timeout"}},
}


@pytest.fixture(scope="module")
def redis_peer() -> Iterator[HugeRedis]:
    with HugeRedis() as peer:
        yield peer


def run_against(mode: str, redis: HugeRedis, tmp_path: Path, values: dict[str, str],
                interrupt_after: float | None = None) -> Measured:
    """One `doctor --format json` run with every HTTP check at a `HostileHTTP(mode)` peer."""
    with HostileHTTP(mode) as peer:
        config = configuration(values, free_port(), redis.port, peer.port)
        config["MAIL_PORT"] = str(free_port())  # SMTP and PostgreSQL are refused: not what is measured here
        config["ENVIRONMENT"] = "staging"  # production forbids a local REDIS_URL before probing it
        env = {**clean_environ(**config), **strict_environ()}
        command = [sys.executable, "-m", "doctor", "--timeout", "2", "--deadline", str(DEADLINE), "--format", "json"]
        return measure(command, env, str(tmp_path), interrupt_after=interrupt_after)


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_a_hostile_peer_is_bounded_and_named(mode: str, redis_peer: HugeRedis, tmp_path: Path) -> None:
    values = make_canaries()
    run = run_against(mode, redis_peer, tmp_path, values)
    assert run.returncode == 1, run.stderr
    assert run.wall_s <= DEADLINE + 1, f"{mode}: {run.wall_s:.1f} s for an {DEADLINE:g} s deadline"
    assert run.peak_rss_mb < RSS_LIMIT_MB, f"{mode}: peak RSS {run.peak_rss_mb:.0f} MB"
    assert "Traceback" not in run.stderr and "MemoryError" not in run.stdout + run.stderr
    assert_no_leak(run.stdout + run.stderr, values)
    report = json.loads(run.stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    found = {f["id"] for f in report["findings"]}
    for check in HTTP_CHECKS:
        assert statuses[check] != "passed", (mode, check, statuses[check])
        assert statuses[check] != "crashed", (mode, check)
    for check, wanted in EXPECTED[mode].items():
        assert found & wanted or statuses[check] == "timed_out", (mode, check, sorted(found))
    assert "redis.response_too_large" in found, sorted(found)
    severities = {f["id"]: f["severity"] for f in report["findings"]}
    assert all(severities[i] in ("warning", "error", "critical") for i in found if i.endswith("not_the_service"))


def test_ctrl_c_against_a_trickling_peer_exits_at_once(redis_peer: HugeRedis, tmp_path: Path) -> None:
    values = make_canaries()
    run = run_against("trickle", redis_peer, tmp_path, values, interrupt_after=3.0)
    assert run.returncode == 130, run.stderr
    assert run.exit_after_signal_s is not None and run.exit_after_signal_s < 1.0, run.exit_after_signal_s
    assert run.peak_rss_mb < RSS_LIMIT_MB
    assert "Traceback" not in run.stderr
    assert_no_leak(run.stdout + run.stderr, values)
    assert json.loads(run.stdout)["exit_code"] == 130

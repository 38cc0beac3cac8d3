"""The redis check's live half against real redis-server processes (tests/servers/redis.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from checks.redis import RedisCheck
from doctor import Severity
from tests.checks.test_redis import assert_finding
from tests.helpers import (
    HEALTHY_DEV,
    HEALTHY_PROD,
    assert_no_warning_or_worse,
    clean_environ,
    findings_text,
    free_port,
    get,
    run_check,
    run_doctor,
)
from tests.servers.http import SilentListener

if TYPE_CHECKING:
    from tests.servers.redis import RedisServer

pytest_plugins = ["tests.servers.redis"]  # the redis_* fixtures

CANARY = "CanaryRedisLive8w2Kq5"


def live(url: str, timeout: float = 2.0, **env: str) -> list:
    """Findings for REDIS_URL=url (plus env), online."""
    return run_check(RedisCheck, {"REDIS_URL": url, **env}, timeout=timeout)


@pytest.fixture
def no_cert_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throwaway CA is not trusted (default verify paths only)."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_healthy_password_server(redis_auth: RedisServer) -> None:
    assert live(redis_auth.url()) == []
    assert_no_warning_or_worse(run_check(RedisCheck, {**HEALTHY_DEV, "REDIS_URL": redis_auth.url()}, timeout=2))


def test_healthy_prod_over_trusted_tls(redis_tls: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(redis_tls.tls.ca))
    assert live(redis_tls.url()) == []
    # 127.0.0.2 is not "this machine" for the check, so production rules apply as to a remote host.
    prod = run_check(RedisCheck, {**HEALTHY_PROD, "REDIS_URL": redis_tls.url(host="127.0.0.2")}, timeout=2)
    assert_no_warning_or_worse(prod)
    assert_finding(prod, "redis.maxmemory_unset", Severity.INFO)


def test_auth_required(redis_auth: RedisServer) -> None:
    assert_finding(live(redis_auth.url(password="")), "redis.auth_required", Severity.CRITICAL)


def test_auth_failed(redis_auth: RedisServer) -> None:
    findings = live(redis_auth.url(password=CANARY))
    assert_finding(findings, "redis.auth_failed", Severity.CRITICAL)
    assert CANARY not in findings_text(findings)
    heroku = get(live(redis_auth.url(password=CANARY, host="127.0.0.2"), DYNO="web.1"), "redis.auth_failed")
    assert "heroku config:get REDIS_URL" in heroku.fix.commands


def test_db_out_of_range(redis_auth: RedisServer) -> None:
    assert_finding(live(redis_auth.url(db=99)), "redis.db_out_of_range", Severity.ERROR)


def test_unknown_url_option(redis_auth: RedisServer) -> None:
    assert_finding(live(redis_auth.url() + "?foo=bar"), "redis.url_option_invalid", Severity.ERROR)


def test_refused() -> None:
    findings = live(f"redis://:{CANARY}@127.0.0.1:{free_port()}/0")
    assert_finding(findings, "redis.refused", Severity.CRITICAL)
    assert "redis-server" in get(findings, "redis.refused").fix.commands
    assert_finding(live("unix:///nonexistent/doctor-redis.sock"), "redis.refused", Severity.CRITICAL)


def test_dns() -> None:
    assert_finding(live("redis://doctor-no-such-host.invalid:6379/0"), "redis.dns", Severity.CRITICAL)


def test_timeout_is_fast() -> None:
    with SilentListener() as silent:
        started = time.monotonic()
        findings = live(f"redis://:{CANARY}@127.0.0.1:{silent.port}/0", timeout=1)
        elapsed = time.monotonic() - started
    assert_finding(findings, "redis.timeout", Severity.ERROR)
    assert elapsed < 4, elapsed


def test_tls_verify_failed_untrusted_ca(redis_tls: RedisServer, no_cert_file: None) -> None:
    findings = live(redis_tls.url())
    assert_finding(findings, "redis.tls_verify_failed", Severity.ERROR)
    found = get(findings, "redis.tls_verify_failed")
    assert "answers PING" in found.detail
    assert "ssl_cert_reqs=None" in found.fix.text and "ssl_cert_reqs=none" in found.fix.text


def test_heroku_redis_self_signed_certificate_is_a_warning_on_heroku(redis_tls: RedisServer,
                                                                      no_cert_file: None) -> None:
    """On a dyno a self-signed certificate (the server answers once verification is off) is Heroku Redis's:
    a warning, so a healthy Heroku app can exit 0; elsewhere it stays an error (above)."""
    found = get(live(redis_tls.url(host="127.0.0.2"), DYNO="web.1"), "redis.tls_verify_failed")
    assert found.severity is Severity.WARNING
    assert "Heroku Redis's self-signed certificate" in found.detail and "ssl_cert_reqs=None" in found.detail
    wrong_password = get(live(redis_tls.url(password=CANARY, host="127.0.0.2"), DYNO="web.1"),
                         "redis.tls_verify_failed")
    assert wrong_password.severity is Severity.ERROR  # it does not answer even unverified: not just the certificate


def test_tls_verify_failed_and_wrong_password(redis_tls: RedisServer, no_cert_file: None) -> None:
    findings = live(redis_tls.url(password=CANARY))
    found = get(findings, "redis.tls_verify_failed")
    assert "rejects the password" in found.detail
    assert CANARY not in findings_text(findings)


def test_app_turning_verification_off_connects(redis_tls: RedisServer, no_cert_file: None) -> None:
    findings = live(redis_tls.url() + "?ssl_cert_reqs=none")
    assert [f.id for f in findings] == ["redis.tls_unverified"]


def test_tls_to_plain_port(redis_auth: RedisServer) -> None:
    findings = live(redis_auth.url(scheme="rediss"), timeout=1)
    assert_finding(findings, "redis.tls_to_plain_port", Severity.ERROR)


def test_plain_to_tls_port(redis_tls: RedisServer) -> None:
    assert_finding(live(redis_tls.url(scheme="redis")), "redis.plain_to_tls_port", Severity.ERROR)


def test_clients_high_then_max_clients(redis_small_clients: RedisServer) -> None:
    held = []
    try:
        for _ in range(7):  # 7 held + the check's own = 8 of 10
            client = redis_small_clients.client()
            client.ping()
            held.append(client)
        findings = live(redis_small_clients.url())
        assert_finding(findings, "redis.clients_high", Severity.WARNING)
        assert "8 of 10" in get(findings, "redis.clients_high").title
        for _ in range(3):
            client = redis_small_clients.client()
            client.ping()
            held.append(client)
        assert_finding(live(redis_small_clients.url()), "redis.max_clients", Severity.ERROR)
    finally:
        for client in held:
            client.close()


def test_few_clients_is_healthy(redis_small_clients: RedisServer) -> None:
    assert live(redis_small_clients.url()) == []


def _fill(server: RedisServer, ratio: float) -> None:
    """Write 64 KB values until used_memory reaches `ratio` of maxmemory (test arrangement)."""
    client = server.client()
    try:
        limit = int(client.info("memory")["maxmemory"])
        for n in range(1000):
            if int(client.info("memory")["used_memory"]) >= ratio * limit:
                return
            client.set(f"fill:{n}", b"x" * 65536)
        raise AssertionError("could not fill the server")
    finally:
        client.close()


def test_memory_high_with_noeviction(redis_small_memory: RedisServer) -> None:
    assert live(redis_small_memory.url()) == []  # empty: healthy
    _fill(redis_small_memory, 0.85)
    findings = live(redis_small_memory.url())
    assert_finding(findings, "redis.memory_high", Severity.WARNING)
    assert "OOM" in get(findings, "redis.memory_high").detail


def test_memory_high_with_volatile_eviction_is_info(redis_volatile: RedisServer) -> None:
    _fill(redis_volatile, 0.85)
    findings = live(redis_volatile.url())
    assert [f.id for f in findings] == ["redis.memory_evicting"]
    assert_finding(findings, "redis.memory_evicting", Severity.INFO)
    assert "volatile-lru" in findings[0].title


def test_allkeys_policy_can_evict_sessions(redis_allkeys: RedisServer) -> None:
    """A server started with --maxmemory-policy allkeys-lru: a warning while memory is still low."""
    findings = live(redis_allkeys.url())
    assert [f.id for f in findings] == ["redis.eviction_allkeys"]
    assert_finding(findings, "redis.eviction_allkeys", Severity.WARNING)
    found = findings[0]
    assert "allkeys-lru" in found.title and "logged out" in found.detail
    assert "volatile-lru" in found.fix.text and not found.fix.commands  # locally: no heroku command
    _fill(redis_allkeys, 0.85)  # near the limit: still the one warning, not also memory_evicting
    assert [f.id for f in live(redis_allkeys.url())] == ["redis.eviction_allkeys"]
    on_dyno = live(redis_allkeys.url(host="127.0.0.2"), DYNO="web.1", HEROKU_APP_NAME="chaski-app")
    assert get(on_dyno, "redis.eviction_allkeys").fix.commands == (
        "heroku redis:maxmemory REDIS_URL --policy volatile-lru -a chaski-app",)


def test_info_disabled_is_info_unavailable(redis_binary: str) -> None:
    """A managed-Redis style server that renamed INFO away: PING works, the limits cannot be read."""
    from tests.servers.redis import RedisServer

    server = RedisServer(redis_binary)
    server.args += ["--rename-command", "INFO", ""]
    with server:
        findings = live(server.url())
    assert [f.id for f in findings] == ["redis.info_unavailable"]
    assert_finding(findings, "redis.info_unavailable", Severity.INFO)
    assert "ResponseError" in findings[0].detail


class DelayingProxy:
    """A TCP proxy on loopback that holds every reply from `upstream_port` for `delay` seconds:
    a Redis far away (another region), in front of a real server."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream_port, self.delay = upstream_port, delay
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._open: list[socket.socket] = []

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def _pump(self, source: socket.socket, target: socket.socket, delay: float) -> None:
        try:
            while chunk := source.recv(65536):
                time.sleep(delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            client.settimeout(None)
            upstream.settimeout(None)
            self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.delay), daemon=True).start()

    def __enter__(self) -> DelayingProxy:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._open:
            conn.close()
        self._sock.close()


def test_distant_server_is_latency_high(redis_auth: RedisServer) -> None:
    with DelayingProxy(redis_auth.port, delay=0.3) as proxy:
        findings = live(f"redis://:{redis_auth.password}@127.0.0.1:{proxy.port}/0", timeout=3)
    assert [f.id for f in findings] == ["redis.latency_high"]
    assert_finding(findings, "redis.latency_high", Severity.INFO)
    milliseconds = int(findings[0].title.split()[-2])
    assert milliseconds >= 250, findings[0].title


def test_probe_is_read_only(redis_auth: RedisServer) -> None:
    with redis_auth.client() as client:
        before = client.dbsize(), client.info("stats")["total_commands_processed"]
        live(redis_auth.url())
        assert client.dbsize() == before[0]
        assert int(client.info("keyspace").get("db0", {}).get("keys", 0)) == before[0]


# -- canary leak tests: a distinctive password through every failure path -----------------------
def _failure_urls(auth: RedisServer, tls: RedisServer, silent_port: int) -> dict[str, str]:
    return {
        "redis.auth_failed": auth.url(password=CANARY),
        "redis.refused": f"redis://:{CANARY}@127.0.0.1:{free_port()}/0",
        "redis.timeout": f"redis://:{CANARY}@127.0.0.1:{silent_port}/0",
        "redis.tls_verify_failed": tls.url(password=CANARY),
        "redis.tls_to_plain_port": auth.url(password=CANARY, scheme="rediss"),
        "redis.plain_to_tls_port": tls.url(password=CANARY, scheme="redis"),
        "redis.url_invalid": f"redis://:{CANARY}@127.0.0.1:port/0",
        "redis.url_option_invalid": f"redis://:{CANARY}@127.0.0.1:{free_port()}/0?{CANARY}=1",
    }


def test_canary_never_in_findings(redis_auth: RedisServer, redis_tls: RedisServer, no_cert_file: None) -> None:
    with SilentListener() as silent:
        for expected, url in _failure_urls(redis_auth, redis_tls, silent.port).items():
            findings = live(url, timeout=1)
            assert expected in {f.id for f in findings}, (expected, [f.id for f in findings])
            assert CANARY not in findings_text(findings), expected


def test_canary_never_in_cli_output(redis_auth: RedisServer, redis_tls: RedisServer, tmp_path: Path) -> None:
    def doctor(case: tuple[int, str, str, str]) -> tuple[str, str, subprocess.CompletedProcess[str]]:
        number, expected, url, fmt = case
        env_file = tmp_path / f"app{number}-{fmt}.env"  # one file per run: the runs are concurrent
        env_file.write_text(f"REDIS_URL={url}\n")
        return expected, fmt, run_doctor("--only", "redis", "--timeout", "1", "--format", fmt, "--env-file",
                                         str(env_file), env=clean_environ(NO_COLOR="1"), cwd=tmp_path)

    with SilentListener() as silent:
        urls = _failure_urls(redis_auth, redis_tls, silent.port)
        cases = [(n, expected, url, fmt) for n, (expected, url) in enumerate(urls.items())
                 for fmt in ("json", "text", "markdown")]
        with ThreadPoolExecutor(max_workers=6) as pool:  # each run mostly waits: keep the suite fast
            results = list(pool.map(doctor, cases))
    assert len(results) == 3 * len(urls)
    for expected, fmt, result in results:
        assert result.returncode == 1, (expected, fmt, result.stdout, result.stderr)
        assert CANARY not in result.stdout and CANARY not in result.stderr, (expected, fmt)
        assert expected in result.stdout or fmt != "json", (expected, result.stdout)
        if fmt == "json":
            assert expected in {f["id"] for f in json.loads(result.stdout)["findings"]}, expected


def test_cli_healthy_exit_zero(redis_auth: RedisServer, tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"REDIS_URL={redis_auth.url()}\n")
    result = run_doctor("--only", "redis", "--format", "json", "--env-file", str(env_file), cwd=tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["findings"] == [], result.stdout
    assert redis_auth.password and redis_auth.password not in result.stdout


def test_info_rules() -> None:
    """The INFO thresholds as a pure function (values a local server cannot be made to report)."""
    from checks.redis.info import info_findings
    from checks.redis.static import Target
    from tests.helpers import make_context

    target = Target("rediss://h:1/0", "rediss", "redis.example.com", 25070, True)
    healthy = {"used_memory": 10 * 2**20, "maxmemory": 50 * 2**20, "maxmemory_policy": "noeviction",
               "connected_clients": 3, "maxclients": 20, "redis_version": "7.2.4"}
    assert info_findings(make_context(HEALTHY_PROD), target, healthy, 3.0) == []
    slow_old = {**healthy, "redis_version": "5.0.14"}
    findings = info_findings(make_context(HEALTHY_PROD), target, slow_old, 400.0)
    assert_finding(findings, "redis.latency_high", Severity.INFO)
    assert_finding(findings, "redis.version_old", Severity.INFO)
    assert_finding(info_findings(make_context(HEALTHY_PROD), target, {**healthy, "connected_clients": 16}, 1.0),
                   "redis.clients_high", Severity.WARNING)
    assert info_findings(make_context(HEALTHY_DEV), target, {**healthy, "maxmemory": 0}, 1.0) == []
    # allkeys-* warns at any usage, but only with a limit: maxmemory 0 never evicts.
    allkeys = {**healthy, "maxmemory_policy": "allkeys-lfu"}
    assert_finding(info_findings(make_context(HEALTHY_PROD), target, allkeys, 1.0), "redis.eviction_allkeys",
                   Severity.WARNING)
    assert info_findings(make_context(HEALTHY_DEV), target, {**allkeys, "maxmemory": 0}, 1.0) == []
    assert info_findings(make_context(HEALTHY_DEV), target, {**healthy, "maxmemory_policy": "volatile-ttl"}, 1.0) == []


def test_password_in_query_counts_as_password(redis_auth: RedisServer) -> None:
    url = f"redis://127.0.0.1:{redis_auth.port}/0?password={CANARY}"
    findings = live(url)
    assert_finding(findings, "redis.auth_failed", Severity.CRITICAL)
    assert CANARY not in findings_text(findings)
    assert live(f"redis://127.0.0.1:{redis_auth.port}/0?password={redis_auth.password}") == []


@pytest.mark.parametrize("host", ["a" * 300, "é" * 70])
def test_host_names_idna_cannot_encode_are_findings_not_crashes(host: str) -> None:
    from doctor import Status
    from tests.helpers import make_context, run_result

    result = run_result(RedisCheck, make_context({"REDIS_URL": f"redis://:pw@{host}:6379/0"}, timeout=1))
    assert result.status is Status.FAILED
    assert [f.id for f in result.findings] == ["redis.unreachable"]

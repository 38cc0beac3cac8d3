"""Who holds the Redis client slots: CLIENT LIST grouped by name and host, against real
redis-server processes holding real named, idle clients (tests/servers/redis.py)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from redis.exceptions import ResponseError

from checks.redis import RedisCheck, clients
from doctor import Severity
from tests.checks.test_redis import assert_finding
from tests.helpers import findings_text, get, run_check

if TYPE_CHECKING:
    from tests.servers.redis import RedisServer

pytest_plugins = ["tests.servers.redis"]  # the redis_* fixtures

HEROKU = {"DYNO": "web.1", "HEROKU_APP_NAME": "chaski-app"}


def live(url: str, **env: str) -> list:
    """Findings for REDIS_URL=url (plus env), online."""
    return run_check(RedisCheck, {"REDIS_URL": url, **env}, timeout=2)


def raw_client_list(server: RedisServer) -> bytes:
    """CLIENT LIST as the server writes it, read by the test's own connection."""
    with server.client() as client:
        return client.execute_command("CLIENT", "LIST")


def test_real_client_list_is_grouped_by_name_and_host(redis_small_clients: RedisServer) -> None:
    with redis_small_clients.held(3, "web"), redis_small_clients.held(2, "worker"), redis_small_clients.held(1):
        raw = raw_client_list(redis_small_clients)
    listing = clients.group_clients(raw)
    # The connection that ran CLIENT LIST (here the test's, in the check its own) is left out.
    assert [(g.name, g.host, g.count) for g in listing.groups] == [
        ("web", "127.0.0.1", 3), ("worker", "127.0.0.1", 2), ("", "127.0.0.1", 1)]
    assert listing.listed == 6 and not listing.truncated and listing.note == ""
    assert listing.groups[2].label == "unnamed clients at 127.0.0.1"
    assert all(0 <= seconds < clients.IDLE_LONG_S for g in listing.groups for seconds in g.idle)


def test_at_most_max_lines_are_parsed(redis_small_clients: RedisServer) -> None:
    with redis_small_clients.held(5, "web"):
        raw = raw_client_list(redis_small_clients)
    listing = clients.group_clients(raw, limit=2)
    assert listing.truncated and listing.listed <= 2
    assert not clients.group_clients(raw).truncated


def test_crowded_named_clients_name_the_largest_group(redis_small_clients: RedisServer) -> None:
    with redis_small_clients.client() as observer:
        keys_before = observer.dbsize()
    with redis_small_clients.held(4, "web"), redis_small_clients.held(3, "worker"):
        findings = live(redis_small_clients.url())
    with redis_small_clients.client() as observer:
        assert observer.dbsize() == keys_before  # read-only: nothing written
    assert [f.id for f in findings] == ["redis.clients_high"]
    assert_finding(findings, "redis.clients_high", Severity.WARNING)
    found = findings[0]
    assert found.title == "Redis has 8 of 10 client connections in use; most from `web` at 127.0.0.1 (4)"
    assert "`web` at 127.0.0.1: 4, idle " in found.detail
    assert "`worker` at 127.0.0.1: 3" in found.detail
    assert "leaked" not in findings_text(findings) and "redis:timeout" not in findings_text(findings)


def test_long_idle_pool_is_named_as_a_leak(redis_small_clients: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The idle threshold is scaled from 60 s to 1 s so the test need not wait a minute; the
    server, the clients and the idle times it reports are real."""
    monkeypatch.setattr(clients, "IDLE_LONG_S", 1)
    server = redis_small_clients
    with server.held(6, "leaky-pool"), server.held(1, "web") as (active,):
        time.sleep(2.2)
        active.ping()  # the web client stays busy; the pool's six sit idle
        findings = live(server.url())
        heroku = live(server.url(host="127.0.0.2"), **HEROKU)
    found = get(findings, "redis.clients_high")
    assert found.severity is Severity.WARNING
    assert found.title.startswith("Redis has 8 of 10 client connections in use; 6 from `leaky-pool` at 127.0.0.1 "
                                  "idle for 1 s or more"), found.title
    assert "leaked" in found.title and "6 of the 7 clients" in found.detail
    assert "one Redis client per process" in found.fix.text
    on_dyno = get(heroku, "redis.clients_high")
    assert "`leaky-pool` at 127.0.0.1" in on_dyno.title  # grouped by the clients' host, not the URL's
    assert "heroku redis:timeout REDIS_URL --seconds 300 -a chaski-app  # closes clients idle for 300 s" \
        in on_dyno.fix.commands
    assert all(c.split("  # ", 1)[0].endswith(" -a chaski-app") for c in on_dyno.fix.commands
               if c.startswith("heroku "))


def test_client_list_renamed_away_falls_back_to_info(redis_client_hidden: RedisServer) -> None:
    from tests.servers.redis import HIDDEN_CLIENT

    server = redis_client_hidden
    with server.held(7, "web", setname=HIDDEN_CLIENT):  # named through the renamed command
        findings = live(server.url())
        with server.client() as observer:  # CLIENT is unknown under its own name on this server
            with pytest.raises(ResponseError, match="unknown command"):
                observer.execute_command("CLIENT", "LIST")
    assert [f.id for f in findings] == ["redis.clients_high"]
    found = findings[0]
    assert found.severity is Severity.WARNING
    assert found.title == "Redis has 8 of 10 client connections in use"  # INFO's counts, no group
    assert "CLIENT LIST is not permitted" in found.detail and "counts come from INFO" in found.detail
    assert "`web`" not in findings_text(findings)


def test_client_list_denied_by_acl_falls_back_to_info(redis_binary: str) -> None:
    """The URL's ACL user may run everything but CLIENT (as some managed plans allow)."""
    from tests.servers.redis import RedisServer

    server = RedisServer(redis_binary, maxclients=10)
    server.args += ["--user", "doctor", "on", ">Pw4Doctor9acl", "~*", "&*", "+@all", "-client"]
    with server, server.held(7, "web"):
        findings = live(f"redis://doctor:Pw4Doctor9acl@127.0.0.1:{server.port}/0")
    found = get(findings, "redis.clients_high")
    assert found.title == "Redis has 8 of 10 client connections in use"
    assert "CLIENT LIST is not permitted on this server (denied to this user" in found.detail
    assert "Pw4Doctor9acl" not in findings_text(findings)


def test_reply_over_the_byte_cap_is_not_read(redis_small_clients: RedisServer) -> None:
    """Seven real clients with 700 KB names make CLIENT LIST about 4.9 MB: over the 4 MiB cap,
    the reply is refused after its header and the counts come from INFO."""
    with redis_small_clients.held(7, "n" * 700_000):
        started = time.monotonic()
        findings = live(redis_small_clients.url())
        elapsed = time.monotonic() - started
    found = get(findings, "redis.clients_high")
    assert found.title == "Redis has 8 of 10 client connections in use"
    assert f"over {clients.MAX_REPLY_BYTES // 2**20} MiB" in found.detail
    assert "n" * 100 not in findings_text(findings)
    assert elapsed < 4, elapsed


def test_more_clients_than_the_line_cap_are_not_listed() -> None:
    """Above MAX_LINES clients (per INFO) CLIENT LIST is not even sent: no client is touched."""
    listing = asyncio.run(clients.read_clients(None, clients.MAX_LINES + 1, 1.0))
    assert listing.groups == [] and "more than 10,000 clients" in listing.note


def test_resp3_url_reads_through_the_bounded_parser(redis_small_clients: RedisServer) -> None:
    assert live(redis_small_clients.url() + "?protocol=3") == []
    assert live(redis_small_clients.url() + "?protocol=2") == []
    with redis_small_clients.held(7, "web"):
        findings = live(redis_small_clients.url() + "?protocol=3")
    assert "most from `web` at 127.0.0.1 (7)" in get(findings, "redis.clients_high").title


def test_grouping_rules_on_client_list_text() -> None:
    """Lines as Redis 7 writes them (IPv6 and unix-socket addresses a loopback test does not reach)."""
    text = "\n".join([
        "id=3 addr=[2001:db8::5]:40100 laddr=[::1]:6379 fd=8 name=web age=900 idle=300 flags=N cmd=get",
        "id=4 addr=[2001:db8::5]:40102 laddr=[::1]:6379 fd=9 name=web age=900 idle=10 flags=N cmd=get",
        "id=5 addr=/var/run/redis sock/redis.sock:0 laddr=/var/run/redis.sock:0 fd=10 name= age=5 idle=99 cmd=ping",
        "id=6 addr=10.0.0.9:5000 laddr=10.0.0.1:6379 fd=11 name=doctor age=0 idle=0 flags=N cmd=client|list",
        "",
    ])
    listing = clients.group_clients(text)
    assert [(g.name, g.host, g.idle) for g in listing.groups] == [
        ("web", "2001:db8::5", [300, 10]), ("", "/var/run/redis sock/redis.sock", [99])]
    assert listing.groups[0].long_idle == 1
    assert listing.groups[0].describe() == "`web` at 2001:db8::5: 2, idle 10-300 s"

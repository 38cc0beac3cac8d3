"""The redis check's live half: PING with redis-py asyncio, classify failures, read INFO.

Read-only: PING, INFO and, when the client slots are crowded, CLIENT LIST (never CONFIG, which
managed Redis disables). Every operation is bounded by ctx.timeout, and every reply by the size cap of
clients.py, counted over the whole reply (one bulk string, or an array's many elements together); a
reply over it is `redis.response_too_large`, its rest never read. redis-py's retries are off. Library
messages are scrubbed before display.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import suppress
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from checks.redis.clients import MAX_REPLY_BYTES, ReplyTooLarge, bounded_parser, clients_fix, read_clients
from checks.redis.info import client_counts, clients_crowded, info_findings
from checks.redis.static import Target, redis_finding
from doctor import Context, Finding, Fix, Severity

_USERINFO = re.compile(r"//[^/@\s]*@")


def scrub(text: str, url: str) -> str:
    """`text` without the URL's password or user name (raw or decoded), cut to 300 characters."""
    needles: set[str] = set()
    with suppress(ValueError):
        parts = urlsplit(url.strip())
        for piece in (parts.password, parts.username, *parse_qs(parts.query).get("password", [])):
            if piece:
                needles |= {piece, unquote(piece)}
    for needle in sorted(needles, key=len, reverse=True):
        if len(needle) >= 3:
            text = text.replace(needle, "[redacted]")
    return _USERINFO.sub("//[redacted]@", text)[:300]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


@cache
def _capped_parser(protocol: object) -> type:
    """`bounded_parser(protocol)` that also counts every line and bulk string of one reply together (16
    bytes of overhead each), so an array of millions of small elements stops at `MAX_REPLY_BYTES` too."""

    class Capped(bounded_parser(protocol)):  # type: ignore[misc]
        seen = 0

        async def read_response(self, *args: Any, **kwargs: Any) -> Any:
            self.seen = 0
            return await super().read_response(*args, **kwargs)

        def _count(self, size: int) -> None:
            self.seen += size + 16
            if self.seen > MAX_REPLY_BYTES:
                raise ReplyTooLarge(self.seen)

        async def _read(self, length: int) -> bytes:
            self._count(max(length, 0))
            return await super()._read(length)

        async def _readline(self) -> bytes:
            line: bytes = await super()._readline()
            self._count(len(line))
            return line

    return Capped


def _client(url: str, timeout: float, **extra: Any) -> Any:
    import redis.asyncio
    from redis.asyncio.connection import parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # retry_on_timeout is deprecated in redis-py 6+ (a DeprecationWarning); its default is already
    # off, and an explicit zero-attempt Retry replaces the client's default of three retries. The
    # URL's own ?protocol= wins over keyword arguments, so the bounded parser follows it.
    parser = _capped_parser(parse_url(url).get("protocol"))
    return redis.asyncio.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                  retry=Retry(NoBackoff(), 0), single_connection_client=True,
                                  health_check_interval=0, parser_class=parser, **extra)


async def _ping(url: str, timeout: float, **extra: Any) -> tuple[Any, BaseException | None, float]:
    """Connect and PING; return (client or None, the error or None, milliseconds)."""
    started = time.monotonic()
    try:
        client = _client(url, timeout, **extra)
    except Exception as exc:  # noqa: BLE001 - any rejected option is a finding, not a crash
        return None, exc, 0.0
    try:
        async with asyncio.timeout(timeout * 2 + 1):
            await client.ping()
        return client, None, (time.monotonic() - started) * 1000
    except Exception as exc:  # noqa: BLE001 - classified below
        await _close(client)
        return None, exc, (time.monotonic() - started) * 1000


async def _close(client: Any) -> None:
    with suppress(Exception):
        async with asyncio.timeout(2):
            await client.aclose()


async def _answers_plain(target: Target, timeout: float) -> bool:
    """True when host:port answers a plaintext PING the way Redis does."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(target.host, target.port)
            try:
                writer.write(b"PING\r\n")
                await writer.drain()
                reply = await reader.read(64)
            finally:
                writer.close()
    except (OSError, TimeoutError, ValueError):  # ValueError: a host IDNA cannot encode
        return False
    return reply.startswith((b"+PONG", b"-NOAUTH", b"-ERR", b"-DENIED", b"-WRONGPASS"))


async def _speaks_tls(target: Target, timeout: float) -> bool:
    """True when host:port completes a TLS handshake (certificate not checked: this is a probe)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(target.host, target.port, ssl=context)
            writer.close()
    except (OSError, TimeoutError, ValueError, ssl.SSLError):
        return False
    return True


def _service_fix(ctx: Context, target: Target) -> Fix:
    if target.local and not ctx.uses_heroku_config:
        return Fix("Start Redis locally (or fix the port in REDIS_URL).",
                   ("redis-server", "brew services start redis", "sudo systemctl start redis-server"))
    flag = ctx.heroku_app_flag()
    return Fix("Heroku may have moved the add-on (maintenance rotates host and password): compare REDIS_URL "
               "with what Heroku reports.", (f"heroku redis:info{flag}", f"heroku config:get REDIS_URL{flag}"))


async def classify(ctx: Context, target: Target, exc: BaseException) -> Finding:
    """Turn a failed connect/PING into one finding."""
    from redis import exceptions as rex

    chain = list(_chain(exc))
    message = " ".join(str(e) for e in chain)
    where = target.address
    fix = _service_fix(ctx, target)
    get_url = (f"heroku config:get REDIS_URL{ctx.heroku_app_flag()}",) if ctx.uses_heroku_config else ()
    if isinstance(exc, rex.AuthenticationError) or "NOAUTH" in message or "WRONGPASS" in message:
        if not target.has_password:
            return redis_finding("auth_required", Severity.CRITICAL,
                                 f"Redis at {where} requires a password; REDIS_URL has none",
                                 "Every command is refused with NOAUTH: sessions and rate limits live there, so the "
                                 "app cannot serve.",
                                 Fix("Put the password in the URL: redis://:<password>@host:port/0.", get_url))
        return redis_finding("auth_failed", Severity.CRITICAL, f"Redis at {where} rejects the password in REDIS_URL",
                             "The server answered WRONGPASS (invalid username-password pair): sessions and rate "
                             "limits live there, so the app cannot serve.",
                             Fix("Copy the current URL again: Heroku rotates Redis credentials.",
                                 (*get_url, f"heroku redis:credentials{ctx.heroku_app_flag()}"))
                             if ctx.uses_heroku_config
                             else Fix("Use the password set with `requirepass` (or remove it from REDIS_URL)."))
    if isinstance(exc, rex.ResponseError) and "DB index is out of range" in message:
        return redis_finding("db_out_of_range", Severity.ERROR,
                             f"Redis at {where} has no database with the number in REDIS_URL",
                             "SELECT fails with `DB index is out of range` (a default server has 16 databases, 0-15; "
                             "managed plans may allow only 0).", Fix("End REDIS_URL with /0."))
    if "max number of clients reached" in message:
        return redis_finding("max_clients", Severity.ERROR,
                             f"Redis at {where} refuses connections: max number of clients reached",
                             "Every new connection gets `ERR max number of clients reached`, so requests needing Redis "
                             "fail. Too many dynos/workers or unbounded connection pools hold the slots.",
                             clients_fix(ctx, target))
    verify = next((e for e in chain if isinstance(e, ssl.SSLCertVerificationError)), None)
    if verify is not None:
        return await _tls_verify_failed(ctx, target, verify)
    if any(isinstance(e, socket.gaierror) for e in chain):
        return redis_finding("dns", Severity.CRITICAL,
                             f"The Redis host in REDIS_URL does not resolve ({target.address})",
                             "DNS has no address for it: a typo, or an add-on that was removed. Sessions and rate "
                             "limits live there, so the app cannot serve.", fix)
    if any(isinstance(e, ConnectionRefusedError | FileNotFoundError) for e in chain):
        return redis_finding("refused", Severity.CRITICAL, f"Nothing is listening at {where} (connection refused)",
                             "Redis is not running there, or the port is wrong. Sessions and rate limits live "
                             "there, so the app cannot serve.", fix)
    timed_out = any(isinstance(e, TimeoutError | rex.TimeoutError | asyncio.TimeoutError) for e in chain)
    if target.tls and target.scheme != "unix" and (timed_out or any(isinstance(e, ssl.SSLError) for e in chain)):
        if await _answers_plain(target, ctx.timeout):
            return redis_finding("tls_to_plain_port", Severity.ERROR,
                                 f"REDIS_URL uses rediss:// but {where} speaks plain Redis",
                                 "The TLS handshake never completes: the server reads it as garbage.",
                                 Fix("Use redis:// for this port, or the TLS port of the server."))
    if not target.tls and target.scheme != "unix" and not timed_out and await _speaks_tls(target, ctx.timeout):
        return redis_finding("plain_to_tls_port", Severity.ERROR, f"REDIS_URL uses redis:// but {where} expects TLS",
                             "The server closes the connection on plaintext commands. Heroku Redis 6+ needs rediss://.",
                             Fix("Use rediss:// (Heroku sets REDIS_URL to it; check it).", get_url))
    if timed_out:
        if target.local and not ctx.uses_heroku_config:
            fix = Fix("Check the port in REDIS_URL: something accepts connections there but does not answer "
                      "like Redis.", ("redis-cli -p <port> PING",))
        return redis_finding("timeout", Severity.ERROR,
                             f"Redis at {where} did not answer within {ctx.options.timeout:g} s",
                             "The connection hangs: a firewall, a wrong port, or an overloaded server.", fix)
    return redis_finding("unreachable", Severity.ERROR, f"Cannot talk to Redis at {where} ({type(exc).__name__})",
                         scrub(str(exc), target.url) or type(exc).__name__, fix)


async def _tls_verify_failed(ctx: Context, target: Target, error: ssl.SSLCertVerificationError) -> Finding:
    reason = scrub(str(error.verify_message or error.reason or "certificate verify failed"), target.url)
    client, retry_error, _ = await _ping(target.url, ctx.timeout, ssl_cert_reqs=None)
    severity = Severity.ERROR
    if client is not None:
        await _close(client)
        outcome = ("With verification turned off (for this one test only) the server answers PING, so the "
                   "certificate is the only problem.")
        if ctx.on_heroku:  # Heroku Redis's self-signed certificate: expected there, the app opts out of verifying
            severity = Severity.WARNING
            outcome += (" On Heroku that is Heroku Redis's self-signed certificate: the app must connect with "
                        "ssl_cert_reqs=None (it does not verify the server, so keep the URL from Heroku).")
    else:
        from redis.exceptions import AuthenticationError

        why = ("it rejects the password in REDIS_URL" if isinstance(retry_error, AuthenticationError)
               else f"it does not answer ({type(retry_error).__name__})")
        outcome = f"Even with verification turned off {why}."
    return redis_finding("tls_verify_failed", severity,
                         f"Redis at {target.address} presents a certificate that cannot be verified ({reason})",
                         "redis-py verifies rediss:// certificates by default; Heroku Redis uses a self-signed one. "
                         + outcome,
                         Fix("Either trust the server's CA, or, for Heroku Redis, pass ssl_cert_reqs=None in the app: "
                        "redis.from_url(REDIS_URL, ssl_cert_reqs=None), or append ?ssl_cert_reqs=none to REDIS_URL "
                        "(Heroku rewrites REDIS_URL on credential rotation, so prefer the code change).",
                        (f"heroku redis:info{ctx.heroku_app_flag()}",) if ctx.uses_heroku_config else ()))


async def probe(ctx: Context, target: Target) -> list[Finding]:
    """PING, then INFO (and CLIENT LIST when the slots are crowded); findings for failures and limits."""
    client, error, elapsed_ms = await _ping(target.url, ctx.timeout)
    if client is None:
        if isinstance(error, TypeError | ValueError):
            return [redis_finding("url_option_invalid", Severity.ERROR, "redis-py rejects an option in REDIS_URL",
                                  scrub(str(error), target.url),
                                  Fix("Remove the unsupported ?option=… from REDIS_URL."))]
        return [await classify(ctx, target, error or RuntimeError("no answer"))]
    try:
        async with asyncio.timeout(ctx.timeout * 2 + 1):
            started = time.monotonic()
            await client.ping()
            latency_ms = (time.monotonic() - started) * 1000
            info = await client.info()
        listing = await read_clients(client, client_counts(info)[0], ctx.timeout) if clients_crowded(info) else None
    except ReplyTooLarge:
        return [redis_finding("response_too_large", Severity.WARNING, "Redis answered INFO with more than "
                              f"{MAX_REPLY_BYTES // 2**20} MB", "A Redis INFO reply is a few KB: the server is not "
                              "Redis as the app expects it, or is hostile. Only the reply's first bytes were read, "
                              "so memory and client limits were not checked.", None)]
    except Exception as exc:  # noqa: BLE001 - INFO may be renamed/disabled on managed Redis
        return [redis_finding("info_unavailable", Severity.INFO, "Redis answered PING but not INFO",
                              f"Memory and client limits were not checked ({type(exc).__name__}).", None)]
    finally:
        await _close(client)
    return info_findings(ctx, target, info, min(latency_ms, elapsed_ms), listing)

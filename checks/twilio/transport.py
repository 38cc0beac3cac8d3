"""The twilio probe's HTTP side: a bounded async http client for the SDK, the status hook, safe URLs.

twilio 9's `AsyncTwilioHttpClient.request` passes no timeout to aiohttp and reads the whole body
with `response.text()`. `bounded_client_class` replaces that request: the client's own timeout
bounds every request, no redirect is followed, and the body is read in chunks up to
`MAX_RESPONSE_BYTES` (a declared Content-Length over it is refused unread), so an endless body
ends as `ResponseTooLarge`, never in memory. The probe's `asyncio.timeout` bounds the whole call.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge, quiet_logger

CHUNK = 64 * 1024


QUIET = quiet_logger("doctor.twilio.sdk")


class LastStatus:
    """The HTTP status of the last answer the SDK received (an aiohttp trace hook), None before one."""

    def __init__(self) -> None:
        self.status: int | None = None

    async def on_request_end(self, session: Any, trace_context: Any, params: Any) -> None:
        """aiohttp's `on_request_end` signal: the answer's status line and headers have arrived."""
        self.status = params.response.status


async def read_capped(response: Any, cap: int = MAX_RESPONSE_BYTES) -> str:
    """An aiohttp response's body as text, read chunk by chunk; `ResponseTooLarge` past `cap` bytes."""
    if (response.content_length or 0) > cap:
        raise ResponseTooLarge(response.content_length)
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > cap:
            raise ResponseTooLarge(len(body))
    return body.decode(response.get_encoding() if response.charset else "utf-8", "replace")


@functools.cache
def bounded_client_class() -> type:
    """`AsyncTwilioHttpClient` whose requests are bounded in time (the client's timeout) and size."""
    from aiohttp import BasicAuth, ClientTimeout
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.http.response import Response

    class BoundedAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
        """Every request is bounded by `self.timeout` (unless the SDK asks for another) and its body capped."""

        async def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                          auth: Any = None, timeout: float | None = None, allow_redirects: bool = False) -> Any:
            """The SDK's request (the session it was built with), its body read by `read_capped`."""
            seconds = self.timeout if timeout is None else timeout
            async with self.session.request(
                    method.upper(), url, params=params, data=data, allow_redirects=False,
                    headers={**(headers or {}), "Accept-Encoding": "identity"},
                    auth=BasicAuth(*auth) if auth is not None else None,
                    timeout=ClientTimeout(total=seconds) if seconds else None) as response:
                return Response(response.status, await read_capped(response), response.headers)

    return BoundedAsyncTwilioHttpClient


def without_userinfo(url: str) -> str:
    """`url` without any user:password@ part (Twilio is always called with SID:token basic auth)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url


def shown_url(url: str) -> str:
    """`url` without any user:password@ part, safe to print."""
    if not url.isprintable() or len(url) > 200:
        return "the configured URL"
    try:
        urlsplit(url)
    except ValueError:
        return "the configured API base"
    return without_userinfo(url)

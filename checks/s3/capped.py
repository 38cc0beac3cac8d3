"""Bounded answers for boto3: every response body read in chunks, up to a size cap and a time budget.

botocore reads a non-streaming answer whole (`AWSResponse.content`) with only a per-read socket
timeout, so a peer that sends 2 GB, or one byte every 0.2 s, holds memory or the worker thread
without end. `cap_bodies` registers a `before-send` handler that sends the request itself through
the client's own HTTP session with the body left unread, then reads it with `read_capped`: past
`MAX_RESPONSE_BYTES` it raises `ResponseTooLarge`, past the budget botocore's `ReadTimeoutError`,
and the connection is closed. Streaming operations (GetObject) are left as they are. The handler
runs in the worker thread; the awaiting task is bounded separately (session.call).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge

CHUNK = 64 * 1024


class Replayed:
    """The already-read body in the shape `AWSResponse.content` reads from (`raw.stream()`)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        """The whole body, once."""
        yield self.body


def read_capped(raw: Any, url: str, cap: int, deadline: float) -> bytes:
    """Read a urllib3 response up to `cap` bytes and until `deadline` (time.monotonic()), then close it."""
    from botocore.exceptions import ReadTimeoutError

    read = getattr(raw, "read1", None) or raw.read  # read1 returns what has arrived, not a full chunk
    body = bytearray()
    try:
        while chunk := read(CHUNK):
            body += chunk
            if len(body) > cap:
                raise ResponseTooLarge(len(body))
            if time.monotonic() > deadline:
                raise ReadTimeoutError(endpoint_url=url)
    except BaseException:
        raw.close()  # the rest of the answer is never read
        raise
    return bytes(body)


def cap_bodies(client: Any, budget: float, cap: int = MAX_RESPONSE_BYTES) -> None:
    """Make every non-streaming answer `client` receives bounded by `cap` bytes and `budget` seconds."""
    from botocore.awsrequest import AWSResponse

    session = client._endpoint.http_session  # the client's own (proxies, TLS, timeouts as configured)

    def send(request: Any, **kwargs: Any) -> Any:
        if request.stream_output:
            return None
        deadline = time.monotonic() + budget
        request.stream_output = True  # the session then leaves the body unread
        try:
            response = session.send(request)
        finally:
            request.stream_output = False
        body = read_capped(response.raw, request.url, cap, deadline)
        return AWSResponse(response.url, response.status_code, response.headers, Replayed(body))

    client.meta.events.register("before-send", send)

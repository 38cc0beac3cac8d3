"""A loopback server speaking Stripe's REST wire format for `/v1/balance` and `/v1/webhook_endpoints`.

`FakeStripe` wraps `RecordingServer`: it checks `Authorization: Bearer <key>` against a table of
keys (valid test, valid live, expired, restricted without permissions, anything else invalid)
and the method (GET only, as the doctor only reads), and answers with Stripe's JSON shapes and
error bodies. It can also rate limit (`rate_limit`), add a `Stripe-Notice` header to every answer
(`notice`, which stripe-python turns into a warning) and hold the answer to some paths until the
server stops (`hang`, a peer that never answers one request). Point the doctor at it with
`DOCTOR_STRIPE_API_BASE=<server.url>`. Usable from tests (`fake_stripe` fixture) and benchmarks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.servers.http import RecordingServer, Request, Response

TEST_KEY = "sk_test_51FakeStripeTestKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl"
LIVE_KEY = "sk_live_51FakeStripeLiveKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl"
EXPIRED_KEY = "sk_test_51FakeStripeExpiredKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd1234"
RESTRICTED_KEY = "rk_live_51FakeStripeRestrictedKeyAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"
RESTRICTED_TEST_KEY = "rk_test_51FakeStripeRestrictedTestKeyAbCdEfGhIjKlMnOpQrStUvWxYz01234567"


def masked(key: str) -> str:
    """Stripe's way of naming a key in an error message: prefix, stars, last 4."""
    return key[:8] + "*" * 20 + key[-4:]


@dataclass
class KeyInfo:
    """What the fake account knows about one key."""

    livemode: bool
    expired: bool = False
    permissions: frozenset[str] = frozenset({"rak_balance_read", "rak_webhook_read"})


def endpoint(url: str, *, status: str = "enabled", livemode: bool = True,
             id: str = "we_1FakeEndpoint") -> dict[str, Any]:
    """A webhook endpoint object as Stripe lists it (the secret is never included)."""
    return {"id": id, "object": "webhook_endpoint", "url": url, "status": status, "livemode": livemode,
            "enabled_events": ["checkout.session.completed", "invoice.paid"], "api_version": None,
            "description": None, "metadata": {}}


@dataclass
class FakeStripe:
    """The fake account: its keys and webhook endpoints. `with FakeStripe() as stripe: stripe.url`."""

    keys: dict[str, KeyInfo] = field(default_factory=lambda: {
        TEST_KEY: KeyInfo(livemode=False),
        LIVE_KEY: KeyInfo(livemode=True),
        EXPIRED_KEY: KeyInfo(livemode=False, expired=True),
        RESTRICTED_KEY: KeyInfo(livemode=True, permissions=frozenset()),
        RESTRICTED_TEST_KEY: KeyInfo(livemode=False, permissions=frozenset({"rak_balance_read"})),
    })
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    scoped: bool = True  # real Stripe lists only the key's mode; False mimics a server that mixes them
    status_override: int | None = None
    raw_override: str | None = None
    rate_limit: bool = False  # answer authenticated requests with Stripe's 429 `rate_limit` error
    notice: str | None = None  # a Stripe-Notice header on every answer
    hang: frozenset[str] = frozenset()  # paths whose answer never comes (until the server stops)

    def __post_init__(self) -> None:
        self.server = RecordingServer(self._answer)
        self._stopped = threading.Event()
        httpd = self.server._httpd  # the socketserver inside; quiet about answers to clients gone by then
        report = httpd.handle_error

        def handle_error(request: Any, client_address: Any) -> None:
            if not self._stopped.is_set():
                report(request, client_address)

        httpd.handle_error = handle_error  # type: ignore[method-assign]

    @property
    def url(self) -> str:
        """Base URL for DOCTOR_STRIPE_API_BASE."""
        return self.server.url

    @property
    def requests(self) -> list[Request]:
        """Every request received, in order."""
        return self.server.requests

    def __enter__(self) -> FakeStripe:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.server.__exit__(*exc)

    @staticmethod
    def _error(status: int, message: str, code: str | None = None) -> Response:
        error: dict[str, Any] = {"message": message, "type": "invalid_request_error"}
        if code:
            error["code"] = code
        return Response(status, {"error": error})

    def _answer(self, request: Request) -> Response:
        """`route`'s answer, held back for a `hang` path until the server stops, with the `notice` header."""
        if request.path in self.hang:
            self._stopped.wait(30)
        response = self.route(request)
        if self.notice is not None:
            response.headers["Stripe-Notice"] = self.notice
        return response

    def route(self, request: Request) -> Response:
        """Answer like api.stripe.com."""
        if self.raw_override is not None:
            return Response(200, self.raw_override, {"Content-Type": "text/html"})
        if self.status_override is not None:
            return self._error(self.status_override, "An unknown error occurred", "api_error")
        auth = request.headers.get("authorization", "")
        key = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        info = self.keys.get(key)
        if not key:
            return self._error(401, "You did not provide an API key.")
        if info is None:
            return self._error(401, f"Invalid API Key provided: {masked(key)}")
        if info.expired:
            return self._error(401, f"Expired API Key provided: {masked(key)}", "api_key_expired")
        if self.rate_limit:
            return self._error(429, "Request rate limit exceeded. Learn more about rate limits here "
                                    "https://stripe.com/docs/rate-limits.", "rate_limit")
        needed = {"/v1/balance": "rak_balance_read", "/v1/webhook_endpoints": "rak_webhook_read"}.get(request.path)
        if needed is None or request.method != "GET":
            return self._error(404, f"Unrecognized request URL ({request.method}: {request.path}).")
        if needed not in info.permissions:  # secret keys hold every permission (the default)
            return self._error(403, (
                f"The provided key '{masked(key)}' does not have the required permissions for this endpoint on "
                f"account 'acct_1FakeAccount'. Having the '{needed}' permission would allow this request to "
                "continue."))
        if request.path == "/v1/balance":
            return Response(200, {"object": "balance", "livemode": info.livemode,
                                  "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
                                  "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]})
        data = [e for e in self.endpoints if not self.scoped or e["livemode"] == info.livemode]
        return Response(200, {"object": "list", "url": "/v1/webhook_endpoints", "has_more": False, "data": data})


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A fresh fake Stripe account on loopback, no webhook endpoints yet."""
    with FakeStripe() as server:
        yield server

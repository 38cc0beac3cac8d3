"""A loopback stand-in for Twilio's REST API (2010-04-01), speaking its JSON wire format.

`TwilioServer` answers `GET /2010-04-01/Accounts/{SID}.json` and
`GET /2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=…`, checking HTTP Basic auth
against a table of accounts; anything unauthenticated gets Twilio's 401 error 20003 body. Use it as
a context manager (tests, benchmarks) or through the `twilio_api` pytest fixture.
"""

from __future__ import annotations

import base64
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import pytest

from tests.servers.http import RecordingServer, Request, Response

GOOD_SID = "AC" + "b88aa6e41dd947462cb8f90e7160f964"  # HEALTHY_PROD's account
GOOD_TOKEN = "45109fe22233be8db57900593ab19137"
SUSPENDED_SID = "AC" + "5a1e0000000000000000000000000001"
CLOSED_SID = "AC" + "c105ed00000000000000000000000002"
TRIAL_SID = "AC" + "7a1a1000000000000000000000000003"
SMS_NUMBER = "+14155550123"
VOICE_ONLY_NUMBER = "+14155550199"

AUTHENTICATE = {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401}
_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)\.json$")
_NUMBERS_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/IncomingPhoneNumbers\.json$")


@dataclass
class Account:
    """One account the fake knows: its token, status, type and numbers (number -> sms capable)."""

    sid: str
    token: str
    status: str = "active"
    type: str = "Full"
    numbers: dict[str, bool] = field(default_factory=dict)


def default_accounts(token: str = GOOD_TOKEN) -> list[Account]:
    """A healthy full account, a suspended one, a closed one and a trial one (all with `token`)."""
    numbers = {SMS_NUMBER: True, VOICE_ONLY_NUMBER: False}
    return [
        Account(GOOD_SID, token, numbers=dict(numbers)),
        Account(SUSPENDED_SID, token, status="suspended", numbers=dict(numbers)),
        Account(CLOSED_SID, token, status="closed", numbers=dict(numbers)),
        Account(TRIAL_SID, token, type="Trial", numbers=dict(numbers)),
    ]


class TwilioServer(RecordingServer):
    """Twilio's account and phone-number endpoints over a table of `Account`s.

    `fail_with` set to a status (e.g. 503) makes every request answer that status (an outage);
    `reply` makes every request answer that `Response` (a proxy's page, a redirect);
    `numbers_reply` does so for the phone-number lookup only (the account lookup still works);
    `stall_numbers` makes the phone-number lookup wait that many seconds before answering (a server
    that stops answering half-way; released at once when the server stops).
    """

    def __init__(self, accounts: list[Account] | None = None) -> None:
        self.accounts = {a.sid: a for a in (accounts or default_accounts())}
        self.fail_with: int | None = None
        self.reply: Response | None = None
        self.numbers_reply: Response | None = None
        self.stall_numbers = 0.0
        self._stopping = threading.Event()
        super().__init__(self._route)
        self._httpd.handle_error = self._handle_error  # type: ignore[method-assign]

    def _handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client gave up on a stalled answer (the timeout tests); report anything else."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            ThreadingHTTPServer.handle_error(self._httpd, request, client_address)  # type: ignore[arg-type]

    def reset(self) -> None:
        """No outage, no canned reply, no stall, an empty request log."""
        self.requests.clear()
        self.fail_with = None
        self.reply = self.numbers_reply = None
        self.stall_numbers = 0.0

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        super().__exit__(*exc)

    def _authenticated(self, request: Request, sid: str) -> Account | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        account = self.accounts.get(user)
        if account is None or account.token != password or user != sid:
            return None
        return account

    def _route(self, request: Request) -> Response:
        if self.fail_with:
            return Response(self.fail_with, {"code": 20500, "message": "Internal Server Error",
                                             "status": self.fail_with})
        if self.reply is not None:
            return self.reply
        if request.method != "GET":
            return Response(405, {"code": 20004, "message": "Method not allowed", "status": 405})
        match = _ACCOUNT_PATH.match(request.path) or _NUMBERS_PATH.match(request.path)
        if not match:
            return Response(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
        account = self._authenticated(request, match["sid"])
        if account is None:
            return Response(401, AUTHENTICATE, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if match.re is _ACCOUNT_PATH:
            return Response(200, {
                "sid": account.sid, "friendly_name": "Chaski " + account.status, "status": account.status,
                "type": account.type, "owner_account_sid": account.sid,
                "date_created": "Tue, 02 Jan 2024 10:00:00 +0000",
                "uri": f"/2010-04-01/Accounts/{account.sid}.json",
            })
        if self.stall_numbers:
            self._stopping.wait(self.stall_numbers)
        if self.numbers_reply is not None:
            return self.numbers_reply
        wanted = request.query.get("PhoneNumber", [None])[0]
        numbers = [
            {"sid": "PN" + "0" * 32, "account_sid": account.sid, "phone_number": number,
             "friendly_name": number, "capabilities": {"sms": sms, "voice": True, "mms": False, "fax": False}}
            for number, sms in account.numbers.items() if wanted is None or number == wanted
        ]
        return Response(200, {
            "incoming_phone_numbers": numbers, "page": 0, "page_size": 50, "start": 0, "end": len(numbers) - 1,
            "first_page_uri": request.path, "next_page_uri": None, "previous_page_uri": None,
            "uri": request.path,
        })


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[TwilioServer]:
    """A running fake Twilio API for the whole session (requests are cleared by `twilio_server`)."""
    with TwilioServer() as server:
        yield server


@pytest.fixture
def twilio_server(twilio_api: TwilioServer) -> TwilioServer:
    """The session's fake Twilio with its request log cleared and no outage, canned reply or stall set."""
    twilio_api.reset()
    return twilio_api

"""A loopback stand-in for Google's OAuth 2.0 token and authorization endpoints.

`GoogleServer` serves `POST /token` (Google's JSON errors: `invalid_grant` for a bogus code when the
client id and secret are right, 401 `invalid_client` "The OAuth client was not found." or
"Unauthorized") and `GET /o/oauth2/v2/auth` (302 to the sign-in page when the redirect URI is
registered, a 400 "Error 400: redirect_uri_mismatch" page when it is not, a 401
"Error 401: invalid_client" page for an unknown client). `token_mode`/`auth_mode` set to
"unrecognised" answer something else entirely. Point the doctor at it with
DOCTOR_GOOGLE_TOKEN_URL=`server.token_url` and DOCTOR_GOOGLE_AUTH_URL=`server.auth_url`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest

from tests.servers.http import RecordingServer, Request, Response

GOOD_CLIENT_ID = "123456789012-abcdefghijklmnopqrstuvwxyz123456.apps.googleusercontent.com"
GOOD_SECRET = "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz12"
REGISTERED = (
    "http://localhost:3000/api/auth/google/callback",
    "https://chaski-app.herokuapp.com/api/auth/google/callback",
)
SIGN_IN = "https://accounts.google.com/v3/signin/identifier"

_MISMATCH_PAGE = """<!doctype html><html lang="en"><head><title>Error 400 (OAuth2 Error)</title></head>
<body><h1>Access blocked: This app's request is invalid</h1>
<p>You can't sign in because this app sent an invalid request.</p>
<p><b>Error 400: redirect_uri_mismatch</b></p>
<p>If you're the app developer, register the redirect URI in the Google Cloud Console.</p>
<p>Request details: redirect_uri={redirect_uri}</p></body></html>"""

_NOT_FOUND_PAGE = """<!doctype html><html lang="en"><head><title>Error 401 (OAuth2 Error)</title></head>
<body><h1>Access blocked: Authorization Error</h1>
<p>The OAuth client was not found.</p><p><b>Error 401: invalid_client</b></p></body></html>"""


@dataclass
class Client:
    """One OAuth client: its secret and Authorized redirect URIs."""

    client_id: str
    secret: str
    redirect_uris: tuple[str, ...] = field(default_factory=tuple)


class GoogleServer(RecordingServer):
    """Google's token and authorization endpoints over a table of `Client`s."""

    def __init__(self, clients: list[Client] | None = None, token_mode: str = "normal",
                 auth_mode: str = "normal") -> None:
        table = clients if clients is not None else [Client(GOOD_CLIENT_ID, GOOD_SECRET, REGISTERED)]
        self.clients = {c.client_id: c for c in table}
        self.token_mode = token_mode
        self.auth_mode = auth_mode
        super().__init__(self._route)

    @property
    def token_url(self) -> str:
        """The value for DOCTOR_GOOGLE_TOKEN_URL."""
        return f"{self.url}/token"

    @property
    def auth_url(self) -> str:
        """The value for DOCTOR_GOOGLE_AUTH_URL."""
        return f"{self.url}/o/oauth2/v2/auth"

    def _route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.path == "/o/oauth2/v2/auth" and request.method == "GET":
            return self._auth(request)
        return Response(404, "<html><body>404. That's an error.</body></html>")

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form.items()}
        if self.token_mode == "unrecognised":
            # A hostile or broken proxy that echoes what it was sent: the doctor must scrub it.
            return Response(418, {"error": "teapot", "error_description": f"got {form.get('client_secret')}"})
        if form.get("grant_type") != "authorization_code":
            return Response(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "})
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            return Response(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if form.get("client_secret") != client.secret:
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        return Response(400, {"error": "invalid_grant", "error_description": "Malformed auth code."})

    def _auth(self, request: Request) -> Response:
        query = {k: v[0] for k, v in request.query.items()}
        if self.auth_mode == "unrecognised":
            return Response(200, "<html><body>Welcome to the captive portal of Hotel Wifi</body></html>")
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            return Response(401, _NOT_FOUND_PAGE)
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            return Response(400, _MISMATCH_PAGE.format(redirect_uri=quote(redirect_uri, safe=":/")))
        target = SIGN_IN + "?" + urlencode({"continue": request.path, "flowName": "GeneralOAuthFlow"})
        return Response(302, "", {"Location": target})


@pytest.fixture(scope="session")
def google_oauth() -> Iterator[GoogleServer]:
    """A running fake Google OAuth for the whole session (requests are cleared by `google_server`)."""
    with GoogleServer() as server:
        yield server


@pytest.fixture
def google_server(google_oauth: GoogleServer) -> GoogleServer:
    """The session's fake Google with its request log cleared."""
    google_oauth.requests.clear()
    return google_oauth

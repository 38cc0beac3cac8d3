"""Real SMTP servers on loopback for the `smtp` check: aiosmtpd with STARTTLS, implicit TLS, AUTH.

`TestCA` is a throwaway trustme certificate authority whose PEM a test points `SSL_CERT_FILE`
at (the trusted cases) or not (the untrusted ones). `SmtpServer(...)` is a context manager around
an aiosmtpd `Controller` on a free 127.0.0.1 port; every message it accepts lands in `messages`,
so a test can prove that mail was (or was not) delivered. A benchmark can reuse both:

    with TestCA() as ca, SmtpServer(ca=ca, tls="starttls") as server:
        print(server.port, ca.pem_path)

The pytest fixtures at the bottom start the shared servers once per session.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.helpers import free_port

USER = "mailer@chaski.test"
PASSWORD = "Correct-Horse-Battery-9"  # noqa: S105 - a test server's password, protects nothing
APP_PASSWORD_REQUIRED = "534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor"
BAD_CREDENTIALS = "535 5.7.8 Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials"

TlsMode = Literal["starttls", "implicit", "none"]


class TestCA:
    """A throwaway CA (trustme) and its PEM file; issues server certificates for loopback names."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self) -> None:
        import trustme

        self._ca = trustme.CA()
        self._dir = tempfile.TemporaryDirectory(prefix="doctor-smtp-ca-")
        self.pem_path = str(Path(self._dir.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.pem_path)

    def server_context(self, *names: str, expired: bool = False) -> ssl.SSLContext:
        """A server-side SSLContext with a certificate for `names` (default localhost, 127.0.0.1)."""
        not_before = not_after = None
        if expired:
            now = datetime.datetime.now(datetime.UTC)
            not_before, not_after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        cert = self._ca.issue_cert(*(names or ("localhost", "127.0.0.1")), not_before=not_before, not_after=not_after)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def close(self) -> None:
        """Remove the PEM file."""
        self._dir.cleanup()

    def __enter__(self) -> TestCA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:<free port>.

    - `tls`: "starttls" (advertises STARTTLS and requires it before anything else), "implicit"
      (TLS from the first byte, port-465 style) or "none" (plain text, STARTTLS never offered).
    - `auth`: offer AUTH (PLAIN, LOGIN). With STARTTLS, AUTH is only offered after the upgrade.
    - `reject`: when set, every login fails with this reply (e.g. the 534 or 535 texts above);
      otherwise only `user`/`password` succeed and anything else gets the 535 text.
    - `cert_names` / `expired`: what the server certificate says (requires `ca`).
    """

    def __init__(
        self,
        ca: TestCA | None = None,
        tls: TlsMode = "starttls",
        auth: bool = True,
        reject: str | None = None,
        user: str = USER,
        password: str = PASSWORD,
        cert_names: tuple[str, ...] = ("localhost", "127.0.0.1"),
        expired: bool = False,
    ) -> None:
        from aiosmtpd.controller import Controller

        if tls != "none" and ca is None:
            raise ValueError("a TLS server needs a TestCA")
        self.handler = _Handler()
        self.user, self.password, self.reject = user, password, reject
        self.attempts: list[str] = []  # login names tried (never passwords)
        context = ca.server_context(*cert_names, expired=expired) if ca is not None and tls != "none" else None
        kwargs: dict[str, Any] = {}
        if auth:
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; an implicit-TLS connection is TLS anyway.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=tls == "starttls")
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        self.port = free_port()
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port,
            ssl_context=context if tls == "implicit" else None, ready_timeout=5.0, **kwargs,
        )

    @property
    def messages(self) -> list[Received]:
        """Every message delivered to this server so far."""
        return self.handler.messages

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode("utf-8", "replace")
        self.attempts.append(login)
        if self.reject is not None:
            return AuthResult(success=False, handled=False, message=self.reject)
        if login == self.user and data.password.decode("utf-8", "replace") == self.password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False, message=BAD_CREDENTIALS)

    def env(self, **overrides: str) -> dict[str, str]:
        """MAIL_* variables that point the app (and the doctor) at this server."""
        implicit = self._controller.ssl_context is not None
        starttls = "tls_context" in self._controller.SMTP_kwargs
        values = {
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_USERNAME": self.user,
            "MAIL_PASSWORD": self.password, "MAIL_FROM": "noreply@chaski.test", "MAIL_FROM_NAME": "Chaski",
            "MAIL_STARTTLS": str(starttls), "MAIL_SSL_TLS": str(implicit),
        }
        values.update(overrides)
        return values

    def start(self) -> SmtpServer:
        """Start serving (returns self)."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TlsAlertServer:
    """Answers every TLS ClientHello with a fatal handshake_failure alert: a TLS setup no client can use."""

    ALERT = b"\x15\x03\x03\x00\x02\x02\x28"  # TLS 1.2 record: alert, fatal, handshake_failure

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    conn.sendall(self.ALERT)
                except OSError:
                    pass

    def __enter__(self) -> TlsAlertServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


# -- pytest fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_ca() -> Iterator[TestCA]:
    """The session's throwaway CA."""
    with TestCA() as ca:
        yield ca


def _serve(**kwargs: Any) -> Iterator[SmtpServer]:
    with SmtpServer(**kwargs) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_starttls(smtp_ca: TestCA) -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH after TLS, accepts USER/PASSWORD: a healthy port-587 server."""
    yield from _serve(ca=smtp_ca, tls="starttls")


@pytest.fixture(scope="session")
def smtp_implicit(smtp_ca: TestCA) -> Iterator[SmtpServer]:
    """Implicit TLS (port-465 style), AUTH, accepts USER/PASSWORD."""
    yield from _serve(ca=smtp_ca, tls="implicit")


@pytest.fixture(scope="session")
def smtp_plain() -> Iterator[SmtpServer]:
    """No TLS at all (STARTTLS never offered), AUTH offered in plain text: a local catcher."""
    yield from _serve(tls="none")


@pytest.fixture(scope="session")
def smtp_plain_noauth() -> Iterator[SmtpServer]:
    """No TLS and no AUTH."""
    yield from _serve(tls="none", auth=False)


@pytest.fixture(scope="session")
def smtp_534(smtp_ca: TestCA) -> Iterator[SmtpServer]:
    """STARTTLS server that answers every login with Gmail's 534 app-password reply."""
    yield from _serve(ca=smtp_ca, tls="starttls", reject=APP_PASSWORD_REQUIRED)


@pytest.fixture(scope="session")
def smtp_wrong_name(smtp_ca: TestCA) -> Iterator[SmtpServer]:
    """STARTTLS server whose certificate is for mail.example.com, not 127.0.0.1."""
    yield from _serve(ca=smtp_ca, tls="starttls", cert_names=("mail.example.com",))


@pytest.fixture(scope="session")
def smtp_expired(smtp_ca: TestCA) -> Iterator[SmtpServer]:
    """Implicit-TLS server whose certificate expired yesterday."""
    yield from _serve(ca=smtp_ca, tls="implicit", expired=True)

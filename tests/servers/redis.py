"""Real redis-server processes on free loopback ports, for the redis check's live tests.

`RedisServer(...)` is a context manager: it starts `redis-server` (no persistence, bound to
127.0.0.1), waits until it answers PING and kills it on exit. Options cover what the tests need:
a password (`requirepass`), a small `maxmemory` with a policy, a small `maxclients`, commands
renamed on the command line (`rename_commands`, as managed Redis hides CLIENT or CONFIG), and TLS
with a certificate from a throwaway CA (`TlsFiles`, made with trustme). `held()` keeps real
clients connected and idle, named with CLIENT SETNAME. The pytest fixtures at the bottom wrap it;
benchmarks can use the classes directly.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port, require_binary


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS redis-server: the CA that signed the server certificate, and the
    server's certificate chain and key. `ca` is what a client must trust (e.g. SSL_CERT_FILE)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def create(cls, directory: Path) -> TlsFiles:
        """A fresh CA and a certificate for 127.0.0.1, 127.0.0.2 and localhost, under `directory`."""
        import trustme

        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1", "127.0.0.2", "localhost")
        files = cls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
        authority.cert_pem.write_to_path(str(files.ca))
        issued.private_key_pem.write_to_path(str(files.key))
        with files.cert.open("wb") as out:
            for blob in issued.cert_chain_pems:
                out.write(blob.bytes())
        return files


class RedisServer:
    """One redis-server process on 127.0.0.1:<free port>, started on enter, killed on exit.

    `also_bind` adds a second loopback address (e.g. 127.0.0.2): a host the check does not treat
    as "this machine", for testing production rules against a real server.
    """

    def __init__(self, binary: str = "redis-server", *, password: str | None = None,
                 maxmemory: str | None = None, policy: str | None = None, maxclients: int | None = None,
                 tls: TlsFiles | None = None, also_bind: str | None = None, startup_timeout: float = 10.0,
                 rename_commands: Mapping[str, str] | None = None) -> None:
        self.binary = binary
        self.password = password
        self.tls = tls
        self.port = free_port()
        self._startup_timeout = startup_timeout
        self._workdir = Path(tempfile.mkdtemp(prefix="doctor-redis-"))
        self._process: subprocess.Popen[bytes] | None = None
        binds = ["127.0.0.1", also_bind] if also_bind else ["127.0.0.1"]
        args = [binary, "--bind", *binds, "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", str(self._workdir), "--logfile", str(self._workdir / "redis.log")]
        if tls:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(tls.cert),
                     "--tls-key-file", str(tls.key), "--tls-ca-cert-file", str(tls.ca), "--tls-auth-clients", "no"]
        else:
            args += ["--port", str(self.port)]
        if password:
            args += ["--requirepass", password]
        if maxmemory:
            args += ["--maxmemory", maxmemory]
        if policy:
            args += ["--maxmemory-policy", policy]
        if maxclients is not None:
            args += ["--maxclients", str(maxclients)]
        for command, new_name in (rename_commands or {}).items():  # "" removes the command
            args += ["--rename-command", command, new_name]
        self.args = args

    def url(self, *, password: str | None = None, db: int = 0, scheme: str | None = None,
            host: str = "127.0.0.1") -> str:
        """A REDIS_URL for this server (its own password unless another is given; "" for none)."""
        secret = self.password if password is None else password
        userinfo = f":{secret}@" if secret else ""
        return f"{scheme or ('rediss' if self.tls else 'redis')}://{userinfo}{host}:{self.port}/{db}"

    def client(self, **kwargs: object):  # noqa: ANN201 - redis.Redis, imported lazily
        """A synchronous redis-py client for arranging state from a test (not the code under test)."""
        import redis

        options: dict[str, object] = {"host": "127.0.0.1", "port": self.port, "password": self.password,
                                      "socket_timeout": 5, "socket_connect_timeout": 5}
        if self.tls:
            options.update(ssl=True, ssl_ca_certs=str(self.tls.ca))
        options.update(kwargs)
        return redis.Redis(**options)

    @contextmanager
    def held(self, count: int, name: str = "", setname: str = "CLIENT") -> Iterator[list]:
        """`count` real clients connected and left idle, closed on exit; each named `name` with
        `<setname> SETNAME` (pass the new name when CLIENT is renamed on this server)."""
        clients: list = []
        try:
            for _ in range(count):
                client = self.client(single_connection_client=True)
                client.ping()
                if name:
                    assert client.execute_command(setname, "SETNAME", name) in (b"OK", "OK", True)
                clients.append(client)
            yield clients
        finally:
            for client in clients:
                client.close()

    def _answers(self) -> bool:
        """True when the server replies to a raw PING (NOAUTH counts: it is up)."""
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=1)
        except OSError:
            return False
        try:
            sock: socket.socket = raw
            if self.tls:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                sock = context.wrap_socket(raw)
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
            return reply.startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False
        finally:
            raw.close()

    def start(self) -> RedisServer:
        """Start the process and wait until it answers PING."""
        self._process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self._answers():
                return self
            time.sleep(0.05)
        log = self._workdir / "redis.log"
        text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}: {text}")

    def stop(self) -> None:
        """Kill the process and remove its working directory."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- pytest fixtures ---------------------------------------------------------------------------
REDIS_PASSWORD = "Tq7vRm2xKp9wLs4nBz6c"


@pytest.fixture(scope="session")
def redis_binary() -> str:
    """Path of redis-server (skips locally when missing, fails under CI=true)."""
    return require_binary("redis-server")


@pytest.fixture(scope="session")
def redis_auth(redis_binary: str) -> Iterator[RedisServer]:
    """A plain redis-server with `requirepass REDIS_PASSWORD`, also on 127.0.0.2."""
    with RedisServer(redis_binary, password=REDIS_PASSWORD, also_bind="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="session")
def redis_tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA and a server certificate for 127.0.0.1."""
    return TlsFiles.create(tmp_path_factory.mktemp("redis-tls"))


@pytest.fixture(scope="session")
def redis_tls(redis_binary: str, redis_tls_files: TlsFiles) -> Iterator[RedisServer]:
    """A TLS-only redis-server (no plain port) with `requirepass REDIS_PASSWORD`, also on 127.0.0.2."""
    with RedisServer(redis_binary, password=REDIS_PASSWORD, tls=redis_tls_files, also_bind="127.0.0.2") as server:
        yield server


@pytest.fixture
def redis_small_memory(redis_binary: str) -> Iterator[RedisServer]:
    """A redis-server with maxmemory 4 MB and `noeviction` (each test fills it as it needs)."""
    with RedisServer(redis_binary, maxmemory="4mb", policy="noeviction") as server:
        yield server


@pytest.fixture
def redis_small_clients(redis_binary: str) -> Iterator[RedisServer]:
    """A redis-server accepting at most 10 clients, also on 127.0.0.2."""
    with RedisServer(redis_binary, maxclients=10, also_bind="127.0.0.2") as server:
        yield server


HIDDEN_CLIENT = "doctor-test-client-7Hq"  # what CLIENT is renamed to on `redis_client_hidden`


@pytest.fixture
def redis_client_hidden(redis_binary: str) -> Iterator[RedisServer]:
    """A redis-server accepting at most 10 clients whose CLIENT command is renamed (to
    HIDDEN_CLIENT) on the command line, as managed Redis hides it: CLIENT LIST is unknown."""
    with RedisServer(redis_binary, maxclients=10, rename_commands={"CLIENT": HIDDEN_CLIENT}) as server:
        yield server


@pytest.fixture
def redis_allkeys(redis_binary: str) -> Iterator[RedisServer]:
    """A redis-server started with maxmemory 4 MB and `--maxmemory-policy allkeys-lru`, also on 127.0.0.2."""
    with RedisServer(redis_binary, maxmemory="4mb", policy="allkeys-lru", also_bind="127.0.0.2") as server:
        yield server


@pytest.fixture
def redis_volatile(redis_binary: str) -> Iterator[RedisServer]:
    """A redis-server started with maxmemory 4 MB and `--maxmemory-policy volatile-lru`."""
    with RedisServer(redis_binary, maxmemory="4mb", policy="volatile-lru") as server:
        yield server

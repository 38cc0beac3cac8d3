"""A throwaway PostgreSQL cluster on loopback for the postgres check's tests (and benchmarks).

`PostgresCluster` runs `initdb` + `pg_ctl start` in a temporary directory and stops and removes
everything on exit. It listens on several loopback addresses, each with its own pg_hba rule, so
and writes its own pg_hba.conf. The default rules:

- database `chaski_trust` from 127.0.0.1: `trust`, so an unknown role gets
  `role "x" does not exist` instead of scram's "password authentication failed";
- everything else from 127.0.0.1: scram-sha-256.

`PostgresCluster(..., hba=SSL_ONLY_HBA)` makes a server that admits only `hostssl` while SSL is
off: every TCP client gets `no pg_hba.conf entry for host … no encryption`, which is what a
server that requires TLS answers to a client with sslmode=disable.

PostgreSQL refuses to run as root: when the tests run as root, the cluster runs as an
unprivileged system user (`postgres` when present, else a `chaskitest` user created on demand,
else `nobody`) through `runuser`, and owns its data and socket directories.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers import free_port, require_binary

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "Pg-admin-5up3r-pw"  # noqa: S105 - a throwaway cluster's password
APP_USER = "chaski"
APP_PASSWORD = "Zx8vQp2Lm9RtYw4Kc7Nb"  # noqa: S105
LIMITED_USER = "limited"
LIMITED_PASSWORD = "L1m1ted-pw-7788"  # noqa: S105
APP_DB = "chaski_dev"

TRUST_DB = "chaski_trust"
HOST = "127.0.0.1"

DEFAULT_HBA = (
    "local all all scram-sha-256\n"
    f"host {TRUST_DB} all {HOST}/32 trust\n"
    f"host all all {HOST}/32 scram-sha-256\n"
)
SSL_ONLY_HBA = f"local all all scram-sha-256\nhostssl all all {HOST}/32 scram-sha-256\n"

_PG_BINDIR_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/14/bin")


def _run_as() -> str | None:
    """The system user to run the server as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "chaskitest"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    created = subprocess.run(["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", "chaskitest"],
                             capture_output=True, check=False)
    return "chaskitest" if created.returncode == 0 else "nobody"


class PostgresCluster:
    """A temporary PostgreSQL cluster; use as a context manager.

    `initdb` and `pg_ctl` are paths to the binaries; `settings` are extra `-c name=value` server
    settings.
    """

    def __init__(self, initdb: str, pg_ctl: str, *, max_connections: int = 10,
                 superuser_reserved_connections: int = 3, hba: str = DEFAULT_HBA,
                 settings: dict[str, str] | None = None) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.port = free_port()
        self.max_connections = max_connections
        self.superuser_reserved_connections = superuser_reserved_connections
        self.hba = hba
        self.settings = dict(settings or {})
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="chaski-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "server.log"
        self.started = False

    # -- running ---------------------------------------------------------------------------
    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=120, check=False,
                                cwd=self.root)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr[-2000:]}\n{log}")

    def start(self) -> PostgresCluster:
        """initdb, write pg_hba.conf, start the server and create the test roles and database."""
        self.sockets.mkdir()
        pwfile = self.root / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD + "\n")
        if self.user:
            self.root.chmod(0o755)
            shutil.chown(self.root, self.user)
            shutil.chown(self.sockets, self.user)
            shutil.chown(pwfile, self.user)
        self._run(self.initdb, "-D", str(self.data), "--auth=scram-sha-256", "-U", SUPERUSER,
                  f"--pwfile={pwfile}", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C")
        pwfile.unlink()
        (self.data / "pg_hba.conf").write_text(self.hba)
        options = {
            "port": str(self.port),
            "unix_socket_directories": str(self.sockets),
            "listen_addresses": HOST,
            "max_connections": str(self.max_connections),
            "superuser_reserved_connections": str(self.superuser_reserved_connections),
            "fsync": "off",
            "ssl": "off",
            **self.settings,
        }
        opts = " ".join(f"-c {name}={value}" for name, value in options.items())
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")
        self.started = True
        if self.hba != DEFAULT_HBA:
            return self  # a special-purpose server: no TCP login for the superuser, nothing to create
        self.execute(
            f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'",
            f"CREATE ROLE {LIMITED_USER} LOGIN PASSWORD '{LIMITED_PASSWORD}' CONNECTION LIMIT 2",
            f"CREATE DATABASE {APP_DB} OWNER {APP_USER}",
            f"CREATE DATABASE {TRUST_DB}",
        )
        return self

    def stop(self) -> None:
        """Stop the server at once and remove every file it had."""
        try:
            if self.started:
                subprocess.run(self._command(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                               capture_output=True, timeout=60, check=False)
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to it ---------------------------------------------------------------------
    def url(self, user: str = APP_USER, password: str | None = APP_PASSWORD, database: str = APP_DB,
            host: str = HOST, scheme: str = "postgresql", **params: str) -> str:
        """A DATABASE_URL for this cluster; `params` become the query string."""
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "")
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{scheme}://{auth}@{host}:{self.port}/{database}" + (f"?{query}" if query else "")

    @property
    def admin_url(self) -> str:
        """The superuser's URL (database `postgres`)."""
        return self.url(SUPERUSER, SUPERUSER_PASSWORD, "postgres")

    def execute(self, *statements: str) -> None:
        """Run statements as the superuser, each in autocommit."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    @contextmanager
    def hold(self, count: int, url: str | None = None) -> Iterator[list[Any]]:
        """Hold `count` open connections (as the app user by default) for the block."""
        import psycopg

        conns: list[Any] = []
        try:
            for _ in range(count):
                conns.append(psycopg.connect(url or self.url(), connect_timeout=10))
            yield conns
        finally:
            for conn in conns:
                conn.close()

    @contextmanager
    def held(self) -> Iterator[HeldSessions]:
        """Sessions held open for the block (see HeldSessions); all cancelled and closed after it."""
        sessions = HeldSessions(self)
        try:
            yield sessions
        finally:
            sessions.close()


class HeldSessions:
    """Named sessions a test holds on a cluster: idle, idle in transaction, or busy in a thread."""

    def __init__(self, cluster: PostgresCluster) -> None:
        self.cluster = cluster
        self.conns: list[Any] = []
        self.busy: list[tuple[Any, threading.Thread]] = []

    def open(self, app: str, *statements: str, transaction: bool = False, url: str | None = None) -> Any:
        """A session with application_name `app` that ran `statements` (left idle in transaction if asked)."""
        import psycopg

        conn = psycopg.connect(url or self.cluster.url(), application_name=app, autocommit=not transaction,
                               connect_timeout=10)
        self.conns.append(conn)
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]
        return conn

    def start(self, app: str, statement: str, waits_on: str | None = None) -> Any:
        """A session running `statement` in a thread until it ends or is cancelled; returns once it runs
        (and, with `waits_on`, once it waits on that wait_event_type, e.g. `Lock`)."""
        conn = self.open(app)
        thread = threading.Thread(target=_quietly, args=(conn, statement), daemon=True)
        thread.start()
        self.busy.append((conn, thread))
        self.wait_until(conn.info.backend_pid, "active", waits_on)
        return conn

    def wait_until(self, pid: int, state: str, wait_event_type: str | None = None, timeout: float = 10) -> None:
        """Poll pg_stat_activity (as the superuser) until session `pid` is in `state` (and waits on that)."""
        import psycopg

        with psycopg.connect(self.cluster.admin_url, autocommit=True, connect_timeout=10) as admin:
            ends = time.monotonic() + timeout
            while time.monotonic() < ends:
                row = admin.execute("SELECT state, wait_event_type FROM pg_stat_activity WHERE pid = %s",
                                    (pid,)).fetchone()
                if row and row[0] == state and (wait_event_type is None or row[1] == wait_event_type):
                    return
                time.sleep(0.02)
        raise AssertionError(f"session {pid} never reached {state} ({wait_event_type})")

    def close(self) -> None:
        """Cancel what still runs, close every session (the server rolls back what is open) and wait
        until the server has let them all go, so the next test counts only its own."""
        pids = [conn.info.backend_pid for conn in self.conns if not conn.closed]
        for conn, _thread in self.busy:
            with suppress(Exception):
                conn.cancel_safe(timeout=5)
        busy = [conn for conn, _ in self.busy]
        for conn in reversed(self.conns):
            if all(conn is not other for other in busy):
                with suppress(Exception):
                    conn.close()  # a lock holder first: what waits on it can finish
        for conn, thread in self.busy:
            thread.join(10)
            with suppress(Exception):
                conn.close()
        import psycopg

        with psycopg.connect(self.cluster.admin_url, autocommit=True, connect_timeout=10) as admin:
            ends = time.monotonic() + 10
            while time.monotonic() < ends and admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0]:
                time.sleep(0.02)


def _quietly(conn: Any, statement: str) -> None:
    with suppress(Exception):  # cancelled at the end of the test
        conn.execute(statement)


def cluster_binaries() -> tuple[str, str]:
    """Paths of initdb and pg_ctl; skips locally and fails under CI=true when missing."""
    initdb = require_binary("initdb", *(f"{d}/initdb" for d in _PG_BINDIR_CANDIDATES))
    pg_ctl = require_binary("pg_ctl", *(f"{d}/pg_ctl" for d in _PG_BINDIR_CANDIDATES))
    return initdb, pg_ctl


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole test session (max_connections=10, 3 reserved)."""
    initdb, pg_ctl = cluster_binaries()
    with PostgresCluster(initdb, pg_ctl) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def postgres_ssl_only_cluster() -> Iterator[PostgresCluster]:
    """A second cluster, SSL off, whose pg_hba.conf admits only hostssl connections."""
    initdb, pg_ctl = cluster_binaries()
    with PostgresCluster(initdb, pg_ctl, hba=SSL_ONLY_HBA) as cluster:
        yield cluster

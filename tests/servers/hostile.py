"""Hostile loopback peers, and a way to measure one doctor run against them.

`HostileHTTP(mode)` answers every request on every path the same hostile way:
- `trickle`: status line, headers and body one byte every `TRICKLE_S` (0.2 s);
- `huge`: HTTP 200 announcing and streaming a 2 GB body of spaces (generated lazily, never held);
- `endless`: HTTP 200, chunked, spaces forever (no Content-Length to refuse it by);
- `html`: HTTP 200 with a captive portal's HTML page;
- `other_json`: HTTP 200 with JSON of another shape.

`HugeRedis()` is a tiny RESP server: PING, AUTH, SELECT, CLIENT … and HELLO (a RESP3 map) get a
short answer, INFO a bulk string announced as 500 MB whose spaces are streamed lazily.

`measure(command, env)` runs one doctor process and reports its wall time, its own peak RSS (its
VmHWM sampled while it runs, so neither another child of the test process nor the forked image
counts) and, with `interrupt_after`, how long it took to exit after SIGINT (None when it had ended
before the signal was due). Used by
tests/test_hostile_peers.py and benchmarks/hostile_peers.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

TRICKLE_S = 0.2
HUGE_BYTES = 2 * 2**30
REDIS_INFO_BYTES = 500 * 2**20
MODES = ("trickle", "huge", "endless", "html", "other_json")
_SPACES = b" " * 65536
PORTAL = (b"<!doctype html><html><head><title>Hotel Wi-Fi</title></head>"
          b"<body><h1>Welcome</h1><p>Accept the terms to continue.</p></body></html>")


class _Peer:
    """A TCP listener on 127.0.0.1 that hands each connection to `serve` in a daemon thread."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.stopped = threading.Event()
        self.connections = 0

    @property
    def port(self) -> int:
        """The listening port."""
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    def serve(self, conn: socket.socket) -> None:
        """Talk to one client (subclasses)."""
        raise NotImplementedError

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            self.serve(conn)

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def __enter__(self) -> _Peer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self._sock.close()


def _read_request(conn: socket.socket) -> None:
    """Read one request's head and body (by Content-Length), discarding them."""
    conn.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk


class HostileHTTP(_Peer):
    """An HTTP/1.1 peer answering every request in one hostile `mode` (see the module docstring)."""

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        super().__init__()
        self.mode = mode

    def _head(self, content_type: str, length: int | None) -> bytes:
        size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
        return (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{size}\r\nConnection: close\r\n\r\n").encode()

    def serve(self, conn: socket.socket) -> None:
        """One request, one hostile answer."""
        _read_request(conn)
        if self.mode == "trickle":
            answer = self._head("application/json", 2**20) + b" " * 2**20
            for i in range(len(answer)):
                if self.stopped.wait(TRICKLE_S):
                    return
                conn.sendall(answer[i : i + 1])
        elif self.mode == "huge":
            conn.sendall(self._head("application/json", HUGE_BYTES))
            self._spaces(conn, lambda chunk: chunk, HUGE_BYTES)
        elif self.mode == "endless":
            conn.sendall(self._head("application/json", None))
            self._spaces(conn, lambda chunk: b"%x\r\n%s\r\n" % (len(chunk), chunk), None)
        else:
            body = PORTAL if self.mode == "html" else b'{"hello": "world", "items": [1, 2, 3]}'
            kind = "text/html; charset=utf-8" if self.mode == "html" else "application/json"
            conn.sendall(self._head(kind, len(body)) + body)

    def _spaces(self, conn: socket.socket, frame: Callable[[bytes], bytes], total: int | None) -> None:
        sent = 0
        while not self.stopped.is_set() and (total is None or sent < total):
            conn.sendall(frame(_SPACES))
            sent += len(_SPACES)


class HugeRedis(_Peer):
    """A RESP peer whose INFO answer is announced as `REDIS_INFO_BYTES` and streamed lazily."""

    def serve(self, conn: socket.socket) -> None:
        """Answer commands until the client goes away."""
        conn.settimeout(30)
        reader = conn.makefile("rb")
        while not self.stopped.is_set():
            command = _read_command(reader)
            if command is None:
                return
            name = command[0].upper() if command else b""
            if name == b"PING":
                conn.sendall(b"+PONG\r\n")
            elif name == b"INFO":
                conn.sendall(b"$%d\r\n" % REDIS_INFO_BYTES)
                sent = 0
                while sent < REDIS_INFO_BYTES and not self.stopped.is_set():
                    conn.sendall(_SPACES)
                    sent += len(_SPACES)
                conn.sendall(b"\r\n")
            elif name == b"HELLO":  # redis-py 8 speaks RESP3 by default: a short server map
                conn.sendall(b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n")
            else:  # AUTH, SELECT, CLIENT SETINFO/SETNAME, …
                conn.sendall(b"+OK\r\n")


def _read_command(reader: BinaryIO) -> list[bytes] | None:
    """One RESP array of bulk strings (what redis-py sends), or None at end of stream."""
    line = reader.readline()
    if not line.startswith(b"*"):
        return None
    items = []
    for _ in range(int(line[1:])):
        size = int(reader.readline()[1:])
        items.append(reader.read(size + 2)[:-2])
    return items


def _running_after(pid: int, when: float) -> bool:
    """Wait until `when` (time.monotonic()); True when `pid` is still running then (it is not reaped)."""
    while time.monotonic() < when:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return False
        time.sleep(0.01)
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


@dataclass
class Measured:
    """One doctor run: exit code, output, wall seconds, peak RSS (MB), seconds from SIGINT to exit."""

    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mb: float
    exit_after_signal_s: float | None


def measure(command: Sequence[str], env: dict[str, str], cwd: str, *, interrupt_after: float | None = None,
            kill_after: float = 120) -> Measured:
    """Run `command` to its end (killed after `kill_after` s) and measure it; SIGINT after `interrupt_after`."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.monotonic()
        proc = subprocess.Popen(list(command), stdout=out, stderr=err, env=env, cwd=cwd, text=True)
        killer = threading.Timer(kill_after, proc.kill)
        killer.start()
        signalled = None
        if interrupt_after is not None and _running_after(proc.pid, began + interrupt_after):
            signalled = time.monotonic()
            os.kill(proc.pid, signal.SIGINT)
        peak = _PeakSampler(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.monotonic()
        killer.cancel()
        peak.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        rss_mb = peak.kib / 1024 if peak.kib else usage.ru_maxrss / 1024
        return Measured(proc.returncode, out.read(), err.read(), ended - began, rss_mb,
                        ended - signalled if signalled is not None else None)


class _PeakSampler:
    """The child's own peak RSS: VmHWM of its exec'd image, read every 10 ms while it runs.

    `wait4`'s ru_maxrss cannot be used: Linux folds the RSS of the image a child replaced at exec
    (a fork or vfork of this test process, hundreds of MB late in a suite) into it.
    """

    def __init__(self, pid: int) -> None:
        self.kib = 0
        self._path = f"/proc/{pid}/status"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                with open(self._path) as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.kib = max(self.kib, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                pass
            self._done.wait(0.01)

    def stop(self) -> None:
        """Stop sampling (the child has been reaped)."""
        self._done.set()
        self._thread.join(1)

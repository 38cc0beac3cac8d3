"""Ctrl-C, SIGTERM, SIGHUP and the deadline end the run at once, whatever a worker thread is doing.

The peer is a real loopback socket that accepts and never answers, used as the S3 endpoint: boto3
then blocks in its worker thread for as long as its read timeout (here 20 s)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from doctor.threads import run_blocking, run_loop
from tests.helpers import clean_environ
from tests.servers.http import SilentListener

S3 = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "AWS_REGION": "us-east-1", "AWS_S3_BUCKET": "chaski-dev-proofs", "ENVIRONMENT": "development"}


def start(tmp_path: Path, listener: SilentListener, *args: str) -> subprocess.Popen[str]:
    env = clean_environ(**S3, AWS_ENDPOINT_URL=listener.url)
    return subprocess.Popen([sys.executable, "-m", "doctor", "--only", "s3", "--format", "json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_run_at_once_with_the_report(tmp_path: Path, signum: int) -> None:
    with SilentListener() as listener:
        proc = start(tmp_path, listener, "--timeout", "20")
        time.sleep(2.5)  # the s3 check is now blocked reading from the silent peer
        sent = time.monotonic()
        os.kill(proc.pid, signum)
        out, err = proc.communicate(timeout=30)
        waited = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert waited < 5, f"exited {waited:.1f} s after the signal, with a 20 s read timeout pending"
    data = json.loads(out)
    assert data["exit_code"] == 130
    assert {c["id"]: c["status"] for c in data["checks"]}["s3"] != "passed"
    assert "Traceback" not in err


def test_the_deadline_ends_the_run_though_a_worker_thread_still_waits(tmp_path: Path) -> None:
    with SilentListener() as listener:
        began = time.monotonic()
        proc = start(tmp_path, listener, "--timeout", "20", "--deadline", "2")
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - began
    assert took < 10, f"a 2 s deadline took {took:.1f} s"
    data = json.loads(out)
    assert {c["id"]: c["status"] for c in data["checks"]}["s3"] == "timed_out"
    assert proc.returncode == 1 and "Traceback" not in err


def test_a_cancelled_blocking_call_is_abandoned_not_joined() -> None:
    release = threading.Event()

    async def main() -> str:
        task = asyncio.ensure_future(run_blocking(release.wait, 30))
        await asyncio.sleep(0.1)
        task.cancel()
        return "done"

    began = time.monotonic()
    assert run_loop(main()) == "done"
    assert time.monotonic() - began < 2
    waiting = [t for t in threading.enumerate() if t.name.startswith("doctor-") and t.is_alive()]
    assert waiting and all(t.daemon for t in waiting)  # still blocked, and never in the way of exit
    release.set()


def test_results_and_errors_come_back_from_the_thread() -> None:
    async def main() -> tuple[int, str]:
        value = await run_blocking(sum, [1, 2, 3])
        try:
            await run_blocking(int, "x")
        except ValueError as exc:
            return value, type(exc).__name__
        return value, ""

    assert run_loop(main()) == (6, "ValueError")

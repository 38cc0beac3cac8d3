"""Git, run so that a hostile repository cannot make it execute anything, and never past a deadline.

A repository's own `.git/config` may name programs git runs on its behalf: an fsmonitor hook,
hooks, an external diff, a pager, textconv and clean/smudge filters, gpg for signatures, ssh for
a lazy fetch. Every command here overrides those on the command line (which wins over every
config file), ignores the system config, passes flags that turn the rest off, uses no transport
at all (`protocol.allow=never`: the check opens no connection), and never runs a command that
hashes work-tree content (that is where filters run). Each process is killed at the deadline.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import IO

from checks.common import GIT_HARDENING as HARDENING
from checks.common import git_environment as environment


class GitError(Exception):
    """Git is missing, refused the repository, failed, or ran past the deadline (message safe to show)."""


class Git:
    """Runs hardened git commands in one work tree, each bounded by the shared `deadline` (monotonic)."""

    def __init__(self, directory: Path, deadline: float) -> None:
        self.directory = directory
        self.deadline = deadline
        self._env = environment()
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def command(self, *args: str) -> list[str]:
        """The full argv for `git args…` in this directory."""
        return ["git", "-C", str(self.directory), *HARDENING, *args]

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def run(self, *args: str, ok: tuple[int, ...] = (0,), input: bytes | None = None) -> bytes:
        """Standard output of `git args…` (fed `input`); GitError when it exits otherwise or the deadline comes."""
        if self.remaining() <= 0:
            raise GitError("the check's time ran out")
        try:
            stdin = {} if input is not None else {"stdin": subprocess.DEVNULL}
            done = subprocess.run(self.command(*args), input=input, capture_output=True, env=self._env,
                                  timeout=self.remaining(), **stdin)
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"`git {args[0]}` did not finish in time") from None
        except OSError as exc:
            raise GitError(f"git could not be started ({type(exc).__name__})") from None
        if done.returncode not in ok:
            raise GitError(describe_failure(args[0], done.stderr))
        return done.stdout

    def start(self, *args: str, stdin: int | IO[bytes] | None = subprocess.DEVNULL,
              stdout: int | IO[bytes] = subprocess.PIPE) -> subprocess.Popen[bytes]:
        """A streaming `git args…` (stdout piped, or to a file); killed at the deadline or by `stop()`."""
        try:
            process = subprocess.Popen(self.command(*args), stdin=stdin, stdout=stdout,
                                       stderr=subprocess.DEVNULL, env=self._env, bufsize=1 << 20)
        except FileNotFoundError:
            raise GitError("git is not installed") from None
        except OSError as exc:
            raise GitError(f"git could not be started ({type(exc).__name__})") from None
        with self._lock:
            self._live.add(process)
        timer = threading.Timer(self.remaining(), self._kill, (process,))
        timer.daemon = True
        timer.start()
        return process

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.kill()

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """Kill (if still running) and reap a process from `start`."""
        self._kill(process)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        process.wait()
        with self._lock:
            self._live.discard(process)

    def stop_all(self) -> None:
        """Kill every process still running (the check ends or its time ran out)."""
        with self._lock:
            live = list(self._live)
        for process in live:
            self.stop(process)


def describe_failure(command: str, stderr: bytes) -> str:
    """Why git refused, in words safe to show (git's message names paths, never a file's content)."""
    text = stderr.decode("utf-8", "replace")
    if "dubious ownership" in text:
        return "git refuses the repository: it belongs to another user (git's safe.directory)"
    if "not a git repository" in text:
        return "not inside a git work tree"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "no message")
    return f"`git {command}` failed: {first[:200]}"


def work_tree(path: Path, deadline: float) -> Git:
    """A Git for the top of the work tree holding `path`; GitError (the skip reason) when there is none."""
    if not path.is_dir():
        raise GitError(f"{path} is not a directory")
    probe = Git(path, deadline)
    if probe.run("rev-parse", "--is-bare-repository").strip() == b"true":
        raise GitError(f"{path} is a bare repository: no work tree to examine")
    top = probe.run("rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    if not top:
        raise GitError(f"{path} is inside a .git directory, not a work tree")
    return Git(Path(top), deadline)

"""Git hygiene for dotenv files: a `.env` in a checkout must be ignored and never tracked.

Runs `git` as a subprocess with a timeout, hardened so that the folder's own `.git/config` (a
customer's bundle, say) executes nothing; when git is absent, slow, or the file is not in a work
tree, there is simply no finding.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from checks.common import GIT_HARDENING, git_environment
from doctor import Finding, Fix, Severity
from doctor.config import is_secret_name
from doctor.dotenv import DotenvFile

# Files meant to be committed: templates with placeholder values.
_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults")
# Copies editors and `sed -i.bak`-style commands leave beside the file, secrets and all.
_BACKUP_SUFFIXES = (".bak", ".backup", ".orig", ".old", ".save", "~")


async def _git(directory: Path, timeout: float, *args: str) -> int | None:
    """Exit status of `git -C directory args…`, or None when git is missing or too slow.

    Under the concurrent runner git runs as an asyncio subprocess, so the other checks' network
    waits go on meanwhile; in an inline (`--offline`) run, where no loop runs and asyncio is not
    even imported, it runs as a plain subprocess with the same timeout.
    """
    command = ("git", "-C", str(directory), *GIT_HARDENING, *args)  # the folder's .git/config runs nothing
    asyncio = sys.modules.get("asyncio")
    loop_running = False
    if asyncio is not None:
        try:
            asyncio.get_running_loop()
            loop_running = True
        except RuntimeError:
            pass
    if not loop_running:
        return _git_blocking(command, timeout)
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL, env=git_environment(),
        )
    except OSError:
        return None
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


def _git_blocking(command: tuple[str, ...], timeout: float) -> int | None:
    """The exit status, waiting on a pidfd where Linux has one (Popen.wait(timeout) polls in sleeps)."""
    import select
    import subprocess

    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, env=git_environment())
    except OSError:
        return None
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        if pidfd is not None:
            ready, _, _ = select.select([pidfd], [], [], timeout)
            if ready:
                return process.wait()
        else:
            return process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if pidfd is not None:
            os.close(pidfd)
    process.kill()
    process.wait()
    return None


async def git_findings(parsed: DotenvFile, timeout: float) -> list[Finding]:
    """`dotenv.tracked_by_git` or `dotenv.not_gitignored` for a file inside a git work tree."""
    path = Path(parsed.path)
    if not path.is_file() or path.name.lower().endswith(_TEMPLATE_SUFFIXES):
        return []
    directory, name = path.resolve().parent, path.name
    # ls-files answers 0 tracked, 1 untracked in a work tree, 128 no work tree (or no git at all)
    tracked = await _git(directory, timeout, "ls-files", "--error-unmatch", "--", name)
    if tracked not in (0, 1):
        return []
    secrets = tuple(dict.fromkeys(b.key for b in parsed.assignments if b.key and is_secret_name(b.key)))
    ignore_file = shlex.quote(str(Path(parsed.path).parent / ".gitignore"))
    if tracked == 0:
        return [Finding(
            "dotenv.tracked_by_git", Severity.ERROR,
            f"{parsed.path} is tracked by git: the secrets in it are in the repository's history",
            f"{parsed.path}:1 onwards is committed, so everyone with a clone (and every fork or CI cache) has "
            "its values. Untracking the file now does not remove it from past commits.",
            Fix("Stop tracking the file, git-ignore it, and rotate every secret it has ever held (SECRET_KEY "
                "rotation logs users out; ENCRYPTION_KEY needs the re-encryption procedure).",
                (f"git rm --cached -- {shlex.quote(parsed.path)}", f"echo {shlex.quote(name)} >> {ignore_file}",
                 "git commit -m 'Stop tracking the .env file'")),
            vars=secrets,
        )]
    if await _git(directory, timeout, "check-ignore", "-q", "--", name) == 1:
        return [Finding(
            "dotenv.not_gitignored", Severity.WARNING,
            f"{parsed.path} is not git-ignored: a `git add .` would commit its secrets",
            f"{parsed.path}:1 sits in a git checkout and no .gitignore rule covers it.",
            Fix("Add it to .gitignore.", (f"echo {shlex.quote(name)} >> {ignore_file}",)),
            vars=secrets,
        )]
    return []


async def backup_findings(parsed: DotenvFile, timeout: float) -> list[Finding]:
    """`dotenv.backup_copy`: a copy beside the file (`.env.bak`, `.env~` …) that git tracks or would commit."""
    path = Path(parsed.path)
    if not path.is_file() or path.name.lower().endswith(_TEMPLATE_SUFFIXES):
        return []
    directory = path.resolve().parent
    secrets = tuple(dict.fromkeys(b.key for b in parsed.assignments if b.key and is_secret_name(b.key)))
    findings: list[Finding] = []
    for suffix in _BACKUP_SUFFIXES:
        copy = path.name + suffix
        if not (directory / copy).is_file():
            continue
        shown = shlex.quote(str(path.parent / copy))
        tracked = await _git(directory, timeout, "ls-files", "--error-unmatch", "--", copy)
        if tracked == 0:
            findings.append(Finding(
                "dotenv.backup_copy", Severity.ERROR,
                f"{path.parent / copy} is tracked by git: a copy of {parsed.path}'s secrets is in the history",
                "A backup of the .env file (an editor's, or a `sed -i.bak` one) was committed; everyone with a "
                "clone has its values, and deleting it now does not remove it from past commits.",
                Fix("Remove it from git and disk, then rotate every secret it held (SECRET_KEY rotation logs users "
                    "out; ENCRYPTION_KEY needs the re-encryption procedure).",
                    (f"git rm -- {shown}", "git commit -m 'Remove a copy of the .env file'")),
                vars=secrets))
        elif tracked == 1 and await _git(directory, timeout, "check-ignore", "-q", "--", copy) == 1:
            findings.append(Finding(
                "dotenv.backup_copy", Severity.WARNING,
                f"{path.parent / copy} is not git-ignored: a `git add .` would commit a copy of the secrets",
                f"It is a copy of {parsed.path} (an editor's backup, or one a `sed -i.bak` left) and no .gitignore "
                "rule covers it; the app never reads it.",
                Fix("Delete the copy once you have checked it holds nothing you still need.", (f"rm -- {shown}",)),
                vars=secrets))
    return findings

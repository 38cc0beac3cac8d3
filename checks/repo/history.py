"""Where and since when: the commit that introduced a blob, what HEAD holds, dotenv files ever committed.

All from `git log --raw` and `git ls-tree`, which compare trees and never read a file's content
through a filter, textconv or external diff (checks/repo/git.py hardens the rest).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass

from checks.repo.const import TEMPLATE_WORDS
from checks.repo.git import Git, GitError

_LOG = ("log", "--all", "--no-renames", "--raw", "--no-abbrev", "-z", "--root", "--no-textconv", "--no-ext-diff",
        "--diff-merges=first-parent", "--no-color", "--format=%x01%H %ct")
_DOTENV_PATHSPECS = (":(glob,icase)**/.env", ":(glob,icase)**/.env.*", ":(glob,icase)**/*.env")


@dataclass(frozen=True)
class Introduced:
    """A blob appearing at `path` in `commit` (committed at `timestamp`, Unix seconds)."""

    commit: str
    timestamp: int
    path: str
    blob: str

    @property
    def short(self) -> str:
        """The commit's short hash."""
        return self.commit[:7]

    @property
    def date(self) -> str:
        """The commit date, YYYY-MM-DD (UTC)."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.timestamp))


def _records(output: bytes) -> list[Introduced]:
    """Every (commit, path, new blob) of a `--raw -z` log whose status adds or changes the blob."""
    found = []
    for record in output.split(b"\x01")[1:]:
        header, _, rest = record.partition(b"\0")
        commit, _, stamp = header.decode("ascii", "replace").partition(" ")
        fields = rest.lstrip(b"\n").split(b"\0")
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            parts = meta.decode("ascii", "replace").split()
            if len(parts) < 5 or parts[4][:1] not in ("A", "M", "T"):
                continue
            found.append(Introduced(commit, int(stamp or 0), path.decode("utf-8", "replace"), parts[3]))
    return found


def earliest(entries: list[Introduced]) -> dict[str, Introduced]:
    """For each blob, its first appearance (oldest commit date; ties by path)."""
    first: dict[str, Introduced] = {}
    for entry in entries:
        known = first.get(entry.blob)
        if known is None or (entry.timestamp, entry.path) < (known.timestamp, known.path):
            first[entry.blob] = entry
    return first


def introductions(git: Git, blobs: set[str]) -> dict[str, Introduced]:
    """The commit, date and path where each blob first appears in history reachable from any ref.

    A blob that no ref reaches (a dangling object left by an amend or a reset) has no entry."""
    if not blobs:
        return {}
    finds = [f"--find-object={blob}" for blob in sorted(blobs)]
    return earliest([e for e in _records(git.run(*_LOG, *finds)) if e.blob in blobs])


def head_tree(git: Git) -> dict[str, str]:
    """path -> blob id of every file at HEAD ({} in a repository without commits)."""
    if not git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", ok=(0, 1)).strip():
        return {}
    tree: dict[str, str] = {}
    for entry in git.run("ls-tree", "-r", "-z", "--full-tree", "HEAD").split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            tree[path.decode("utf-8", "replace")] = parts[2].decode("ascii")
    return tree


def is_dotenv_name(path: str) -> bool:
    """`.env`, `.env.production`, `prod.env` … (any directory), but not a template such as `.env.example`."""
    name = path.rsplit("/", 1)[-1].lower()
    if not (name == ".env" or name.startswith(".env.") or name.endswith(".env")) or name in (".envrc",):
        return False
    return not any(word in name for word in TEMPLATE_WORDS)


class DotenvLog:
    """`git log` of the dotenv paths, started early so that it runs while the blobs are searched
    (its output goes to a temporary file, so it never waits on a full pipe)."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self.output = tempfile.TemporaryFile()
        self.process = git.start(*_LOG, "--", *_DOTENV_PATHSPECS, stdout=self.output)

    def versions(self) -> list[Introduced]:
        """Every version of a dotenv file ever committed (templates left out), oldest first.
        GitError when git failed or the deadline came first."""
        try:
            try:
                status = self.process.wait(timeout=self.git.remaining())
            except subprocess.TimeoutExpired:
                raise GitError("`git log` of the dotenv files did not finish in time") from None
            if status != 0:
                raise GitError("`git log` of the dotenv files failed")
            self.output.seek(0)
            entries = [e for e in _records(self.output.read()) if is_dotenv_name(e.path)]
        finally:
            self.close()
        return sorted(entries, key=lambda e: (e.timestamp, e.path))

    def close(self) -> None:
        """Stop git and drop the output."""
        self.git.stop(self.process)
        self.output.close()

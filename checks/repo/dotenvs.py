"""Dotenv files ever committed: when each first entered the history, whether HEAD still tracks it, and
which secret variables its committed versions set (names only, read with the doctor's own parser)."""

from __future__ import annotations

from dataclasses import dataclass

from checks.common import is_placeholder
from checks.repo.const import MAX_DOTENV_VERSIONS, URL_NAMES
from checks.repo.git import Git
from checks.repo.history import DotenvLog, Introduced
from doctor.config import is_secret_name, url_password
from doctor.heroku import parse_dotenv

_MAX_DOTENV_BYTES = 1 << 20


@dataclass(frozen=True)
class CommittedDotenv:
    """A dotenv path in the history."""

    path: str
    first: Introduced
    at_head: bool
    secrets: tuple[str, ...]


def read_blobs(git: Git, blobs: list[str]) -> dict[str, bytes]:
    """The content of each blob (at most `_MAX_DOTENV_BYTES` of each is kept)."""
    if not blobs:
        return {}
    output = git.run("cat-file", "--batch=%(objectname) %(objectsize)", input="".join(b + "\n" for b in blobs).encode())
    found: dict[str, bytes] = {}
    position = 0
    while position < len(output):
        end = output.index(b"\n", position)
        oid, _, size = output[position:end].partition(b" ")
        position = end + 1
        if not size.isdigit():
            continue
        length = int(size)
        found[oid.decode("ascii")] = output[position:position + min(length, _MAX_DOTENV_BYTES)]
        position += length + 1
    return found


def secret_names(raw: bytes, path: str) -> set[str]:
    """The secret variables a dotenv text sets to something other than a placeholder."""
    names = set()
    for binding in parse_dotenv(raw, path).assignments:
        key, value = binding.key or "", (binding.value or "").strip()
        if not key or not value or is_placeholder(value):
            continue
        if key in URL_NAMES:
            password = url_password(value)
            if password and not is_placeholder(password):
                names.add(key)
        elif is_secret_name(key):
            names.add(key)
    return names


def committed_dotenvs(git: Git, log: DotenvLog, head: dict[str, str]) -> list[CommittedDotenv]:
    """Every dotenv path ever committed (from the started `log`), with what its versions held."""
    versions = log.versions()
    if not versions:
        return []
    contents = read_blobs(git, list(dict.fromkeys(v.blob for v in versions))[:MAX_DOTENV_VERSIONS])
    by_path: dict[str, list[Introduced]] = {}
    for version in versions:
        by_path.setdefault(version.path, []).append(version)
    found = []
    for path, seen in by_path.items():
        held: set[str] = set()
        for version in seen:
            if version.blob in contents:
                held |= secret_names(contents[version.blob], path)
        found.append(CommittedDotenv(path, seen[0], path in head, tuple(sorted(held))))
    return found

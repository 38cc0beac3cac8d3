"""Copies of the secrets a commit could take: `.env.bak`-style backups and `heroku config --json` dumps.

A backup is recognised by its name (a dotenv file's name plus an editor's or `sed -i`'s suffix,
or Emacs's `#.env#`), a `heroku config --json` dump by its content: a JSON object of strings
that sets at least one of the app's secrets or URLs. A dump that `gpg --symmetric` encrypted (the
guide's advice) is no JSON and is left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from checks.repo.const import BACKUP_SUFFIXES, MAX_JSON_BYTES, SECRET_NAMES, URL_NAMES
from checks.repo.history import is_dotenv_name
from checks.repo.worktree import WorkTree, read_regular

_APP_VARIABLES = frozenset(SECRET_NAMES) | frozenset(URL_NAMES)


@dataclass(frozen=True)
class Copy:
    """A committable file holding a copy of the configuration: `kind` is `backup` or `heroku_json`."""

    path: str
    kind: str
    tracked: bool
    variables: tuple[str, ...] = ()


def is_backup_name(path: str) -> bool:
    """`.env.bak`, `.env.production.save`, `.env~`, `#.env#` … (not a template's backup)."""
    name = path.rsplit("/", 1)[-1]
    if len(name) > 2 and name.startswith("#") and name.endswith("#"):
        return is_dotenv_name(name[1:-1])
    lowered = name.lower()
    return any(lowered.endswith(s) and is_dotenv_name(name[: -len(s)]) for s in BACKUP_SUFFIXES)


def heroku_dump_variables(data: bytes) -> tuple[str, ...] | None:
    """The app's variables a `heroku config --json` dump sets, or None when `data` is no such dump."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(parsed, dict) or not parsed or not all(isinstance(v, str) for v in parsed.values()):
        return None
    found = tuple(sorted(name for name in parsed if name in _APP_VARIABLES and parsed[name].strip()))
    return found or None


def find_copies(top: Path, tree: WorkTree) -> list[Copy]:
    """Backups of dotenv files not git-ignored (untracked), and unencrypted heroku config dumps (either)."""
    copies = [Copy(p, "backup", False) for p in tree.untracked if is_backup_name(p)]
    tracked = set(tree.tracked)
    for path in [*tree.untracked, *tree.tracked]:
        if not path.lower().endswith(".json"):
            continue
        data = read_regular(top / path, MAX_JSON_BYTES)
        if not isinstance(data, bytes):
            continue
        variables = heroku_dump_variables(data)
        if variables:
            copies.append(Copy(path, "heroku_json", path in tracked, variables))
    return copies

"""The `repo` check's findings: variable, path, commit and date, whether still at HEAD; never a value."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from checks.repo.const import EXPOSED_DOCS
from checks.repo.history import Introduced
from checks.repo.rotation import rewrite_fix, rotate_fix
from doctor import Context, Finding, Fix, Severity


@dataclass
class Exposure:
    """One variable's value in the history: where it first appeared and where HEAD still holds it."""

    variable: str
    first: Introduced | None  # None: the commit was not found in time
    blobs: int
    paths: list[str] = field(default_factory=list)
    head_paths: list[str] = field(default_factory=list)


def _listed(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def in_history(ctx: Context, exposure: Exposure) -> Finding:
    """`repo.secret_in_history`: critical in production, an error elsewhere."""
    name, first = exposure.variable, exposure.first
    if first is not None:
        since = f"{first.path} since {first.short} ({first.date})"
    else:
        since = f"{_listed(exposure.paths) or 'a file'} (the commit that added it was not found in time)"
    state = "still at HEAD" if exposure.head_paths else "removed since, but still in history"
    at_head = (f"HEAD still holds it in {_listed(exposure.head_paths)}." if exposure.head_paths else
               "HEAD no longer holds it, but every commit since then does, and every clone keeps them.")
    versions = f"{exposure.blobs} version{'s' if exposure.blobs != 1 else ''} of files"
    detail = (f"The configured value of {name} (raw or percent-encoded; it is not shown) is in {versions} "
              f"reachable from the repository's branches and tags: first in {since}. {at_head} Anyone with a "
              "clone, a fork or a CI cache holds the value, so treat it as public.")
    severity = Severity.CRITICAL if ctx.production else Severity.ERROR
    fix = rotate_fix(ctx, name) + rewrite_fix()
    return Finding("repo.secret_in_history", severity, f"{name} is in the git history: {since}, {state}", detail,
                   fix, vars=(name,), docs=EXPOSED_DOCS, assumes=("ENVIRONMENT",) if ctx.production else ())


def in_work_tree(path: str, variables: list[str], tracked: bool) -> Finding:
    """`repo.secret_in_work_tree`: a file the next commit could take holds configured values."""
    names = ", ".join(variables)
    if tracked:
        state = "a tracked file with uncommitted changes"
        why = "it is tracked, so the next `git commit -a` takes the change with it"
        fix = Fix(f"Take the value{'s' if len(variables) > 1 else ''} out of {path} (read them from the "
                  "environment instead) before committing; nothing is committed yet, so no rotation is needed "
                  "unless the file was shared another way.")
    else:
        state = "untracked and not git-ignored"
        why = "no .gitignore rule covers it, so a `git add .` would commit it"
        fix = Fix(f"Git-ignore {path} (or move it out of the repository); nothing is committed yet, so no "
                  "rotation is needed unless the file was shared another way.",
                  (f"echo {shlex.quote('/' + path)} >> .gitignore",))
    return Finding("repo.secret_in_work_tree", Severity.WARNING,
                   f"{path} holds the value of {names} and git would commit it ({state})",
                   f"{path} holds the configured value of {names} (not shown); {why}.", fix,
                   vars=tuple(variables), docs=EXPOSED_DOCS)


def dotenv_committed(path: str, first: Introduced, at_head: bool, secrets: list[str]) -> Finding:
    """`repo.dotenv_committed`: a dotenv file is in the history (an error when it held secret values)."""
    state = "and is still tracked" if at_head else "and is untracked since, but every clone keeps it"
    held = (f"Its committed versions set {', '.join(secrets)}: rotate each of them (the repo.secret_in_history "
            "findings name those still configured)." if secrets else
            "Its committed versions set no secret value, so nothing needs rotating; remove it all the same.")
    commands = (f"git rm --cached -- {shlex.quote(path)}",) if at_head else ()
    name = shlex.quote("/" + path)
    fix = Fix(f"{'Stop tracking it, git-ignore it' if at_head else 'Git-ignore it'}, and rotate every secret "
              "it has ever held before rewriting history.", (*commands, f"echo {name} >> .gitignore"))
    fix = fix + rewrite_fix((path,))
    return Finding("repo.dotenv_committed", Severity.ERROR if secrets else Severity.WARNING,
                   f"{path} was committed in {first.short} ({first.date}) {state}",
                   f"The dotenv file {path} entered the history in commit {first.short} ({first.date}). {held}",
                   fix, vars=tuple(secrets), docs=EXPOSED_DOCS)


def secret_copy(path: str, kind: str, tracked: bool, variables: tuple[str, ...]) -> Finding:
    """`repo.secret_copy_unignored`: a backup of a dotenv file, or a heroku config dump, git would commit."""
    quoted = shlex.quote(path)
    if kind == "backup":
        title = f"{path} is a copy of a .env file that is not git-ignored: a `git add .` would commit it"
        detail = (f"{path} (an editor's backup, or one a `sed -i.bak` left) sits untracked and no .gitignore rule "
                  "covers it.")
        fix = Fix("Delete the copy once you have checked it holds nothing you still need, and git-ignore such copies.",
                  (f"rm -- {quoted}", f"echo {shlex.quote('/' + path)} >> .gitignore"))
        held = f" It holds the configured value of {', '.join(variables)} (not shown)." if variables else ""
        return Finding("repo.secret_copy_unignored", Severity.WARNING, title, detail + held, fix, vars=variables,
                       docs=EXPOSED_DOCS)
    names = ", ".join(variables)
    encrypt = Fix("Encrypt the backup as the guide does and delete the plain copy, or keep it outside the repository.",
                  (f"gpg --symmetric --cipher-algo AES256 {quoted} && rm -- {quoted}",))
    if tracked:
        return Finding(
            "repo.secret_copy_unignored", Severity.ERROR,
            f"{path} is an unencrypted `heroku config --json` backup, and it is committed",
            f"{path} sets {names} in clear, and git tracks it: every clone holds the app's configuration.",
            Fix("Untrack it and rotate every secret it holds.", (f"git rm --cached -- {quoted}",)) + encrypt
            + rewrite_fix((path,)), vars=variables, docs=EXPOSED_DOCS)
    return Finding(
        "repo.secret_copy_unignored", Severity.WARNING,
        f"{path} is an unencrypted `heroku config --json` backup that is not git-ignored",
        f"{path} sets {names} in clear, and no .gitignore rule covers it: a `git add .` would commit it.",
        encrypt, vars=variables, docs=EXPOSED_DOCS)


def too_large(blobs: int, files: int, largest: int, limit: int) -> Finding:
    """`repo.blob_too_large`: what was left unsearched for its size."""
    parts = [f"{blobs} blob{'s' if blobs != 1 else ''} in the history"] if blobs else []
    parts += [f"{files} file{'s' if files != 1 else ''} in the work tree"] if files else []
    return Finding("repo.blob_too_large", Severity.INFO,
                   f"{' and '.join(parts)} over {_mib(limit)} were not searched (the largest: {_mib(largest)})",
                   "Files this large are usually binaries, archives or dumps; a secret inside one is not reported.",
                   Fix("Check large dumps or archives in the repository by hand if they could hold configuration."))


def incomplete(searched: int, listed: int, searched_bytes: int, listed_bytes: int, exact: bool, limit: float,
               searched_all: bool) -> Finding:
    """`repo.scan_incomplete`: the time ran out; how much was searched."""
    if searched_all:
        return Finding("repo.scan_incomplete", Severity.WARNING,
                       f"The repository check stopped at its {limit:.1f} s limit while reading the history of dotenv "
                       "files", f"Every one of the {searched:,} blobs was searched; which dotenv files were ever "
                       "committed was not determined.",
                       Fix("Run the repository check alone with a longer timeout.", (_RERUN,)))
    share = f" ({100 * searched_bytes / listed_bytes:.0f} % of the bytes)" if listed_bytes and exact else ""
    total = f"{listed:,}" if exact else f"at least {listed:,}"
    return Finding("repo.scan_incomplete", Severity.WARNING,
                   f"The repository search stopped at its {limit:.1f} s limit: {searched:,} of {total} blobs "
                   f"searched{share}",
                   f"{_mib(searched_bytes)} of {_mib(listed_bytes) if exact else 'more than ' + _mib(listed_bytes)} "
                   "in the history were searched; a secret in the rest is not reported.",
                   Fix("Run the repository check alone with a longer timeout.", (_RERUN,)))


_RERUN = "doctor --only repo --timeout 120"

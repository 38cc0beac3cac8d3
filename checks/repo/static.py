"""The `repo` check's work, in order: the work tree, the whole object database, then where and since
when for what was found; each step within the check's own deadline (a blocking function: the check
runs it in a daemon thread under the event loop, or directly in an inline `--offline` run)."""

from __future__ import annotations

import time

from checks.repo import findings as make
from checks.repo.const import SCAN_SHARE
from checks.repo.copies import find_copies
from checks.repo.dotenvs import committed_dotenvs
from checks.repo.git import Git, GitError
from checks.repo.history import DotenvLog, head_tree, introductions
from checks.repo.needles import Needles
from checks.repo.scan import BlobScan, scan_blobs
from checks.repo.worktree import WorkTree, list_work_tree, search_work_tree
from doctor import Context, Finding, SkipCheck


def examine(ctx: Context, git: Git, needles: Needles, max_blob: int, scan_budget: float | None = None) -> list[Finding]:
    """Every finding about `git`'s work tree and history, searching for at most `scan_budget` seconds
    (default: SCAN_SHARE of the time left); the git processes are gone when it returns."""
    try:
        return _examine(ctx, git, needles, max_blob, scan_budget)
    except GitError as exc:  # listing HEAD or the work tree failed: nothing to report on
        raise SkipCheck(f"git could not list the repository: {exc}") from None
    finally:
        git.stop_all()


def _examine(ctx: Context, git: Git, needles: Needles, max_blob: int, scan_budget: float | None) -> list[Finding]:
    started = time.monotonic()
    budget = git.remaining()
    stop_at = started + (budget * SCAN_SHARE if scan_budget is None else scan_budget)
    head = head_tree(git)
    tree = list_work_tree(git)
    copies = find_copies(git.directory, tree)
    dotenv_log = DotenvLog(git)  # runs meanwhile
    scan = BlobScan(complete=True)
    if needles:
        search_work_tree(git.directory, tree, needles, max_blob, stop_at)
        scan = scan_blobs(git, needles, max_blob, stop_at, ctx.show_progress)
    out = []
    for copy in copies:  # the values a copy holds are told in its own finding
        held = needles.variables(tree.hits.pop(copy.path, ()))
        out.append(make.secret_copy(copy.path, copy.kind, copy.tracked, copy.variables or tuple(sorted(held))))
    out += _history(ctx, git, needles, scan, head)
    out += _work_tree(needles, tree, scan, head)
    placing_cut = False
    try:
        out += [make.dotenv_committed(d.path, d.first, d.at_head, list(d.secrets))
                for d in committed_dotenvs(git, dotenv_log, head)]
    except GitError:  # the time ran out while reading the history of dotenv files
        placing_cut = True
    if scan.listing.too_large or tree.too_large:
        out.append(make.too_large(scan.listing.too_large, tree.too_large,
                                  max(scan.listing.largest, tree.largest), max_blob))
    if not scan.complete or not tree.complete or placing_cut:
        listing = scan.listing
        out.append(make.incomplete(scan.blobs, listing.requested, scan.bytes, listing.bytes, listing.done, budget,
                                   scan.complete and tree.complete))
    return out


def _history(ctx: Context, git: Git, needles: Needles, scan: BlobScan, head: dict[str, str]) -> list[Finding]:
    """One `repo.secret_in_history` per variable whose value a blob reachable from a ref holds."""
    if not scan.hits:
        return []
    try:
        placed, cut = introductions(git, set(scan.hits)), False
    except GitError:  # the time ran out: report every hit, without its commit
        placed, cut = {}, True
    head_blobs: dict[str, list[str]] = {}
    for path, blob in head.items():
        head_blobs.setdefault(blob, []).append(path)
    out = []
    for variable in sorted(needles.tokens_of):
        tokens = needles.tokens_of[variable]
        blobs = [b for b, found in scan.hits.items() if found & tokens and (b in placed or cut)]
        if not blobs:  # only in dangling objects no ref reaches: gone at the next gc, never pushed
            continue
        first = min((placed[b] for b in blobs), key=lambda e: (e.timestamp, e.path)) if placed else None
        paths = sorted({placed[b].path for b in blobs if b in placed})
        at_head = sorted(p for b in blobs for p in head_blobs.get(b, ()))
        out.append(make.in_history(ctx, make.Exposure(variable, first, len(blobs), paths, at_head)))
    return out


def _work_tree(needles: Needles, tree: WorkTree, scan: BlobScan, head: dict[str, str]) -> list[Finding]:
    """`repo.secret_in_work_tree` per committable file holding a value HEAD does not already hold there."""
    tracked = set(tree.tracked)
    out = []
    for path, tokens in sorted(tree.hits.items()):
        committed = scan.hits.get(head.get(path, ""), set())
        fresh = sorted(needles.variables(tokens) - needles.variables(committed))
        if fresh:
            out.append(make.in_work_tree(path, fresh, path in tracked))
    return out

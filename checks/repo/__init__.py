"""The repo check: the app's own secret values in the git work tree and its whole history.

needles.py says what to look for (every configured secret, in its forms; keyed hashes, never the
value, in results), git.py runs git hardened against the repository's own config, scan.py reads
every blob once, worktree.py and copies.py look at what a commit could take, history.py and
dotenvs.py say where and since when, findings.py and rotation.py word it (never the value).
"""

from __future__ import annotations

from checks.repo.const import (
    BACKUP_DOCS,
    BUDGET_SHARE,
    EXPOSED_DOCS,
    MAX_BLOB_BYTES,
    ROTATION_DOCS,
    SECRET_NAMES,
    URL_NAMES,
)
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding


class RepoCheck(Check):
    """No configured secret sits in the repository's files or history, nor a copy of the configuration."""

    id = "repo"
    title = "Secrets in the git repository and its history"
    vars = (*SECRET_NAMES, *URL_NAMES)
    network = False
    order = 15
    docs = EXPOSED_DOCS
    catalog = (
        FindingSpec(
            "secret_in_history", Severity.ERROR,
            "A configured secret's value is in a commit reachable from a branch or tag: every clone holds it.",
            "Rotate that secret first, then rewrite history with git filter-repo or BFG and force-push "
            "(destructive: every clone must re-clone).",
            causes="A .env, a settings file or a script committed with a real value; a value pasted into a test or "
                   "a README. Critical when ENVIRONMENT is production.",
            docs=f"{EXPOSED_DOCS}; {ROTATION_DOCS}"),
        FindingSpec(
            "secret_in_work_tree", Severity.WARNING,
            "A file git would commit (untracked and not ignored, or a tracked file's uncommitted change) holds a "
            "configured secret's value.",
            "Take the value out of the file, or git-ignore the file, before the next commit.",
            causes="A local copy of the configuration, a debugging script, or a value pasted into source."),
        FindingSpec(
            "dotenv_committed", Severity.ERROR,
            "A dotenv file (.env, .env.production …) is in the history, even if untracked since; a warning when "
            "none of its versions set a secret.",
            "Rotate every secret it held, untrack and git-ignore it, then remove it from history with git "
            "filter-repo and force-push.",
            causes="A `git add .` before .gitignore named the file, or a .env committed on purpose for a deploy."),
        FindingSpec(
            "secret_copy_unignored", Severity.WARNING,
            "A copy of the configuration (.env.bak, .env~ …, or an unencrypted `heroku config --json` backup) is "
            "not git-ignored; a committed heroku config backup is an error.",
            "Delete the copy or encrypt it (gpg --symmetric), and git-ignore such copies.",
            causes="An editor's backup, a `sed -i.bak` edit, or `heroku config --json > backup.json` in the checkout.",
            docs=f"{EXPOSED_DOCS}; {BACKUP_DOCS}"),
        FindingSpec(
            "blob_too_large", Severity.INFO,
            f"Some blobs or files are over {MAX_BLOB_BYTES >> 20} MiB and were not searched.",
            "Check large dumps or archives in the repository by hand if they could hold configuration.",
            causes="Binaries, archives or database dumps in the repository."),
        FindingSpec(
            "scan_incomplete", Severity.WARNING,
            "The search stopped at the check's time limit; the finding says how much of the history was searched.",
            "Run `doctor --only repo --timeout 120`.",
            causes="A very large history, a slow disk, or a short --timeout."),
    )

    def __init__(self, max_blob_bytes: int = MAX_BLOB_BYTES, budget: float | None = None,
                 scan_budget: float | None = None) -> None:
        """`max_blob_bytes`: larger blobs and files are not searched; `budget`: seconds the check may take
        (default: its share of --timeout); `scan_budget`: of those, the seconds searching may take (default:
        SCAN_SHARE of the budget, leaving the rest to find where and since when)."""
        self.max_blob_bytes = max_blob_bytes
        self.budget = budget
        self.scan_budget = scan_budget

    async def run(self, ctx: Context) -> list[Finding]:
        """Find the work tree (`--repo PATH`, else the current directory's), then search it and its history."""
        import os
        import sys
        import time
        from pathlib import Path

        from checks.repo.git import GitError, work_tree
        from checks.repo.needles import configured_needles
        from checks.repo.static import examine
        from doctor import SkipCheck

        budget = self.budget if self.budget is not None else ctx.timeout * BUDGET_SHARE
        chosen = ctx.options.repo
        try:
            git = work_tree(Path(chosen or os.getcwd()), time.monotonic() + budget)
        except GitError as exc:
            reason = str(exc)
            if chosen is None:
                dyno = " (as on a Heroku dyno: the slug holds no .git)" if ctx.on_heroku else ""
                why = "" if reason == "not inside a git work tree" else f": {reason}"
                reason = f"no git work tree holds the current directory{dyno}{why}"
            else:
                reason = f"--repo {chosen}: {reason}"
            raise SkipCheck(reason) from None
        needles = configured_needles(ctx)
        asyncio = sys.modules.get("asyncio")
        if asyncio is not None and _loop_running(asyncio):
            from doctor.threads import run_blocking

            return await run_blocking(examine, ctx, git, needles, self.max_blob_bytes, self.scan_budget)
        return examine(ctx, git, needles, self.max_blob_bytes, self.scan_budget)


def _loop_running(asyncio: object) -> bool:
    try:
        asyncio.get_running_loop()  # type: ignore[attr-defined]
    except RuntimeError:
        return False
    return True

"""The dotenv check: see static.py for the offline rules."""

from __future__ import annotations

from checks.dotenv.git import git_findings
from checks.dotenv.static import lint, nothing_found, unreadable
from doctor import Check, Context, Finding, SkipCheck


class DotenvCheck(Check):
    """Lints each dotenv file the doctor read, as python-dotenv would read it."""

    id = "dotenv"
    title = ".env file syntax"
    vars = ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY")  # only to tell "no configuration at all"
    network = False
    boot_critical = True
    order = 10
    docs = ("Secrets Management Guide › Local Development Setup › Create .env File; "
            "Security Best Practices › Never Commit Secrets")

    async def run(self, ctx: Context) -> list[Finding]:
        """Lint every file in order, then its git status."""
        findings = [unreadable(path, reason) for path, reason in ctx.config.unreadable]
        if not ctx.config.files and not findings:
            if not ctx.on_heroku and not any(ctx.is_set(name) for name in self.vars):
                return [nothing_found()]
            raise SkipCheck("no .env file was read")
        for parsed in ctx.config.files:
            findings += lint(parsed)
            findings += await git_findings(parsed, min(ctx.timeout, 5.0))
        return findings

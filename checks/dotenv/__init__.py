"""The dotenv check: see static.py for the offline rules."""

from __future__ import annotations

from checks.dotenv.const import BOOT_VARS
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_FILE_DOCS = "Secrets Management Guide › Local Development Setup › Create .env File"
_COMMIT_DOCS = "Secrets Management Guide › Security Best Practices › Never Commit Secrets"


class DotenvCheck(Check):
    """Lints each dotenv file the doctor read, as python-dotenv would read it."""

    id = "dotenv"
    title = ".env file syntax"
    vars = BOOT_VARS  # only to tell "no configuration at all"
    network = False
    boot_critical = True
    order = 10
    stage = 0  # reads the files: what it finds explains what later checks see
    docs = ("Secrets Management Guide › Local Development Setup › Create .env File; "
            "Security Best Practices › Never Commit Secrets")
    catalog = (
        FindingSpec(
            "not_utf8", Severity.CRITICAL,
            "The file is not valid UTF-8: python-dotenv raises UnicodeDecodeError and the app does not start.",
            "Re-save the file as UTF-8 (the finding's iconv command converts it); check the converted line afterwards.",
            causes="An editor that saved it as Latin-1/Windows-1252 or UTF-16, or a pasted accented letter or symbol.",
            docs=_FILE_DOCS),
        FindingSpec(
            "bom", Severity.ERROR,
            "A UTF-8 byte-order mark renames the first variable, so the app does not see it.",
            "Remove the byte-order mark: save the file as 'UTF-8' rather than 'UTF-8 with BOM'.",
            causes="A Windows editor saving 'UTF-8 with BOM'. Critical when the first variable is SECRET_KEY, "
                   "DATABASE_URL or ENCRYPTION_KEY; a warning when the first line is blank or a comment.",
            docs=_FILE_DOCS),
        FindingSpec(
            "value_too_large", Severity.WARNING,
            "A value is over 64 KB: no setting needs that; python-dotenv slows down quadratically on such lines, so "
            "the doctor reads the file with its own model.",
            "Remove the long value, or move that content into a file the app reads.",
            causes="A certificate bundle, a log or a whole file pasted after `=`.", docs=_FILE_DOCS),
        FindingSpec(
            "model_disagrees", Severity.WARNING,
            "The installed python-dotenv reads some names otherwise than the doctor's model of it; the checks "
            "used the library's reading.",
            "Nothing to change in the file; report the python-dotenv version so the model catches up.",
            causes="A python-dotenv release newer than the doctor knows, or one that changed its grammar.",
            docs=_FILE_DOCS),
        FindingSpec(
            "unbalanced_quote", Severity.ERROR,
            "A quote opened in a value is never closed: that variable, and any lines it swallows, are not read.",
            "Close the quote at the end of the line the finding names, or remove the opening one.",
            causes="A missing closing quote, or a quote character inside a pasted value. Critical when SECRET_KEY, "
                   "DATABASE_URL or ENCRYPTION_KEY is lost.",
            docs=_FILE_DOCS),
        FindingSpec(
            "unparsed_line", Severity.ERROR,
            "A line is not a valid KEY=value statement: python-dotenv skips it, so its variable is not set from it.",
            "Rewrite the line as KEY=value, quoting the value if it contains spaces or '#'.",
            causes="Text after a closing quote, a value with spaces and a quote inside, or a line without '='.",
            docs=_FILE_DOCS),
        FindingSpec(
            "invisible_char", Severity.ERROR,
            "A name or value holds a zero-width or no-break character: the app reads a different name or value.",
            "Retype the name, or re-copy the value from its source, on the line the finding names.",
            causes="Copying from a web page, chat or document. Only a warning in a *_NAME (display name) value.",
            docs=_FILE_DOCS),
        FindingSpec(
            "duplicate_key", Severity.WARNING,
            "A variable is set more than once in the file; python-dotenv keeps the last assignment.",
            "Delete the earlier lines, so that the line people edit is the one the app uses.",
            causes="Appending a new value instead of editing the old line. Info when every value is the same.",
            docs=_FILE_DOCS),
        FindingSpec(
            "space_around_equals", Severity.WARNING,
            "Spaces around '=' work with python-dotenv but not with `source .env`, docker --env-file or heroku.",
            "Remove the spaces around '=' (the finding's sed command does it and keeps a .bak copy).",
            causes="Hand-aligned values, or a file written for another tool's syntax.",
            docs=_FILE_DOCS),
        FindingSpec(
            "crlf", Severity.WARNING,
            "Windows line endings: python-dotenv tolerates them, but a shell or docker keeps \\r in every value.",
            "Convert the file to Unix (LF) line endings.",
            causes="Editing the file on Windows, or a git checkout with core.autocrlf=true.",
            docs=_FILE_DOCS),
        FindingSpec(
            "truncated", Severity.WARNING,
            "The file is larger than the doctor reads, so it read only the beginning; later findings may be missing.",
            "Check that the file is really the app's settings file, not a dump saved under that name.",
            causes="A database dump, a log or a binary saved as .env by mistake.",
            docs=_FILE_DOCS),
        FindingSpec(
            "unreadable", Severity.CRITICAL,
            "The ./.env file exists but cannot be read, so the app starts without any of its values.",
            "Give the user that runs the app read access to the file.",
            causes="Wrong permissions or owner, e.g. a file created with sudo or copied from another account.",
            docs=_FILE_DOCS),
        FindingSpec(
            "heroku_config_format", Severity.CRITICAL,
            "The file is `heroku config` output (NAME: value lines, or its --json object): python-dotenv reads "
            "none of it, so the app starts without those variables, though their values are right.",
            "Export the config vars as a dotenv file (heroku config --shell > .env), or save them with --json and "
            "run the doctor with --env-file on that file; never generate new keys for them.",
            causes="Pasting the output of `heroku config` into .env to reproduce production locally. An error when "
                   "none of SECRET_KEY, DATABASE_URL and ENCRYPTION_KEY is among the variables it hides.",
            docs=_FILE_DOCS),
        FindingSpec(
            "on_dyno", Severity.ERROR,
            "A .env file was deployed in the slug: its secrets ship with every release, and the app reads it "
            "alongside the config vars.",
            "Remove .env from the repository (git rm --cached), add it to .gitignore and .slugignore, and set "
            "what the app took from it as config vars.",
            causes="A .env committed before it was git-ignored, then pushed to Heroku, or a build step that "
                   "writes one.",
            docs=_COMMIT_DOCS),
        FindingSpec(
            "not_found", Severity.CRITICAL,
            "No configuration at all: no .env file was read and none of the app's variables is in the environment.",
            "Run the doctor where the app's .env lives, name the file with --env-file, or copy the example.",
            causes="Running the doctor from the repository root instead of the backend folder, or a fresh checkout.",
            docs=_FILE_DOCS),
        FindingSpec(
            "tracked_by_git", Severity.ERROR,
            "The .env file is committed: every clone, fork and CI cache holds its secrets, history included.",
            "Untrack the file (git rm --cached), git-ignore it, and rotate every secret it has ever held.",
            causes="A `git add .` or `git commit -a` before .env was in .gitignore.",
            docs=_COMMIT_DOCS),
        FindingSpec(
            "not_gitignored", Severity.WARNING,
            "The .env file sits in a git checkout with no .gitignore rule, so a `git add .` would commit its secrets.",
            "Add the file's name to .gitignore.",
            causes="A project whose .gitignore lacks a .env entry, or a dotenv file under an unusual name.",
            docs=_COMMIT_DOCS),
        FindingSpec(
            "backup_copy", Severity.WARNING,
            "A copy of the .env file (.env.bak, .env~ …) sits beside it un-ignored, or committed (an error).",
            "Delete the copy; if git tracks it, remove it from git and rotate the secrets it held.",
            causes="An editor's backup, or a `sed -i.bak` edit, next to a .gitignore that names only `.env`.",
            docs=_COMMIT_DOCS),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Lint every file in order, then its git status; a `heroku config` dump and a `.env` deployed
        on a dyno are each one root, with the file's other findings caused by it."""
        from checks.dotenv.git import backup_findings, git_findings
        from checks.dotenv.heroku import heroku_dump_finding, on_dyno_finding
        from checks.dotenv.static import lint, nothing_found, unreadable
        from doctor import SkipCheck

        findings = [unreadable(path, reason) for path, reason in ctx.config.unreadable]
        if not ctx.config.files and not findings:
            set_somewhere = [name for name in self.vars if ctx.is_set(name)]  # records the reads
            if ctx.config.no_configuration and not set_somewhere:
                return [nothing_found()]
            raise SkipCheck("no .env file was read")
        from doctor.dotenv_library import model_name

        ctx.note_model("python-dotenv", model_name())  # who decided the values: the library, or the model
        deployed = ctx.config.deployed_dotenv()
        for parsed in ctx.config.files:
            own = lint(parsed)
            if parsed.heroku is not None:
                root = heroku_dump_finding(ctx, parsed, parsed.heroku)
                own = [root] + _caused_by(own, root)
            if parsed is deployed:
                root = on_dyno_finding(ctx, parsed)
                own = [root] + _caused_by(own, root)
            findings += own
            findings += await git_findings(parsed, min(ctx.timeout, 5.0))
            findings += await backup_findings(parsed, min(ctx.timeout, 5.0))
        return findings


def _caused_by(findings: list[Finding], root: Finding) -> list[Finding]:
    """`findings` with every one not yet linked tied to `root`."""
    for finding in findings:
        if not finding.caused_by:
            finding.caused_by = root.id
    return findings

"""The `dotenv` check's Heroku rules: `heroku config` output saved as a dotenv file, and a `.env`
deployed in a dyno's slug. Neither finding quotes a value."""

from __future__ import annotations

import shlex

from checks.dotenv.text import listed, severity_for
from doctor import Context, Finding, Fix, Severity
from doctor.config import HEROKU_FORMAT_ROOT, ON_DYNO_ROOT
from doctor.dotenv import STDIN_PATH, DotenvFile, HerokuDump


def _app_flag(ctx: Context, dump: HerokuDump) -> str:
    """` -a APP`: HEROKU_APP_NAME where known, else the app the dump's header names, else a placeholder."""
    flag = ctx.heroku_app_flag()
    if flag:
        return flag
    named = next((value.strip() for name, _, value in dump.entries if name == "HEROKU_APP_NAME"), "")
    app = named or (dump.app or "").strip()
    return f" -a {shlex.quote(app)}" if app else " -a <app>"


def _shape(parsed: DotenvFile, dump: HerokuDump) -> str:
    if dump.json:
        return f"{parsed.path} holds `heroku config --json` output (a JSON object), not NAME=value lines."
    lines = sorted(dump.lines - {dump.header_line})
    header = f"Line {dump.header_line} is the `=== {dump.app} Config Vars` header and " if dump.header_line else ""
    if not lines:
        return f"{parsed.path}: {header or ''}no variable follows it.".replace("and no", "no")
    span = f"lines {lines[0]}-{lines[-1]}" if len(lines) > 1 else f"line {lines[0]}"
    verb = "are" if len(lines) > 1 else "is"
    return f"{header}{parsed.path} {span} {verb} `NAME: value` pairs, as `heroku config` prints them."


def _count(names: list[str]) -> str:
    if not names:
        return "any of them"
    return f"{names[0]}" if len(names) == 1 else f"{len(names)} variables ({listed(names)})"


def heroku_dump_finding(ctx: Context, parsed: DotenvFile, dump: HerokuDump) -> Finding:
    """`dotenv.heroku_config_format`: the root of every variable the dump holds and the app cannot read."""
    names = dump.names
    hidden = [name for name in names if name in ctx.config.hidden]
    target = ".env" if parsed.path == STDIN_PATH else parsed.path
    flag = _app_flag(ctx, dump)
    elsewhere = len(names) - len(hidden)
    detail = (
        f"{_shape(parsed, dump)} python-dotenv reads only NAME=value lines, so it skips every one of them and "
        f"the app starts without {_count(hidden)}"
        + (f" ({elsewhere} of the {len(names)} are set by another source)" if elsewhere else "")
        + ". The values are not missing and not wrong: do not generate new keys (a new ENCRYPTION_KEY makes "
        "the data already encrypted unreadable, a new SECRET_KEY logs every user out). Write the file in a "
        "format the app reads; the doctor then checks the values themselves."
    )
    return Finding(
        HEROKU_FORMAT_ROOT, severity_for(hidden) if hidden else Severity.ERROR,
        f"{parsed.path} is `heroku config` output, which python-dotenv (and so the app) cannot read",
        detail,
        Fix(f"Export the config vars again in shell format, which python-dotenv reads (same values, {target} is "
            "overwritten; keep it git-ignored). Or keep them as JSON, which the doctor reads as a source.",
            (f"heroku config --shell{flag} > {shlex.quote(target)}",
             f"heroku config --json{flag} > prod.json", "doctor --env-file prod.json")),
        vars=tuple(hidden), root_cause=True,
    )


def on_dyno_finding(ctx: Context, parsed: DotenvFile) -> Finding:
    """`dotenv.on_dyno`: a `.env` read on a Heroku dyno was deployed in the slug."""
    shadowed = [s.name for s in ctx.config.shadowed() if s.file == parsed.path]
    supplied = [b.key for b in parsed.assignments
                if b.key and b.key not in ctx.config.environ and ctx.config.file_value(b.key) is not None]
    supplied = list(dict.fromkeys(supplied))
    competing = (f" {len(shadowed)} of its variables are config vars too, with other values ({listed(shadowed)}): "
                 "the config vars win, so editing either one confuses whoever reads the other." if shadowed else "")
    filling = (f" The app takes {listed(supplied)} from the file, since no config var sets "
               f"{'it' if len(supplied) == 1 else 'them'}: values written for another environment." if supplied else "")
    path = shlex.quote(parsed.path)
    flag = ctx.heroku_app_flag()
    return Finding(
        ON_DYNO_ROOT, Severity.ERROR,
        f"A {parsed.path} file was deployed with the app: it is in the dyno's slug",
        "Heroku builds the slug from the pushed repository, so this file, secrets included, is in every "
        "release's slug (and in every one-off dyno and slug download). pydantic-settings reads it at start-up, "
        "competing with the config vars." + competing + filling,
        Fix("Remove the file from the repository (your local copy stays), keep it out of the slug and git, and "
            "push. Set anything the app took from the file as a config var. If the repository or slug was "
            "shared, rotate the secrets it held.",
            (f"git rm --cached -- {path}", f"echo {path} >> .gitignore", f"echo {path} >> .slugignore",
             "git commit -m 'Stop deploying the .env file'", f"heroku config{flag}")),
        vars=tuple(supplied), root_cause=True,
    )

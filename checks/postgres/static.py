"""The offline half of the postgres check: read DATABASE_URL without connecting.

The verdict (does the app's engine accept the URL, and what does libpq receive) is oracle.py's:
SQLAlchemy's and psycopg's own parsers where SQLAlchemy is importable, the built-in copy of
SQLAlchemy 2.1 otherwise. This module turns it into findings. Never shows the password: titles
and details name the URL's parts, and `template_url` puts `<password>` where the password was.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import quote

from checks.common import describe_whitespace, is_placeholder, strip_quotes
from checks.postgres.const import LIBPQ_DEFAULTS, VAR, VARS
from checks.postgres.oracle import Verdict, judge
from checks.postgres.urlparts import DbUrl
from doctor import Context, Finding, Fix, Severity

_SCHEME_REWRITE = 'url = url.replace("postgres://", "postgresql://", 1)'
_WHERE = (("host", "the host"), ("dbname", "the database name"), ("user", "the user name"),
          ("password", "the password"), ("port", "the port"))


@dataclass
class StaticResult:
    """What the static half found, and the conninfo the probe should use (None: do not probe).

    `conninfo` is the connection string libpq receives from the app's engine (psycopg's
    make_conninfo of the psycopg dialect's arguments), so the probe connects with the very parts
    the verdict judged; `parts` are those parts.
    """

    findings: list[Finding]
    conninfo: str | None
    parts: DbUrl | None


def _finding(slug: str, severity: Severity, title: str, detail: str, fix: Fix,
             assumes: tuple[str, ...] = ()) -> Finding:
    return Finding(f"postgres.{slug}", severity, title, detail, fix, VARS, assumes=assumes)


def template_url(parts: DbUrl, drop: tuple[str, ...] = (), **query: str) -> str:
    """The URL with its password replaced by `<password>` (`query` merged in, `drop` left out), safe to show."""
    user = quote(parts.username or "", safe="")
    auth = f"{user}:<password>@" if parts.password is not None else (f"{user}@" if user else "")
    host = parts.host or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = auth + host + (f":{parts.port}" if parts.port else "")
    params = {k: (v if isinstance(v, str) else v[-1]) for k, v in parts.query.items() if k not in drop}
    params.update(query)
    tail = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    database = quote(parts.database or "", safe="")
    return f"{parts.drivername}://{netloc}/{database}" + (f"?{tail}" if tail else "")


def short(value: str, limit: int = 40) -> str:
    """A non-secret value cut to `limit` characters, in repr form so odd characters show."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


_GREEDY = re.compile(r"://[^:@]*:(.*)@")


def _hide(text: str, url: str, parts: DbUrl | None) -> str:
    """`text` without the password as SQLAlchemy reads it or as a person meant it (up to the last @)."""
    greedy = _GREEDY.search(url)
    meant = greedy.group(1) if greedy else None
    for secret in {parts.password if parts else None, meant, meant.split("@")[0] if meant else None}:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "<password>").replace(quote(secret, safe=""), "<password>")
    return text


def static_findings(ctx: Context) -> StaticResult:
    """Every finding that needs no connection, and the conninfo for the live probe."""
    raw = ctx.get(VAR) or ""
    findings: list[Finding] = []

    inner, quoted = strip_quotes(raw)
    if quoted:
        findings.append(_finding(
            "quoted", Severity.CRITICAL, "DATABASE_URL is wrapped in quotes that became part of the value",
            "The value starts and ends with a quote character, so SQLAlchemy and libpq read a string that does "
            "not start with postgresql:// and refuse it: the app cannot connect.",
            ctx.set_fix(VAR, "<the URL without quotes>", text="Remove the surrounding quotes."),
        ))
    url = inner.strip()
    if is_placeholder(url):
        findings.append(_finding(
            "placeholder", Severity.CRITICAL, "DATABASE_URL is still the example placeholder",
            "The value is the guide's example (user:pass@host/dbname), not a real database.",
            url_fix(ctx, "Set it to your database's URL (locally, create the database with createdb chaski_dev).",
                     "postgresql://localhost/chaski_dev"),
        ))
        return StaticResult(findings, None, None)

    # Offline the built-in copies decide: SQLAlchemy and psycopg import asyncio, which an --offline
    # run (the release gate) never loads (doctor/inline.py); the differential tests hold them to it.
    builtin = ctx.offline
    verdict = judge(url, offline=builtin)
    ctx.note_model("sqlalchemy", verdict.model)
    findings += _whitespace(ctx, inner, url, verdict, builtin)
    if verdict.slug == "legacy_scheme" and verdict.url is not None:
        findings.append(_finding(
            "legacy_scheme", Severity.WARNING,
            "DATABASE_URL uses the postgres:// scheme, which SQLAlchemy 1.4+ rejects",
            "psycopg accepts postgres://, but SQLAlchemy 1.4 and later fail with \"NoSuchModuleError: Can't load "
            "plugin: sqlalchemy.dialects:postgres\". Heroku sets this variable and owns it, so do not config:set "
            "it: rewrite the scheme where the app reads the setting.",
            Fix("Rewrite the scheme in the app's config code, before the engine is created (not with "
                "config:set: Heroku owns DATABASE_URL):", (_SCHEME_REWRITE,)),
        ))
        verdict = judge("postgresql" + url[len("postgres"):], offline=builtin)  # the URL after that rewrite
    if verdict.slug is not None:
        findings.append(_refusal(ctx, url, verdict))
        return StaticResult(findings, None, verdict.url)
    assert verdict.url is not None
    findings += _completeness(ctx, verdict)
    sslmode = verdict.params.get("sslmode")
    if sslmode in ("disable", "allow") and (ctx.production or ctx.on_heroku):
        findings.append(_finding(
            "ssl_disabled", Severity.WARNING, f"DATABASE_URL turns TLS off (sslmode={sslmode}) in production",
            "The database password and all data would cross the network unencrypted; Heroku Postgres "
            "refuses such connections.",
            Fix("Remove sslmode=disable, or set sslmode=require where the app builds its database URL.",
                (f"heroku pg:info{ctx.heroku_app_flag()}",)),
            () if ctx.on_heroku else ("ENVIRONMENT",),
        ))
    if any(f.severity is Severity.CRITICAL for f in findings):
        return StaticResult(findings, None, verdict.url)
    return StaticResult(findings, verdict.conninfo, verdict.url)


def _whitespace(ctx: Context, inner: str, url: str, verdict: Verdict, builtin: bool) -> list[Finding]:
    """Surrounding whitespace: critical where the app's engine reads it into a part of the URL."""
    spaces = describe_whitespace(inner)
    if not spaces:
        return []
    as_is = judge(inner, offline=builtin) if inner != url else verdict
    if as_is.slug is not None and as_is.slug != verdict.slug:
        where = "SQLAlchemy then cannot read the URL" if as_is.url is None else "libpq then refuses an option"
    else:
        moved = [words for key, words in _WHERE if as_is.params.get(key) != verdict.params.get(key)]
        where = f"it becomes part of {moved[0]}" if moved else ""  # in another option (application_name) it is harmless
    breaks = bool(where)
    return [_finding(
        "whitespace", Severity.CRITICAL if breaks else Severity.WARNING,
        f"DATABASE_URL has {spaces}",
        f"The app's engine (SQLAlchemy, then libpq) reads the value as it is: {where}, so the app cannot "
        "connect." if breaks else
        "SQLAlchemy and libpq ignore it here, but other tools and scripts that read the URL may not.",
        ctx.set_fix(VAR, "<the URL without surrounding whitespace>", text="Remove the whitespace."),
    )]


def _refusal(ctx: Context, url: str, verdict: Verdict) -> Finding:
    """The finding for a URL SQLAlchemy or libpq refuses."""
    parts = verdict.url
    if verdict.slug == "unknown_scheme":
        shown = short(parts.drivername) if parts is not None else "no scheme"
        if parts is not None and parts.drivername.lower().split("+")[0] in ("postgresql", "postgres"):
            detail = (f"SQLAlchemy looks the scheme up case-sensitively among its dialects and drivers: "
                      f"create_engine raises NoSuchModuleError for {shown}. Write postgresql:// (or "
                      "postgresql+psycopg://) in lower case.")
        else:
            detail = ("The app's database layer only understands postgresql:// (or postgresql+<driver>://) URLs"
                      + (f"; {verdict.reason}." if parts is not None else "."))
        return _finding("unknown_scheme", Severity.CRITICAL,
                        _hide(f"DATABASE_URL has {shown} where postgresql:// belongs", url, parts),
                        _hide(detail, url, parts), url_fix(ctx, "Use a PostgreSQL URL."))
    option = verdict.option
    fix = url_fix(ctx, "Correct the URL (encode @ : / ? # % and spaces in the password as %40 %3A %2F %3F %23 %25 "
                       "%20; check the port and any [ ] around the host).")
    if parts is not None and option in LIBPQ_DEFAULTS:
        fix = ctx.set_fix(VAR, _hide(template_url(parts, drop=(option,), **{option: LIBPQ_DEFAULTS[option]}),
                                     url, parts), text=f"Use a valid {option}.")
    elif parts is not None and option is not None and option in parts.query:
        fix = ctx.set_fix(VAR, _hide(template_url(parts, drop=(option,)), url, parts),
                          text="Remove the option, or correct its name.")
    value = verdict.params.get(option or "") if option in LIBPQ_DEFAULTS else None
    named = f"{option}={short(value)}" if value is not None else (short(option) if option else "")
    title = f"DATABASE_URL is not a valid URL: {verdict.reason}" + (f" ({named})" if named else "")
    said = f' psycopg says: invalid connection option "{option}".' if verdict.unknown_option else ""
    return _finding("url_invalid", Severity.CRITICAL, _hide(title, url, parts),
                    _hide("SQLAlchemy or libpq refuses it before connecting (the app's engine fails at its first "
                          f"connection), so the app cannot reach its database.{said}", url, parts), fix)


def _completeness(ctx: Context, verdict: Verdict) -> list[Finding]:
    missing = []
    if not verdict.params.get("host") and not verdict.params.get("hostaddr") and (ctx.production or ctx.on_heroku):
        missing.append("host")
    if not verdict.params.get("dbname"):
        missing.append("database name")
    if not missing:
        return []
    severe = missing != ["database name"]
    return [_finding(
        "url_incomplete", Severity.CRITICAL if severe else Severity.WARNING,
        f"DATABASE_URL has no {' and no '.join(missing)}",
        "Without a host libpq tries a local Unix socket, which does not exist on a dyno; without a database "
        "name it connects to a database named after the user, which is rarely the app's database.",
        url_fix(ctx, "Give the URL all of its parts."),
    )]


def url_fix(ctx: Context, text: str, example: str = "postgresql://<user>:<password>@<host>:5432/<database>") -> Fix:
    """Heroku: look at what the add-on set; locally: the .env line to write."""
    if ctx.uses_heroku_config:
        return Fix(text + " On Heroku the Postgres add-on sets DATABASE_URL; compare with what it set.",
                   (f"heroku config:get DATABASE_URL{ctx.heroku_app_flag()}", f"heroku pg:info{ctx.heroku_app_flag()}"))
    return ctx.set_fix(VAR, example, text=text)


def psql_command(parts: DbUrl | None, *extra: str) -> str:
    """A psql invocation for the URL's host/port/user/database, without the password."""
    if parts is None:
        return "psql"
    args = ["psql"]
    if parts.host:
        args += ["-h", parts.host]
    if parts.port:
        args += ["-p", str(parts.port)]
    if parts.username:
        args += ["-U", parts.username]
    if parts.database:
        args.append(parts.database)
    return " ".join(shlex.quote(a) for a in (*args, *extra))

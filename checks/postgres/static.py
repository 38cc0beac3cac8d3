"""The offline half of the postgres check: read DATABASE_URL without connecting.

Never shows the password: titles and details name the URL's parts, and `template_url` puts
`<password>` where the password was.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, quote

from checks.common import describe_whitespace, is_placeholder, parse_url, strip_quotes
from checks.postgres.const import VAR, VARS
from doctor import Context, Finding, Fix, Severity

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SCHEME_REWRITE = 'url = url.replace("postgres://", "postgresql://", 1)'


@dataclass
class StaticResult:
    """What the static half found, and the URL the probe should use (None: do not probe)."""

    findings: list[Finding]
    conninfo: str | None
    parts: SplitResult | None


def _finding(slug: str, severity: Severity, title: str, detail: str, fix: Fix,
             assumes: tuple[str, ...] = ()) -> Finding:
    return Finding(f"postgres.{slug}", severity, title, detail, fix, VARS, assumes=assumes)


def template_url(parts: SplitResult, **query: str) -> str:
    """The URL with its password replaced by `<password>` (and `query` merged in), safe to show."""
    user = parts.username or ""
    auth = f"{user}:<password>@" if parts.password is not None else (f"{user}@" if user else "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = auth + host + (f":{parts.port}" if parts.port else "")
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    params.update(query)
    tail = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{tail}" if tail else "")


def short(value: str, limit: int = 40) -> str:
    """A non-secret value cut to `limit` characters, in repr form so odd characters show."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def static_findings(ctx: Context) -> StaticResult:
    """Every finding that needs no connection, and the conninfo for the live probe."""
    raw = ctx.get(VAR) or ""
    findings: list[Finding] = []
    critical = False

    inner, quoted = strip_quotes(raw)
    if quoted:
        critical = True
        findings.append(_finding(
            "quoted", Severity.CRITICAL, "DATABASE_URL is wrapped in quotes that became part of the value",
            "The value starts and ends with a quote character, so SQLAlchemy and libpq read a string that does "
            "not start with postgresql:// and refuse it: the app cannot connect.",
            ctx.set_fix(VAR, "<the URL without quotes>", text="Remove the surrounding quotes."),
        ))
    spaces = describe_whitespace(inner)
    if spaces:
        breaks = inner != inner.lstrip() or "\n" in inner or "\r" in inner or inner.strip() != inner.strip(" \t")
        critical = critical or breaks
        findings.append(_finding(
            "whitespace", Severity.CRITICAL if breaks else Severity.WARNING,
            f"DATABASE_URL has {spaces}",
            "libpq refuses a URL with leading whitespace and takes a trailing newline into the database name; "
            "trailing spaces it tolerates, other URL parsers do not." if breaks else
            "libpq ignores trailing spaces, but other URL parsers (SQLAlchemy, tools, scripts) may not.",
            ctx.set_fix(VAR, "<the URL without surrounding whitespace>", text="Remove the whitespace."),
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

    parsed = parse_url(url)
    if parsed.error or parsed.parts is None:
        findings.append(_finding(
            "url_invalid", Severity.CRITICAL, f"DATABASE_URL is not a valid URL: {parsed.error}",
            "SQLAlchemy and libpq cannot parse it, so the app cannot connect to its database.",
            url_fix(ctx, "Correct the URL (check the port and any [ ] around the host)."),
        ))
        return StaticResult(findings, None, None)
    parts = parsed.parts
    scheme = parts.scheme.lower()
    if scheme == "postgres":
        findings.append(_finding(
            "legacy_scheme", Severity.WARNING,
            "DATABASE_URL uses the postgres:// scheme, which SQLAlchemy 1.4+ rejects",
            "psycopg accepts postgres://, but SQLAlchemy 1.4 and later fail with \"NoSuchModuleError: Can't load "
            "plugin: sqlalchemy.dialects:postgres\". Heroku sets this variable and owns it, so do not config:set "
            "it: rewrite the scheme where the app reads the setting.",
            Fix("Rewrite the scheme in the app's config code, before the engine is created (not with "
                "config:set: Heroku owns DATABASE_URL):", (_SCHEME_REWRITE,)),
        ))
    elif scheme != "postgresql" and not scheme.startswith("postgresql+"):
        shown = short(parts.scheme) if parts.scheme else "no scheme"
        findings.append(_finding(
            "unknown_scheme", Severity.CRITICAL, f"DATABASE_URL has {shown} where postgresql:// belongs",
            "The app's database layer only understands postgresql:// (or postgresql+<driver>://) URLs.",
            url_fix(ctx, "Use a PostgreSQL URL."),
        ))
        return StaticResult(findings, None, None)

    if "://" not in url:  # "postgresql:/host/db" splits with a scheme but is no URL libpq reads
        findings.append(_finding(
            "url_invalid", Severity.CRITICAL, "DATABASE_URL lacks the // after the scheme",
            "libpq reads postgresql://host/db URLs only; without // it takes the whole value as a "
            "connection string and refuses it.",
            url_fix(ctx, "Write the URL as postgresql://user:password@host:5432/database."),
        ))
        return StaticResult(findings, None, None)
    findings += _completeness(ctx, parts)
    sslmode = parse_qs(parts.query, keep_blank_values=True).get("sslmode", [None])[-1]
    if sslmode is not None and sslmode not in SSLMODES:
        critical = True
        findings.append(_finding(
            "url_invalid", Severity.CRITICAL, f"DATABASE_URL has sslmode={short(sslmode)}, which libpq rejects",
            f"sslmode must be one of {', '.join(SSLMODES)}; libpq refuses to connect otherwise.",
            ctx.set_fix(VAR, template_url(parts, sslmode="require"), text="Use a valid sslmode."),
        ))
    elif sslmode in ("disable", "allow") and (ctx.production or ctx.on_heroku):
        findings.append(_finding(
            "ssl_disabled", Severity.WARNING, f"DATABASE_URL turns TLS off (sslmode={sslmode}) in production",
            "The database password and all data would cross the network unencrypted; Heroku Postgres "
            "refuses such connections.",
            Fix("Remove sslmode=disable, or set sslmode=require where the app builds its database URL.",
                (f"heroku pg:info{ctx.heroku_app_flag()}",)),
            () if ctx.on_heroku else ("ENVIRONMENT",),
        ))

    critical = critical or any(f.severity is Severity.CRITICAL for f in findings)
    if critical:
        return StaticResult(findings, None, parts)
    conninfo = "postgresql://" + url.split("://", 1)[1]
    return StaticResult(findings, conninfo, parts)


def _completeness(ctx: Context, parts: SplitResult) -> list[Finding]:
    missing = []
    if not parts.hostname and (ctx.production or ctx.on_heroku):
        missing.append("host")
    if parts.port == 0:
        missing.append("a valid port")
    if not parts.path.strip("/"):
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


def psql_command(parts: SplitResult | None, *extra: str) -> str:
    """A psql invocation for the URL's host/port/user/database, without the password."""
    if parts is None:
        return "psql"
    args = ["psql"]
    if parts.hostname:
        args += ["-h", parts.hostname]
    if parts.port:
        args += ["-p", str(parts.port)]
    if parts.username:
        args += ["-U", parts.username]
    if parts.path.strip("/"):
        args.append(parts.path.strip("/"))
    return " ".join(shlex.quote(a) for a in (*args, *extra))

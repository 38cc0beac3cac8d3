"""The `redis` check: REDIS_URL read the way redis-py reads it, then PING and INFO (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from checks.common import INVISIBLE, describe_whitespace, is_placeholder, parse_url, strip_quotes
from checks.redis.const import VAR
from doctor import Context, Finding, Fix, Severity

SCHEMES = ("redis", "rediss", "unix")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


@dataclass(frozen=True)
class Target:
    """What the probe needs: the URL exactly as the app hands it to redis-py (it may hold the
    password: never format it), and the parts that are safe to show."""

    url: str
    scheme: str
    host: str
    port: int
    has_password: bool

    @property
    def tls(self) -> bool:
        """True for `rediss://`."""
        return self.scheme == "rediss"

    @property
    def local(self) -> bool:
        """True for a Redis on this machine (loopback or a unix socket)."""
        return self.scheme == "unix" or self.host.lower() in LOCAL_HOSTS

    @property
    def address(self) -> str:
        """`host:port` (or the socket path) for titles."""
        host = self.host if len(self.host) <= 80 else self.host[:77] + "…"
        return host if self.scheme == "unix" else f"{host}:{self.port}"


def masked_url(scheme: str, host: str, port: int | None, db: str = "0", password: bool = True) -> str:
    """A REDIS_URL to show in a fix: the password slot is `<password>`, never the value."""
    userinfo = ":<password>@" if password else ""
    shown_host = f"[{host}]" if ":" in host else quote(host, safe=".-_")
    return f"{scheme}://{userinfo}{shown_host}{f':{port}' if port else ''}/{db}"


def redis_finding(slug: str, severity: Severity, title: str, detail: str, fix: Fix | None) -> Finding:
    """A `redis.<slug>` finding about REDIS_URL."""
    return Finding(f"redis.{slug}", severity, title, detail, fix, vars=(VAR,))


def static_findings(ctx: Context) -> tuple[list[Finding], Target | None]:
    """Findings about REDIS_URL itself, and the probe target when nothing rules a probe out."""
    raw = ctx.get(VAR) or ""
    findings: list[Finding] = []
    probe_ok = True
    where = ctx.where(VAR)
    spaces = describe_whitespace(raw)
    if spaces:
        invisible = any(char in INVISIBLE for char in raw)
        findings.append(redis_finding(
            "whitespace", Severity.ERROR if invisible else Severity.WARNING, f"REDIS_URL has {spaces}",
            "redis-py breaks on invisible characters inside the URL." if invisible else
            "redis-py strips surrounding whitespace when it parses the URL, but other tools (redis-cli, "
            "a worker in another language) may not.",
            Fix(f"Remove the stray characters from REDIS_URL ({where}).")))
        probe_ok = not invisible
    value, quoted = strip_quotes(raw)
    if quoted:
        findings.append(redis_finding(
            "quoted", Severity.ERROR, "REDIS_URL is wrapped in quotes that became part of the value",
            "redis-py then rejects it: `Redis URL must specify one of the following schemes`.",
            Fix(f"Remove the quotes around the value ({where}).")))
        probe_ok = False
    value = value.strip()
    if is_placeholder(value):
        findings.append(redis_finding(
            "placeholder", Severity.ERROR, "REDIS_URL is still the example placeholder from the guide",
            "It points at a host called `host` with the password `password`.",
            _url_fix(ctx, "Set the real Redis URL.")))
        return findings, None
    parsed = parse_url(value)
    parts = parsed.parts
    if parsed.error or parts is None:
        hint = " A password containing / ? or # must be percent-encoded (%2F %3F %23)." if "@" in value else ""
        findings.append(redis_finding(
            "url_invalid", Severity.ERROR, f"REDIS_URL cannot be parsed: {parsed.error}",
            "redis-py raises ValueError on the first connection, so every cache and session call fails." + hint,
            _url_fix(ctx, "Copy the URL again from your Redis provider.")))
        return findings, None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        findings.append(redis_finding(
            "scheme_invalid", Severity.ERROR, "REDIS_URL does not start with redis://, rediss:// or unix://",
            "redis-py raises `Redis URL must specify one of the following schemes (redis://, rediss://, unix://)`.",
            _url_fix(ctx, "Use the full URL, e.g. redis://localhost:6379/0 locally.")))
        return findings, None
    host = parts.path if scheme == "unix" else (parts.hostname or "")
    if not host:
        hint = " A password containing / ? or # must be percent-encoded (%2F %3F %23)." if "@" in value else ""
        findings.append(redis_finding(
            "url_invalid", Severity.ERROR, f"REDIS_URL has no {'socket path' if scheme == 'unix' else 'host'}",
            "redis-py then silently connects to localhost:6379." + hint,
            _url_fix(ctx, "Put the host (and port) after the scheme.")))
        return findings, None
    if scheme != "unix" and parsed.port == 0:
        findings.append(redis_finding(
            "url_invalid", Severity.ERROR, "REDIS_URL has port 0", "redis-py ignores it and uses 6379.",
            _url_fix(ctx, "Use the port your Redis listens on.")))
        return findings, None
    query = parse_qs(parts.query, keep_blank_values=True)
    db_text = parts.path.strip("/") if scheme != "unix" else ""
    findings += _db_findings(ctx, db_text, query)
    findings += _option_findings(ctx, scheme, query, value)
    findings += _platform_findings(ctx, scheme, host, parsed.port, db_text)
    if parts.username and parts.password is None:
        findings.append(redis_finding(
            "username_without_password", Severity.WARNING, "REDIS_URL has a user name but no password",
            "`redis://secret@host` sends `secret` as a user name with no password; a password-only server "
            "needs `redis://:secret@host` (note the colon).",
            Fix("Write the password after a colon: redis://:<password>@host:port/0.")))
    if any(f.severity >= Severity.ERROR for f in findings):
        probe_ok = False
    has_password = bool(parts.password or query.get("password"))
    target = Target(raw, scheme, host, parsed.port or 6379, has_password) if probe_ok else None
    return findings, target


def _db_findings(ctx: Context, db_text: str, query: dict[str, list[str]]) -> list[Finding]:
    findings = []
    if db_text and not db_text.lstrip("-").isdigit():
        findings.append(redis_finding(
            "db_invalid", Severity.WARNING, "REDIS_URL's path is not a database number",
            "redis-py ignores a non-numeric path and uses database 0, which may be another app's data.",
            Fix("End the URL with the database number, e.g. /0.")))
    elif db_text.startswith("-"):
        findings.append(redis_finding(
            "db_invalid", Severity.ERROR, "REDIS_URL selects a negative database number",
            "Redis answers `DB index is out of range` to every connection.",
            Fix("End the URL with a database number from 0 to 15, e.g. /0.")))
    if any(not v.strip().isdigit() for v in query.get("db", [])):
        findings.append(redis_finding(
            "db_invalid", Severity.ERROR, "REDIS_URL's ?db= option is not a number",
            "redis-py raises `Invalid value for 'db' in connection URL.`",
            Fix("Remove ?db=… or set it to a number.")))
    return findings


def _library_refusal(ctx: Context, url: str) -> str | None:
    """What redis-py itself says of the URL's options when it builds a connection (no I/O), or None.

    Only a URL with a query string pays the import: options are where the doctor's own rules and
    redis-py can disagree (`ssl_cert_reqs=None`, `CERT_NONE`, an unknown option, `socket_timeout=abc`).
    """
    import redis.asyncio
    from redis.exceptions import RedisError

    ctx.note_model("redis", redis.__version__)
    try:
        pool = redis.asyncio.ConnectionPool.from_url(url)
        pool.make_connection()
    except TypeError:  # "unexpected keyword argument 'X'": X may be anything pasted there, a password too
        return "an option in the query is not one redis-py accepts (the name is not shown)"
    except (ValueError, RedisError) as exc:
        text = str(exc)[:200]
        try:
            parts = urlsplit(url)
            pieces = [parts.password, parts.username, *(v for vs in parse_qs(parts.query).values() for v in vs)]
        except ValueError:
            return "one of the options in the query has a value redis-py rejects"
        for piece in sorted({p for p in pieces if p and len(p) >= 3}, key=len, reverse=True):
            if piece.lower() not in ("none", "optional", "required", "cert_none", "true", "false"):
                text = text.replace(piece, "[redacted]")
        return text
    return None


def _option_findings(ctx: Context, scheme: str, query: dict[str, list[str]], url: str = "") -> list[Finding]:
    ssl_options = sorted(k for k in query if k.startswith("ssl_"))
    if ssl_options and scheme != "rediss":
        return [redis_finding(
            "ssl_option_on_plain", Severity.ERROR, f"REDIS_URL passes {', '.join(ssl_options)} on a {scheme}:// URL",
            "redis-py only accepts ssl_* options for rediss:// URLs; with redis:// every connection raises "
            "`TypeError: ... unexpected keyword argument`.",
            Fix("Use rediss:// (TLS) or remove the ssl_* options."))]
    refusal = _library_refusal(ctx, url) if query and url else None
    if refusal:
        hint = (" redis-py accepts ssl_cert_reqs=none, optional or required, in lower case."
                if "Certificate Requirements" in refusal else "")
        return [redis_finding(
            "url_option_invalid", Severity.ERROR, "redis-py rejects an option in REDIS_URL",
            f"redis-py says `{refusal}` when it builds a connection, so every cache and session call fails.{hint}",
            Fix("Correct or remove that ?option=… in REDIS_URL" + (" (ssl_cert_reqs=none)." if hint else ".")))]
    if query.get("ssl_cert_reqs", []) in (["none"], ["optional"]):
        return [redis_finding(
            "tls_unverified", Severity.INFO, "REDIS_URL turns TLS certificate verification off (ssl_cert_reqs)",
            "The connection is encrypted but the server's certificate is not checked. Heroku Redis needs this "
            "because its certificate is self-signed.", None)]
    return []


def _platform_findings(ctx: Context, scheme: str, host: str, port: int | None, db: str) -> list[Finding]:
    if not (ctx.on_heroku or ctx.production):
        return []
    where = "on a Heroku dyno" if ctx.on_heroku else "in production"
    flag = ctx.heroku_app_flag()
    if scheme == "unix" or host.lower() in LOCAL_HOSTS:
        finding = redis_finding(
            "localhost_in_production", Severity.ERROR, f"REDIS_URL points at this machine {where}",
            "A dyno has no Redis of its own: sessions and cache fail on every request.",
            Fix("Attach Heroku Redis; it sets REDIS_URL itself.",
                (f"heroku addons:create heroku-redis:mini{flag}", f"heroku config:get REDIS_URL{flag}")))
        finding.assumes = () if ctx.on_heroku else ("ENVIRONMENT",)
        return [finding]
    if scheme == "redis":
        # No `heroku config:set` here: the add-on owns REDIS_URL and rewrites it on credential rotation.
        fix = Fix(f"Use the rediss:// URL your provider gives ({masked_url('rediss', host, port, db or '0')}); "
                  "Heroku Redis sets it in REDIS_URL itself.",
                  (f"heroku redis:info{flag}", f"heroku config:get REDIS_URL{flag}"))
        return [redis_finding(
            "not_tls", Severity.WARNING, f"REDIS_URL uses redis:// (no TLS) to a remote host {where}",
            "The password and every cached value cross the network in clear text, and Heroku Redis 6+ "
            "plans refuse plain connections.", fix)]
    return []


def _url_fix(ctx: Context, text: str) -> Fix:
    if ctx.uses_heroku_config:
        flag = ctx.heroku_app_flag()
        return Fix(text + " On Heroku the add-on sets REDIS_URL; check it.",
                   (f"heroku config:get REDIS_URL{flag}", f"heroku redis:info{flag}"))
    return ctx.set_fix(VAR, "redis://localhost:6379/0", text=text)



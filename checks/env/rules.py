"""Format rules for the env check: the settings whose values must have a particular shape.

Each rule reads one or a few variables through the Context and returns findings; a rule never
raises and never quotes a secret (none of these variables is one).
"""

from __future__ import annotations

import re
from datetime import timedelta

from checks.common import describe_whitespace, is_placeholder, parse_bool, parse_int, parse_url
from checks.env.const import BOOL_VARS, EXPIRY_VARS
from doctor import Context, Finding, Severity
from doctor.context import ENVIRONMENTS

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# logging also knows these spellings; they work, so they are not findings.
_LOG_LEVEL_ALIASES = ("WARN", "FATAL", "NOTSET")
# What pydantic v2 accepts for an int field given a string (it trims whitespace, allows `_`).
_ENV_GUESSES = {"prod": "production", "prd": "production", "live": "production", "dev": "development",
                "develop": "development", "local": "development", "stage": "staging", "stg": "staging"}


_USERINFO = re.compile(r"(://)[^/@\s]*@")


def shown(value: str, limit: int = 60) -> str:
    """A non-secret value quoted for a message, cut short when long, any URL credentials removed."""
    value = _USERINFO.sub(r"\1…@", value)
    cut = value if len(value) <= limit else value[:limit] + "…"
    return repr(cut)


def _present(ctx: Context, name: str) -> str | None:
    """The value when set, non-blank and not a placeholder (those are reported elsewhere)."""
    raw = ctx.get(name)
    if raw is None or not raw.strip() or is_placeholder(raw):
        return None
    return raw


def environment_findings(ctx: Context) -> list[Finding]:
    """ENVIRONMENT must be exactly development, staging or production."""
    raw = _present(ctx, "ENVIRONMENT")
    if raw is None or raw in ENVIRONMENTS:
        return []
    normal = raw.strip().strip("\"'").lower()
    where = ctx.where("ENVIRONMENT")
    if normal in ENVIRONMENTS:
        causes = []
        if raw != raw.strip():
            causes.append(describe_whitespace(raw) or "surrounding whitespace")
        if raw.strip().strip("\"'") != raw.strip():
            causes.append("quotes inside the value")
        if raw.strip().strip("\"'") != normal:
            causes.append("different letter case")
        cause = " and ".join(causes)
        title = f"ENVIRONMENT is {shown(raw)}, not {normal!r}: {cause}"
        detail = (f"Set at {where}. The app compares ENVIRONMENT with {normal!r} exactly, so {shown(raw)} "
                  f"matches none of {', '.join(ENVIRONMENTS)}: settings meant for {normal} are not applied.")
        suggestion = normal
    else:
        # Only an unmistakable abbreviation is completed; anything else is the user's choice.
        suggestion = _ENV_GUESSES.get(normal, "<development-or-staging-or-production>")
        title = f"ENVIRONMENT is {shown(raw)}, which is not development, staging or production"
        detail = (f"Set at {where}. The app only knows {', '.join(ENVIRONMENTS)}; any other value means none of "
                  "the environment-specific settings apply.")
    detail += (" Until it is fixed the doctor assumes neither side either: rules for production or for "
               "development are not applied, and no fix moves a value toward one of them.")
    choice = f"Use exactly {suggestion!r} (lower case, no spaces)." if suggestion in ENVIRONMENTS else (
        f"Set exactly one of {', '.join(ENVIRONMENTS)} (lower case, no spaces).")
    return [Finding(
        "env.environment_invalid", Severity.ERROR, title, detail,
        ctx.set_fix("ENVIRONMENT", suggestion, text=choice), vars=("ENVIRONMENT",), root_cause=True,
    )]


def log_level_findings(ctx: Context) -> list[Finding]:
    """LOG_LEVEL, when set, must be a level name that `logging` accepts."""
    raw = ctx.get("LOG_LEVEL")
    if raw is None or raw in LOG_LEVELS or raw in _LOG_LEVEL_ALIASES:
        return []
    where = ctx.where("LOG_LEVEL")
    normal = raw.strip().upper()
    if normal in LOG_LEVELS or normal in _LOG_LEVEL_ALIASES:
        severity = Severity.WARNING
        title = f"LOG_LEVEL is {shown(raw)}; logging only accepts the upper-case name {normal!r}"
        detail = (f"Set at {where}. logging.setLevel({raw!r}) raises ValueError ('Unknown level'); it works only "
                  "if the app upper-cases and trims the value first.")
        suggestion = normal
    else:
        severity = Severity.ERROR
        title = f"LOG_LEVEL is {shown(raw)}, which is not a logging level"
        detail = (f"Set at {where}. Valid levels: {', '.join(LOG_LEVELS)}. logging.setLevel() raises ValueError "
                  "for anything else, so logging setup fails.")
        suggestion = "INFO"
    return [Finding("env.log_level_invalid", severity, title, detail,
                    ctx.set_fix("LOG_LEVEL", suggestion), vars=("LOG_LEVEL",))]


_MAX_MINUTES = timedelta.max.days * 24 * 60


def expiry_findings(ctx: Context) -> list[Finding]:
    """Token lifetimes must be positive whole numbers of minutes."""
    findings = []
    defaults = {"ACCESS_TOKEN_EXPIRE_MINUTES": "1440", "REMEMBER_ME_EXPIRE_MINUTES": "10080"}
    for name in EXPIRY_VARS:
        raw = ctx.get(name)
        if raw is None:
            continue  # optional: the app's default applies
        where = ctx.where(name)
        minutes = parse_int(raw)
        if minutes is None:
            findings.append(Finding(
                "env.expiry_invalid", Severity.CRITICAL,
                f"{name} is {shown(raw)}, not a whole number of minutes",
                f"Set at {where}. The setting is an int: pydantic-settings raises ValidationError when the "
                "settings load, so the app does not start.",
                ctx.set_fix(name, defaults[name], text="Use a plain number of minutes."), vars=(name,),
            ))
            continue
        if minutes > _MAX_MINUTES:
            digits = len(raw.strip().lstrip("+-").split(".")[0].replace("_", ""))  # str(minutes) may be too big
            findings.append(Finding(
                "env.expiry_invalid", Severity.ERROR,
                f"{name} is a {digits}-digit number of minutes, more than a timedelta can hold",
                f"Set at {where}. The app computes expiry times with timedelta(minutes=...), which raises "
                "OverflowError above 999,999,999 days: every login fails.",
                ctx.set_fix(name, defaults[name], text=f"The guide's value is {defaults[name]} minutes."),
                vars=(name,),
            ))
            continue
        if minutes <= 0:
            findings.append(Finding(
                "env.expiry_invalid", Severity.ERROR,
                f"{name} is {minutes}: tokens would expire as soon as they are issued",
                f"Set at {where}. A token lifetime must be a positive number of minutes; with {minutes} every "
                "login is immediately invalid.",
                ctx.set_fix(name, defaults[name], text=f"The guide's value is {defaults[name]} minutes."),
                vars=(name,),
            ))
    return findings


def bool_findings(ctx: Context) -> list[Finding]:
    """Boolean flags must be spellings pydantic accepts (it does not trim whitespace for bools)."""
    findings = []
    for name in BOOL_VARS:
        raw = ctx.get(name)
        if raw is None or is_placeholder(raw):
            continue  # unset is the presence rules' business (the app's default may apply)
        parsed = parse_bool(raw)
        if parsed is not None and raw == raw.strip():
            continue
        where = ctx.where(name)
        if not raw.strip():  # `MAIL_STARTTLS=`: pydantic refuses '' for a bool, the settings do not load
            title = f"{name} is set but empty, which pydantic does not read as a boolean"
            suggestion = "True" if name in ("RATE_LIMIT_ENABLED", "MAIL_STARTTLS") else "False"
        elif parsed is not None:
            title = f"{name} is {shown(raw)}: {describe_whitespace(raw) or 'surrounding whitespace'} around a boolean"
            suggestion = "True" if parsed else "False"
        else:
            title = f"{name} is {shown(raw)}, which pydantic does not read as a boolean"
            suggestion = "True" if name in ("RATE_LIMIT_ENABLED", "MAIL_STARTTLS") else "False"
        findings.append(Finding(
            "env.bool_invalid", Severity.CRITICAL, title,
            f"Set at {where}. pydantic accepts only true/false, 1/0, yes/no, on/off, t/f, y/n (any case, no "
            "spaces); anything else raises ValidationError when the settings load, so the app does not start.",
            ctx.set_fix(name, suggestion), vars=(name,),
        ))
    return findings


def frontend_findings(ctx: Context) -> list[Finding]:
    """FRONTEND_URL must be an http(s) URL, https in production, and an origin (no path)."""
    raw = _present(ctx, "FRONTEND_URL")
    if raw is None:
        return []
    where = ctx.where("FRONTEND_URL")
    example = "http://localhost:3000" if ctx.nonproduction else "https://<your-front-end-host>"
    parsed = parse_url(raw)
    parts = parsed.parts
    if parsed.error or parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        why = parsed.error or "it needs http:// or https:// and a host name"
        return [Finding(
            "env.frontend_invalid", Severity.ERROR, f"FRONTEND_URL {shown(raw)} is not a URL: {why}",
            f"Set at {where}. The app builds links in e-mails and its CORS origin from FRONTEND_URL.",
            ctx.set_fix("FRONTEND_URL", example, text="Use the front end's address with its scheme."),
            vars=("FRONTEND_URL",),
        )]
    findings = []
    host = parts.netloc.rsplit("@", 1)[-1]  # never echo credentials someone put in the URL
    whitespace = describe_whitespace(raw)
    if whitespace:
        findings.append(Finding(
            "env.frontend_whitespace", Severity.WARNING, f"FRONTEND_URL has {whitespace}",
            f"Set at {where}. The value is used verbatim as the CORS origin, which then never matches the "
            "browser's Origin header.",
            ctx.set_fix("FRONTEND_URL", f"{parts.scheme}://{host}{parts.path}".strip()), vars=("FRONTEND_URL",),
        ))
    local = parts.hostname in ("localhost", "127.0.0.1", "0.0.0.0", "::1")
    if ctx.production and parts.scheme != "https":
        # https://localhost would be a second wrong value: the local host gets a placeholder instead
        https = "https://<your-front-end-host>" if local else "https://" + host + parts.path.rstrip("/")
        findings.append(Finding(
            "env.frontend_not_https", Severity.ERROR, f"FRONTEND_URL is {parts.scheme}:// in production",
            f"Set at {where}. Links in e-mails (password resets) would travel unencrypted and the CORS origin "
            "would not match a front end served over https.",
            ctx.set_fix("FRONTEND_URL", https), vars=("FRONTEND_URL",), assumes=("ENVIRONMENT",),
        ))
    if ctx.production and local:
        findings.append(Finding(
            "env.frontend_localhost", Severity.ERROR, f"FRONTEND_URL points at {parts.hostname} in production",
            f"Set at {where}. Every link the app e-mails would lead to the user's own computer.",
            ctx.set_fix("FRONTEND_URL", "https://<your-front-end-host>"), vars=("FRONTEND_URL",),
            assumes=("ENVIRONMENT",),
        ))
    if parts.path not in ("",) or parts.query or parts.fragment:
        origin = f"{parts.scheme}://{host}"
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        tail += f"#{parts.fragment}" if parts.fragment else ""
        findings.append(Finding(
            "env.frontend_path", Severity.WARNING,
            f"FRONTEND_URL ends in {shown(tail, 30)}; an origin has no path or trailing slash",
            f"Set at {where}. Browsers send the Origin header as {origin!r}; a CORS allow-list entry with a "
            "path or trailing slash never matches it, and links built as FRONTEND_URL + '/path' get a double slash.",
            ctx.set_fix("FRONTEND_URL", origin), vars=("FRONTEND_URL",),
        ))
    return findings


def format_findings(ctx: Context) -> list[Finding]:
    """Every format rule, in report order."""
    return (environment_findings(ctx) + log_level_findings(ctx) + expiry_findings(ctx) + bool_findings(ctx)
            + frontend_findings(ctx))

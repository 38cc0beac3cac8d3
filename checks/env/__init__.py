"""The env check: see static.py for the offline rules."""

from __future__ import annotations

from checks.env.const import BOOL_VARS, EXPIRY_VARS, REQUIRED, TWILIO_VARS
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GUIDE = "Secrets Management Guide › Environment Variables"
_CORE_DOCS = f"{_GUIDE} › Required Variables › Core Application"
_OPTIONAL_DOCS = f"{_GUIDE} › Optional Variables"
_FRONTEND = ("FRONTEND_URL",)


class EnvCheck(Check):
    """Required variables are present and real; settings have valid shapes; no source surprises."""

    id = "env"
    title = "Environment variables"
    vars = (*REQUIRED, *TWILIO_VARS, "MAIL_FROM_NAME", "LOG_LEVEL", "RATE_LIMIT_ENABLED",
            "ACCESS_TOKEN_EXPIRE_MINUTES", "REMEMBER_ME_EXPIRE_MINUTES")
    network = False
    boot_critical = True
    order = 20
    stage = 1  # judges the values the files and the environment give
    docs = "Secrets Management Guide › Environment Variables; Troubleshooting › Missing Environment Variables"
    catalog = (
        FindingSpec(
            "missing", Severity.ERROR,
            "A required variable is not set: what needs it fails (the app cannot boot without SECRET_KEY, "
            "DATABASE_URL or ENCRYPTION_KEY).",
            "Set it (heroku config:set NAME=value, or a NAME=value line in .env); a .env line that does not parse "
            "must be repaired first.",
            causes="A new variable not yet set in this environment, a misspelt or differently cased name, or a .env "
                   "line python-dotenv cannot read. Critical for SECRET_KEY, DATABASE_URL and ENCRYPTION_KEY."),
        FindingSpec(
            "name_case", Severity.WARNING,
            "A variable is spelled in another letter case (secret_key=): the default Settings reads it, since "
            "pydantic-settings is case-insensitive, but it breaks if the app sets case_sensitive=True.",
            "Spell it as the app names it (SECRET_KEY=); if the app's Settings is case-sensitive, set "
            "DOCTOR_CASE_SENSITIVE=true so the doctor matches names exactly.",
            causes="A hand-typed .env, or a tool that lower-cases names."),
        FindingSpec(
            "empty", Severity.ERROR,
            "A required variable is set but empty (or whitespace only), which counts as not set.",
            "Give it its real value; for SECRET_KEY and ENCRYPTION_KEY generate one as the guide shows.",
            causes="A `NAME=` line left blank in .env, or a config:set with an unset shell variable. Critical for "
                   "SECRET_KEY, DATABASE_URL and ENCRYPTION_KEY."),
        FindingSpec(
            "placeholder", Severity.ERROR,
            "A variable still holds the secrets guide's example value, such as <secret> or sk_live_<key>.",
            "Replace it with the real value from its provider, or generate one for SECRET_KEY and ENCRYPTION_KEY.",
            causes="The guide's or .env.example's lines copied without filling them in. Critical for SECRET_KEY, "
                   "DATABASE_URL and ENCRYPTION_KEY."),
        FindingSpec(
            "twilio_partial", Severity.ERROR,
            "Only some of the three Twilio variables are set, so the app tries to send SMS and every send fails.",
            "Set all three from the Twilio console (Account info), or unset them all to turn SMS off.",
            causes="Setting up Twilio halfway, or removing one of its variables.",
            docs=f"{_GUIDE} › Required Variables › SMS (Optional - Twilio)", vars=TWILIO_VARS),
        FindingSpec(
            "shadowed", Severity.WARNING,
            "A variable in the process environment hides a different value in .env, so edits to .env have no effect.",
            "Keep one source: unset the variable in the shell or process manager, or delete the .env line.",
            causes="An `export` left in a shell profile, a process manager or IDE run configuration setting it too."),
        FindingSpec(
            "environment_invalid", Severity.ERROR,
            "ENVIRONMENT is not exactly development, staging or production: no environment-specific setting applies.",
            "Set it to exactly development, staging or production (lower case, no spaces or quotes).",
            causes="A different spelling (prod, Production), surrounding whitespace, or quotes inside the value.",
            docs=_CORE_DOCS, vars=("ENVIRONMENT",)),
        FindingSpec(
            "log_level_invalid", Severity.ERROR,
            "LOG_LEVEL is not a level name logging accepts, so logging.setLevel() raises ValueError.",
            "Use DEBUG, INFO, WARNING, ERROR or CRITICAL, in upper case.",
            causes="A lower-case name (a warning: it works only if the app upper-cases it) or a made-up level.",
            docs=_OPTIONAL_DOCS, vars=("LOG_LEVEL",)),
        FindingSpec(
            "expiry_invalid", Severity.CRITICAL,
            "A token lifetime is not a positive whole number of minutes: the settings do not load, or logins fail.",
            "Use a plain number of minutes, as the guide does (1440 and 10080).",
            causes="A unit written into the value (24h, 7d) or an empty value; an error for zero, negative or absurdly "
                   "large numbers, which load but break logins.",
            docs=_OPTIONAL_DOCS, vars=EXPIRY_VARS),
        FindingSpec(
            "bool_invalid", Severity.CRITICAL,
            "A boolean setting is not a spelling pydantic accepts: the settings fail to load, the app does not start.",
            "Use True or False (no spaces around it).",
            causes="Surrounding whitespace, which pydantic does not trim for booleans, or words like enabled/disabled.",
            docs=f"{_OPTIONAL_DOCS}; Required Variables › Email (FastAPI-Mail)", vars=BOOL_VARS),
        FindingSpec(
            "frontend_invalid", Severity.ERROR,
            "FRONTEND_URL is not an http(s) URL, so e-mailed links and the CORS origin are broken.",
            "Set it to the front end's address with its scheme, e.g. https://your-app.example.com.",
            causes="A host name without http:// or https://, or a mistyped URL.",
            docs=_CORE_DOCS, vars=_FRONTEND),
        FindingSpec(
            "frontend_whitespace", Severity.WARNING,
            "FRONTEND_URL has stray whitespace, so the CORS origin never matches the browser's Origin header.",
            "Set it again without the surrounding spaces or newline.",
            causes="A value pasted with a trailing space or newline.",
            docs=_CORE_DOCS, vars=_FRONTEND),
        FindingSpec(
            "frontend_not_https", Severity.ERROR,
            "FRONTEND_URL is http:// in production: e-mailed links travel unencrypted and CORS does not match.",
            "Use the https:// address of the production front end.",
            causes="The development value carried over to production.",
            docs=_CORE_DOCS, vars=_FRONTEND),
        FindingSpec(
            "frontend_localhost", Severity.ERROR,
            "FRONTEND_URL points at localhost in production, so every e-mailed link leads to the user's own computer.",
            "Set it to the production front end's public address.",
            causes="The development .env value copied to production.",
            docs=_CORE_DOCS, vars=_FRONTEND),
        FindingSpec(
            "frontend_path", Severity.WARNING,
            "FRONTEND_URL has a path or trailing slash: the CORS origin never matches and links get a double slash.",
            "Set it to the bare origin: scheme and host (and port) only, with no trailing slash.",
            causes="A URL copied from the browser's address bar, or a trailing slash out of habit.",
            docs=_CORE_DOCS, vars=_FRONTEND),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Presence, placeholders, Twilio completeness, formats, then shadowing."""
        from checks.common import pydantic_model
        from checks.env.rules import format_findings
        from checks.env.static import case_findings, presence_findings, shadow_findings, twilio_findings

        findings = (presence_findings(ctx) + case_findings(ctx) + twilio_findings(ctx) + format_findings(ctx)
                    + shadow_findings(ctx))
        ctx.note_model("pydantic", pydantic_model())  # booleans and integers: pydantic itself when importable
        return findings

"""The `env` check: every variable the app needs is set, not a placeholder, and well-formed.

Missing, empty and placeholder values are root causes: the checks that need the variable skip
themselves through `ctx.require`, and the ranking ties their skip to the finding here.
"""

from __future__ import annotations

from checks.common import INVISIBLE, is_placeholder
from checks.dotenv.text import ASSIGNMENT, statement_lines
from checks.env.const import BOOL_VARS, REQUIRED, TWILIO_VARS
from checks.env.rules import shown
from checks.fernet.const import GENERATOR as FERNET_GENERATOR
from checks.secret_key.const import GENERATOR as SECRET_KEY_GENERATOR
from doctor import Context, Finding, Fix, Severity
from doctor.config import is_secret_name, url_password


def _is_secret_value(name: str, value: str) -> bool:
    return is_secret_name(name) or bool(url_password(value.strip()))


def _fix(ctx: Context, name: str) -> Fix:
    if name == "SECRET_KEY":
        return ctx.generate_fix(name, SECRET_KEY_GENERATOR,
                                text="Generate a new random key (this logs every user out).",
                                consequence="every user is logged out")
    if name == "ENCRYPTION_KEY":
        return ctx.generate_fix(name, FERNET_GENERATOR, text=(
            "If the app has already stored encrypted data, restore the key it used instead: a new key cannot "
            "decrypt existing data. Only for a fresh database, generate one."),
            consequence="data encrypted with another key can no longer be read")
    if name == "DATABASE_URL" and ctx.uses_heroku_config:
        return Fix("Heroku sets DATABASE_URL when a Postgres add-on is attached; check it is attached.",
                   (f"heroku addons{ctx.heroku_app_flag()}",
                    f"heroku addons:create heroku-postgresql:mini{ctx.heroku_app_flag()}"))
    if name == "REDIS_URL" and ctx.uses_heroku_config:
        return Fix("Heroku sets REDIS_URL when a Redis add-on is attached.",
                   (f"heroku addons{ctx.heroku_app_flag()}",
                    f"heroku addons:create heroku-redis:mini{ctx.heroku_app_flag()}"))
    example = REQUIRED[name][2] if name in REQUIRED else "<value>"
    if name == "ENVIRONMENT" and ctx.uses_heroku_config:
        example = "production"
    return ctx.set_fix(name, example)


def _hidden_hint(ctx: Context, name: str) -> str:
    """Say where a dotenv file mentions `name` in a form python-dotenv does not read as it."""
    hints = []
    for parsed in ctx.config.files:
        for binding in parsed.bindings:
            key = binding.key or ""
            if binding.error or binding.end_line > binding.line:
                lines = statement_lines(binding)
                for number, text in lines[0 if binding.error else 1:]:
                    match = ASSIGNMENT.match(text.lstrip("\ufeff"))
                    if match and match.group(1) == name:
                        hints.append(f"{parsed.path}:{number} assigns {name}, but python-dotenv does not read "
                                     "that line (see the dotenv findings)")
            elif key and key != name and key.strip("".join(INVISIBLE)) == name:
                hints.append(f"{parsed.path}:{binding.line} sets it with an invisible character in the name")
            elif key and key != name and key.upper() == name:
                hints.append(f"{parsed.path}:{binding.line} sets {key!r}, which differs in letter case")
            elif key == name and binding.value is None:
                hints.append(f"{parsed.path}:{binding.line} names it without '=' and a value")
    return (" " + "; ".join(hints[:3]) + ".") if hints else ""


def presence_findings(ctx: Context) -> list[Finding]:
    """Missing, empty and placeholder values of the required variables."""
    findings = []
    for name, (boot, purpose, _) in REQUIRED.items():
        raw = ctx.get(name)
        severity = Severity.CRITICAL if boot else Severity.ERROR
        cause = ctx.config.unset_cause(name) if raw is None else None
        if cause is not None and cause.present:
            continue  # the value is there, in a form the app cannot read: the dotenv finding says so
        if raw is None:
            hint = _hidden_hint(ctx, name)
            fix = _fix(ctx, name)
            if hint:
                fix = Fix(f"Repair the .env line named above so python-dotenv reads {name}; or set it anew.") + fix
            findings.append(Finding(
                "env.missing", severity, f"{name} is not set",
                f"{name} {purpose}. It is in neither the environment nor "
                f"{', '.join(ctx.config.sources) or 'a .env file'}.{hint}",
                fix, vars=(name,), root_cause=True, caused_by=cause.root if cause else "",
            ))
        elif not raw.strip() and name not in BOOL_VARS:  # an empty boolean is env.bool_invalid: boot fails
            findings.append(Finding(
                "env.empty", severity, f"{name} is set but empty ({ctx.where(name)})",
                f"{name} {purpose}. An empty{' (whitespace-only)' if raw else ''} value counts as not set: "
                "pydantic-settings accepts it, then the code that uses it fails.",
                _fix(ctx, name), vars=(name,), root_cause=True,
            ))
        elif is_placeholder(raw):
            findings.append(_placeholder(ctx, name, raw, severity, purpose))
    return findings


def case_findings(ctx: Context) -> list[Finding]:
    """`env.name_case`: a variable the app reads only because pydantic-settings ignores letter case."""
    findings = []
    for name in REQUIRED:
        found = ctx.config.lookup(name)
        if found is None or found.name == name:
            continue
        where = found.where
        fix = (ctx.set_fix(name, "<the same value>", f"Set {name} under its own name, then remove {found.name}.")
               + ctx.unset_fix(found.name) if ctx.uses_heroku_config
               else Fix(f"Rename {found.name} to {name} at {where} (same value)."))
        findings.append(Finding(
            "env.name_case", Severity.WARNING, f"{name} is set as {found.name} ({where})",
            f"The app's Settings reads {found.name} as {name} because pydantic-settings matches names without "
            f"regard to letter case by default. If the app's Settings sets case_sensitive=True, {name} is unset "
            "there. (Set DOCTOR_CASE_SENSITIVE=true when it does: the doctor then matches names exactly.)",
            fix, vars=(name,),
        ))
    return findings


def _placeholder(ctx: Context, name: str, raw: str, severity: Severity, purpose: str) -> Finding:
    value = "" if _is_secret_value(name, raw) else f" {shown(raw)}"
    return Finding(
        "env.placeholder", severity, f"{name} is still the guide's placeholder{value}",
        f"Set at {ctx.where(name)}. {name} {purpose}; the example value from the secrets guide was copied "
        "without being replaced.", _fix(ctx, name) if name in REQUIRED else ctx.set_fix(name, "<real value>"),
        vars=(name,), root_cause=True,
    )


def twilio_findings(ctx: Context) -> list[Finding]:
    """Twilio is optional, but all or none of its three variables must be set."""
    present = [n for n in TWILIO_VARS if ctx.is_set(n)]
    if not present:
        return []  # SMS not configured: a valid choice
    findings = [_placeholder(ctx, n, ctx.get(n) or "", Severity.ERROR, "is part of the Twilio SMS setup")
                for n in present if is_placeholder(ctx.get(n) or "")]
    missing = [n for n in TWILIO_VARS if n not in present]
    if missing:
        empty = [n for n in missing if ctx.get(n) is not None]
        findings.append(Finding(
            "env.twilio_partial", Severity.ERROR,
            f"Twilio is half configured: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing",
            f"{', '.join(present)} {'is' if len(present) == 1 else 'are'} set, so the app tries to send SMS, "
            f"but every send fails without {', '.join(missing)}"
            + (f" ({', '.join(empty)} set but empty)" if empty else "") + ". Set all three, or none to turn SMS off.",
            Fix("Set the missing values from the Twilio console (Account info).",
                tuple(c for n in missing for c in ctx.set_fix(n, f"<{n.lower().replace('_', '-')}>").commands)),
            vars=tuple(missing), root_cause=True,
        ))
    return findings


def shadow_findings(ctx: Context) -> list[Finding]:
    """Variables whose process-environment value hides a different .env value."""
    findings = []
    for shadow in ctx.config.shadowed():
        name = shadow.name
        where = shadow.where
        cause = ctx.config.file_cause(shadow.file)  # a .env deployed on a dyno: the config var is the one meant
        env_value = ctx.config.environ.get(name, "")
        file_value = ctx.config.file_value(name)
        secret = _is_secret_value(name, env_value) or (file_value is not None
                                                       and _is_secret_value(name, file_value.value))
        if secret:
            values = "The two values differ (not shown: secret)."
        else:
            values = (f"The environment has {shown(env_value)}; {where} has "
                      f"{shown(file_value.value if file_value else '')}, which the app ignores.")
        findings.append(Finding(
            "env.shadowed", Severity.WARNING,
            f"{name} in the environment overrides a different value at {where}",
            f"The process environment wins over .env for pydantic-settings, so edits to {where} have no effect. "
            + values,
            Fix(f"Keep one source: unset {name} in the shell (or the process manager) to use {where}, or delete "
                f"that line to use the environment's value.", (f"unset {name}",)),
            vars=(name,), caused_by=cause,
            root_cause=not cause,  # what later checks saw of the variable came from the shell
        ))
    return findings



"""The secret_key check: see static.py for the offline rules."""

from __future__ import annotations

from checks.secret_key.const import OTHER_SECRETS
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GENERATION_DOCS = "Secrets Management Guide › Secret Generation › SECRET_KEY"
_ROTATION_NOTE = "(rotation logs every user out)"


class SecretKeyCheck(Check):
    """SECRET_KEY is present, long, random, free of stray characters and not shared with another secret."""

    id = "secret_key"
    title = "JWT signing key (SECRET_KEY)"
    vars = ("SECRET_KEY", *OTHER_SECRETS)
    network = False
    boot_critical = True
    order = 30
    docs = "Secrets Management Guide › Secret Generation › SECRET_KEY; Key Rotation › SECRET_KEY Rotation"
    catalog = (
        FindingSpec(
            "placeholder", Severity.CRITICAL,
            "SECRET_KEY is still the guide's example value: anyone who read the guide can sign JWTs the app accepts.",
            f"Generate a random key with secrets.token_urlsafe(64) and set it {_ROTATION_NOTE}.",
            causes="The guide's or .env.example's SECRET_KEY line copied without replacing the value. An error "
                   "outside production.",
            docs=_GENERATION_DOCS, vars=("SECRET_KEY",)),
        FindingSpec(
            "weak", Severity.ERROR,
            "SECRET_KEY is not random (repeated characters, a pattern, common words, low entropy): it can be guessed.",
            f"Generate a random key with secrets.token_urlsafe(64) and set it {_ROTATION_NOTE}.",
            causes="A hand-made key such as a phrase or keyboard pattern. A warning outside production.",
            docs=_GENERATION_DOCS, vars=("SECRET_KEY",)),
        FindingSpec(
            "too_short", Severity.ERROR,
            "SECRET_KEY is under 64 characters, so it can be brute-forced offline from any JWT the app issued.",
            f"Generate a longer key with secrets.token_urlsafe(64), which gives 86 characters {_ROTATION_NOTE}.",
            causes="A key from an older or shorter generator (token_hex(16), a UUID). A warning outside production.",
            docs=_GENERATION_DOCS, vars=("SECRET_KEY",)),
        FindingSpec(
            "whitespace", Severity.WARNING,
            "SECRET_KEY has stray whitespace, quotes or invisible characters that the JWT library signs with as-is.",
            "Set the same value trimmed and unquoted; tokens issued so far stop verifying, as after a rotation.",
            causes="A value pasted with a trailing newline or space, or quotes that became part of the value.",
            vars=("SECRET_KEY",)),
        FindingSpec(
            "reused", Severity.ERROR,
            "SECRET_KEY has the same value as another secret, so one leak exposes both and neither rotates alone.",
            "Give SECRET_KEY its own random value and leave the other secret as it is.",
            causes="One generated value pasted into two variables, typically SECRET_KEY and ENCRYPTION_KEY."),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Examine SECRET_KEY's shape; skip when unset (the env check reports it)."""
        from checks.common import strip_quotes
        from checks.secret_key.static import reuse, strength, surroundings

        ctx.require("SECRET_KEY")
        secret = ctx.secret("SECRET_KEY")
        raw = secret.reveal() if secret is not None else ""
        findings = surroundings(ctx, raw)
        clean, _ = strip_quotes(raw.strip())
        clean = clean.strip()
        findings += strength(ctx, clean)
        findings += reuse(ctx, raw)
        return findings

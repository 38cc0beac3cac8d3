"""The `secret_key` check: SECRET_KEY, the JWT signing key, is long, random, clean and unique.

Finding ids (severity in production / elsewhere):
- `secret_key.placeholder` (critical / error): still the guide's example value.
- `secret_key.too_short` (error / warning): under 64 characters.
- `secret_key.weak` (error / warning): one repeated character, a short repeated pattern, common
  words, or very low entropy per character.
- `secret_key.whitespace` (warning): surrounding whitespace, a newline, invisible characters or
  quotes that the JWT library signs with as-is.
- `secret_key.reused` (error): the same value is another secret variable's value.

No finding ever quotes the value; lengths and positions only.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from checks.common import describe_whitespace, is_placeholder, strip_quotes
from checks.secret_key.const import GENERATOR, OTHER_SECRETS
from doctor import Context, Finding, Fix, Severity

MIN_LENGTH = 64
ROTATION_NOTE = ("Rotating SECRET_KEY invalidates every JWT already issued: all users are logged out and must "
                 "sign in again, so do it in a quiet moment.")
MIN_BITS_PER_CHAR = 3.0
MAX_PATTERN = 16

# Words people put in hand-made keys; a key made only of these (plus digits and separators) is guessable.
_WORDS = frozenset("""
a an and app application api auth backend change changeme chaski config default demo dev develop development
django do dummy example fake fastapi flask for foo bar baz hello here insecure is it jwt key keys let letmein local
localhost long me my mysecret not our pass passw0rd password please placeholder prod production qwerty random
really replace safe secret secrets server sign signing some staging string super supersecret temp test testing
the this token top unsafe use value very with your world admin abc xyz asdf private hs256 session cookie
""".split())
_SEPARATORS = re.compile(r"[^a-z]+")


def _severity(ctx: Context, production: Severity, elsewhere: Severity) -> Severity:
    return production if ctx.production else elsewhere


def _new_key_fix(ctx: Context, text: str) -> Fix:
    return ctx.generate_fix("SECRET_KEY", GENERATOR, text=f"{text} {ROTATION_NOTE}",
                            consequence="every user is logged out")


def surroundings(ctx: Context, raw: str) -> list[Finding]:
    """`secret_key.whitespace`: whitespace, invisible characters or quotes around the raw value."""
    problems = [describe_whitespace(raw)]
    if strip_quotes(raw)[1]:
        problems.append("surrounding quotes")
    found = ", ".join(p for p in problems if p)
    if not found:
        return []
    return [Finding(
        id="secret_key.whitespace", severity=Severity.WARNING,
        title=f"SECRET_KEY has {found}",
        detail=("The JWT library signs with the value exactly as set, stray characters included. It works while "
                "every process reads it the same way, but a service or script that trims the value (or a copy "
                "pasted elsewhere) signs with a different key, and tokens from one will not verify in the other."),
        fix=ctx.set_fix("SECRET_KEY", "<the same value, trimmed and unquoted>", text=(
            "Remove the stray characters. The trimmed value is a different key to the JWT library: tokens issued "
            "so far stop verifying and users sign in again, as after a rotation.")),
        vars=("SECRET_KEY",),
    )]


def strength(ctx: Context, clean: str) -> list[Finding]:
    """`secret_key.placeholder`, `.weak` or `.too_short` for the trimmed, unquoted value."""
    if is_placeholder(clean):
        return [Finding(
            id="secret_key.placeholder", severity=_severity(ctx, Severity.CRITICAL, Severity.ERROR),
            title="SECRET_KEY is still the example placeholder from the setup guide",
            detail=("Anyone who has read the guide can sign JWTs this app accepts: they can log in as any user."
                    if ctx.production else
                    "Fine only while nothing real depends on it; anyone who knows the guide can forge tokens."),
            fix=_new_key_fix(ctx, "Generate a random key."),
            vars=("SECRET_KEY",),
        )]
    findings = []
    weakness = weakness_reason(clean)
    if weakness:
        findings.append(Finding(
            id="secret_key.weak", severity=_severity(ctx, Severity.ERROR, Severity.WARNING),
            title=f"SECRET_KEY is guessable: {weakness}",
            detail=(f"It is {len(clean)} characters but not random, so an attacker can guess it and sign JWTs the "
                    "app accepts (log in as any user). Keys must come from a cryptographic random generator."),
            fix=_new_key_fix(ctx, "Generate a random key."),
            vars=("SECRET_KEY",),
        ))
    elif len(clean) < MIN_LENGTH:
        findings.append(Finding(
            id="secret_key.too_short", severity=_severity(ctx, Severity.ERROR, Severity.WARNING),
            title=f"SECRET_KEY is {len(clean)} characters; it should be at least {MIN_LENGTH}",
            detail=("A short HMAC key can be brute-forced offline from any single JWT the app issued; the guide "
                    f"requires at least {MIN_LENGTH} random characters (secrets.token_urlsafe(64) gives 86)."),
            fix=_new_key_fix(ctx, "Generate a longer random key."),
            vars=("SECRET_KEY",),
        ))
    return findings


def weakness_reason(value: str) -> str | None:
    """Why `value` is guessable (never quoting it), or None when it looks random."""
    if not value:
        return None
    if len(set(value)) == 1:
        return "one character repeated"
    period = _period(value)
    if period is not None:
        return f"a {period}-character pattern repeated"
    if _is_phrase(value):
        return "it is made of common words"
    if len(value) >= 20 and bits_per_char(value) < MIN_BITS_PER_CHAR:
        return "very few distinct characters (low entropy)"
    return None


def _period(value: str) -> int | None:
    for period in range(1, min(MAX_PATTERN, len(value) // 2) + 1):
        if all(value[i] == value[i - period] for i in range(period, len(value))):
            return period
    return None


def bits_per_char(value: str) -> float:
    """Shannon entropy of the value's character distribution, in bits per character."""
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def _is_phrase(value: str) -> bool:
    """True when every run of letters splits into common words (and there are some letters)."""
    chunks = [c for c in _SEPARATORS.split(value.lower()) if c]
    if not chunks or sum(map(len, chunks)) < 3 or len(value) > 512:
        return False
    return all(_segments(chunk) for chunk in chunks)


def _segments(chunk: str) -> bool:
    reachable = [True] + [False] * len(chunk)
    for end in range(1, len(chunk) + 1):
        reachable[end] = any(reachable[start] and chunk[start:end] in _WORDS for start in range(max(0, end - 14), end))
    return reachable[-1]


def reuse(ctx: Context, raw: str) -> list[Finding]:
    """`secret_key.reused` for each other secret variable holding the same value."""
    mine = raw.strip()
    findings = []
    for name in OTHER_SECRETS:
        other = ctx.secret(name)
        if other is None or not mine or other.reveal().strip() != mine:
            continue
        consequence = ("a new ENCRYPTION_KEY would make encrypted data unreadable" if name.startswith("ENCRYPTION")
                       else f"{name} is issued by its provider")
        findings.append(Finding(
            id="secret_key.reused", severity=Severity.ERROR,
            title=f"SECRET_KEY has the same value as {name}",
            detail=(f"One leak now exposes both: whoever learns {name} can forge login tokens, and the two can "
                    "never be rotated independently."),
            fix=_new_key_fix(ctx, f"Give SECRET_KEY its own random value and leave {name} as it is ({consequence})."),
            vars=("SECRET_KEY", name),
        ))
    return findings

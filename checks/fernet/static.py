"""The `fernet` check: ENCRYPTION_KEY (and ENCRYPTION_KEY_NEW during a rotation) are Fernet keys
the app can load, encrypt and decrypt with.

Finding ids. A key the app cannot load is critical for ENCRYPTION_KEY (the app cannot boot) and
an error for ENCRYPTION_KEY_NEW (only the re-encryption script reads it, and it would crash). The
same ids serve both variables; `vars` says which one (`["ENCRYPTION_KEY_NEW"]` for the new key).
- unusable: `fernet.truncated`, `fernet.missing_padding`, `fernet.bytes_repr`, `fernet.key_prefix`,
  `fernet.non_ascii`, `fernet.literal_escape` (a literal backslash-n stored at one end),
  `fernet.wrong_length`, `fernet.not_base64`, `fernet.placeholder`, `fernet.roundtrip_failed`
  (loads but cannot decrypt its own token).
- tolerated by Python, broken elsewhere (warning): `fernet.whitespace`, `fernet.quoted`,
  `fernet.standard_alphabet` (+ and / instead of - and _), `fernet.stray_characters`.
- rotation: `fernet.rotation_in_progress` (info), `fernet.rotation_same_key` (warning).
ENCRYPTION_KEY equal to SECRET_KEY is left to `secret_key.reused`. Keys are never shown: lengths
and positions only.
"""

from __future__ import annotations

from checks.fernet.const import CURRENT, GENERATOR, NEW
from checks.fernet.diagnosis import Diagnosis, Problem
from doctor import Context, Finding, Fix, Severity

PROBE = b"chaski-doctor round trip"
DATA_WARNING = "A NEW key makes everything already encrypted with the old one unreadable."


def reveal(ctx: Context, name: str) -> str:
    """The raw value of the secret `name`, or "" when unset (never to be printed)."""
    secret = ctx.secret(name)
    return secret.reveal() if secret is not None else ""


def key_findings(ctx: Context, name: str, raw: str, diagnosis: Diagnosis) -> list[Finding]:
    """One finding per problem of the key in `name`, plus `fernet.roundtrip_failed` when it loads but fails."""
    findings = [_finding(ctx, name, problem) for problem in diagnosis.problems]
    if diagnosis.usable and not roundtrip(raw):
        findings.append(roundtrip_finding(ctx, name))
    return findings


def _unusable_severity(name: str) -> Severity:
    return Severity.CRITICAL if name == CURRENT else Severity.ERROR


def _finding(ctx: Context, name: str, problem: Problem) -> Finding:
    severity = _unusable_severity(name) if problem.fatal else Severity.WARNING
    detail = problem.detail
    if problem.fatal:
        detail += (" The app cannot start: it builds its Fernet at boot." if name == CURRENT else
                   " The app does not read it, but the re-encryption script would crash before re-encrypting anything.")
    return Finding(id=f"fernet.{problem.slug}", severity=severity, title=problem.title, detail=detail,
                   fix=_fix(ctx, name, problem), vars=(name,))


def _fix(ctx: Context, name: str, problem: Problem) -> Fix:
    if name == NEW and problem.fatal:
        fresh = (f"Nothing can have been encrypted with a key that does not load, so generating a fresh {NEW} loses "
                 f"nothing; keep {CURRENT} as it is.")
        if problem.shape is None:
            return ctx.generate_fix(name, GENERATOR, text=fresh)
        return _two_ways(ctx, name, problem.shape, "Correct the format (it is then the same key).", f"Or: {fresh}")
    if problem.shape is not None:
        keep = ("Correct the format only: it is the same key, so data already encrypted with it stays readable. "
                f"Do not generate a new key to fix this. {DATA_WARNING}")
        return ctx.set_fix(name, problem.shape, text=keep)
    return _two_ways(
        ctx, name, "<the full 44-character key>",
        "Find the original key where it was generated or backed up (password manager, offline backup, the machine "
        "or config it was copied from) and set it whole; the missing part cannot be recomputed.",
        "Only if no data was ever encrypted with this key (a fresh install) or the key is truly lost, generate a "
        f"new one instead. {DATA_WARNING}")


LOST_DATA = "data encrypted with the old key can no longer be read"


def _two_ways(ctx: Context, name: str, shape: str, first: str, second: str) -> Fix:
    """One fix offering two alternatives: set `shape` (first command) or generate a new key (the rest)."""
    keep = ctx.set_fix(name, shape, text=first)
    fresh = ctx.generate_fix(name, GENERATOR, consequence=LOST_DATA if name == CURRENT else "")
    lead = keep.text + (" the first line below." if keep.text.endswith(":") else " Use the first command below.")
    how = ("use the last command" if ctx.uses_heroku_config else
           "run the second command and paste its output after `=` in the last line")
    return Fix(f"{lead} {second} For that, {how}.", keep.commands + fresh.commands)


def roundtrip(raw: str) -> bool:
    """True when Fernet(raw) decrypts what it just encrypted, exactly as the app's EncryptionService would."""
    from cryptography.fernet import Fernet, InvalidToken

    try:
        fernet = Fernet(raw)
        return fernet.decrypt(fernet.encrypt(PROBE)) == PROBE
    except (InvalidToken, ValueError, TypeError):
        return False


def roundtrip_finding(ctx: Context, name: str, *extra_vars: str) -> Finding:
    """The finding for a key that loads but cannot decrypt its own token (a broken cryptography install)."""
    return Finding(
        id="fernet.roundtrip_failed", severity=_unusable_severity(name),
        title=f"{name} loads, but a value encrypted with it does not decrypt",
        detail=("The key has the right format, yet Fernet could not decrypt its own fresh token: the cryptography "
                "installation is broken (a decrypt without a ttl never looks at the clock), so every encrypted "
                "field would be unreadable."),
        fix=Fix("Reinstall cryptography; the key itself is fine, keep it.",
                ("pip install --force-reinstall cryptography",)),
        vars=(name, *extra_vars),
    )


def rotation(ctx: Context, current_raw: str, current: Diagnosis, new_raw: str, new: Diagnosis) -> list[Finding]:
    """The rotation state when both keys load: same key, a MultiFernet that fails, or a rotation in progress."""
    if not (current.usable and new.usable):
        return []  # the unusable key's own finding says what to fix first
    if current.key == new.key:
        return [Finding(
            id="fernet.rotation_same_key", severity=Severity.WARNING,
            title=f"{NEW} is the same key as {CURRENT}: the rotation would change nothing",
            detail=("Re-encrypting with the same key leaves the data exactly as exposed as before; if the old key "
                    "is compromised, the rotation has not happened."),
            fix=ctx.generate_fix(NEW, GENERATOR, text=(
                f"Generate a different {NEW} (nothing has been encrypted with it yet, so nothing is lost), or unset "
                "it if no rotation is planned.")),
            vars=(CURRENT, NEW),
        )]
    if not (roundtrip(current_raw) and roundtrip(new_raw)):
        return []  # that key's own roundtrip_failed finding says it already
    if not _multifernet_rotates(current_raw, new_raw):
        return [roundtrip_finding(ctx, NEW, CURRENT)]
    promote = ctx.set_fix(CURRENT, f"<the value of {NEW}>", text=(
        f"Once every row is re-encrypted, promote the new key and drop {NEW}. Do not promote before: data still "
        f"encrypted with the old key would become unreadable."))
    return [Finding(
        id="fernet.rotation_in_progress", severity=Severity.INFO,
        title=f"{NEW} is set: an encryption key rotation is in progress",
        detail=(f"Both keys are valid and different. Re-encrypt with MultiFernet([new, old]) (rotate() decrypts "
                f"with either key and encrypts with the new one), then promote: set {CURRENT} to the new key and "
                f"unset {NEW}."),
        fix=promote + ctx.unset_fix(NEW),
        vars=(CURRENT, NEW),
    )]


def _multifernet_rotates(current_raw: str, new_raw: str) -> bool:
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet

    try:
        old, new = Fernet(current_raw), Fernet(new_raw)
        rotated = MultiFernet([new, old]).rotate(old.encrypt(PROBE))
        return new.decrypt(rotated) == PROBE
    except (InvalidToken, ValueError, TypeError):
        return False

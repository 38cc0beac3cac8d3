"""The fernet check: see static.py for the offline rules."""

from __future__ import annotations

from checks.fernet.const import CURRENT, NEW
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_INVALID_DOCS = "Secrets Management Guide › Troubleshooting › Invalid ENCRYPTION_KEY"
_ROTATION_DOCS = "Secrets Management Guide › Key Rotation › ENCRYPTION_KEY Rotation"
_KEEP = "Correct the format only: it is the same key, so encrypted data stays readable; do not generate a new key."
_NEW_KEY_NOTE = "An error for ENCRYPTION_KEY_NEW, which only the re-encryption script reads."


def _unusable(slug: str, meaning: str, fix: str, causes: str, docs: str = _INVALID_DOCS) -> FindingSpec:
    """A catalog entry for a key Fernet() rejects: critical for ENCRYPTION_KEY, an error for ENCRYPTION_KEY_NEW."""
    return FindingSpec(slug, Severity.CRITICAL, f"{meaning}: Fernet() rejects it and the app cannot boot.", fix,
                       causes=f"{causes} {_NEW_KEY_NOTE}", docs=docs)


def _tolerated(slug: str, meaning: str, fix: str, causes: str) -> FindingSpec:
    """A catalog entry for damage Python's Fernet tolerates but other runtimes and string comparisons do not."""
    return FindingSpec(slug, Severity.WARNING, meaning, fix, causes=causes, docs=_INVALID_DOCS)


class FernetCheck(Check):
    """ENCRYPTION_KEY is a clean 44-character url-safe Fernet key that round-trips; a rotation is sane."""

    id = "fernet"
    title = "PII encryption key (ENCRYPTION_KEY)"
    vars = (CURRENT, NEW)
    network = False
    boot_critical = True
    order = 40
    docs = "Secrets Management Guide › Troubleshooting › Invalid ENCRYPTION_KEY; Key Rotation › ENCRYPTION_KEY Rotation"
    catalog = (
        _unusable("truncated", "The key is under 44 characters, cut off when copied",
                  "Set the whole key from where it was generated or backed up; generate one only if no data uses it.",
                  "Copying part of the key (a selection that missed the end, a line wrap, a shell that cut it)."),
        _unusable("missing_padding", "The key is 43 characters, its trailing = missing",
                  f"Add the trailing =. {_KEEP}",
                  "A copy that dropped the last character, or a tool that strips base64 padding."),
        _unusable("bytes_repr", "The key is a Python bytes literal b'...', not the key text",
                  f"Set only the 44 characters between the quotes. {_KEEP}",
                  "Printing Fernet.generate_key() without .decode()."),
        _unusable("key_prefix", "The value is a whole NAME=key line, not just the key",
                  f"Set only the 44 characters after the =. {_KEEP}",
                  "Pasting a whole .env line into heroku config:set or a settings UI."),
        _unusable("non_ascii", "The key contains a non-ASCII character",
                  f"Set the same key without the non-ASCII characters. {_KEEP}",
                  "Copying the key out of a document, chat or web page (no-break or zero-width spaces, smart quotes)."),
        _unusable("literal_escape", "The key has a literal \\n, \\r or \\t (backslash and letter) at one end",
                  f"Set the same 44 characters without the backslash sequence. {_KEEP}",
                  "An escaped newline stored as two characters, e.g. from a JSON file or a quoted echo."),
        _unusable("wrong_length", "The key does not decode to 32 bytes",
                  "Set the real Fernet key; only if no data was encrypted with this value, generate a new one.",
                  "A different kind of secret in its place: 64 hex digits, a SECRET_KEY-style token, a random string."),
        _unusable("not_base64", "The key is not url-safe base64",
                  "Set the real Fernet key; only if no data was encrypted with this value, generate a new one.",
                  "A passphrase or another secret where the Fernet key belongs, or broken padding."),
        _unusable("placeholder", "The key is still the guide's example placeholder",
                  "Generate a key with Fernet.generate_key().decode() (for a database with encrypted data, restore "
                  "the key it used).",
                  "The guide's or .env.example's ENCRYPTION_KEY line copied without replacing the value.",
                  docs="Secrets Management Guide › Secret Generation › ENCRYPTION_KEY (PII Encryption)"),
        FindingSpec(
            "roundtrip_failed", Severity.CRITICAL,
            "The key loads, but a value encrypted with it does not decrypt: every encrypted field would be unreadable.",
            "Reinstall cryptography and check the system clock; the key itself is fine, keep it.",
            causes="A broken cryptography installation. For ENCRYPTION_KEY_NEW (an error), also a MultiFernet "
                   "rotation from the old key to the new one that fails.",
            docs=_INVALID_DOCS),
        _tolerated("whitespace", "The key has whitespace that Python's Fernet drops but other runtimes reject.",
                   f"Set the same 44 characters without the whitespace. {_KEEP}",
                   "A trailing newline from `echo` or a file, or spaces pasted around the key."),
        _tolerated("quoted", "The key has quote characters that Python's Fernet drops but other runtimes reject.",
                   f"Set the same 44 characters without quotes. {_KEEP}",
                   "Quotes typed into heroku config:set or a settings UI, where they become part of the value."),
        _tolerated("standard_alphabet", "The key uses standard base64 (+ and /), which other Fernet libraries reject.",
                   f"Replace every + with - and every / with _: the same key. {_KEEP}",
                   "A key made with `openssl rand -base64 32` instead of Fernet.generate_key()."),
        _tolerated("stray_characters", "The key has extra characters (or several keys glued) that Python ignores.",
                   "Set exactly the one 44-character key that encrypted the data, ending in one =.",
                   "Two keys pasted together, extra = padding, or a stray character from the copy."),
        FindingSpec(
            "rotation_same_key", Severity.WARNING,
            "ENCRYPTION_KEY_NEW equals ENCRYPTION_KEY, so the planned rotation would change nothing.",
            "Generate a different ENCRYPTION_KEY_NEW (nothing is encrypted with it yet), or unset it.",
            causes="Promoting the new key without unsetting ENCRYPTION_KEY_NEW, or pasting the old key twice.",
            docs=_ROTATION_DOCS),
        FindingSpec(
            "rotation_in_progress", Severity.INFO,
            "ENCRYPTION_KEY_NEW is set and valid: an encryption key rotation is under way.",
            "Re-encrypt every row with MultiFernet([new, old]), then promote the new key and unset ENCRYPTION_KEY_NEW.",
            causes="Step 2 of the guide's rotation procedure.",
            docs=_ROTATION_DOCS),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Diagnose ENCRYPTION_KEY, and ENCRYPTION_KEY_NEW when a rotation is in progress."""
        from checks.fernet.diagnosis import diagnose
        from checks.fernet.static import key_findings, reveal, rotation

        ctx.require(CURRENT)
        current_raw = reveal(ctx, CURRENT)
        current = diagnose(current_raw, CURRENT)
        findings = key_findings(ctx, CURRENT, current_raw, current)
        if ctx.is_set(NEW):
            new_raw = reveal(ctx, NEW)
            new = diagnose(new_raw, NEW)
            findings += key_findings(ctx, NEW, new_raw, new)
            findings += rotation(ctx, current_raw, current, new_raw, new)
        return findings

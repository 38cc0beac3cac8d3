"""Secret values that never print themselves, their fingerprints, and the output scrubber."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

# Prefixes that are public by design, so a fingerprint may show them.
PUBLIC_PREFIXES = (
    "sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_", "we_",
    "AKIA", "ASIA", "AC", "SK",
)

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 6


def fingerprint(value: str) -> str:
    """Describe a secret without revealing it: public prefix, length and at most the last 4.

    Short values (under 12 characters) show no tail at all, since 4 of 8 characters is half
    the secret.
    """
    prefix = next((p for p in PUBLIC_PREFIXES if value.startswith(p) and len(value) > len(p) + 8), "")
    tail = value[-4:] if len(value) >= 12 and value[-4:].isprintable() and value[-4:].strip() == value[-4:] else ""
    parts = [f"{len(value)} chars"]
    if prefix:
        parts.insert(0, f"{prefix}…")
    if tail:
        parts.append(f"ending …{tail}")
    return "<secret " + ", ".join(parts) + ">"


class Secret:
    """A secret value: `str()` and `repr()` give its fingerprint; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The raw value, for handing to a library. Never format it into a message."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __str__(self) -> str:
        return fingerprint(self._value)

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


class Redactor:
    """Replaces every known secret value (and its URL-encoded forms) in text with a marker.

    The last line of defence: renderers pass every string through it, so a secret that a check
    or a library put into a message still never reaches the user's terminal or a log.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._needles: set[str] = set()
        for value in secrets:
            self.add(value)
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        """Register a secret value; very short values are ignored (they would redact noise)."""
        if not value:
            return
        for form in {value, value.strip(), quote(value, safe=""), unquote(value)}:
            if len(form) >= _MIN_SECRET_LENGTH:
                self._needles.add(form)
        self._pattern = None

    def __call__(self, text: str) -> str:
        """Return `text` with every registered secret replaced by `[redacted]`."""
        if not self._needles or not text:
            return text
        if self._pattern is None:
            ordered = sorted(self._needles, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(n) for n in ordered))
        return self._pattern.sub(REDACTED, text)

"""What one sampled value is, and what a column's sample adds up to.

A stored value is tried as the app would read it: `Fernet(ENCRYPTION_KEY).decrypt(value)`, then
with ENCRYPTION_KEY_NEW. One that neither opens is told apart by the token's own structure
(url-safe base64 of version byte 0x80, an 8-byte timestamp, a 16-byte IV, whole 16-byte blocks of
ciphertext and a 32-byte HMAC): a well-formed token under some other key, a token cut short or
altered, or not a token at all (plaintext in an encrypted column). Decrypted bytes are dropped at
once and neither they nor the value ever leave this module: only counts and timestamps do.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from checks.encrypted_data.const import MAX_VALUE_CHARS

_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
_MARK = "gAAAAA"  # 0x80 and the high bytes of a timestamp before 2106: how every Fernet token starts
_OVERHEAD = 1 + 8 + 16 + 32  # version, timestamp, IV, HMAC


class Kind(enum.Enum):
    """What a sampled value turned out to be."""

    CURRENT = "decrypts with ENCRYPTION_KEY"
    NEW = "decrypts only with ENCRYPTION_KEY_NEW"
    FOREIGN = "a Fernet token neither key decrypts"
    DAMAGED = "a Fernet token cut short or altered"
    PLAIN = "not a Fernet token"
    OVERSIZED = f"longer than {MAX_VALUE_CHARS} characters, not examined"


@dataclass(frozen=True)
class Keys:
    """The app's Fernet and, during a rotation, the new key's (None when unset, unusable or the same)."""

    current: Any
    new: Any | None


def load_keys(current_raw: str, new_raw: str) -> Keys | None:
    """Both keys as the app loads them; None when ENCRYPTION_KEY itself does not load."""
    from cryptography.fernet import Fernet

    try:
        current = Fernet(current_raw)
    except (ValueError, TypeError):
        return None
    new = None
    if new_raw.strip() and new_raw != current_raw:
        try:
            new = Fernet(new_raw)
        except (ValueError, TypeError):
            new = None  # the fernet check reports ENCRYPTION_KEY_NEW itself
    return Keys(current, new)


def _opened_by(fernet: Any, value: str | bytes) -> int | None:
    """The token's timestamp when `fernet` decrypts `value`, else None (the plaintext is discarded)."""
    from cryptography.fernet import InvalidToken

    try:
        fernet.decrypt(value)
        return int(fernet.extract_timestamp(value))
    except (InvalidToken, ValueError, TypeError):
        return None


def structure(text: str) -> tuple[Kind, int | None]:
    """FOREIGN with the token's (unauthenticated) timestamp, DAMAGED, or PLAIN, from the shape alone."""
    stripped = text.strip()
    if not stripped.startswith(_MARK):
        return Kind.PLAIN, None
    if set(stripped) - _ALPHABET:
        return Kind.DAMAGED, None
    try:
        raw = base64.urlsafe_b64decode(stripped)
    except (binascii.Error, ValueError):
        return Kind.DAMAGED, None
    if len(raw) < _OVERHEAD + 16 or (len(raw) - _OVERHEAD) % 16 or raw[0] != 0x80:
        return Kind.DAMAGED, None
    return Kind.FOREIGN, int.from_bytes(raw[1:9], "big")


def classify(value: object, keys: Keys) -> tuple[Kind, int | None]:
    """What `value` (a str, or bytes from a bytea column) is, and its token's timestamp when it has one."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        try:
            text = value.decode("ascii")
        except UnicodeDecodeError:
            return Kind.PLAIN, None
    elif isinstance(value, str):
        text = value
    else:
        return Kind.PLAIN, None
    if len(text) > MAX_VALUE_CHARS:
        return Kind.OVERSIZED, None
    if not text.isascii():
        return Kind.PLAIN, None
    for kind, fernet in ((Kind.CURRENT, keys.current), (Kind.NEW, keys.new)):
        if fernet is not None:
            stamp = _opened_by(fernet, text)
            if stamp is not None:
                return kind, stamp
    return structure(text)


@dataclass
class Tally:
    """How many of a column's sampled values are of each kind, and the tokens' timestamps."""

    counts: Counter[Kind] = field(default_factory=Counter)
    stamps: dict[Kind, list[int]] = field(default_factory=dict)

    def add(self, kind: Kind, stamp: int | None) -> None:
        """Count one value."""
        self.counts[kind] += 1
        if stamp is not None:
            self.stamps.setdefault(kind, []).append(stamp)

    def __iadd__(self, other: Tally) -> Tally:
        self.counts.update(other.counts)
        for kind, stamps in other.stamps.items():
            self.stamps.setdefault(kind, []).extend(stamps)
        return self

    @property
    def examined(self) -> int:
        """Values examined (every one but those too long to look at)."""
        return sum(n for kind, n in self.counts.items() if kind is not Kind.OVERSIZED)


@dataclass
class ColumnSample:
    """What reading one column gave: `state` is sampled, empty, cut, missing_table, missing_column or failed."""

    label: str
    state: str
    tally: Tally = field(default_factory=Tally)
    method: str = ""
    rows: int | None = None  # the planner's estimate of the table's rows
    note: str = ""  # the server's words for a failure, scrubbed

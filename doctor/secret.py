"""Secret values that never print themselves, their fingerprints, and the output scrubber."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

# Prefixes that are public by design, so a fingerprint may show them.
PUBLIC_PREFIXES = (
    "sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_", "we_",
    "AKIA", "ASIA", "AC", "SK", "GOCSPX-",
)

REDACTED = "[redacted]"
FRAGMENT = 4  # a run of this many characters of a secret is masked wherever it appears


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


# Fragments are taken from at most this many characters of one value (its two ends): a value that
# long is a pasted file rather than a key, and every 4-gram of a megabyte would cost ~100 MB.
_GRAM_SOURCE = 8192


# A line break of a multi-line reply, with what a continuation line may start with: a reply code
# (`454-`), an enhanced status code (`4.7.0 `), or both.
_LINE_BREAK = re.compile(r"\r?\n[ \t]*(?:\d{3}[- ])?(?:\d\.\d{1,3}\.\d{1,3} )?")


def _apply(text: str, spans: list[list[int]]) -> str:
    """`text` with every span (merged where they touch) replaced by REDACTED."""
    if not spans:
        return text
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], REDACTED]
        last = end
    out.append(text[last:])
    return "".join(out)


class Redactor:
    """Masks every known secret value in text and, in text a peer may have written, every run of
    4 or more of its characters.

    The last line of defence: the report passes every string through it, so a secret that a check
    or a library put into a message still never reaches the user's terminal or a log, also when
    a server echoed only part of it (a truncated error, a reply split across lines, the half of a
    password libpq kept after the first `@`). Each secret is known in every form a library may
    print: raw, trimmed, percent-encoded and percent-decoded. A public prefix (`sk_live_`, `whsec_`)
    is not secret, so text that shares only that prefix is left alone.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._needles: set[str] = set()
        self._grams: set[str] = set()
        for value in secrets:
            self.add(value)
        self._pattern: re.Pattern[str] | None = None
        self._tails: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        """Register a secret value; values under 4 characters are ignored (they would mask noise)."""
        if not value:
            return
        for form in {value, value.strip(), quote(value, safe=""), unquote(value)}:
            if len(form) < FRAGMENT:
                continue
            self._needles.add(form)
            body = _without_public_prefix(form)
            if len(body) > _GRAM_SOURCE:  # a pasted file, not a key: its ends are what an echo keeps
                body = body[:_GRAM_SOURCE // 2] + "\0" + body[-_GRAM_SOURCE // 2:]
            self._grams.update(g for g in (body[i:i + FRAGMENT] for i in range(len(body) - FRAGMENT + 1))
                               if "\0" not in g)
        self._pattern = None

    def __call__(self, text: str) -> str:
        """Return `text` with every registered secret value masked (in any of its forms)."""
        return self._mask(text, fragments=False)

    def fragments(self, text: str) -> str:
        """Return `text` with every registered secret, and every 4-character run of one, masked:
        for text a server or a library wrote (titles, details, reasons), which may echo a part."""
        return self._mask(text, fragments=True)

    def across_lines(self, text: str) -> str:
        """`fragments`, also where a line break splits a secret: a multi-line server reply (an SMTP
        `454-…` continuation, a wrapped error) is searched with its breaks, and the reply codes
        that start continuation lines, taken out; a match masks the break with the pieces."""
        if not self._needles or not text:
            return text
        kept: list[int] = []  # for each character of the joined text, its index in `text`
        last = 0
        for brk in _LINE_BREAK.finditer(text):
            kept.extend(range(last, brk.start()))
            last = brk.end()
        kept.extend(range(last, len(text)))
        joined = "".join(text[i] for i in kept)
        spans = [[kept[a], kept[b - 1] + 1] for a, b in self._spans(joined, fragments=True)]
        spans += self._spans(text, fragments=True)
        return _apply(text, spans)

    def _spans(self, text: str, fragments: bool) -> list[list[int]]:
        if self._pattern is None:
            ordered = sorted(self._needles, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(n) for n in ordered))
            tails = {fingerprint(n).rsplit("ending ", 1)[1] for n in self._needles if "ending …" in fingerprint(n)}
            self._tails = re.compile("|".join(re.escape(f"ending {t}") for t in tails)) if tails else None
        spans = [[m.start(), m.end()] for m in self._pattern.finditer(text)]
        if fragments:
            spans += self._fragment_spans(text)
        return spans

    def _mask(self, text: str, fragments: bool) -> str:
        if not self._needles or not text:
            return text
        return _apply(text, self._spans(text, fragments))

    def _fragment_spans(self, text: str) -> list[list[int]]:
        # A fingerprint's own "ending …abcd>" shows the last 4 by design (design.md): it stays.
        allowed = [(m.start(), m.end()) for m in self._tails.finditer(text)] if self._tails else []
        grams = self._grams
        spans: list[list[int]] = []
        for start in range(len(text) - FRAGMENT + 1):  # linear: one set lookup per position
            if text[start:start + FRAGMENT] not in grams:
                continue
            if any(a <= start and start + FRAGMENT <= b for a, b in allowed):
                continue
            if spans and start <= spans[-1][1]:
                spans[-1][1] = start + FRAGMENT
            else:
                spans.append([start, start + FRAGMENT])
        return spans


def _without_public_prefix(value: str) -> str:
    prefix = next((p for p in PUBLIC_PREFIXES if value.startswith(p) and len(value) > len(p) + 8), "")
    return value[len(prefix):]

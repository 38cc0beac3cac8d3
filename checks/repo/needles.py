"""The configured secret values to look for, in every form a file may hold them, and the search itself.

Each value is searched raw, trimmed and percent-encoded (a URL's password also percent-decoded).
Values under 8 characters and the guide's placeholders are left out: they would match by chance.
What a search returns is a per-run keyed hash of the form that matched (HMAC with a random key
made for this run), never the bytes, so no result, finding or crash report can carry a value; the
hash dies with the run. Searching is `bytes.find` per value over each buffer while it is in cache
(CPython's two-way search runs several GB/s a needle, 4–5 × `re`'s alternation of the same
strings): one needle per value, the run of characters all its forms share, and its forms only
where that run occurs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from checks.common import is_placeholder
from checks.repo.const import MIN_VALUE_CHARS, SECRET_NAMES, URL_NAMES
from doctor import Context
from doctor.config import url_password

_ESCAPE = re.compile(r"%[0-9A-F]{2}")
_UNRESERVED = re.compile(rb"[A-Za-z0-9_.~-]+")  # what quote() never encodes
_MIN_CORE = 12  # a shorter shared run would hit by chance, costing a full search of the forms


@dataclass
class Needles:
    """The forms to search for, each tied to the variables whose value it is (by keyed hash only).

    The forms of one value share a core (its longest run of characters percent-encoding leaves
    alone); a buffer is searched for the cores, and for the full forms only where a core is."""

    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _groups: list[tuple[bytes, list[tuple[bytes, str]]]] = field(default_factory=list, repr=False)
    owners: dict[str, set[str]] = field(default_factory=dict)  # token -> variables
    tokens_of: dict[str, set[str]] = field(default_factory=dict)  # variable -> tokens

    def __repr__(self) -> str:
        forms = sum(len(members) for _, members in self._groups)
        return f"Needles({forms} forms in {len(self._groups)} groups, of {len(self.tokens_of)} variables)"

    def _token(self, form: bytes) -> str:
        return hmac.new(self._key, form, hashlib.sha256).hexdigest()[:24]

    def add(self, variable: str, value: str, url_encoded: bool = False) -> None:
        """Register `variable`'s value in each of its forms (skipping short values and placeholders)."""
        candidates = {value, value.strip()}
        candidates |= {unquote(v) for v in candidates} if url_encoded else set()
        candidates |= {quote(v, safe="") for v in list(candidates)}
        candidates |= {_ESCAPE.sub(lambda m: m.group(0).lower(), v) for v in list(candidates)}  # %2f as well as %2F
        forms = []
        for text in sorted(candidates):
            if len(text.strip()) < MIN_VALUE_CHARS or is_placeholder(text) or len(set(text)) < 4:
                continue
            form = text.encode("utf-8", "surrogateescape")
            token = self._token(form)
            self.owners.setdefault(token, set()).add(variable)
            self.tokens_of.setdefault(variable, set()).add(token)
            forms.append((form, token))
        known = {token for _, members in self._groups for _, token in members}
        forms = [(form, token) for form, token in forms if token not in known]
        if not forms:
            return
        runs = _UNRESERVED.findall(unquote(value.strip()).encode("utf-8", "surrogateescape"))
        core = max(runs, key=len, default=b"")
        if len(core) >= _MIN_CORE and all(core in form for form, _ in forms):
            self._groups.append((core, forms))
        else:
            self._groups += [(form, [(form, token)]) for form, token in forms]

    def __bool__(self) -> bool:
        return bool(self._groups)

    def cores(self) -> list[bytes]:
        """What a buffer is searched for first: every form holds its group's core (a prefilter such as
        `grep -F` over them finds every blob `search` could find anything in)."""
        return [core for core, _ in self._groups]

    def search(self, data: bytes) -> set[str]:
        """The tokens of every form `data` contains."""
        return self.search_range(data, 0, len(data))

    def search_range(self, data: bytes, start: int, end: int) -> set[str]:
        """The tokens of every form `data[start:end]` contains (without copying it)."""
        found = set()
        for core, members in self._groups:
            if data.find(core, start, end) < 0:
                continue
            found.update(token for form, token in members if form is core or data.find(form, start, end) >= 0)
        return found

    def variables(self, tokens: Iterable[str]) -> set[str]:
        """The variables whose values the tokens stand for."""
        return {name for token in tokens for name in self.owners.get(token, ())}


def configured_needles(ctx: Context) -> Needles:
    """Every configured secret value (SECRET_NAMES, and the password inside DATABASE_URL / REDIS_URL)."""
    needles = Needles()
    for name in SECRET_NAMES:
        value = ctx.get(name)
        if value:
            needles.add(name, value)
    for name in URL_NAMES:
        value = ctx.get(name)
        password = url_password(value.strip()) if value else None
        if password:
            needles.add(name, password, url_encoded=True)
    return needles

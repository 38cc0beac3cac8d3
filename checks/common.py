"""Small helpers the built-in checks share: placeholders, booleans, whitespace, URLs."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

# Values copied verbatim from the secrets-management guide's examples.
_PLACEHOLDER_PATTERNS = [
    re.compile(r"<[a-z0-9][a-z0-9 _-]*>"),  # <64-char-random>, <client-id>, <secret>, <key>
    re.compile(r"^your[-_]", re.IGNORECASE),  # your-email@gmail.com, your-app-name
    re.compile(r"//your-app[.-]", re.IGNORECASE),  # https://your-app.herokuapp.com
    re.compile(r"@your-app\.", re.IGNORECASE),
    re.compile(r"^(changeme|change-me|change_me|replace-?me|todo|xxx+|placeholder|example|secret|password)$",
               re.IGNORECASE),
    re.compile(r"^(sk|pk|rk)_(live|test)_(<key>|key|xxx+|\.\.\.|…)$", re.IGNORECASE),
    re.compile(r"^whsec_(<secret>|secret|xxx+|\.\.\.|…)$", re.IGNORECASE),
    re.compile(r"^postgresql://user:pass@host:5432/dbname$"),
    re.compile(r"^redis://:password@host:6379/0$"),
    re.compile(r"^\+1234567890$"),
]

# pydantic v2's accepted spellings of booleans (case-insensitive).
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}

INVISIBLE = {
    "\u00a0": "a no-break space (U+00A0)",
    "\u200b": "a zero-width space (U+200B)",
    "\u200c": "a zero-width non-joiner (U+200C)",
    "\u200d": "a zero-width joiner (U+200D)",
    "\u2060": "a word joiner (U+2060)",
    "\ufeff": "a byte-order mark (U+FEFF)",
    "\u202f": "a narrow no-break space (U+202F)",
}


def is_placeholder(value: str) -> bool:
    """True when `value` is still one of the guide's example placeholders."""
    stripped = value.strip()
    return any(p.search(stripped) for p in _PLACEHOLDER_PATTERNS)


def _adapter(kind: type) -> Any:
    """pydantic's own validator for `kind` when pydantic is importable here (the app's virtualenv,
    or a dyno's slug), else None: then the built-in model below, which copies pydantic 2.x."""
    if kind not in _ADAPTERS:
        try:
            from pydantic import TypeAdapter
        except ImportError:
            _ADAPTERS[kind] = None
        else:
            _ADAPTERS[kind] = TypeAdapter(kind)
    return _ADAPTERS[kind]


_ADAPTERS: dict[type, Any] = {}


def pydantic_model() -> str:
    """Which model decides booleans and integers: pydantic's version, or `builtin`."""
    if _adapter(bool) is None:
        return "builtin"
    import pydantic

    return str(pydantic.VERSION)


def _validated(kind: type, value: str) -> Any:
    from pydantic import ValidationError

    try:
        return _adapter(kind).validate_python(value)
    except ValidationError:
        return None


def parse_bool(value: str) -> bool | None:
    """The boolean pydantic would read, or None when it would reject the value.

    pydantic v2 rejects surrounding whitespace (" True"), so that is None too.
    """
    if _adapter(bool) is not None:
        return _validated(bool, value)  # type: ignore[no-any-return]
    if value != value.strip():
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


# pydantic-core trims Unicode White_Space around a number; Python's str.strip() also strips the
# separators U+001C..U+001F, which pydantic keeps (and then rejects).
_NUMBER_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
                 + "\u2028\u2029\u202f\u205f\u3000")
_NUMBER = re.compile(r"([+-]?)([0-9_]+)(?:\.0+)?")
_DIGITS = re.compile(r"[0-9]+(?:_[0-9]+)*")


def parse_int(value: str) -> int | None:
    """The int pydantic would read from a string, or None when it would reject it (`10.`, `1e3`,
    `١٤٤٠`, control characters, more digits than Python converts)."""
    if _adapter(int) is not None:
        return _validated(int, value)  # type: ignore[no-any-return]
    match = _NUMBER.fullmatch(value.strip(_NUMBER_SPACE))
    if match is None:
        return None
    sign, body = match.groups()
    if body.startswith("0"):  # pydantic-core drops leading zeros and underscores, keeping the last character
        skip = 0
        while skip < len(body) - 1 and body[skip] in "0_":
            skip += 1
        body = body[skip:]
    if not _DIGITS.fullmatch(body):
        return None
    digits = body.replace("_", "").lstrip("0")  # leading zeros do not count toward the limit
    if len(digits) > sys.get_int_max_str_digits():
        return None
    return int(sign + (digits or "0"))


def describe_whitespace(value: str) -> str | None:
    """Say where surrounding whitespace or invisible characters sit, or None when clean.

    Never quotes the value itself: callers use this on secrets too.
    """
    problems = []
    if value != value.lstrip():
        problems.append("leading whitespace")
    trailing = value[len(value.rstrip()):]
    if "\n" in trailing or "\r" in trailing:
        problems.append("a trailing newline")
    elif trailing:
        problems.append("trailing whitespace")
    for position, char in enumerate(value):
        if char in INVISIBLE:
            problems.append(f"{INVISIBLE[char]} at position {position + 1}")
            break
    return ", ".join(problems) if problems else None


def strip_quotes(value: str) -> tuple[str, bool]:
    """Remove one pair of surrounding quotes that made it into the value (a shell or dashboard
    paste of `"value"`); return the inner value and whether quotes were removed."""
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        return stripped[1:-1], True
    return value, False


def cleaned(raw: str) -> str:
    """The value without surrounding whitespace and one pair of stray quotes."""
    value, _ = strip_quotes(raw.strip())
    return value.strip()


def describe_stray(raw: str) -> str | None:
    """Whitespace, invisible characters and surrounding quotes around a value, in words; None when
    clean. Never quotes the value."""
    where = describe_whitespace(raw)
    _, quoted = strip_quotes(raw)
    parts = [p for p in (where, "surrounding quotes" if quoted else None) if p]
    return ", ".join(parts) if parts else None


@dataclass(frozen=True)
class ParsedUrl:
    """A URL taken apart without raising; `error` says why it could not be read."""

    parts: SplitResult | None
    port: int | None = None
    error: str | None = None


def parse_url(value: str) -> ParsedUrl:
    """Split a URL; a malformed port or bracket becomes `error`, never an exception."""
    try:
        parts = urlsplit(value.strip())
    except ValueError as exc:
        return ParsedUrl(None, error=_safe_reason(exc))
    try:
        port = parts.port
    except ValueError:
        return ParsedUrl(parts, error="the port is not a number from 0 to 65535")
    return ParsedUrl(parts, port)


def _safe_reason(exc: ValueError) -> str:
    text = str(exc)
    if "IPv6" in text or "bracket" in text:
        return "an unbalanced [ or ] in the host"
    return "it is not a valid URL"


_DNS_WORDS = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
              "no address associated with hostname", "getaddrinfo failed", "could not translate host name",
              "failed to resolve host", "name resolution")
_CONNECT_ERRNOS = frozenset({111, 101, 113, 61, 51, 65})  # ECONNREFUSED, ENETUNREACH, EHOSTUNREACH (Linux, BSD)


def _chain(exc: BaseException, limit: int = 20) -> list[BaseException]:
    """`exc`, its causes and contexts, and exceptions a library wrapped in its args (cycle-safe)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < limit:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        todo += list(getattr(current, "exceptions", ()))  # ExceptionGroup
    return seen


def network_symptom(exc: BaseException) -> str:
    """How a network failure looks, the same in every check: `dns` (a name did not resolve),
    `connect` (no TCP connection: refused or unreachable), `tls_verify` (a certificate failed
    verification), or '' for anything else (an answer came, or the cause is unknown)."""
    import socket
    import ssl

    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(w in text for w in _DNS_WORDS):
        return "dns"
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "certificate verify failed" in text:
        return "tls_verify"
    if any(isinstance(e, ConnectionRefusedError) or (isinstance(e, OSError) and e.errno in _CONNECT_ERRNOS)
           for e in chain) or "connection refused" in text:
        return "connect"
    return ""


def tag_symptoms(findings: list[Any], symptoms: dict[str, str]) -> list[Any]:
    """Give each finding whose id is in `symptoms` that network symptom (unless it has one)."""
    for finding in findings:
        if not finding.symptom:
            finding.symptom = symptoms.get(finding.id, "")
    return findings


MAX_RESPONSE_BYTES = 4 * 2**20  # far above any API answer a check reads; a larger one is not the service


class ResponseTooLarge(Exception):
    """A peer's answer announced or sent more than `MAX_RESPONSE_BYTES`; the rest was never read."""


def capped_transport(inner: Any, cap: int = MAX_RESPONSE_BYTES) -> Any:
    """An httpx async transport over `inner` whose answers raise `ResponseTooLarge` past `cap` bytes,
    before they are buffered (a declared Content-Length over the cap is refused unread)."""
    import httpx

    class Capped(httpx.AsyncByteStream):
        def __init__(self, stream: Any) -> None:
            self.stream, self.seen = stream, 0

        async def __aiter__(self) -> Any:
            async for chunk in self.stream:
                self.seen += len(chunk)
                if self.seen > cap:
                    raise ResponseTooLarge(self.seen)
                yield chunk

        async def aclose(self) -> None:
            await self.stream.aclose()

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            request.headers["Accept-Encoding"] = "identity"  # no compressed answer to inflate past the cap
            response = await inner.handle_async_request(request)
            declared = response.headers.get("content-length", "0").strip()
            if not declared.isdigit() or int(declared) > cap:
                await response.aclose()
                raise ResponseTooLarge(declared[:20])
            return httpx.Response(response.status_code, headers=response.headers, stream=Capped(response.stream),
                                  extensions=response.extensions)

        async def aclose(self) -> None:
            await inner.aclose()

    return Transport()


def cap_client(client: Any, cap: int = MAX_RESPONSE_BYTES) -> Any:
    """`client` (an httpx.AsyncClient, e.g. one an SDK built) with every transport size-capped: its own and
    the proxy transports it mounted from HTTP(S)_PROXY. httpx has no public setter, so both are rewrapped."""
    client._transport = capped_transport(client._transport, cap)
    client._mounts = {pattern: capped_transport(t, cap) if t is not None else None
                      for pattern, t in client._mounts.items()}
    return client


# -- git, run so that a repository's own config executes nothing (the dotenv and repo checks) -------
# Command-line config beats the repository's: each names a program git could otherwise run.
GIT_HARDENING = (
    "-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null", "-c", "diff.external=", "-c", "core.pager=cat",
    "-c", "core.sshCommand=false", "-c", "core.askPass=false", "-c", "credential.helper=",
    "-c", "protocol.allow=never", "-c", "gpg.program=false", "-c", "log.showSignature=false", "-c", "color.ui=never",
    "-c", "core.untrackedCache=false", "-c", "core.quotePath=false", "--no-pager",
)
# Kept from the environment: what finds git and the user's own (trusted) global config. GIT_* variables are
# dropped: an inherited GIT_DIR or GIT_EXTERNAL_DIFF must not redirect or arm the check's git.
_GIT_KEEP = ("PATH", "HOME", "USERPROFILE", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "XDG_CONFIG_HOME")


def git_environment() -> dict[str, str]:
    """The environment every git process the checks run gets: no inherited GIT_*, no system config."""
    import os

    env = {name: os.environ[name] for name in _GIT_KEEP if name in os.environ}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_NO_LAZY_FETCH="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0",
               GIT_NO_REPLACE_OBJECTS="1", LC_ALL="C", GIT_ASKPASS="false", SSH_ASKPASS="false")
    return env


def quiet_logger(name: str):  # noqa: ANN201 - logging.Logger, imported lazily
    """A logger outside the logging tree with only a NullHandler: an SDK's request log goes nowhere."""
    import logging

    logger = logging.Logger(name, logging.CRITICAL + 1)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger

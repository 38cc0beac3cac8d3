"""Configuration sources (process environment and dotenv files) and their precedence.

The app loads its settings with pydantic-settings: the process environment wins over `.env`,
and among several env files a later one wins over an earlier one. `Config` reproduces that and
remembers where each value came from, so findings can point at `.env:12`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

from doctor.dotenv import DotenvFile, read_file
from doctor.secret import Redactor

# The secret variables named by the contract (design.md, "Secrets").
SECRET_VARS = frozenset({
    "SECRET_KEY", "ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW", "MAIL_PASSWORD", "GOOGLE_CLIENT_SECRET",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
    "TWILIO_AUTH_TOKEN",
})
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL", re.IGNORECASE)
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GREEDY_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:(.*)@", re.DOTALL)


class ConfigError(Exception):
    """The doctor cannot read the configuration it was asked to read (exit code 2)."""


def is_secret_name(name: str) -> bool:
    """True for a variable whose value must never be shown."""
    return name in SECRET_VARS or bool(_SECRET_NAME.search(name))


@dataclass(frozen=True)
class Value:
    """A variable's effective value and where it came from (`line` is None for the environment)."""

    name: str
    value: str
    origin: str
    line: int | None = None

    @property
    def where(self) -> str:
        """`.env:12` or `the environment`."""
        return f"{self.origin}:{self.line}" if self.line else self.origin


@dataclass(frozen=True)
class Shadow:
    """A variable set both in the process environment and in a dotenv file, differently."""

    name: str
    file: str
    line: int | None


ENVIRONMENT_ORIGIN = "the environment"


class Config:
    """Every source of configuration, merged with the app's precedence."""

    def __init__(self, files: Iterable[DotenvFile], environ: Mapping[str, str],
                 unreadable: Iterable[tuple[str, str]] = ()) -> None:
        self.files = list(files)
        self.environ = dict(environ)
        self.unreadable = list(unreadable)  # (path, reason) of an implicit ./.env the app cannot read either
        self._file_values: dict[str, Value] = {}
        for parsed in self.files:  # a later file wins over an earlier one
            for name, value in parsed.values(self.environ).items():
                binding = parsed.last_binding(name)
                if value is not None:
                    self._file_values[name] = Value(name, value, parsed.path, binding.line if binding else None)
                else:
                    self._file_values.pop(name, None)

    @property
    def sources(self) -> list[str]:
        """The dotenv files read, in order."""
        return [parsed.path for parsed in self.files]

    def lookup(self, name: str) -> Value | None:
        """The value the app would see for `name`, or None when unset."""
        if name in self.environ:
            return Value(name, self.environ[name], ENVIRONMENT_ORIGIN)
        return self._file_values.get(name)

    def file_value(self, name: str) -> Value | None:
        """The value the dotenv files give `name`, ignoring the environment."""
        return self._file_values.get(name)

    def shadowed(self) -> list[Shadow]:
        """Variables whose environment value hides a different dotenv value."""
        found = []
        for name, value in sorted(self._file_values.items()):
            if name in self.environ and self.environ[name] != value.value:
                found.append(Shadow(name, value.origin, value.line))
        return found

    def names(self) -> set[str]:
        """Every variable name any source sets."""
        return set(self.environ) | set(self._file_values)

    def redactor(self) -> Redactor:
        """A scrubber that knows every secret value in every source."""
        redactor = Redactor()
        candidates: list[tuple[str, str]] = list(self.environ.items())
        for parsed in self.files:
            candidates += [(b.key or "", b.value or "") for b in parsed.assignments]
            candidates += [(b.key or "", b.raw_value) for b in parsed.assignments]
        for name, value in candidates:
            if is_secret_name(name):
                redactor.add(value)
            redactor.add(url_password(value.strip()))
            redactor.add(_urlsplit_password(value.strip()))  # in case a library splits it otherwise
            greedy = _GREEDY_PASSWORD.match(value.strip())  # an unencoded / ? # inside the password
            if greedy:
                redactor.add(greedy.group(1))
            for secret in query_credentials(value):  # libpq and redis-py read ?password= too
                redactor.add(secret)
        return redactor


_CREDENTIAL_PARAMS = frozenset({"password", "sslpassword", "pass", "passwd", "token", "auth_token",
                                "access_token", "secret", "client_secret", "api_key", "apikey", "key"})


def query_credentials(value: str) -> list[str]:
    """Credential-bearing query parameters of a URL-like value (`?password=…`, `&sslpassword=…`),
    raw and percent-decoded. Never raises."""
    if "?" not in value and "&" not in value:
        return []
    query = value.split("?", 1)[1] if "?" in value else value
    found = []
    for pair in re.split(r"[&;]", query.split("#", 1)[0]):
        name, _, raw = pair.partition("=")
        if name.strip().lower() in _CREDENTIAL_PARAMS and raw:
            found += [raw, unquote_plus(raw)]
    return found


def _urlsplit_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _password_span(url: str) -> tuple[int, int] | None:
    """Where the password of `scheme://user:password@host…` sits, by urlsplit's rule (the host
    part ends at the first / ? #, the user part at its last @), on any characters at all."""
    scheme = _URL_SCHEME.match(url)
    if not scheme:
        return None
    rest = url[scheme.end():]
    ends = [i for i in (rest.find(c) for c in "/?#") if i >= 0]
    netloc = rest[: min(ends)] if ends else rest
    at = netloc.rfind("@")
    colon = netloc.find(":", 0, at) if at > 0 else -1
    if colon < 0:
        return None
    return scheme.end() + colon + 1, scheme.end() + at


def url_password(url: str) -> str | None:
    """The password part of a URL, or None. Never raises."""
    span = _password_span(url)
    return url[span[0] : span[1]] if span else None


def mask_url_password(value: str) -> str:
    """`scheme://user:secret@host` becomes `scheme://user:<password>@host`; other text is unchanged."""
    span = _password_span(value)
    return value[: span[0]] + "<password>" + value[span[1] :] if span else value


def load_config(env_files: list[str] | None, environ: Mapping[str, str], cwd: str | None = None) -> Config:
    """Read the named dotenv files (or `./.env` when none is named and it exists).

    Raises ConfigError for a named file that cannot be read.
    """
    files: list[DotenvFile] = []
    unreadable: list[tuple[str, str]] = []
    if env_files:
        for path in env_files:
            try:
                files.append(read_file(path))
            except IsADirectoryError:
                raise ConfigError(f"--env-file {path}: is a directory, not a dotenv file") from None
            except FileNotFoundError:
                raise ConfigError(f"--env-file {path}: no such file") from None
            except OSError as exc:
                raise ConfigError(f"--env-file {path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    else:
        default = Path(cwd or os.getcwd()) / ".env"
        if default.is_file():
            try:
                parsed = read_file(default)
                parsed.path = ".env"
                files.append(parsed)
            except OSError as exc:  # reported by the dotenv check, not fatal: the rest still runs
                unreadable.append((".env", exc.strerror or type(exc).__name__))
    return Config(files, environ, unreadable)

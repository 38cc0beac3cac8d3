"""Configuration sources (process environment, dotenv files, `heroku config --json` output,
standard input) and their precedence.

The app loads its settings with pydantic-settings: the process environment wins over `.env`,
and among several env files a later one wins over an earlier one. `Config` reproduces that and
remembers where each value came from, so findings can point at `.env:12` or `prod.json key X`.

It also knows, where the configuration layer is the reason, why a variable the app needs is not
set (`unset_cause`): a `heroku config` dump the app cannot read, an unreadable `./.env`, or no
configuration at all. Checks skip with that reason, and consequences name the root finding.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote_plus, urlsplit

from doctor.dotenv import MAX_FILE_BYTES, STDIN_PATH, DotenvFile
from doctor.heroku import JSON_KIND, SourceFormatError, looks_like_json, parse_dotenv, parse_json
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
# The variables without which the app cannot boot: when none is set anywhere and no file was read,
# there is no configuration at all. (checks/dotenv/const.py holds the same names for `doctor list`.)
BOOT_VARS = ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY")
# The root findings the configuration layer's state is reported by (the `dotenv` check emits them).
HEROKU_FORMAT_ROOT = "dotenv.heroku_config_format"
UNREADABLE_ROOT = "dotenv.unreadable"
NOT_FOUND_ROOT = "dotenv.not_found"
ON_DYNO_ROOT = "dotenv.on_dyno"
# `true` when the app's Settings sets case_sensitive=True: names then match exactly.
CASE_SENSITIVE_VAR = "DOCTOR_CASE_SENSITIVE"


class ConfigError(Exception):
    """The doctor cannot read the configuration it was asked to read (exit code 2)."""


_SECRETISH = re.compile(r"^(?=[^a-z]*[a-z])(?=[^A-Z]*[A-Z])(?=(?:\D*\d){2})[A-Za-z0-9+/=_-]{20,}$")


def looks_like_secret_value(name: str) -> bool:
    """True for a variable *name* shaped like a key (mixed case, two digits or more, 20+ characters, e.g. a Fernet
    key pasted alone on its own line, which python-dotenv reads as a name): it is masked like a value."""
    return bool(_SECRETISH.match(name))


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
    json_key: bool = False  # from a `heroku config --json` source: located by key, not by line

    @property
    def where(self) -> str:
        """`.env:12`, `prod.json key DATABASE_URL` or `the environment`."""
        if self.json_key:
            return f"{self.origin} key {self.name}"
        return f"{self.origin}:{self.line}" if self.line else self.origin


@dataclass(frozen=True)
class Shadow:
    """A variable set both in the process environment and in a dotenv file, differently."""

    name: str
    file: str
    line: int | None
    json_key: bool = False

    @property
    def where(self) -> str:
        """Where the hidden file value is: `.env:12` or `prod.json key NAME`."""
        return Value(self.name, "", self.file, self.line, self.json_key).where


@dataclass(frozen=True)
class UnsetCause:
    """Why a variable is unset, when the configuration layer is the reason.

    `root` is the finding id that explains it; `reason` completes "NAME is …" / "NAMES are …";
    `present` means the value is in a source the app cannot read: never report it as missing.
    """

    root: str
    reason: str
    present: bool = False


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
            last = {b.key: b for b in parsed.assignments}  # one pass: the last binding of each name wins
            for name, value in parsed.values(self.environ).items():
                binding = last.get(name)
                if value is not None:
                    self._file_values[name] = Value(name, value, parsed.path, binding.line if binding else None,
                                                    parsed.kind == JSON_KIND)
                else:
                    self._file_values.pop(name, None)
        # pydantic-settings matches names case-insensitively by default (`secret_key=` sets SECRET_KEY):
        # each source folded to lower case, a later spelling winning, unless DOCTOR_CASE_SENSITIVE says
        # the app's Settings sets case_sensitive=True.
        switch = self.environ.get(CASE_SENSITIVE_VAR, (self._file_values.get(CASE_SENSITIVE_VAR) or Value("", "", ""))
                                  .value)
        self.case_sensitive = switch.strip().lower() in ("1", "true", "yes", "on")
        self._environ_folded: dict[str, str] = {}  # lower-case name -> the spelling that wins
        for name in self.environ:
            self._environ_folded[name.lower()] = name
        self._file_folded: dict[str, Value] = {}
        for parsed in self.files:
            for name, value in parsed.values(self.environ).items():
                if value is None:
                    self._file_folded.pop(name.lower(), None)
                else:
                    self._file_folded[name.lower()] = self._file_values.get(name) or Value(name, value, parsed.path)
        # In a `heroku config` dump (which the app cannot read) and set by no source it can: never "missing".
        self.hidden: dict[str, Value] = {}
        for parsed in self.files:
            for name, line, value in parsed.heroku.entries if parsed.heroku else ():
                if self.lookup(name) is None:
                    self.hidden[name] = Value(name, value, parsed.path, line)

    @property
    def sources(self) -> list[str]:
        """The dotenv files read, in order."""
        return [parsed.path for parsed in self.files]

    def lookup(self, name: str) -> Value | None:
        """The value the app would see for `name`, or None when unset. Unless `case_sensitive`, a
        name spelled in another letter case counts, as for pydantic-settings; the Value's `name`
        is then the spelling the source uses."""
        if self.case_sensitive:
            if name in self.environ:
                return Value(name, self.environ[name], ENVIRONMENT_ORIGIN)
            return self._file_values.get(name)
        spelled = self._environ_folded.get(name.lower())
        if spelled is not None:
            return Value(spelled, self.environ[spelled], ENVIRONMENT_ORIGIN)
        return self._file_folded.get(name.lower())

    def file_value(self, name: str) -> Value | None:
        """The value the dotenv files give `name`, ignoring the environment."""
        if self.case_sensitive:
            return self._file_values.get(name)
        return self._file_folded.get(name.lower())

    def shadowed(self) -> list[Shadow]:
        """Variables whose environment value hides a different dotenv value."""
        found = []
        if self.case_sensitive:
            for name, value in sorted(self._file_values.items()):
                if name in self.environ and self.environ[name] != value.value:
                    found.append(Shadow(name, value.origin, value.line, value.json_key))
            return found
        for folded, value in sorted(self._file_folded.items()):
            spelled = self._environ_folded.get(folded)
            if spelled is not None and self.environ[spelled] != value.value:
                found.append(Shadow(spelled, value.origin, value.line, value.json_key))
        return found

    @property
    def on_dyno(self) -> bool:
        """True on a Heroku dyno (`DYNO` is set)."""
        return bool(self.environ.get("DYNO"))

    @property
    def no_configuration(self) -> bool:
        """No file read (nor one that failed), not a dyno, and none of the boot variables set."""
        return (not self.files and not self.unreadable and not self.on_dyno
                and not any(self.environ.get(name, "").strip() for name in BOOT_VARS))

    def deployed_dotenv(self) -> DotenvFile | None:
        """The `./.env` the app reads on a Heroku dyno: a file deployed in the slug."""
        return next((f for f in self.files if f.implicit), None) if self.on_dyno else None

    def file_cause(self, path: str) -> str:
        """The root finding that explains why values from the file at `path` matter at all, or ''."""
        deployed = self.deployed_dotenv()
        return ON_DYNO_ROOT if deployed is not None and deployed.path == path else ""

    def unset_cause(self, name: str) -> UnsetCause | None:
        """Why `name` is unset when the configuration layer is the reason; None when it is set, or
        simply not configured (then `env.missing` is the root)."""
        if self.lookup(name) is not None:
            return None
        hidden = self.hidden.get(name)
        if hidden is not None:
            return UnsetCause(HEROKU_FORMAT_ROOT, f"in {hidden.origin} as `heroku config` output, which the app "
                                                  "cannot read", present=True)
        if self.unreadable:
            return UnsetCause(UNREADABLE_ROOT, f"not set: {self.unreadable[0][0]} cannot be read")
        if self.no_configuration:
            return UnsetCause(NOT_FOUND_ROOT, "not set: no configuration was found (no .env file, none of the "
                                              "app's variables in the environment)")
        return None

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
            for name, _, value in parsed.heroku.entries if parsed.heroku else ():
                candidates += [(name, value), *((name, line) for line in value.split("\n")[1:])]
        # What the app sees after `${VAR}` expansion: a password that reaches a URL through another variable.
        candidates += [(value.name, value.value) for value in self._file_values.values()]
        for name, _ in candidates:
            if looks_like_secret_value(name):  # a key pasted alone on a line is read as a name
                redactor.add(name)
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


def read_source(raw: bytes, path: str) -> DotenvFile:
    """A named source's bytes: `heroku config --json` output when it is JSON, else a dotenv file.

    Raises SourceFormatError for JSON (or text starting with `{`) that is not an object of strings.
    """
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return parse_json(raw, path)
    if looks_like_json(raw):  # `[`: JSON when it parses (an array: refused), else a dotenv file
        try:
            return parse_json(raw, path)
        except SourceFormatError as exc:
            if not str(exc).startswith("invalid JSON"):
                raise
    return parse_dotenv(raw, path)


def read_named(path: str, flag: str = "--env-file") -> bytes:
    """The bytes of the source at `path` (at most MAX_FILE_BYTES + 1); ConfigError naming `flag` otherwise.

    A FIFO, a device or a socket is refused before it is opened: opening a FIFO blocks until a
    writer appears, and a device may never end.
    """
    import stat

    from doctor.inputs import kind_of

    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"{flag} {path}: is a directory, not a dotenv file")
        if not stat.S_ISREG(mode):
            raise ConfigError(f"{flag} {path}: is {kind_of(mode)}, not a file; pipe it with `{flag} -` instead")
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{flag} {path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def read_stdin(stdin: BinaryIO | None = None, flag: str = "--env-file") -> bytes:
    """Standard input's bytes (at most MAX_FILE_BYTES + 1); ConfigError naming `flag` when it cannot be read."""
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        return stream.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:  # closed or unreadable standard input
        raise ConfigError(f"{flag} -: standard input cannot be read ({type(exc).__name__})") from None


def load_config(env_files: list[str] | None, environ: Mapping[str, str], cwd: str | None = None,
                stdin: BinaryIO | None = None) -> Config:
    """Read the named sources (or `./.env` when none is named and it exists).

    A named source is a dotenv file, `heroku config --json` output (by content), or `-`: standard
    input, read once however often it is named. Raises ConfigError for a named source that cannot
    be read, or JSON that is not an object of strings. An implicit `./.env` that exists but cannot
    be read is recorded in `Config.unreadable` (the `dotenv` check reports it).
    """
    files: list[DotenvFile] = []
    unreadable: list[tuple[str, str]] = []
    piped: bytes | None = None
    for path in env_files or ():
        if path == "-":
            piped = read_stdin(stdin) if piped is None else piped
            raw, label = piped, STDIN_PATH
        else:
            raw, label = read_named(path), path
        try:
            files.append(read_source(raw, label))
        except SourceFormatError as exc:
            raise ConfigError(f"--env-file {path}: {exc}") from None
    if not env_files:
        default = Path(cwd or os.getcwd()) / ".env"
        if default.is_dir():  # pydantic-settings skips it silently: the app starts without a .env
            unreadable.append((".env", "it is a directory, not a file"))
        elif default.exists() and not default.is_file():  # a FIFO would block the open, a device never end
            unreadable.append((".env", "it is not a regular file (a FIFO, a device or a socket)"))
        elif default.exists():
            try:
                with open(default, "rb") as handle:
                    parsed = parse_dotenv(handle.read(MAX_FILE_BYTES + 1), ".env")
                parsed.implicit = True
                files.append(parsed)
            except OSError as exc:  # reported by the dotenv check, not fatal: the rest still runs
                unreadable.append((".env", exc.strerror or type(exc).__name__))
    return Config(files, environ, unreadable)

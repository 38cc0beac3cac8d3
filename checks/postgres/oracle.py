"""The DATABASE_URL verdict: what SQLAlchemy and psycopg make of the URL, without connecting.

SQLAlchemy's `make_url` reads the URL and `URL.get_dialect()` predicts create_engine's dialect
lookup (`PostgreSQL://` and `postgres://` raise NoSuchModuleError there); the psycopg dialect's
`create_connect_args` gives the keyword arguments the app's engine passes to psycopg, and
psycopg's `make_conninfo` / `conninfo_to_dict` the connection string libpq receives (an unknown
option is refused there). Values libpq checks before it connects (`sslmode`, …: const.py) and
the port range are the doctor's rules. Where SQLAlchemy is not importable the built-in copy of
SQLAlchemy 2.1 (urlparts.py, connargs.py) decides instead; psycopg is the doctor's own dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checks.postgres.connargs import builtin_params, connect_args
from checks.postgres.const import LIBPQ_CHOICES
from checks.postgres.urlparts import DbUrl, UrlRefused, builtin_dialect, parse_builtin, port_reason, scheme_reason

BUILTIN = "builtin"
_STRONG_SSLMODES = ("require", "verify-ca", "verify-full")
UNKNOWN_OPTION = "an option in the query that libpq does not know"


@dataclass(frozen=True)
class Verdict:
    """What the app would do with DATABASE_URL.

    `slug` is None when SQLAlchemy and psycopg accept it, else the finding that says why not
    (`url_invalid`, `unknown_scheme`, `legacy_scheme`); `reason` says it in words that quote
    nothing secret; `option` names the query option at fault. `params` are the connection
    parameters libpq receives (as `conninfo_to_dict` gives them) and `conninfo` that string:
    both only when the URL gets that far.
    """

    model: str
    url: DbUrl | None
    slug: str | None = None
    reason: str = ""
    option: str | None = None
    dialect: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    conninfo: str | None = None

    @property
    def unknown_option(self) -> bool:
        """True when psycopg refused `option` as no libpq option at all."""
        return self.reason == UNKNOWN_OPTION


def sqlalchemy_version() -> str:
    """The version of the SQLAlchemy that decides, or `builtin` where none is importable."""
    try:
        import sqlalchemy
    except ImportError:
        return BUILTIN
    return str(sqlalchemy.__version__)


def judge(url: str, *, builtin: bool = False, offline: bool = False) -> Verdict:
    """The verdict on `url` by SQLAlchemy and psycopg.

    `builtin`: the built-in copy of SQLAlchemy 2.1 reads the URL even where SQLAlchemy is
    importable (what a machine without it gets). `offline`: neither library is imported (both
    import asyncio, which an --offline run never loads): the built-in copies of SQLAlchemy and of
    psycopg's conninfo decide, and there is no `conninfo` (nothing connects).
    """
    model = BUILTIN if builtin or offline else sqlalchemy_version()
    try:
        parsed, library_url = (_parse_builtin(url) if model == BUILTIN else _parse_library(url))
    except UrlRefused as refused:
        slug = "unknown_scheme" if refused.reason == "no scheme" else "url_invalid"
        return Verdict(model, None, slug, refused.reason)
    dialect = builtin_dialect(parsed.drivername) if library_url is None else _library_dialect(library_url)
    verdict = Verdict(model, parsed, dialect=dialect)
    if dialect != "postgresql":
        slug = "legacy_scheme" if parsed.drivername == "postgres" else "unknown_scheme"
        why = ("SQLAlchemy has no dialect by that name (create_engine raises NoSuchModuleError)" if dialect is None
               else f"it is SQLAlchemy's {dialect} dialect, not PostgreSQL")
        return Verdict(model, parsed, slug, why, dialect=dialect)
    try:
        kwargs = connect_args(parsed, library_url)
    except UrlRefused as refused:
        return _refuse(verdict, refused.reason, "port")
    return _offline_verdict(verdict, kwargs) if offline else _driver_verdict(verdict, kwargs)


def _parse_builtin(url: str) -> tuple[DbUrl, None]:
    return parse_builtin(url), None


def _parse_library(url: str) -> tuple[DbUrl, Any]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        library_url = make_url(url)
    except ArgumentError:
        raise UrlRefused(scheme_reason(url)) from None
    except ValueError:  # int(port); the message quotes the port text, which is never shown
        try:
            parse_builtin(url)
        except UrlRefused as refused:
            raise UrlRefused(refused.reason) from None
        raise UrlRefused(port_reason("?")) from None
    return DbUrl.from_sqlalchemy(library_url), library_url


def _library_dialect(library_url: Any) -> str | None:
    try:
        return str(library_url.get_dialect().name)
    except Exception:  # NoSuchModuleError, and what a half-matching name raises (ValueError, AttributeError)
        return None


def _driver_verdict(verdict: Verdict, kwargs: dict[str, Any]) -> Verdict:
    """psycopg's reading of the arguments the dialect passes, then libpq's value checks."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        conninfo = make_conninfo("", **kwargs)
        params = {k: str(v) for k, v in conninfo_to_dict(conninfo).items() if v is not None}
    except ProgrammingError as exc:
        option = _unknown_option(str(exc), kwargs)
        if option is None:
            return _refuse(verdict, "psycopg cannot build a connection string from it")
        return _refuse(verdict, UNKNOWN_OPTION, option)
    return _judged(verdict, params, conninfo)


def _offline_verdict(verdict: Verdict, kwargs: dict[str, Any]) -> Verdict:
    try:
        params = builtin_params(kwargs)
    except KeyError as unknown:
        key = str(unknown.args[0])
        if re.fullmatch(r"\w+", key) is None:
            return _refuse(verdict, "psycopg cannot build a connection string from it")
        return _refuse(verdict, UNKNOWN_OPTION, key)
    return _judged(verdict, params, None)


def _judged(verdict: Verdict, params: dict[str, str], conninfo: str | None) -> Verdict:
    assert verdict.url is not None
    problem = option_problem(params, verdict.url.query)
    if problem is not None:
        return _refuse(verdict, *problem, params=params)
    return Verdict(verdict.model, verdict.url, dialect=verdict.dialect, params=params, conninfo=conninfo)


def _refuse(verdict: Verdict, reason: str, option: str | None = None, params: dict[str, str] | None = None) -> Verdict:
    return Verdict(verdict.model, verdict.url, "url_invalid", reason, option, verdict.dialect, params or {})


def _unknown_option(message: str, kwargs: dict[str, Any]) -> str | None:
    """The key psycopg names in `invalid connection option "…"`, when it is one of the URL's."""
    for key in kwargs:
        if f'invalid connection option "{key}"' in message:
            return key
    return None


def option_problem(params: dict[str, str], query: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, option) for the first value libpq or psycopg refuses before connecting, or None."""
    for key, choices in LIBPQ_CHOICES.items():
        if key in params and params[key] not in choices:
            if isinstance(query.get(key), tuple):
                return f"{key} given {len(query[key])} times: SQLAlchemy passes them as one value libpq rejects", key
            return f"a value of {key} libpq rejects (it takes {', '.join(choices)})", key
    if params.get("sslnegotiation") == "direct" and params.get("sslmode", "prefer") not in _STRONG_SSLMODES:
        return "sslnegotiation=direct with a weak sslmode (libpq 17+ wants require, verify-ca or verify-full)", \
            "sslmode"
    ports = params.get("port", "").split(",")
    for port in ports:
        number = libpq_int(port) if port else 5432
        if number is None or not 1 <= number <= 65535:
            return "a port that libpq rejects (a number from 1 to 65535)", "port"
    hosts = params.get("host", "").split(",")
    if len(ports) > 1 and len(ports) != len(hosts):
        return "more ports than hosts, which libpq cannot match up", "port"
    if "connect_timeout" in params and not _psycopg_timeout_ok(params):
        return "a connect_timeout that is not a number, which psycopg rejects", "connect_timeout"
    return None


def libpq_int(text: str) -> int | None:
    """libpq's parse_int_param: strtol (leading whitespace, a sign, digits), then only whitespace."""
    match = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*", text)
    if match is None:
        return None
    number = int(match.group(1))
    return number if -(2**31) <= number < 2**31 else None


def _psycopg_timeout_ok(params: dict[str, str]) -> bool:
    try:
        from psycopg.conninfo import timeout_from_conninfo
    except ImportError:  # psycopg before 3.2 reads it the same way
        def timeout_from_conninfo(p: dict[str, Any]) -> int:
            return int(float(p["connect_timeout"]))
    try:
        timeout_from_conninfo(params)
    except Exception:
        return False
    return True

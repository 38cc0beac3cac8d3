"""DATABASE_URL's parts as SQLAlchemy sees them, and the built-in copy of SQLAlchemy 2.1's parser.

`DbUrl` is what the rest of the check works with, whichever model read the URL. Where SQLAlchemy
is not importable, `parse_builtin` reads the URL the way `sqlalchemy.engine.make_url` does in
2.1: one regular expression (so an unencoded `#`, `?`, `/`, space or `%` in the password is part
of the password, up to the last `@` before the host), `unquote` on user, password and database
(an invalid `%` sequence stays as it is), `int()` on the port (so `host:/db` is refused), and the
query read by `parse_qsl` without blank values (`sslmode=` is dropped), a repeated key becoming
a tuple. `builtin_dialect` predicts `URL.get_dialect()` for SQLAlchemy 2.1's own dialects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

QueryValue = str | tuple[str, ...]

# sqlalchemy/engine/url.py, _parse_url (2.0 and 2.1), verbatim.
_PATTERN = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)

# SQLAlchemy 2.1's registered dialects (sqlalchemy/dialects/__init__.py and each dialect package).
_POSTGRES_DRIVERS = frozenset({"psycopg", "psycopg_async", "psycopg2", "psycopg2cffi", "asyncpg", "pg8000", "base"})
_OTHER_DIALECTS = {
    "mysql": {"mysqldb", "pymysql", "mysqlconnector", "asyncmy", "aiomysql", "cymysql", "pyodbc", "mariadbconnector"},
    "mariadb": {"mysqldb", "pymysql", "mysqlconnector", "asyncmy", "aiomysql", "cymysql", "pyodbc",
                "mariadbconnector"},
    "sqlite": {"pysqlite", "aiosqlite", "pysqlcipher"},
    "oracle": {"cx_oracle", "oracledb", "oracledb_async"},
    "mssql": {"pyodbc", "pymssql", "aioodbc"},
}


class UrlRefused(ValueError):
    """SQLAlchemy would refuse the URL; `reason` says why in words that quote none of it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DbUrl:
    """The parts of DATABASE_URL as `sqlalchemy.engine.URL` holds them (decoded, not validated)."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: dict[str, QueryValue] = field(default_factory=dict)

    @classmethod
    def from_sqlalchemy(cls, url: Any) -> DbUrl:
        """Copy a `sqlalchemy.engine.URL`."""
        query = {str(k): (v if isinstance(v, str) else tuple(v)) for k, v in url.query.items()}
        return cls(url.drivername, url.username, url.password, url.host, url.port, url.database, query)


def scheme_reason(url: str) -> str:
    """Why the pattern does not match, in words that quote nothing after the scheme."""
    if re.match(r"[\w+]+:", url) is None:
        return "a scheme SQLAlchemy does not read (only letters, digits, _ and + before ://)" if re.match(
            r"[A-Za-z][\w+.-]*://", url) else "no scheme"
    if "://" not in url:
        return "no // after the scheme"
    return "a scheme SQLAlchemy does not read (only letters, digits, _ and + before ://)"


def parse_builtin(url: str) -> DbUrl:
    """`make_url(url)` as SQLAlchemy 2.1 computes it; raises UrlRefused where make_url raises."""
    match = _PATTERN.match(url)
    if match is None:
        raise UrlRefused(scheme_reason(url))
    parts = match.groupdict()
    query: dict[str, QueryValue] = {}
    if parts["query"] is not None:
        for key, value in parse_qsl(parts["query"]):
            if key in query:
                previous = query[key]
                query[key] = (*((previous,) if isinstance(previous, str) else previous), value)
            else:
                query[key] = value
    decoded = {k: unquote(parts[k]) if parts[k] is not None else None for k in ("username", "password", "database")}
    port: int | None = None
    if parts["port"] is not None:  # URL.create's int(port): "" (host:/db) raises too
        try:
            port = int(parts["port"])
        except ValueError:
            raise UrlRefused(port_reason(parts["port"])) from None
    return DbUrl(parts["name"], decoded["username"], decoded["password"], parts["ipv4host"] or parts["ipv6host"],
                 port, decoded["database"], query)


def port_reason(text: str) -> str:
    """Why int() refused the port, without quoting it (it may hold a password's tail)."""
    return "a : after the host with no port after it" if text == "" else "a port that is not a number"


def builtin_dialect(drivername: str) -> str | None:
    """The dialect name `URL.get_dialect()` resolves `drivername` to in SQLAlchemy 2.1, or None
    where it raises NoSuchModuleError (the lookup is case-sensitive; `postgres` is not a name)."""
    name, plus, driver = drivername.partition("+")
    if name == "postgresql":
        return name if not plus or driver in _POSTGRES_DRIVERS else None
    if name in _OTHER_DIALECTS:
        return name if not plus or driver in _OTHER_DIALECTS[name] | {"base"} else None
    return None

"""The keyword arguments SQLAlchemy's psycopg dialect passes to `psycopg.connect` for a URL.

`connect_args` uses SQLAlchemy's own `PGDialect_psycopg.create_connect_args` when SQLAlchemy is
importable, else `builtin_connect_args`, a copy of SQLAlchemy 2.1's (`_psycopg_common.py` and
`PGDialect._split_multihost_from_url`): user, password, host, port and database only where they
are set and not empty (port 0 is left out, so libpq uses 5432), then every query option as it is,
a repeated one as a tuple; `?host=`/`?port=` as multiple hosts.
"""

from __future__ import annotations

import re
from typing import Any

from checks.postgres.const import LIBPQ_OPTIONS
from checks.postgres.urlparts import DbUrl, UrlRefused

_HOST_PORT = re.compile(r"^([a-zA-Z0-9\-\.]*)(?:\:(\d*))?$")


def connect_args(url: DbUrl, sqlalchemy_url: Any | None) -> dict[str, Any]:
    """What the app's engine hands psycopg for `url`; raises UrlRefused where SQLAlchemy raises."""
    if sqlalchemy_url is None:
        return builtin_connect_args(url)
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
    from sqlalchemy.exc import ArgumentError

    try:
        _, params = PGDialect_psycopg().create_connect_args(sqlalchemy_url)
    except ArgumentError as exc:
        raise UrlRefused(_multihost_reason(str(exc))) from None
    except ValueError:  # zip(…) of host:port pairs split unevenly
        raise UrlRefused("a host in the query with more than one :") from None
    return dict(params)


def builtin_params(kwargs: dict[str, Any]) -> dict[str, str]:
    """psycopg's `conninfo_to_dict(make_conninfo("", **kwargs))` without importing psycopg (which
    imports asyncio): the values as strings, cut at a NUL as libpq reads C strings. Raises
    KeyError naming the first key libpq does not know, where make_conninfo raises ProgrammingError."""
    for key in kwargs:
        if key not in LIBPQ_OPTIONS:
            raise KeyError(key)
    return {k: str(v).split("\x00", 1)[0] for k, v in kwargs.items() if v is not None}


def _multihost_reason(text: str) -> str:
    if "non-integer" in text:
        return "a port in the query that is not a number"
    if "don't match" in text:
        return "a different number of hosts and ports in the query"
    return "both multiple-host forms (host=h1:p1&host=h2:p2 and host=h1,h2&port=p1,p2) in the query"


def builtin_connect_args(url: DbUrl) -> dict[str, Any]:
    """SQLAlchemy 2.1's `create_connect_args` for psycopg, without SQLAlchemy."""
    opts: dict[str, Any] = {}
    for key, value in (("host", url.host), ("dbname", url.database), ("user", url.username),
                       ("password", url.password), ("port", url.port)):
        if value:  # URL.translate_connect_args leaves out unset and false attributes
            opts[key] = value
    hosts, ports = _split_multihost(url.query)
    opts.update(url.query)
    if hosts:
        opts["host"] = ",".join(h or "" for h in hosts)
        comma_ports = ",".join(str(p) if p else "" for p in ports or ())
        if comma_ports:
            opts["port"] = comma_ports
    return opts


def _split_multihost(query: dict[str, Any]) -> tuple[tuple[str | None, ...] | None, tuple[int | None, ...] | None]:
    hosts: tuple[str | None, ...] | None = None
    ports_str: tuple[str | None, ...] | None = None
    integrated = False
    if "host" in query:
        value = query["host"]
        if isinstance(value, tuple):
            integrated = True
            columns = list(zip(*[t.split(":") if ":" in t else (t, None) for t in value], strict=False))
            if len(columns) != 2:  # SQLAlchemy's `hosts, ports = zip(…)` raises ValueError
                raise UrlRefused("a host in the query with more than one :")
            hosts, ports_str = columns[0], columns[1]
        else:
            hosts = tuple(value.split(","))
            if "port" not in query and len(hosts) == 1 and ":" in hosts[0]:
                match = _HOST_PORT.match(hosts[0] or "")
                if match:
                    integrated = True
                    hosts = (match.group(1),)
                    ports_str = (match.group(2),) if match.group(2) else (None,)
    if "port" in query:
        if integrated:
            raise UrlRefused(_multihost_reason("mix"))
        value = query["port"]
        ports_str = value if isinstance(value, tuple) else tuple(value.split(","))
    ports: tuple[int | None, ...] | None = None
    if ports_str:
        try:
            ports = tuple(int(x) if x else None for x in ports_str)
        except ValueError:
            raise UrlRefused(_multihost_reason("non-integer")) from None
    if ports and ((not hosts and len(ports) > 1)
                  or (hosts and len(hosts) != len(ports) and (len(hosts) > 1 or len(ports) > 1))):
        raise UrlRefused(_multihost_reason("don't match"))
    if hosts is not None and ports is None:
        ports = tuple(None for _ in hosts)
    return hosts, ports

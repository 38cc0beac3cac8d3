"""Whether two sources hold the same value, decided without keeping or showing one.

Every comparison goes through a keyed hash (HMAC-SHA256) whose key is random per run and never
leaves the process: no value, prefix or digest outlives the run (design.md, "Secrets").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import unquote, urlsplit

from doctor.config import is_secret_name

_RUN_KEY = secrets.token_bytes(32)
# Names the secret-name pattern matches that hold no secret (ACCESS_TOKEN_EXPIRE_MINUTES is a duration).
_NOT_SECRET_SUFFIXES = ("_MINUTES", "_SECONDS", "_HOURS", "_DAYS", "_TTL", "_ENABLED", "_EXPIRE")
_DEFAULT_PORTS = {"DATABASE_URL": 5432, "REDIS_URL": 6379}
URL_PASSWORDS = {"DATABASE_URL": "DATABASE_URL password", "REDIS_URL": "REDIS_URL password"}


def token(value: str) -> bytes:
    """The run's keyed hash of `value`: equal for equal values, meaningless after the run."""
    return hmac.new(_RUN_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _split(url: str) -> tuple[str, int | None, str, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), port, unquote(parts.path.lstrip("/")), unquote(parts.password or "")


def resource_token(name: str, value: str) -> bytes | None:
    """What a resource variable points at, as a token: the database (host, port, name) of
    DATABASE_URL, the Redis (host, port, database number) of REDIS_URL, the bucket of
    AWS_S3_BUCKET; credentials play no part. None when the value cannot be read."""
    if name == "AWS_S3_BUCKET":
        return token(value.strip().lower())
    split = _split(value)
    if split is None:
        return None
    host, port, path, _ = split
    if name == "REDIS_URL":
        path = path or "0"
    return token(f"{host}\0{port or _DEFAULT_PORTS.get(name, 0)}\0{path}")


def url_password(value: str) -> str | None:
    """The password inside a DATABASE_URL or REDIS_URL (None when it has none)."""
    split = _split(value)
    return split[3] or None if split else None


def secret_values(name: str, value: str) -> dict[str, str]:
    """The secrets a variable holds, by the name a finding calls them: the value of a secret
    variable, the password of a URL. Empty for anything else."""
    if name in URL_PASSWORDS:
        password = url_password(value)
        return {URL_PASSWORDS[name]: password} if password else {}
    return {name: value} if is_secret(name) else {}


def is_secret(name: str) -> bool:
    """A variable whose value is a secret (design.md's list, or a name that says so), not a duration or flag."""
    return is_secret_name(name) and not name.endswith(_NOT_SECRET_SUFFIXES)

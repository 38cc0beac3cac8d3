"""Constants the `postgres` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

VAR = "DATABASE_URL"
VARS = (VAR,)

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# libpq options whose value it checks against a fixed list before connecting (libpq 16-18,
# fe-connect.c), exactly as it compares them (case-sensitively). A value outside its list fails
# every connection ("invalid sslmode value"), whatever the server.
LIBPQ_CHOICES: dict[str, tuple[str, ...]] = {
    "sslmode": SSLMODES,
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
    "load_balance_hosts": ("disable", "random"),
    "sslnegotiation": ("postgres", "direct"),
    "sslcertmode": ("disable", "allow", "require"),
}
# What the fix puts in place of a rejected value.
LIBPQ_DEFAULTS = {"sslmode": "require", "gssencmode": "prefer", "channel_binding": "prefer",
                  "target_session_attrs": "any", "load_balance_hosts": "disable", "sslnegotiation": "postgres",
                  "sslcertmode": "allow"}

# Every connection option libpq 18 knows (PQconndefaults): psycopg's make_conninfo refuses any other
# name ("invalid connection option"). The offline model's list; online psycopg itself decides.
LIBPQ_OPTIONS = frozenset({
    "application_name", "channel_binding", "client_encoding", "connect_timeout", "dbname",
    "fallback_application_name", "gssdelegation", "gssencmode", "gsslib", "host", "hostaddr", "keepalives",
    "keepalives_count", "keepalives_idle", "keepalives_interval", "krbsrvname", "load_balance_hosts",
    "max_protocol_version", "min_protocol_version", "oauth_client_id", "oauth_client_secret", "oauth_issuer",
    "oauth_scope", "options", "passfile", "password", "port", "replication", "require_auth", "requirepeer",
    "scram_client_key", "scram_server_key", "service", "ssl_max_protocol_version", "ssl_min_protocol_version",
    "sslcert", "sslcertmode", "sslcompression", "sslcrl", "sslcrldir", "sslkey", "sslkeylogfile", "sslmode",
    "sslnegotiation", "sslpassword", "sslrootcert", "sslsni", "target_session_attrs", "tcp_user_timeout", "user",
})

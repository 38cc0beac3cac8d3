"""The redis check: see static.py for the offline rules."""

from __future__ import annotations

from checks.redis.const import VAR
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GUIDE = "Secrets Management Guide"
_LOCAL_DOCS = f"{_GUIDE} › Local Development Setup › Configure Local Services › Redis (Local)"
_HEROKU_DOCS = f"{_GUIDE} › Heroku Configuration › Add-ons Configuration › Redis"


class RedisCheck(Check):
    """REDIS_URL: parses as redis-py parses it, fits the platform, and the server answers PING."""

    id = "redis"
    title = "Redis (REDIS_URL)"
    vars = (VAR,)
    network = True
    boot_critical = False
    order = 60
    docs = "Secrets Management Guide › Troubleshooting › Redis Connection Issues"
    catalog = (
        # -- the offline half (static.py) ------------------------------------------------------------
        FindingSpec(
            "whitespace", Severity.WARNING,
            "REDIS_URL has surrounding whitespace or an invisible character: redis-py strips the first, other tools "
            "may not.",
            "Set the URL again without the stray characters.",
            causes="A value pasted with a trailing newline or space. An invisible character (zero-width space, "
                   "no-break space), which breaks redis-py, is an error."),
        FindingSpec(
            "quoted", Severity.ERROR,
            "REDIS_URL is wrapped in quotes that became part of the value, so redis-py rejects its scheme.",
            "Set the URL again without the surrounding quotes.",
            causes="A value quoted twice (in .env and inside the value), or pasted with quotes into a dashboard."),
        FindingSpec(
            "placeholder", Severity.ERROR,
            "REDIS_URL is still the guide's example (redis://:password@host:6379/0), not a real server.",
            "Set the real URL (locally redis://localhost:6379/0; on Heroku the add-on sets it).",
            causes="The guide's or .env.example's REDIS_URL line copied without filling it in.",
            docs=_LOCAL_DOCS),
        FindingSpec(
            "url_invalid", Severity.ERROR,
            "REDIS_URL cannot be parsed, or has no host or port, so the app cannot open its session store.",
            "Copy REDIS_URL again from `heroku config:get REDIS_URL` (or redis://localhost:6379/0 locally).",
            causes="A truncated paste, a port that is not a number, an unbalanced [ ], or a / ? # in the password "
                   "that is not percent-encoded."),
        FindingSpec(
            "scheme_invalid", Severity.ERROR,
            "REDIS_URL does not start with redis://, rediss:// or unix://, so redis-py refuses it.",
            "Write the full URL with its scheme, e.g. redis://localhost:6379/0.",
            causes="A bare host:port, or another service's URL pasted into REDIS_URL."),
        FindingSpec(
            "db_invalid", Severity.WARNING,
            "REDIS_URL's database number is not usable: redis-py falls back to database 0 or every connection fails.",
            "End the URL with a database number from 0 to 15, e.g. /0, and remove a non-numeric ?db=.",
            causes="A name instead of a number in the path (/cache). A negative number or a non-numeric ?db= is an "
                   "error."),
        FindingSpec(
            "username_without_password", Severity.WARNING,
            "REDIS_URL has a user name but no password, so a password-only server sees no password.",
            "Write the password after a colon: redis://:<password>@host:port/0.",
            causes="The colon before the password left out (redis://secret@host instead of redis://:secret@host)."),
        FindingSpec(
            "ssl_option_on_plain", Severity.ERROR,
            "REDIS_URL passes ssl_* options on a redis:// URL, which redis-py refuses on every connection.",
            "Use rediss:// (TLS) or remove the ssl_* options.",
            causes="The scheme changed from rediss:// to redis:// while the options of the TLS URL stayed."),
        FindingSpec(
            "tls_unverified", Severity.INFO,
            "REDIS_URL turns certificate verification off: the connection is encrypted but the server is not "
            "authenticated.",
            "Nothing to fix for Heroku Redis (its certificate is self-signed); elsewhere trust the server's CA.",
            causes="?ssl_cert_reqs=none added for Heroku Redis's self-signed certificate."),
        FindingSpec(
            "localhost_in_production", Severity.ERROR,
            "REDIS_URL points at this machine in production or on a dyno, where no Redis runs.",
            "Attach Heroku Redis (heroku addons:create heroku-redis:mini); it sets REDIS_URL itself.",
            causes="The local development URL (redis://localhost:6379/0) copied into the production configuration.",
            docs=_HEROKU_DOCS),
        FindingSpec(
            "not_tls", Severity.WARNING,
            "REDIS_URL uses redis:// (no TLS) to a remote host in production: password and data cross the network "
            "in clear.",
            "Use the rediss:// URL the provider gives (Heroku Redis sets it in REDIS_URL).",
            causes="An old non-TLS URL kept after a plan change, or a URL copied without its rediss:// scheme.",
            docs=_HEROKU_DOCS),
        # -- the live half (probe.py) ------------------------------------------------------------------
        FindingSpec(
            "url_option_invalid", Severity.ERROR,
            "redis-py rejects a query option in REDIS_URL, so the app cannot create its Redis client.",
            "Remove the unsupported ?option=… from REDIS_URL.",
            causes="An option of another client library or a typo in an option name."),
        FindingSpec(
            "auth_required", Severity.CRITICAL,
            "The Redis server requires a password and REDIS_URL has none, so every command is refused (NOAUTH).",
            "Put the password in the URL: redis://:<password>@host:port/0.",
            causes="A URL without its password, or requirepass turned on after the URL was written."),
        FindingSpec(
            "auth_failed", Severity.CRITICAL,
            "The Redis server rejects the password (or user) in REDIS_URL.",
            "Copy the current URL again (heroku config:get REDIS_URL), or use the server's requirepass.",
            causes="Heroku rotated the Redis credentials and a copy of the old URL is still in use, or a mistyped "
                   "password."),
        FindingSpec(
            "db_out_of_range", Severity.ERROR,
            "The Redis server has no database with the number in REDIS_URL, so every connection fails.",
            "End REDIS_URL with /0 (a default server has databases 0-15; managed plans may allow only 0).",
            causes="A database number above the server's `databases` setting."),
        FindingSpec(
            "max_clients", Severity.ERROR,
            "The Redis server refuses new connections: its maximum number of clients is reached.",
            "Lower the app's pool size (max_connections) or upgrade the plan; close idle clients.",
            causes="Too many dynos and workers, or unbounded connection pools, holding every client slot."),
        FindingSpec(
            "tls_verify_failed", Severity.ERROR,
            "The Redis server's TLS certificate cannot be verified, so redis-py refuses the rediss:// connection.",
            "Trust the server's CA, or for Heroku Redis pass ssl_cert_reqs=None in the app's redis.from_url().",
            causes="Heroku Redis's self-signed certificate, or a private CA the app does not trust."),
        FindingSpec(
            "dns", Severity.CRITICAL,
            "The Redis host in REDIS_URL does not resolve, so sessions and cache fail.",
            "Compare REDIS_URL with `heroku redis:info` and correct the host.",
            causes="A typo in the host, or an add-on that was removed or moved by maintenance."),
        FindingSpec(
            "refused", Severity.CRITICAL,
            "Nothing listens at REDIS_URL's host and port (or socket path): Redis is not running there.",
            "Start Redis locally (redis-server), or correct the port; on Heroku compare with `heroku redis:info`.",
            causes="Redis not started locally, a wrong port, or a socket file that does not exist."),
        FindingSpec(
            "tls_to_plain_port", Severity.ERROR,
            "REDIS_URL uses rediss:// but the server speaks plain Redis, so the TLS handshake never completes.",
            "Use redis:// for this port, or the server's TLS port.",
            causes="rediss:// written for a local or self-hosted Redis without TLS."),
        FindingSpec(
            "plain_to_tls_port", Severity.ERROR,
            "REDIS_URL uses redis:// but the server expects TLS, so it closes the connection.",
            "Use rediss:// (Heroku Redis 6+ requires it; the add-on sets REDIS_URL accordingly).",
            causes="A URL edited from rediss:// to redis://, or an old URL kept after a plan upgrade."),
        FindingSpec(
            "timeout", Severity.ERROR,
            "The Redis server did not answer within the timeout, so requests needing it hang.",
            "Check the host and port; make sure what listens there is Redis and is not overloaded.",
            causes="A firewall dropping the packets, a port where another service listens, or an overloaded "
                   "server."),
        FindingSpec(
            "unreachable", Severity.ERROR,
            "The doctor cannot talk to Redis at REDIS_URL, for a reason it does not classify.",
            "Read the library's words in the finding and compare REDIS_URL with what the provider reports.",
            causes="A host name that cannot be encoded, a network error, or a reply redis-py does not understand."),
        FindingSpec(
            "response_too_large", Severity.WARNING,
            "A Redis reply (INFO, CLIENT LIST) was over the size cap (4 MiB): only its first bytes were read, so "
            "memory and client limits were not checked.",
            "Check that REDIS_URL points at the app's Redis (`redis-cli -u <url> INFO` should print a few KB).",
            causes="Something other than Redis answering on that port, or a hostile or broken server."),
        FindingSpec(
            "info_unavailable", Severity.INFO,
            "Redis answered PING but not INFO, so memory and client limits were not checked.",
            "Nothing to fix for the app; check memory and clients with `heroku redis:info` instead.",
            causes="A managed Redis that renames or disables INFO, or an ACL user without access to it."),
        FindingSpec(
            "memory_high", Severity.WARNING,
            "Redis is at 80 % or more of maxmemory with policy noeviction: at the limit every write fails (OOM).",
            "Expire keys the app no longer needs, or upgrade the plan.",
            causes="Sessions or cache entries without a TTL, or a plan too small for the traffic."),
        FindingSpec(
            "memory_evicting", Severity.INFO,
            "Redis is at 80 % or more of maxmemory and evicts keys, so cached values and sessions may vanish early.",
            "Upgrade the plan if sessions must not be dropped.",
            causes="A cache that fills the plan's memory, as an LRU cache is meant to. A volatile-* policy (only "
                   "keys with a TTL go); an allkeys-* policy is reported as eviction_allkeys."),
        FindingSpec(
            "eviction_allkeys", Severity.WARNING,
            "Redis's maxmemory-policy is allkeys-*: under memory pressure it evicts any key, sessions (users are "
            "logged out) and rate-limit counters included.",
            "Use volatile-lru (heroku redis:maxmemory REDIS_URL --policy volatile-lru), so only keys with a TTL "
            "are evicted.",
            causes="A policy chosen for a pure cache (allkeys-lru is the usual cache advice) on the Redis that "
                   "also holds the app's sessions.",
            docs=_HEROKU_DOCS),
        FindingSpec(
            "maxmemory_unset", Severity.INFO,
            "The production Redis reports no maxmemory limit, so memory grows until the host runs out.",
            "Set maxmemory and an eviction policy on the server, or use a managed plan that sets them.",
            causes="A self-hosted Redis with the default configuration."),
        FindingSpec(
            "clients_high", Severity.WARNING,
            "Redis has 80 % or more of its client connections in use: a few more and new connections fail.",
            "See which group holds them (the finding names it): share one client per process, bound its pool "
            "(max_connections), let Redis close idle clients (heroku redis:timeout), or upgrade the plan.",
            causes="Pools across dynos and workers that grow with traffic (dynos × workers × pool size), or a client "
                   "created per request and never closed: many clients idle for a minute or more. CLIENT LIST groups "
                   "them by name and host; where it is renamed or denied, the counts come from INFO."),
        FindingSpec(
            "latency_high", Severity.INFO,
            "A Redis PING took 250 ms or more, which every cache and session lookup pays.",
            "Run the app in the same region as Redis.",
            causes="An app and a Redis in different regions or providers, or an overloaded server."),
        FindingSpec(
            "version_old", Severity.INFO,
            "The Redis server is older than version 6: no ACLs and no TLS, and Heroku plans below 6 are deprecated.",
            "Upgrade the server or the add-on's version.",
            causes="A long-lived add-on or self-hosted server never upgraded."),
    )


    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the live probe unless offline or the URL cannot work."""
        from checks.redis.static import static_findings
        from doctor import import_in_thread

        ctx.require(VAR)
        findings, target = static_findings(ctx)
        if ctx.offline or target is None:
            return findings
        await import_in_thread("redis.asyncio", "redis.backoff")
        from checks.common import tag_symptoms
        from checks.redis.probe import probe

        return findings + tag_symptoms(await probe(ctx, target), {
            "redis.dns": "dns", "redis.refused": "connect", "redis.tls_verify_failed": "tls_verify"})

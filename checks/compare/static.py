"""The findings of `doctor compare`: shared secrets and resources, Stripe modes, bucket names,
and variables one environment has and another lacks. No finding quotes a value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from checks.compare.const import NOUNS, PRODUCTION, RESOURCES, STRIPE_KEYS
from checks.compare.identity import resource_token, secret_values, token
from checks.compare.sources import Source, canonical_environment
from checks.env.const import REQUIRED
from doctor import Finding, Fix, Severity

_SECRET_KEY_GENERATOR = 'python3 -c "import secrets; print(secrets.token_urlsafe(64))"'
_ROTATION_IMPACT = {
    "SECRET_KEY": "a new SECRET_KEY logs that environment's users out (their JWTs no longer verify).",
    "ENCRYPTION_KEY": "that environment's stored PII must be re-encrypted under its new key with the guide's "
                      "rotation (ENCRYPTION_KEY_NEW, then MultiFernet.rotate); replacing the key alone makes the "
                      "data unreadable.",
    "ENCRYPTION_KEY_NEW": "finish or restart that environment's rotation with a key of its own.",
    "DATABASE_URL password": "rotate the credentials of that environment's own database "
                             "(heroku pg:credentials:rotate ends its open connections).",
    "REDIS_URL password": "give that environment its own Redis add-on, whose URL carries its own password.",
    "STRIPE_SECRET_KEY": "use that environment's own keys from the Stripe dashboard (test mode outside production).",
    "STRIPE_WEBHOOK_SECRET": "register a webhook endpoint per environment; each has its own signing secret.",
    "MAIL_PASSWORD": "create a separate app password (or SMTP user) for that environment.",
    "GOOGLE_CLIENT_SECRET": "create an OAuth client per environment in the Google console.",
    "AWS_SECRET_ACCESS_KEY": "create an IAM user (or role) per environment with access to its own bucket only.",
    "TWILIO_AUTH_TOKEN": "use a Twilio subaccount (or test credentials) outside production.",
}
_IGNORED_PREFIXES = ("HEROKU_", "DOCTOR_", "DYNO")
_RESOURCE_IDS = {"DATABASE_URL": "compare.shared_database", "REDIS_URL": "compare.shared_redis",
                 "AWS_S3_BUCKET": "compare.shared_bucket"}


def listed(labels: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = list(labels)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _groups(sources: list[Source], key: Callable[[Source], bytes | None]) -> list[list[Source]]:
    """Sources grouped by equal tokens (`key(source)`), groups of two or more only."""
    by_token: dict[bytes, list[Source]] = {}
    for source in sources:
        found = key(source)
        if found is not None:
            by_token.setdefault(found, []).append(source)
    return [group for group in by_token.values() if len(group) > 1]


def _labels(group: list[Source]) -> list[str]:
    return [f"{s.label} ({s.environment})" if s.environment != s.label else s.label for s in group]


def _secret_token(name: str) -> Callable[[Source], bytes | None]:
    """A key for `_groups`: the token of secret `name` (`SECRET_KEY`, or `DATABASE_URL password`) in a source."""
    variable = name.removesuffix(" password")

    def key(source: Source) -> bytes | None:
        value = source.get(variable)
        held = secret_values(variable, value) if value is not None else {}
        return token(held[name]) if name in held else None
    return key


def shared_secrets(sources: list[Source]) -> list[Finding]:
    """`compare.shared_secret`: one finding per secret whose value two or more environments share."""
    names: dict[str, None] = {}
    for source in sources:
        for variable in sorted(source.names()):
            value = source.get(variable) or ""
            names.update(dict.fromkeys(secret_values(variable, value)))
    findings = []
    for name in names:
        for group in _groups(sources, _secret_token(name)):
            production = [s for s in group if s.production]
            others = [s.label for s in group if not s.production]
            variable = name.removesuffix(" password")
            impact = _ROTATION_IMPACT.get(name, "issue a new value for that environment at the provider.")
            commands = (_SECRET_KEY_GENERATOR,) if name == "SECRET_KEY" else ()
            findings.append(Finding(
                "compare.shared_secret", Severity.CRITICAL if production else Severity.ERROR,
                f"{name} is the same in {listed(_labels(group))}",
                f"{listed(s.label for s in group)} hold one value of {name} (compared by a keyed hash made for "
                "this run; no value is shown or kept). Whoever can read the "
                f"{'non-production' if production else 'lesser'} environment's configuration (a laptop, a CI "
                "log, a staging app with more collaborators) holds "
                f"{'production' if production else 'the other one'}'s secret too.",
                Fix(f"Give {listed(others or [group[-1].label])} a value of its own and keep "
                    f"{production[0].label if production else group[0].label}'s: {impact}", commands),
                vars=(variable,),
            ))
    return findings


def shared_resources(sources: list[Source]) -> list[Finding]:
    """`compare.shared_database`, `shared_redis`, `shared_bucket`: one resource, two environments."""
    findings = []
    for name in RESOURCES:
        def key(source: Source, name: str = name) -> bytes | None:
            value = source.get(name)
            return resource_token(name, value) if value is not None else None

        for group in _groups(sources, key):
            same = "host, port and database name" if name == "DATABASE_URL" else (
                "host, port and database number" if name == "REDIS_URL" else "bucket name")
            findings.append(Finding(
                _RESOURCE_IDS[name], Severity.ERROR,
                f"{listed(_labels(group))} use the same {NOUNS[name]}",
                f"{name} in {listed(s.label for s in group)} names the same {NOUNS[name]} (same {same}; the "
                "credentials play no part). A test or a migration run in one environment changes the other's "
                "data. The guide keeps each environment's resources separate.",
                Fix(f"Give each environment that is not production its own {NOUNS[name]}, and set {name} there."),
                vars=(name,),
            ))
    return findings


def _stripe_mode(value: str) -> str | None:
    match = re.match(r"^(?:sk|pk|rk)_(live|test)_", value)
    return match[1] if match else None


def stripe_modes(sources: list[Source]) -> list[Finding]:
    """Live Stripe keys outside production, test keys in production."""
    findings = []
    for source in sources:
        modes = {name: _stripe_mode(source.get(name) or "") for name in STRIPE_KEYS}
        named = [name for name, mode in modes.items() if mode]
        if source.production and any(modes[n] == "test" for n in named):
            keys = [n for n in named if modes[n] == "test"]
            findings.append(Finding(
                "compare.test_stripe_in_production", Severity.ERROR,
                f"{source.label} is production but holds test-mode Stripe keys ({listed(keys)})",
                "Test-mode keys take no real payment: checkout appears to work and nothing is charged.",
                Fix("Set production's live keys from the Stripe dashboard (Developers > API keys), both in one "
                    "config:set so the front end and the back end never disagree."),
                vars=tuple(keys),
            ))
        if not source.production and any(modes[n] == "live" for n in named):
            keys = [n for n in named if modes[n] == "live"]
            findings.append(Finding(
                "compare.live_stripe_outside_production", Severity.ERROR,
                f"{source.label} ({source.environment}) holds live Stripe keys ({listed(keys)})",
                f"{source.label} is not production, yet its payments are real: a test there charges a real card, "
                "and its configuration leaks the live secret key.",
                Fix(f"Set {source.label}'s test-mode keys (sk_test_/pk_test_) in one command, and roll the live "
                    "secret key in the Stripe dashboard if this file was shared."),
                vars=tuple(keys),
            ))
    return findings


def bucket_names(sources: list[Source]) -> list[Finding]:
    """`compare.bucket_named_for_other_environment`: a staging app writing to `chaski-prod-proofs`."""
    findings = []
    for source in sources:
        bucket = source.get("AWS_S3_BUCKET")
        if bucket is None or canonical_environment(source.environment) is None:
            continue
        named = {canonical_environment(word) for word in re.split(r"[-_.]", bucket.lower())} - {None}
        if named and source.environment not in named:
            other = sorted(n for n in named if n)[0]
            findings.append(Finding(
                "compare.bucket_named_for_other_environment", Severity.WARNING,
                f"{source.label}'s S3 bucket is named for {other}, not {source.environment}",
                f"AWS_S3_BUCKET in {source.label} ({source.environment}) has a name that says {other}: it is "
                f"either {other}'s bucket (and {source.label} writes into it) or misnamed.",
                Fix(f"Set AWS_S3_BUCKET in {source.label} to the bucket made for {source.environment}."),
                vars=("AWS_S3_BUCKET",),
            ))
    return findings


def missing_variables(sources: list[Source]) -> list[Finding]:
    """`compare.missing_variable`: a warning per required variable some environment lacks, and one
    info per environment for the other variables it lacks."""
    present = {s.label: s.names() for s in sources}
    everything = sorted(set().union(*present.values()))
    findings = []
    optional_gaps: dict[str, list[str]] = {}
    for name in everything:
        if name.startswith(_IGNORED_PREFIXES):
            continue
        lacking = [s for s in sources if name not in present[s.label]]
        if not lacking:
            continue
        having = [s.label for s in sources if name in present[s.label]]
        if name in REQUIRED:
            findings.append(Finding(
                "compare.missing_variable", Severity.WARNING,
                f"{name} is set in {listed(having)} but missing in {listed(s.label for s in lacking)}",
                f"{name} {REQUIRED[name][1]}. An environment without it fails where the others work.",
                Fix(f"Set {name} in {listed(s.label for s in lacking)} (its own value, not a copy of "
                    f"{having[0]}'s)."),
                vars=(name,),
            ))
        else:
            for source in lacking:
                optional_gaps.setdefault(source.label, []).append(name)
    for label, names in optional_gaps.items():
        findings.append(Finding(
            "compare.missing_variable", Severity.INFO,
            f"{label} lacks {len(names)} variable{'s' if len(names) > 1 else ''} another environment sets",
            f"Missing in {label}: {', '.join(names)}. None is one the app requires; each may be deliberate.",
            Fix(f"Set them in {label} if it uses those features, or remove them where they are no longer used."),
            vars=tuple(names),
        ))
    return findings


def environment_labels(sources: list[Source]) -> list[Finding]:
    """`compare.no_production` and `compare.same_environment`."""
    findings = []
    if not any(s.production for s in sources):
        findings.append(Finding(
            "compare.no_production", Severity.INFO,
            "None of the sources is production",
            f"Neither an ENVIRONMENT value nor a label says {PRODUCTION} ({listed(s.label for s in sources)}), so "
            "the table compares with the first source and no Stripe mode is expected anywhere.",
            Fix("Label the production source, e.g. `doctor compare production=prod.json staging=stg.env`."),
        ))
    by_environment: dict[str, list[Source]] = {}
    for source in sources:
        said = source.config.lookup("ENVIRONMENT")
        if said is not None and said.value.strip():
            by_environment.setdefault(source.environment, []).append(source)
    for environment, group in by_environment.items():
        if len(group) > 1:
            findings.append(Finding(
                "compare.same_environment", Severity.WARNING,
                f"{listed(s.label for s in group)} all say ENVIRONMENT={environment}",
                "Two sources that claim one environment are either the same app twice or a copy that kept "
                "ENVIRONMENT: the separation this command checks cannot hold between them.",
                Fix("Set ENVIRONMENT in each source to the environment it configures."),
                vars=("ENVIRONMENT",),
            ))
    return findings


def compare_findings(sources: list[Source]) -> list[Finding]:
    """Every finding for these sources."""
    return (environment_labels(sources) + shared_secrets(sources) + shared_resources(sources)
            + stripe_modes(sources) + bucket_names(sources) + missing_variables(sources))

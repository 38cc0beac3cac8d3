"""The offline half of the `s3` check: key shapes, bucket-name rules, region codes, environment.

Nothing here opens a connection or imports boto3. Secret values are only measured, never shown.
"""

from __future__ import annotations

import ipaddress
import re

from checks.common import describe_whitespace, is_placeholder, strip_quotes
from checks.s3.const import BUCKET, ENDPOINT_VARS, KEY_ID, REGION, SECRET, TOKEN
from checks.s3.regions import REGIONS, suggest_region
from doctor import Context, Finding, Fix, Severity, fingerprint

KEY_ID_RE = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$")
SECRET_CHARS_RE = re.compile(r"^[A-Za-z0-9/+]+$")
_BUCKET_CHARS_RE = re.compile(r"^[a-z0-9.-]+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_BUCKET_IN_URL = (
    re.compile(r"^s3://([^/]+)"),
    re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)"),
    re.compile(r"^(?:https?://)?([^/]+?)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com"),
    re.compile(r"^(?:https?://)?s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?:\.cn)?/([^/?]+)"),
)
_NON_PROD_WORDS = {"dev", "development", "staging", "stage", "stg", "test", "testing", "qa", "sandbox", "local"}
_PROD_WORDS = {"prod", "production", "live"}


def finding(slug: str, severity: Severity, title: str, detail: str, fix: Fix | None, *names: str) -> Finding:
    """A finding of the `s3` check."""
    return Finding(f"s3.{slug}", severity, title, detail, fix, vars=names)


def uses_custom_endpoint(ctx: Context) -> bool:
    """True when an AWS_ENDPOINT_URL* override points boto3 at something other than AWS."""
    return any((ctx.get(name) or "").strip() for name in ENDPOINT_VARS)


def _cleaned(ctx: Context, name: str, out: list[Finding]) -> str:
    """The value with surrounding whitespace and quotes removed; each problem becomes a finding.

    AWS_REGION is left to `_region_findings`, which names the code to use instead.
    """
    raw = ctx.get(name) or ""
    value, quoted = strip_quotes(raw.strip())
    value = value.strip()
    if name == REGION:
        return value
    shown = value if name == BUCKET and bucket_name_problem(value) is None else f"<{name.lower().replace('_', '-')}>"
    problem = describe_whitespace(raw)
    if problem:
        fix = ctx.set_fix(name, shown if name != SECRET else "…", text=f"Remove the whitespace around {name}.")
        out.append(finding("whitespace", Severity.ERROR, f"{name} has {problem}",
                           "boto3 sends the value as it is: the whitespace becomes part of the key or bucket name, "
                           "and every request fails (invalid key, bad signature or invalid bucket name).",
                           fix, name))
    if quoted:
        out.append(finding("quoted", Severity.ERROR, f"{name} is wrapped in quotes that are part of the value",
                           "The quotes reach boto3 as characters of the value, so AWS rejects it.",
                           ctx.set_fix(name, shown if name != SECRET else "…",
                                       text=f"Remove the quotes around {name}."), name))
    return value


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid S3 bucket name (general purpose buckets), or None when it is."""
    if not 3 <= len(name) <= 63:
        return f"it is {len(name)} characters long; a bucket name has 3 to 63"
    if name != name.lower() and _BUCKET_CHARS_RE.match(name.lower()):
        return "it contains uppercase letters; bucket names are lowercase"
    if not _BUCKET_CHARS_RE.match(name):
        return "it contains characters other than lowercase letters, digits, hyphens and dots"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must start and end with a letter or a digit"
    if ".." in name or ".-" in name or "-." in name:
        return "it has two dots, or a dot next to a hyphen, in a row"
    try:
        ipaddress.IPv4Address(name)
        return "it is formatted as an IP address"
    except ValueError:
        pass
    if name.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return "it is an S3 host name, not the bare bucket name"
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"the prefix `{prefix}` is reserved by AWS"
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"the suffix `{suffix}` is reserved by AWS"
    return None


def _bucket_from_url(value: str) -> str | None:
    for pattern in _BUCKET_IN_URL:
        match = pattern.match(value)
        if match and bucket_name_problem(match.group(1)) is None:
            return match.group(1)
    return None


def _bucket_findings(ctx: Context, bucket: str, out: list[Finding]) -> None:
    problem = bucket_name_problem(bucket)
    if problem:
        suggestion = _bucket_from_url(bucket) or (bucket.lower() if bucket_name_problem(bucket.lower()) is None
                                                  else None)
        fix = (ctx.set_fix(BUCKET, suggestion, text="Set AWS_S3_BUCKET to the bare bucket name.") if suggestion
               else ctx.set_fix(BUCKET, "<bucket-name>", text="Set AWS_S3_BUCKET to the bucket's exact name."))
        title = f"AWS_S3_BUCKET is not a valid bucket name: {problem}"
        out.append(finding("bucket_name_invalid", Severity.ERROR, title,
                           "boto3 refuses the name before sending anything (or S3 answers InvalidBucketName), so "
                           "every upload and download fails.", fix, BUCKET))
        return
    words = set(re.split(r"[.-]", bucket))
    if ctx.production and words & _NON_PROD_WORDS:
        word = sorted(words & _NON_PROD_WORDS)[0]
        out.append(finding("bucket_environment", Severity.WARNING,
                           f"Production uses bucket `{bucket}`, named for `{word}`",
                           "Production files (delivery proofs) would land in a bucket meant for another "
                           "environment, mixed with test data and readable by whoever has access to it.",
                           ctx.set_fix(BUCKET, "<production-bucket>", text="Point production at its own bucket."),
                           BUCKET, "ENVIRONMENT"))
    elif ctx.nonproduction and words & _PROD_WORDS:
        out.append(finding("bucket_environment", Severity.WARNING,
                           f"ENVIRONMENT={ctx.known_environment} uses bucket `{bucket}`, named for production",
                           "Local or staging runs would read and overwrite production files.",
                           ctx.set_fix(BUCKET, "<dev-bucket>", text="Use a separate bucket outside production."),
                           BUCKET, "ENVIRONMENT"))


def _region_findings(ctx: Context, raw: str, region: str, out: list[Finding]) -> None:
    if raw == region and region in REGIONS:
        return
    suggestion = suggest_region(region)
    shown = raw if len(raw) <= 60 else raw[:57] + "…"
    if region in REGIONS:
        problem = describe_whitespace(raw) or "quotes around it"
        title = f"AWS_REGION `{shown.strip()}` has {problem}"
    else:
        title = f"AWS_REGION `{shown.strip()}` is not an AWS region code"
    if suggestion:
        fix = ctx.set_fix(REGION, suggestion, text=f"Use the bare region code: {suggestion}.")
    else:
        fix = ctx.set_fix(REGION, "<region-code>", text="Use the code of the bucket's region, e.g. us-east-1 "
                          "(see the bucket's Properties tab in the S3 console).")
    out.append(finding("region_invalid", Severity.ERROR, title,
                       "boto3 needs a bare code such as us-east-1; anything else makes it refuse to build the client "
                       "or send requests to an endpoint that does not exist.", fix, REGION))


def _key_findings(ctx: Context, key_id: str, secret: str, out: list[Finding]) -> None:
    if KEY_ID_RE.match(secret) and not KEY_ID_RE.match(key_id) and len(key_id) == 40:
        fix = Fix("Swap the two values: the AKIA…/ASIA… value is the access key ID, the 40-character one the "
                  "secret.", ctx.set_fix(KEY_ID, "<value now in AWS_SECRET_ACCESS_KEY>").commands
                  + ctx.set_fix(SECRET, "<value now in AWS_ACCESS_KEY_ID>").commands)
        out.append(finding("keys_swapped", Severity.ERROR, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are swapped",
                           "The secret slot holds an access key ID and the ID slot a 40-character secret. AWS "
                           "rejects every request; and the secret is now logged wherever the key ID is shown.",
                           fix, KEY_ID, SECRET))
        return
    if uses_custom_endpoint(ctx):
        return  # MinIO, LocalStack and friends use their own key formats
    if not KEY_ID_RE.match(key_id):
        out.append(finding("access_key_shape", Severity.ERROR,
                           f"AWS_ACCESS_KEY_ID ({fingerprint(key_id)}) is not an AWS access key ID",
                           "An access key ID is AKIA (long-term) or ASIA (temporary) followed by 16 uppercase "
                           "letters and digits; AWS rejects anything else as InvalidClientTokenId.",
                           ctx.set_fix(KEY_ID, "<AKIA…>", text="Copy the access key ID from IAM → Users → Security "
                                       "credentials."), KEY_ID))
    elif key_id.startswith("ASIA"):
        if not ctx.is_set(TOKEN):
            out.append(finding("session_token_missing", Severity.WARNING,
                               "AWS_ACCESS_KEY_ID is a temporary (ASIA…) key but AWS_SESSION_TOKEN is not set",
                               "Temporary credentials only work together with their session token, and they expire "
                               "within hours: a deployed app should use a long-term IAM user key (AKIA…).",
                               ctx.set_fix(KEY_ID, "<AKIA…>", text="Create an access key for an IAM user."),
                               KEY_ID, TOKEN))
        else:
            out.append(finding("temporary_credentials", Severity.WARNING if ctx.production else Severity.INFO,
                               "AWS_ACCESS_KEY_ID is a temporary (ASIA…) key that will expire",
                               "Session credentials last hours at most; the app's uploads start failing when they do.",
                               ctx.set_fix(KEY_ID, "<AKIA…>", text="Use a long-term IAM user key for the app."),
                               KEY_ID, TOKEN))
    if len(secret) != 40:
        out.append(finding("secret_shape", Severity.ERROR,
                           f"AWS_SECRET_ACCESS_KEY is {len(secret)} characters; an AWS secret access key has 40",
                           "A truncated or padded secret makes every signature wrong (SignatureDoesNotMatch).",
                           ctx.set_fix(SECRET, text="Paste the whole secret shown when the access key was created "
                                       "(it cannot be shown again: create a new key if it is lost)."), SECRET))
    elif not SECRET_CHARS_RE.match(secret):
        out.append(finding("secret_shape", Severity.WARNING,
                           "AWS_SECRET_ACCESS_KEY has characters an AWS secret never contains",
                           "AWS secrets use letters, digits, `/` and `+` only; this one was probably mangled by a "
                           "copy or an escape.", ctx.set_fix(SECRET, text="Paste the secret again."), SECRET))


def static_findings(ctx: Context) -> list[Finding]:
    """Every offline problem with the four S3 variables."""
    out: list[Finding] = []
    values = {name: _cleaned(ctx, name, out) for name in (KEY_ID, SECRET, BUCKET, REGION)}
    placeholders = [n for n, v in values.items() if is_placeholder(v)]
    for name in placeholders:
        out.append(finding("placeholder", Severity.ERROR, f"{name} is still the guide's placeholder",
                           "The example value from the setup guide was copied verbatim; S3 cannot work with it.",
                           ctx.set_fix(name, f"<{name.lower().replace('_', '-')}>", text=f"Set the real {name}."),
                           name))
    if KEY_ID not in placeholders and SECRET not in placeholders:
        _key_findings(ctx, values[KEY_ID], values[SECRET], out)
    if BUCKET not in placeholders:
        _bucket_findings(ctx, values[BUCKET], out)
    if REGION not in placeholders:
        _region_findings(ctx, ctx.get(REGION) or "", values[REGION], out)
    return out

"""The `s3` check: AWS credentials, bucket and region for file storage (delivery proofs).

Offline it checks key shapes, the bucket name, the region code and environment naming
(checks/s3/static.py). Online it asks STS who the keys belong to, then HeadBucket and
ListObjectsV2 on the bucket, and with --write-probe puts and deletes a test object
(checks/s3/probe.py).
"""

from __future__ import annotations

from checks.s3.const import BUCKET, ENDPOINT_VARS, KEY_ID, REGION, SECRET, TOKEN
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_GUIDE = "Secrets Management Guide"
_VARS_DOCS = f"{_GUIDE} › Environment Variables › AWS S3 (File Storage)"
_KEYS_DOCS = f"{_GUIDE} › Key Rotation › API Keys"
_SEPARATION_DOCS = (f"{_GUIDE} › Security Best Practices › Environment Separation; "
                    "Local Development Setup › 5. AWS S3 Development")
_TRANSPORT_VARS = (REGION, *ENDPOINT_VARS)
_POLICY_FIX = ("Attach a policy allowing s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket "
               "and its objects to the IAM user (the finding's command does it).")


def _static(slug: str, meaning: str, fix: str, causes: str, *names: str) -> FindingSpec:
    """A catalog entry for an offline error in the variables themselves."""
    return FindingSpec(slug, Severity.ERROR, meaning, fix, causes=causes, docs=_VARS_DOCS, vars=names)


def _denied(slug: str, action: str, meaning: str) -> FindingSpec:
    """A catalog entry for an S3 call the IAM identity may not make."""
    return FindingSpec(slug, Severity.ERROR, meaning, _POLICY_FIX,
                       causes=f"An IAM policy without {action} on this bucket, or a bucket owned by another AWS "
                              "account.", vars=(KEY_ID, BUCKET))


class S3Check(Check):
    """AWS S3 credentials, bucket and region, checked statically and against S3 itself."""

    id = "s3"
    title = "AWS S3 (file storage)"
    vars = (KEY_ID, SECRET, BUCKET, REGION, "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL_STS")
    network = True
    boot_critical = False
    order = 90
    docs = "Secrets Management Guide › Environment Variables › AWS S3 (File Storage); Key Rotation › API Keys"
    catalog = (
        # -- offline: the variables themselves
        _static("whitespace", "A key or the bucket name has whitespace that boto3 sends as part of it, so every "
                "request fails.", "Set the same value without the whitespace.",
                "A trailing newline from `echo` or a file, spaces or a zero-width space pasted around the value.",
                KEY_ID, SECRET, BUCKET),
        _static("quoted", "A key or the bucket name is wrapped in quotes that reach boto3 as characters of the value.",
                "Set the same value without the quotes.",
                "Quotes typed into heroku config:set or a settings UI, where they become part of the value.",
                KEY_ID, SECRET, BUCKET),
        _static("placeholder", "An S3 variable still holds the setup guide's example value, so S3 cannot work.",
                "Set the real access key, secret and bucket from the AWS console.",
                "The guide's <access-key> / <secret-key> lines copied without replacing them.",
                KEY_ID, SECRET, BUCKET, REGION),
        _static("keys_swapped", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY hold each other's value: AWS rejects "
                "every request, and the secret is shown wherever the key ID is.", "Swap the two values.",
                "The two values pasted into the wrong variables.", KEY_ID, SECRET),
        _static("access_key_shape", "AWS_ACCESS_KEY_ID is not an AWS access key ID (AKIA/ASIA and 16 uppercase "
                "letters or digits); AWS rejects it as InvalidClientTokenId.",
                "Copy the access key ID from IAM → Users → Security credentials.",
                "A truncated or lower-cased copy, a user or role id (AIDA…), or another credential in its place.",
                KEY_ID),
        _static("secret_shape", "AWS_SECRET_ACCESS_KEY is not 40 characters (an error) or has characters an AWS "
                "secret never contains (a warning), so signatures fail.",
                "Paste the whole secret shown when the key was created; create a new key if it is lost.",
                "A truncated or padded copy, or a secret mangled by an escape.", SECRET),
        FindingSpec("session_token_missing", Severity.WARNING,
                    "AWS_ACCESS_KEY_ID is a temporary (ASIA…) key but AWS_SESSION_TOKEN is not set, so AWS rejects it.",
                    "Use a long-term IAM user access key (AKIA…) for the app.",
                    causes="Keys copied from an assumed role or SSO session instead of an IAM user.",
                    docs=_VARS_DOCS, vars=(KEY_ID, TOKEN)),
        FindingSpec("temporary_credentials", Severity.WARNING,
                    "The app uses temporary (ASIA…) credentials that expire within hours (only info outside "
                    "production).", "Use a long-term IAM user access key (AKIA…) for the app.",
                    causes="Session credentials from an assumed role, SSO or `aws sts get-session-token`.",
                    docs=_VARS_DOCS, vars=(KEY_ID, TOKEN)),
        _static("bucket_name_invalid", "AWS_S3_BUCKET is not a valid S3 bucket name, so every upload and download "
                "fails.", "Set AWS_S3_BUCKET to the bucket's bare name.",
                "An s3:// URL, ARN or host name instead of the name, uppercase letters or underscores.", BUCKET),
        FindingSpec("bucket_environment", Severity.WARNING,
                    "The bucket is named for another environment: production files would mix with test data, or "
                    "development would touch production files.", "Give each environment its own bucket.",
                    causes="A development or staging value copied into production, or the reverse.",
                    docs=_SEPARATION_DOCS, vars=(BUCKET, "ENVIRONMENT")),
        _static("region_invalid", "AWS_REGION is not a bare AWS region code, so boto3 cannot build the client or "
                "sends requests to an endpoint that does not exist.", "Set the bucket's region code, e.g. us-east-1.",
                "The console's region name (US East (N. Virginia)), an availability zone, an endpoint, quotes or "
                "whitespace.", REGION),
        FindingSpec("endpoint_invalid", Severity.ERROR,
                    "An AWS_ENDPOINT_URL* override is not an http(s) URL, so boto3 cannot reach storage.",
                    "Remove the override to use AWS, or set a full http(s) URL.",
                    causes="A host without a scheme, a typo, or a leftover LocalStack/MinIO setting.",
                    vars=ENDPOINT_VARS),
        # -- online: STS
        FindingSpec("clock_skew", Severity.ERROR,
                    "AWS rejected the request because this machine's clock is more than 15 minutes off.",
                    "Synchronise the system clock with NTP.",
                    causes="A stopped NTP service, a container or VM with a drifted clock, a wrong time zone setting.",
                    vars=(KEY_ID,)),
        FindingSpec("access_key_unknown", Severity.ERROR,
                    "AWS does not know AWS_ACCESS_KEY_ID (InvalidClientTokenId): every S3 call fails.",
                    "Create a new access key for the IAM user and set both variables.",
                    causes="A deleted or deactivated key (after a rotation), a key from another partition, or a "
                           "temporary key without its session token.",
                    docs=_KEYS_DOCS, vars=(KEY_ID, SECRET)),
        FindingSpec("secret_wrong", Severity.ERROR,
                    "AWS_SECRET_ACCESS_KEY does not belong to AWS_ACCESS_KEY_ID (SignatureDoesNotMatch).",
                    "Set the secret of this key ID; create a new key if it is lost.",
                    causes="A secret from another key (half of a rotation applied), truncated or mistyped.",
                    docs=_KEYS_DOCS, vars=(SECRET, KEY_ID)),
        FindingSpec("credentials_expired", Severity.ERROR,
                    "The temporary AWS credentials have expired (ExpiredToken): every S3 call fails.",
                    "Use a long-term IAM user access key (AKIA…) for the app.",
                    causes="Session credentials (ASIA…) set by hand, which last hours at most.",
                    docs=_KEYS_DOCS, vars=(KEY_ID, TOKEN)),
        FindingSpec("root_credentials", Severity.WARNING,
                    "The keys belong to the AWS account's root user, which can do anything in the account.",
                    "Create an IAM user with only the app's S3 permissions, use its keys, delete the root key.",
                    causes="Root access keys created for a quick start and never replaced.",
                    docs=_KEYS_DOCS, vars=(KEY_ID,)),
        FindingSpec("identity", Severity.INFO, "STS accepted the key pair; the finding names the identity it belongs "
                    "to.", "Nothing to fix.", causes="Working credentials.", vars=(KEY_ID,)),
        # -- online: the bucket
        FindingSpec("region_mismatch", Severity.WARNING,
                    "The bucket is in another region than AWS_REGION: calls work with an extra round trip, but "
                    "presigned URLs are rejected.", "Set AWS_REGION to the bucket's region.",
                    causes="The default us-east-1 kept for a bucket created in another region.",
                    vars=(REGION, BUCKET)),
        FindingSpec("bucket_missing", Severity.ERROR,
                    "The bucket does not exist: every upload fails with NoSuchBucket.",
                    "Create the bucket or correct AWS_S3_BUCKET.",
                    causes="A typo in the name, a bucket not yet created for this environment, or one deleted.",
                    docs=_VARS_DOCS, vars=(BUCKET,)),
        _denied("access_denied", "s3:ListBucket", "The keys are valid but may not access the bucket (403 on "
                "HeadBucket)."),
        _denied("list_denied", "s3:ListBucket", "The keys may not list the bucket, which the app needs to find files."),
        _denied("write_denied", "s3:PutObject", "The keys may not write to the bucket (--write-probe): uploads of "
                "delivery proofs fail."),
        _denied("delete_denied", "s3:DeleteObject", "The keys may write but not delete in the bucket "
                "(--write-probe); the probe object is left behind and must be deleted by hand."),
        FindingSpec("write_ok", Severity.INFO, "The write probe created and deleted a test object (--write-probe).",
                    "Nothing to fix.", causes="Working credentials with write access.", vars=(BUCKET,)),
        # -- transport
        FindingSpec("timeout", Severity.ERROR, "S3 or STS did not answer in time: the app's uploads would hang too.",
                    "Check network access to S3 (firewall, proxy, AWS status) and any AWS_ENDPOINT_URL override.",
                    causes="A firewall that drops packets, a proxy, or an override pointing at a host that never "
                           "answers.", vars=_TRANSPORT_VARS),
        FindingSpec("unreachable", Severity.ERROR, "The connection to S3 or STS was refused or dropped before any "
                    "answer.", "Check AWS_REGION and any AWS_ENDPOINT_URL override; make sure the host is up.",
                    causes="An override pointing at a stopped LocalStack/MinIO, no network, or a proxy in the way.",
                    vars=_TRANSPORT_VARS),
        FindingSpec("response_too_large", Severity.WARNING,
                    "An S3 or STS answer was over the size cap (a few MB): something other than S3 answered, and "
                    "only its first bytes were read.",
                    "Check any AWS_ENDPOINT_URL override and any proxy in between.",
                    causes="A proxy or captive portal answering in S3's place, or an override pointing at a server "
                           "that is not S3.", vars=_TRANSPORT_VARS),
        FindingSpec("request_failed", Severity.ERROR,
                    "An S3 or STS call failed with an error that has no finding of its own (the finding names its "
                    "code).", "Check AWS status and the IAM user in the console; run with -v for details.",
                    causes="An AWS outage (500s), an unexpected answer from a proxy or an S3-compatible server.",
                    vars=(KEY_ID, BUCKET)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the live probe only online and when nothing static is broken."""
        from checks.s3.static import static_findings
        from doctor import import_in_thread

        ctx.require(KEY_ID, SECRET, BUCKET, REGION)
        findings = static_findings(ctx)
        if ctx.offline or any(f.severity >= Severity.ERROR for f in findings):
            return findings
        await import_in_thread("boto3", "botocore.session")
        from checks.s3.probe import probe

        key_id = (ctx.get(KEY_ID) or "").strip()
        bucket = (ctx.get(BUCKET) or "").strip()
        region = (ctx.get(REGION) or "").strip()
        return findings + await probe(ctx, key_id, bucket, region)

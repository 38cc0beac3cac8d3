"""The live half of the `s3` check: STS GetCallerIdentity, HeadBucket, ListObjectsV2 and, only when
asked, a put/delete write probe. boto3 runs in worker threads with botocore timeouts and no retries.

Library messages are never shown: AWS error *codes* and the response's region/date headers are.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from checks.s3.clock import describe_skew, skew_seconds
from checks.s3.const import BUCKET, KEY_ID, REGION, SECRET, TOKEN
from checks.s3.session import (
    Stop,
    call,
    endpoint,
    endpoint_label,
    endpoint_problem,
    error_parts,
    make_clients,
    request_failed,
)
from checks.s3.static import finding
from doctor import Context, Finding, Fix, Secret, Severity

APP_ACTIONS = ("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject")
_UNKNOWN_KEY = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"}
_SKEW = {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"}
_SKEW_MESSAGES = ("Signature expired", "Signature not yet current")
_DENIED = {"AccessDenied", "AllAccessDisabled", "403"}


def bucket_region(response: dict[str, Any]) -> str | None:
    """The bucket's region from the `x-amz-bucket-region` header (success and error responses alike)."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    region = str(headers.get("x-amz-bucket-region") or response.get("Error", {}).get("Region") or "").strip()
    return region or None


class Probe:
    """One run of the live steps over a pair of clients."""

    def __init__(self, ctx: Context, key_id: str, bucket: str, region: str) -> None:
        self.ctx, self.key_id, self.bucket, self.region = ctx, key_id, bucket, region
        self.out: list[Finding] = []
        self.host = "AWS"
        self.arn = ""

    async def call(self, client: Any, operation: str, **params: Any) -> Any:
        """One SDK call on `client` in a worker thread (see checks.s3.session.call)."""
        return await call(self.ctx, self.host, getattr(client, operation), operation, **params)

    async def identity(self, sts: Any) -> None:
        """STS GetCallerIdentity: needs no permission, so it proves the key pair alone."""
        from botocore.exceptions import ClientError

        try:
            reply = await self.call(sts, "get_caller_identity")
        except ClientError as exc:
            code, _, response = error_parts(exc)
            message = str(response.get("Error", {}).get("Message", ""))
            if code in _SKEW or message.startswith(_SKEW_MESSAGES):
                offset = skew_seconds(response)
                raise Stop(finding("clock_skew", Severity.ERROR,
                                   f"AWS rejected the request because this machine's clock is {describe_skew(offset)}",
                                   "AWS refuses signatures more than 15 minutes off its own time; every S3 call fails "
                                   "until the clock is right.",
                                   Fix("Synchronise the system clock with NTP.", ("sudo timedatectl set-ntp true",)),
                                   KEY_ID)) from None
            if code in _UNKNOWN_KEY:
                raise Stop(finding("access_key_unknown", Severity.ERROR,
                                   "AWS does not know AWS_ACCESS_KEY_ID (InvalidClientTokenId)",
                                   "The key was deleted or deactivated, belongs to another partition (China/GovCloud), "
                                   "or is a temporary key without its session token.",
                                   self.ctx.set_fix(KEY_ID, "<AKIA…>", text="Create a new access key in IAM → Users → "
                                                    "Security credentials and set both variables."),
                                   KEY_ID, SECRET)) from None
            if code == "SignatureDoesNotMatch":
                raise Stop(finding("secret_wrong", Severity.ERROR,
                                   "AWS_SECRET_ACCESS_KEY does not match AWS_ACCESS_KEY_ID (SignatureDoesNotMatch)",
                                   "The key ID exists but the secret is wrong, truncated or from another key.",
                                   self.ctx.set_fix(SECRET, text="Paste the secret that belongs to this key ID (create "
                                                    "a new key if it is lost)."), SECRET, KEY_ID)) from None
            if code == "ExpiredToken":
                raise Stop(finding("credentials_expired", Severity.ERROR, "The temporary AWS credentials have expired",
                                   "Session credentials (ASIA…) last hours at most.",
                                   self.ctx.set_fix(KEY_ID, "<AKIA…>", text="Use a long-term IAM user key."),
                                   KEY_ID, TOKEN)) from None
            raise Stop(request_failed("GetCallerIdentity", code or type(exc).__name__)) from None
        arn = str(reply.get("Arn", ""))
        if arn.endswith(":root"):
            self.out.append(finding("root_credentials", Severity.WARNING,
                                    "The AWS keys belong to the account's root user",
                                    "Root keys can do anything in the account, including closing it; a leak is fatal.",
                                    Fix("Create an IAM user with only the S3 permissions the app needs, use its "
                                        "keys, then delete the root access key."), KEY_ID))
        else:
            self.out.append(finding("identity", Severity.INFO, f"The AWS keys belong to {arn[:200]}",
                                    "STS accepted the key pair.", None, KEY_ID))
        self.arn = arn

    def _policy_fix(self) -> Fix:
        partition = self.arn.split(":")[1] if self.arn.count(":") >= 5 else "aws"
        resources = [f"arn:{partition}:s3:::{self.bucket}", f"arn:{partition}:s3:::{self.bucket}/*"]
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": list(APP_ACTIONS), "Resource": resources}]}, separators=(",", ":"))
        user = self.arn.rsplit("/", 1)[-1] if ":user/" in self.arn else "<iam-user>"
        text = f"Attach a policy allowing {', '.join(APP_ACTIONS)} on {' and '.join(resources)} to the IAM user."
        command = f"aws iam put-user-policy --user-name {user} --policy-name chaski-s3 --policy-document '{policy}'"
        return Fix(text, (command,))

    def _check_region(self, response: dict[str, Any]) -> None:
        actual = bucket_region(response)
        if actual and actual != self.region and not any(f.id == "s3.region_mismatch" for f in self.out):
            self.out.append(finding("region_mismatch", Severity.WARNING,
                                    f"Bucket `{self.bucket}` is in {actual[:40]}, but AWS_REGION is {self.region}",
                                    "boto3 follows S3's redirect, so calls work but each pays an extra round trip, and "
                                    "presigned URLs signed for the wrong region are rejected.",
                                    self.ctx.set_fix(REGION, actual[:40],
                                                     text="Set AWS_REGION to the bucket's region."),
                                    REGION, BUCKET))

    async def bucket_checks(self, s3: Any) -> None:
        """HeadBucket then ListObjectsV2 (MaxKeys=1): existence, access, region."""
        from botocore.exceptions import ClientError

        try:
            self._check_region(await self.call(s3, "head_bucket", Bucket=self.bucket))
        except ClientError as exc:
            code, status, response = error_parts(exc)
            self._check_region(response)
            if status == 404 or code in ("404", "NoSuchBucket"):
                raise Stop(finding("bucket_missing", Severity.ERROR, f"Bucket `{self.bucket}` does not exist",
                                   "Every upload fails with NoSuchBucket. Check the spelling; bucket names are global.",
                                   self.ctx.set_fix(BUCKET, "<existing-bucket>", text="Create the bucket or fix "
                                                    "AWS_S3_BUCKET."), BUCKET)) from None
            if status == 403:
                raise Stop(finding("access_denied", Severity.ERROR,
                                   f"The IAM identity may not access bucket `{self.bucket}` (403 on HeadBucket)",
                                   "The keys are valid (STS accepted them), so this is permissions: the IAM policy "
                                   "lacks s3:ListBucket on the bucket, or the bucket belongs to another AWS account.",
                                   self._policy_fix(), KEY_ID, BUCKET)) from None
            if status in (301, 400) and bucket_region(response):
                return  # a region redirect botocore did not follow: region_mismatch says it all
            raise Stop(request_failed("HeadBucket", code or str(status))) from None
        try:
            await self.call(s3, "list_objects_v2", Bucket=self.bucket, MaxKeys=1)
        except ClientError as exc:
            code, status, _ = error_parts(exc)
            if code in _DENIED or status == 403:
                raise Stop(finding("list_denied", Severity.ERROR, f"Listing bucket `{self.bucket}` is denied ({code})",
                                   "The app needs s3:ListBucket to check for and list files.",
                                   self._policy_fix(), KEY_ID, BUCKET)) from None
            raise Stop(request_failed("ListObjectsV2", code or str(status))) from None

    async def write_probe(self, s3: Any) -> None:
        """Put then delete a uniquely named object; the delete runs whatever happens to the put."""
        from botocore.exceptions import ClientError

        key = f".chaski-doctor/probe-{uuid.uuid4().hex}"
        stored = False
        try:
            await self.call(s3, "put_object", Bucket=self.bucket, Key=key, Body=b"chaski-doctor write probe\n")
            stored = True
        except ClientError as exc:
            code, status, _ = error_parts(exc)
            kind = "write_denied" if code in _DENIED or status == 403 else "request_failed"
            self.out.append(finding(kind, Severity.ERROR,
                                    f"Writing to bucket `{self.bucket}` failed ({code or status})",
                                    "Uploads (delivery proofs) fail the same way: the app needs s3:PutObject.",
                                    self._policy_fix(), KEY_ID, BUCKET))
        finally:
            await self._delete(s3, key, stored)
        if stored and not any(f.id == "s3.delete_denied" for f in self.out):
            self.out.append(finding("write_ok", Severity.INFO, f"Wrote and deleted a test object in `{self.bucket}`",
                                    f"{key} was created and removed (--write-probe).", None, BUCKET))

    async def _delete(self, s3: Any, key: str, stored: bool) -> None:
        from botocore.exceptions import ClientError

        try:
            await self.call(s3, "delete_object", Bucket=self.bucket, Key=key)
        except (ClientError, Stop) as exc:
            if stored:
                code = error_parts(exc)[0] if isinstance(exc, ClientError) else exc.finding.id
                self.out.append(finding("delete_denied", Severity.ERROR,
                                        f"Deleting from bucket `{self.bucket}` failed ({code}); the probe "
                                        "object remains",
                                        f"Delete `{key}` by hand. The app needs s3:DeleteObject to remove files.",
                                        self._policy_fix(), KEY_ID, BUCKET))


async def probe(ctx: Context, key_id: str, bucket: str, region: str) -> list[Finding]:
    """Run the live steps; return their findings (a Stop ends the probe early with its finding)."""
    invalid = endpoint_problem(ctx)
    if invalid:
        return [invalid]
    run = Probe(ctx, key_id, bucket, region)
    run.host = endpoint_label(ctx)
    secret = (ctx.secret(SECRET) or Secret("")).reveal().strip()
    token = (ctx.secret(TOKEN) or Secret("")).reveal().strip() or None
    try:
        sts, s3 = await call(ctx, run.host, lambda: make_clients(
            key_id, secret, token, region, ctx.timeout, endpoint(ctx, "sts")[0], endpoint(ctx, "s3")[0]),
            "client setup")
        await run.identity(sts)
        await run.bucket_checks(s3)
        if ctx.options.write_probe:
            await run.write_probe(s3)
    except Stop as stop:
        run.out.append(stop.finding)
    return run.out

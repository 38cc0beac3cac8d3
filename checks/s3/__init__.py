"""The `s3` check: AWS credentials, bucket and region for file storage (delivery proofs).

Offline it checks key shapes, the bucket name, the region code and environment naming
(checks/s3_static.py). Online it asks STS who the keys belong to, then HeadBucket and
ListObjectsV2 on the bucket, and with --write-probe puts and deletes a test object
(checks/s3_probe.py).
"""

from __future__ import annotations

from checks.s3.static import BUCKET, KEY_ID, REGION, SECRET, static_findings
from doctor import Check, Context, Finding, Severity, import_in_thread


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

    async def run(self, ctx: Context) -> list[Finding]:
        """Static findings always; the live probe only online and when nothing static is broken."""
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

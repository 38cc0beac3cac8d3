"""Constants the `s3` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

KEY_ID, SECRET, BUCKET, REGION = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_BUCKET", "AWS_REGION"
TOKEN = "AWS_SESSION_TOKEN"  # only with temporary (ASIA…) keys
ENDPOINT_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")

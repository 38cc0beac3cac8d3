"""Constants the `compare` check's modules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

GUIDE = "secrets-management-guide.md#environment-separation"
PRODUCTION = "production"
# The environments the guide separates, and the words a bucket or label names them by.
ENVIRONMENT_WORDS: dict[str, tuple[str, ...]] = {
    "production": ("production", "prod", "prd", "live"),
    "staging": ("staging", "stage", "stg"),
    "development": ("development", "dev", "local"),
}
# Resources the guide keeps separate: variable -> what the table row is called.
RESOURCES = {"DATABASE_URL": "Database", "REDIS_URL": "Redis", "AWS_S3_BUCKET": "S3 bucket"}
# ... and how a sentence names it.
NOUNS = {"DATABASE_URL": "database", "REDIS_URL": "Redis", "AWS_S3_BUCKET": "S3 bucket"}
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY")

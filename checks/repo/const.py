"""Constants the `repo` check's Check class, scanner and findings share; no imports, since `doctor list` loads it."""

from __future__ import annotations

# The secrets the check looks for (design.md, "Secrets"), and the URLs whose password it looks for.
SECRET_NAMES = (
    "SECRET_KEY", "ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW", "MAIL_PASSWORD", "GOOGLE_CLIENT_SECRET",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TWILIO_AUTH_TOKEN",
)
URL_NAMES = ("DATABASE_URL", "REDIS_URL")

MIN_VALUE_CHARS = 8  # a shorter value would match by chance (and is no secret worth the name)
MAX_BLOB_BYTES = 32 * 1024 * 1024  # a larger blob or file is not searched (a finding says so)
MAX_JSON_BYTES = 1024 * 1024  # a larger .json file is not read as a possible `heroku config --json` backup
MAX_DOTENV_VERSIONS = 200  # versions of committed dotenv files read to name the secrets they held
SCAN_SHARE = 0.7  # of the check's budget, the most the blob scan may take (the rest: where, since when)
BUDGET_SHARE = 0.85  # of ctx.timeout, the check's own budget: it reports what it scanned before the runner stops it

# Dotenv files: `.env`, `.env.production`, `prod.env` …; these name endings are templates meant to be committed.
TEMPLATE_WORDS = ("example", "sample", "template", "dist", "defaults", "tmpl")
# Copies editors and `sed -i.bak` leave beside a dotenv file.
BACKUP_SUFFIXES = (".bak", ".backup", ".orig", ".old", ".save", ".saved", ".swp", ".tmp", ".copy", "~")

GUIDE = "Secrets Management Guide"
EXPOSED_DOCS = f"{GUIDE} › Security Best Practices › Never Commit Secrets (If exposed)"
ROTATION_DOCS = f"{GUIDE} › Key Rotation"
BACKUP_DOCS = f"{GUIDE} › Security Best Practices › Backup Secrets"

__all__ = ["SECRET_NAMES", "URL_NAMES", "MIN_VALUE_CHARS", "MAX_BLOB_BYTES", "MAX_JSON_BYTES", "MAX_DOTENV_VERSIONS",
           "SCAN_SHARE", "BUDGET_SHARE", "TEMPLATE_WORDS", "BACKUP_SUFFIXES", "GUIDE", "EXPOSED_DOCS",
           "ROTATION_DOCS", "BACKUP_DOCS"]

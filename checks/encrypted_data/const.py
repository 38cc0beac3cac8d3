"""Constants the `encrypted_data` check's Check class, rules and probe share (`doctor list` loads it)."""

from __future__ import annotations

from checks.fernet.const import CURRENT, NEW

VAR = "DOCTOR_ENCRYPTED_COLUMNS"
DATABASE = "DATABASE_URL"
# The columns the guide's rotation script re-encrypts (scripts/rotate_encryption_key.py).
DEFAULT_COLUMNS = "users.email_encrypted,users.full_name_encrypted,users.phone_number_encrypted"

SAMPLE_SIZE = 200  # values read per column at most
MAX_VALUE_CHARS = 16_384  # a longer value is not examined (a PII token is a few hundred characters)
SMALL_PAGES = 256  # a table of at most this many pages (2 MiB) is sampled at random as a whole
SAMPLE_PAGES = 128  # a larger one through TABLESAMPLE SYSTEM, reading about this many pages
CLOCK_SKEW_S = 60  # Fernet's own allowance for a token dated in the future
YEAR_S = 365 * 24 * 3600  # the guide rotates ENCRYPTION_KEY annually

GUIDE = "Secrets Management Guide"
ROTATION_DOCS = f"{GUIDE} › Key Rotation › ENCRYPTION_KEY Rotation"
INVALID_DOCS = f"{GUIDE} › Troubleshooting › Invalid ENCRYPTION_KEY"
LOST_DOCS = f"{GUIDE} › Emergency Procedures › Lost ENCRYPTION_KEY; Security Best Practices › Backup Secrets"
ROTATE_SCRIPT = "scripts/rotate_encryption_key.py"

__all__ = ["CURRENT", "NEW", "VAR", "DATABASE", "DEFAULT_COLUMNS", "SAMPLE_SIZE", "MAX_VALUE_CHARS", "SMALL_PAGES",
           "SAMPLE_PAGES", "CLOCK_SKEW_S", "YEAR_S", "GUIDE", "ROTATION_DOCS", "INVALID_DOCS", "LOST_DOCS",
           "ROTATE_SCRIPT"]

"""Constants the `smtp` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

SERVER_VARS = ("MAIL_SERVER", "MAIL_PORT")
AUTH_VARS = ("MAIL_USERNAME", "MAIL_PASSWORD")
TLS_VARS = ("MAIL_PORT", "MAIL_STARTTLS", "MAIL_SSL_TLS")

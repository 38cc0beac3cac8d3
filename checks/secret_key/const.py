"""Constants the `secret_key` check's Check class and rules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

# The other secrets SECRET_KEY must not share a value with.
OTHER_SECRETS = (
    "ENCRYPTION_KEY", "ENCRYPTION_KEY_NEW", "MAIL_PASSWORD", "GOOGLE_CLIENT_SECRET", "AWS_SECRET_ACCESS_KEY",
    "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TWILIO_AUTH_TOKEN",
)
# python3, not python: a machine with only python3 (Debian, macOS) runs `python` as nothing, and a
# `config:set SECRET_KEY="$(python -c …)"` would then set an empty key.
GENERATOR = 'python3 -c "import secrets; print(secrets.token_urlsafe(64))"'

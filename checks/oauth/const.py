"""Constants the `oauth` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

CLIENT_ID = "GOOGLE_CLIENT_ID"
SECRET = "GOOGLE_CLIENT_SECRET"
REDIRECT = "GOOGLE_REDIRECT_URI"
FRONTEND = "FRONTEND_URL"
CREDENTIALS_PATH = "APIs & Services > Credentials > OAuth 2.0 Client IDs"  # in Google Cloud Console
TOKEN_URL = "https://oauth2.googleapis.com/token"  # Google's token endpoint (DOCTOR_GOOGLE_TOKEN_URL overrides it)

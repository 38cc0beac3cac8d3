"""Constants the `twilio` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

SID = "TWILIO_ACCOUNT_SID"
TOKEN = "TWILIO_AUTH_TOKEN"
PHONE = "TWILIO_PHONE_NUMBER"
ALL = (SID, TOKEN, PHONE)

"""Constants the `postgres` check's Check class, static and probe halves share; no imports (`doctor list` loads it)."""

from __future__ import annotations

VAR = "DATABASE_URL"
VARS = (VAR,)

"""Constants the `redis` check's Check class and rules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

VAR = "REDIS_URL"

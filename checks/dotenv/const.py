"""Constants the `dotenv` check's Check class and rules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

# The variables without which the app cannot boot: losing one in a broken line is critical, and when none of
# them is set anywhere (and no file was read) there is no configuration at all.
BOOT_VARS = ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY")

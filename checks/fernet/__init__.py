"""The fernet check: see static.py for the offline rules."""

from __future__ import annotations

from checks.fernet.diagnosis import diagnose
from checks.fernet.static import CURRENT, NEW, key_findings, reveal, rotation
from doctor import Check, Context, Finding


class FernetCheck(Check):
    """ENCRYPTION_KEY is a clean 44-character url-safe Fernet key that round-trips; a rotation is sane."""

    id = "fernet"
    title = "PII encryption key (ENCRYPTION_KEY)"
    vars = (CURRENT, NEW)
    network = False
    boot_critical = True
    order = 40
    docs = "Secrets Management Guide › Troubleshooting › Invalid ENCRYPTION_KEY; Key Rotation › ENCRYPTION_KEY Rotation"

    async def run(self, ctx: Context) -> list[Finding]:
        """Diagnose ENCRYPTION_KEY, and ENCRYPTION_KEY_NEW when a rotation is in progress."""
        ctx.require(CURRENT)
        current_raw = reveal(ctx, CURRENT)
        current = diagnose(current_raw, CURRENT)
        findings = key_findings(ctx, CURRENT, current_raw, current)
        if ctx.is_set(NEW):
            new_raw = reveal(ctx, NEW)
            new = diagnose(new_raw, NEW)
            findings += key_findings(ctx, NEW, new_raw, new)
            findings += rotation(ctx, current_raw, current, new_raw, new)
        return findings

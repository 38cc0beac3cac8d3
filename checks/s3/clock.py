"""How far this machine's clock is from AWS's, read from a clock-skew error response."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# STS/query APIs: "Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z
# (20260101T002500Z - 15 min.)" -- the first stamp is ours, the one in parentheses AWS's.
# Two linear searches rather than one pattern with `.*` between the stamps, which backtracks
# quadratically on a long hostile message; and only the start of a message is read at all.
_STAMP = re.compile(r"\d{8}T\d{6}Z")
_AWS_STAMP = re.compile(r"\((\d{8}T\d{6}Z) [-+] 15 min")
_MAX_MESSAGE = 4096


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def skew_seconds(response: dict[str, Any], now: datetime | None = None) -> float | None:
    """Local time minus AWS time in seconds (positive: this clock is ahead), or None if unknown.

    Sources, most precise first: S3's RequestTime/ServerTime error fields, the stamps in an STS
    "Signature expired" message, then the response's Date header against the local clock.
    """
    error = response.get("Error", {}) or {}
    try:
        if error.get("ServerTime") and error.get("RequestTime"):
            return (_iso(str(error["RequestTime"])) - _iso(str(error["ServerTime"]))).total_seconds()
        message = str(error.get("Message", ""))[:_MAX_MESSAGE]
        ours = _STAMP.search(message)
        theirs = _AWS_STAMP.search(message, ours.end()) if ours else None
        if ours and theirs:
            return (_stamp(ours.group(0)) - _stamp(theirs.group(1))).total_seconds()
        date = (response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}).get("date")
        if date:
            return ((now or datetime.now(UTC)) - parsedate_to_datetime(str(date))).total_seconds()
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def describe_skew(offset: float | None) -> str:
    """`3 h 5 min ahead of AWS`, `12 min behind AWS`, or a neutral phrase when unknown."""
    if offset is None:
        return "too far from AWS's time"
    minutes = round(abs(offset) / 60)
    hours, minutes = divmod(minutes, 60)
    amount = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    if abs(offset) < 60:
        amount = f"{abs(offset):.0f} s"
    return f"{amount} {'ahead of' if offset > 0 else 'behind'} AWS"

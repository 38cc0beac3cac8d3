"""Severities, ordered: CRITICAL is the worst, INFO the mildest. (Its own module so that the
finding catalog can be loaded without the rest of the model.)"""

from __future__ import annotations

import enum


class Severity(enum.Enum):
    """How bad a finding is. Ordered: CRITICAL is the worst, INFO the mildest."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def weight(self) -> int:
        """Higher is worse: critical 4, error 3, warning 2, info 1."""
        return _WEIGHTS[self]

    def __ge__(self, other: Severity) -> bool:  # type: ignore[override]
        return self.weight >= other.weight

    def __gt__(self, other: Severity) -> bool:  # type: ignore[override]
        return self.weight > other.weight

    def __le__(self, other: Severity) -> bool:  # type: ignore[override]
        return self.weight <= other.weight

    def __lt__(self, other: Severity) -> bool:  # type: ignore[override]
        return self.weight < other.weight


_WEIGHTS = {Severity.CRITICAL: 4, Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1}

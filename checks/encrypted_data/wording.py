"""How the `encrypted_data` findings put numbers into words: shares, ages, dates and per-column counts.

Only counts, dates and column names come out of here: never a value.
"""

from __future__ import annotations

import time

from checks.encrypted_data.tally import ColumnSample, Kind, Tally

_LAST_DATE = 253402300799  # 9999-12-31: a foreign token's unauthenticated timestamp may be anything


def plural(n: int, word: str) -> str:
    """`1 column`, `3 columns`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def percent(part: int, whole: int) -> str:
    """`74 %`, `<1 %` for a small non-zero share, `>99 %` for one just short of all."""
    value = 100 * part / whole if whole else 0
    if 0 < value < 1:
        return "<1 %"
    if 99 < value < 100:
        return ">99 %"
    return f"{round(value)} %"


def share(part: int, whole: int, what: str = "sampled values") -> str:
    """`37 of 50 sampled values (74 %)`."""
    return f"{part} of {whole} {what} ({percent(part, whole)})"


def duration(seconds: float) -> str:
    """A rough, human length of time: `45 s`, `12 min`, `3 h`, `5 days`, `2.1 years`."""
    seconds = abs(seconds)
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600), (2 * 365 * 86400, "days", 86400)):
        if seconds < limit:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / (365 * 86400):.1f} years"


def day(stamp: int) -> str:
    """The UTC date of a Unix timestamp (`2025-03-01`)."""
    return time.strftime("%Y-%m-%d", time.gmtime(min(max(stamp, 0), _LAST_DATE)))


def dated(tally: Tally, kind: Kind) -> str:
    """`made between 2025-03-01 and 2026-11-30` from the tokens' own timestamps."""
    stamps = tally.stamps.get(kind, [])
    if not stamps:
        return "their timestamps unreadable"
    first, last = day(min(stamps)), day(max(stamps))
    return f"made on {first}" if first == last else f"made between {first} and {last}"


def by_column(samples: list[ColumnSample], kind: Kind) -> str:
    """`users.email_encrypted 37 of 50, users.full_name_encrypted 0 of 50`."""
    return ", ".join(f"{s.label} {s.tally.counts[kind]} of {s.tally.examined}" for s in samples)


def sampled_summary(samples: list[ColumnSample]) -> str:
    """How each column was sampled, with the values too long to examine."""
    parts = []
    for sample in samples:
        rows = f" of about {sample.rows:,} rows" if sample.rows is not None else ""
        long = sample.tally.counts[Kind.OVERSIZED]
        skipped = f", {long} more too long to examine" if long else ""
        parts.append(f"{sample.label}: {plural(sample.tally.examined, 'value')}{rows}, {sample.method}{skipped}")
    return "Sampled " + "; ".join(parts) + "."

"""Every installed check, offline, over damaged configurations: findings, never a crash."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.config import Config
from doctor.context import Context, RunOptions
from doctor.dotenv import parse_bytes
from doctor.registry import discover
from doctor.runner import Runner
from tests.helpers import HEALTHY_DEV, HEALTHY_PROD

CHECKS = discover().checks
NAMES = sorted(set(HEALTHY_PROD) | {"ENCRYPTION_KEY_NEW"})
ODD = st.text(alphabet=st.sampled_from(list("ab:/@?#=%[]'\" \t\r\n.-_+") + ["\u00a0", "\u200b", "é", "\x1b", "€"]),
              max_size=40)


@st.composite
def damaged_value(draw: st.DrawFn, value: str) -> str:
    how = draw(st.sampled_from(["keep", "cut", "insert", "replace", "wrap", "repeat"]))
    if how == "cut":
        return value[: draw(st.integers(0, len(value)))]
    if how == "insert":
        at = draw(st.integers(0, len(value)))
        return value[:at] + draw(ODD) + value[at:]
    if how == "replace":
        return draw(ODD)
    if how == "wrap":
        return f' "{value}"\n'
    if how == "repeat":
        return value * draw(st.integers(2, 200))
    return value


@st.composite
def configuration(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    base = dict(draw(st.sampled_from([HEALTHY_DEV, HEALTHY_PROD])))
    base["ENCRYPTION_KEY_NEW"] = HEALTHY_DEV["ENCRYPTION_KEY"]
    values = {name: draw(damaged_value(base.get(name, ""))) for name in NAMES if draw(st.booleans()) or name in base}
    in_file = {k: v for k, v in values.items() if draw(st.booleans())}
    return in_file, {k: v for k, v in values.items() if k not in in_file or draw(st.booleans())}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configuration())
def test_no_check_crashes_or_hangs(case: tuple[dict[str, str], dict[str, str]]) -> None:
    in_file, environ = case
    raw = "".join(f"{k}={v}\n" for k, v in in_file.items()).encode("utf-8")
    ctx = Context(Config([parse_bytes(raw)], environ), RunOptions(timeout=5, offline=True))
    results = asyncio.run(Runner(CHECKS, ctx, 20).run())
    broken = [(r.id, r.status.value, r.findings[0].detail if r.findings else "") for r in results
              if r.status.value in ("crashed", "timed_out")]
    assert not broken, broken

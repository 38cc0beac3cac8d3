"""The rich-free plain renderer writes exactly what the rich renderer writes (rich is the oracle),
on generated reports: long words, newlines, wide ranks, odd characters, every status."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doctor.model import CheckResult, Finding, Fix, Severity, Status
from doctor.render.plain import render_plain
from doctor.render.text import render_text, render_with_rich
from doctor.report import build_report
from doctor.secret import Redactor

COMMON = st.sampled_from(list("abcdefghij KLMNOP 0123456789 _-=/.:,'\"()<>…·–✓✗→›é€ßñ\n\t\x1b"))
ANY = st.one_of(COMMON, st.characters(min_codepoint=0x80, max_codepoint=0x3100, exclude_categories=("Cs",)))


def _text(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    words = st.one_of(st.text(alphabet, max_size=12), st.text("x", min_size=90, max_size=210))
    return st.lists(words, max_size=40).map(" ".join)


LINKED = st.sampled_from(["dotenv.bom", "env.shadowed", "postgres.dns", "redis.dns"])  # often named by caused_by
IDS = LINKED | st.from_regex(r"[a-z]{2,8}\.[a-z_]{2,14}", fullmatch=True)


@st.composite
def findings(draw: st.DrawFn, text: st.SearchStrategy[str]) -> Finding:
    fix = draw(st.none() | st.builds(Fix, text, st.lists(text, max_size=3).map(tuple)))
    return Finding(draw(IDS), draw(st.sampled_from(list(Severity))), draw(text), draw(text), fix,
                   tuple(draw(st.lists(st.sampled_from(["DATABASE_URL", "ENVIRONMENT", "REDIS_URL"]), max_size=2))),
                   draw(text), root_cause=draw(st.booleans()), caused_by=draw(st.just("") | LINKED),
                   assumes=tuple(draw(st.lists(st.just("ENVIRONMENT"), max_size=1))),
                   symptom=draw(st.sampled_from(["", "dns", "connect", "tls_verify"])))


@st.composite
def results(draw: st.DrawFn, text: st.SearchStrategy[str]) -> CheckResult:
    status = draw(st.sampled_from(list(Status)))
    return CheckResult(draw(st.from_regex(r"[a-z_]{2,10}", fullmatch=True)), draw(text), status,
                       draw(st.lists(findings(text), max_size=4)), draw(st.integers(0, 99999)),
                       draw(st.none() | text), network=draw(st.booleans()),
                       vars_read=tuple(draw(st.lists(st.sampled_from(["A", "B_C"]), max_size=3))),
                       stage=draw(st.integers(0, 2)))


@st.composite
def reports(draw: st.DrawFn, text: st.SearchStrategy[str]):
    context = {"environment": draw(st.none() | text), "platform": "local",
               "sources": draw(st.lists(text, max_size=2)), "offline": draw(st.booleans())}
    if draw(st.booleans()):
        context["models"] = draw(st.dictionaries(st.sampled_from(["pydantic", "redis"]), text, max_size=2))
    checks = draw(st.lists(results(text), max_size=5))
    silence = frozenset(draw(st.lists(IDS, max_size=2)))
    report = build_report(checks, context, Redactor(), draw(st.sampled_from(list(Severity))), draw(st.booleans()),
                          silence)
    report.offline_skipped = draw(st.lists(st.from_regex(r"[a-z]{2,8}", fullmatch=True), max_size=8))
    return report


SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(reports(_text(COMMON)), st.booleans())
def test_plain_renderer_matches_rich_on_common_text(report, verbose: bool) -> None:
    plain = render_plain(report, verbose)
    assert plain is not None and plain == render_with_rich(report, verbose)


@SETTINGS
@given(reports(_text(ANY)), st.booleans())
def test_plain_renderer_matches_rich_or_defers_to_it(report, verbose: bool) -> None:
    plain = render_plain(report, verbose)
    if plain is not None:  # None: a character rich may measure otherwise, so rich renders it
        assert plain == render_with_rich(report, verbose)


def test_many_findings_fall_back_to_rich_at_rank_100() -> None:
    many = [Finding(f"env.x{i}", Severity.WARNING, "t") for i in range(100)]
    report = build_report([CheckResult("env", "Env", Status.FAILED, many)], {"sources": []}, Redactor())
    assert render_plain(report) is None
    out = io.StringIO()
    render_text(report, out)
    assert out.getvalue() == render_with_rich(report)


def test_the_example_report_is_rendered_without_rich(tmp_path: Path) -> None:
    """A real offline run's text report: the plain path, byte for byte rich's output."""
    import subprocess
    import sys

    from tests.helpers import clean_environ

    example = Path(__file__).resolve().parents[2] / "examples" / "broken.env"
    code = ("import sys\nfrom doctor.cli import main\ncode = main(['--env-file', sys.argv[1], '--offline'])\n"
            "sys.stderr.write('RICH=%s' % any(m.split('.')[0] == 'rich' for m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(example)], capture_output=True, text=True,
                          env=clean_environ(), cwd=tmp_path)
    assert proc.stderr.endswith("RICH=False"), proc.stderr
    assert "Findings, most important first" in proc.stdout and proc.stdout.rstrip().endswith("(exit 1)")

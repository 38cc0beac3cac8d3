"""Ranking, the JSON schema, exit codes and the three renderers, on hand-built results."""

from __future__ import annotations

import io
import json

import pytest

from doctor.model import CheckResult, Finding, Fix, Severity, Status
from doctor.ranking import rank
from doctor.render.json import render_json
from doctor.render.markdown import render_markdown
from doctor.render.text import render_text
from doctor.report import build_report
from doctor.secret import Redactor
from tests.schema import validate

CONTEXT = {"environment": "production", "platform": "heroku", "sources": [".env"], "offline": False}


def result(check_id: str, findings: list[Finding], status: Status = Status.FAILED, boot: bool = False,
           reason: str | None = None, skip_vars: tuple[str, ...] = ()) -> CheckResult:
    r = CheckResult(check_id, check_id.title(), status, findings, 5, reason, boot_critical=boot)
    r.skip_vars = skip_vars
    return r


def f(fid: str, severity: Severity, vars: tuple[str, ...] = (), root: bool = False) -> Finding:
    return Finding(fid, severity, f"title of {fid}", "detail", Fix("do it", ("cmd",)), vars, root_cause=root)


def test_rank_severity_then_root_cause_then_boot_then_check_order() -> None:
    results = [
        result("stripe", [f("stripe.test_keys", Severity.ERROR)]),
        result("fernet", [f("fernet.truncated", Severity.CRITICAL)], boot=True),
        result("postgres", [f("postgres.refused", Severity.CRITICAL)], boot=True),
        result("env", [f("env.missing", Severity.ERROR, ("MAIL_SERVER",))], boot=True),
        result("smtp", [], Status.SKIPPED, reason="MAIL_SERVER is not set", skip_vars=("MAIL_SERVER",)),
        result("oauth", [f("oauth.redirect_trailing_slash", Severity.ERROR)]),
        result("dotenv", [f("dotenv.crlf", Severity.WARNING)], boot=True),
        result("redis", [f("redis.version", Severity.INFO)]),
    ]
    order = [r.finding.id for r in rank(results)]
    assert order == [
        "fernet.truncated", "postgres.refused",  # critical, boot, check order
        "env.missing",  # error that explains a skip: root cause first
        "stripe.test_keys", "oauth.redirect_trailing_slash",
        "dotenv.crlf", "redis.version",
    ]
    assert [r.rank for r in rank(results)] == list(range(1, 8))
    assert rank(results) == rank(list(results))  # pure


def test_explicit_root_cause_outranks_same_severity() -> None:
    results = [result("fernet", [f("fernet.x", Severity.CRITICAL)], boot=True),
               result("dotenv", [f("dotenv.bom", Severity.CRITICAL, root=True)])]
    assert [r.finding.id for r in rank(results)] == ["dotenv.bom", "fernet.x"]


def test_json_schema_one_key_order_status_and_exit_codes() -> None:
    results = [result("fernet", [f("fernet.truncated", Severity.WARNING, ("ENCRYPTION_KEY",))]),
               result("env", [], Status.PASSED)]
    report = build_report(results, CONTEXT, Redactor())
    data = json.loads(render_json(report))
    validate(data, "report")
    assert list(data) == ["schema", "doctor_version", "status", "exit_code", "context", "findings", "checks"]
    assert data["schema"] == 1 and data["status"] == "warning" and data["exit_code"] == 0
    assert list(data["findings"][0]) == ["id", "check", "severity", "rank", "title", "detail", "fix", "commands",
                                         "vars", "docs", "caused_by", "silenced"]
    assert data["findings"][0]["vars"] == ["ENCRYPTION_KEY"]
    assert data["checks"][1] == {"id": "env", "status": "passed", "duration_ms": 5, "reason": None}
    assert build_report(results, CONTEXT, Redactor(), fail_on=Severity.WARNING).exit_code == 1
    assert build_report([result("env", [], Status.PASSED)], CONTEXT, Redactor()).status == "ok"
    assert build_report(results, CONTEXT, Redactor(), interrupted=True).exit_code == 130


def test_every_renderer_redacts_and_neutralises_control_characters() -> None:
    canary = "CANARY-report-0123456789"
    leaky = Finding("x.leak", Severity.ERROR, f"title {canary}", f"detail {canary}\x1b[31m",
                    Fix(f"fix {canary}", (f"cmd {canary}",)), docs=canary)
    report = build_report([result("x", [leaky], reason=f"reason {canary}")], CONTEXT, Redactor([canary]))
    out = io.StringIO()
    render_text(report, out, color=False, verbose=True)
    for rendered in (out.getvalue(), render_json(report), render_markdown(report)):
        assert canary not in rendered
        assert "[redacted]" in rendered
    assert "\x1b" not in out.getvalue()


def test_plain_text_has_no_escape_codes_and_keeps_commands_whole() -> None:
    long_command = "heroku config:set " + "X" * 300
    finding = Finding("x.long", Severity.ERROR, "t", "d", Fix("f", (long_command,)))
    out = io.StringIO()
    render_text(build_report([result("x", [finding])], CONTEXT, Redactor()), out, color=False)
    text = out.getvalue()
    assert "\x1b[" not in text
    assert long_command in text.replace("\n      ", "")  # no wrapping inside a command
    assert any(line.strip() == long_command for line in text.splitlines())
    assert "Start with #1" in text


def test_markdown_fences_commands() -> None:
    md = render_markdown(build_report([result("x", [f("x.y", Severity.ERROR)])], CONTEXT, Redactor()))
    assert "```sh\ncmd\n```" in md and "| ✗ | `x` | failed |" in md


def test_the_shipped_schema_rejects_what_schema_1_forbids() -> None:
    """The schema is a real contract: a lost key, a wrong severity or a bad status fails it."""
    import jsonschema

    results = [result("fernet", [f("fernet.truncated", Severity.WARNING, ("ENCRYPTION_KEY",))])]
    good = json.loads(render_json(build_report(results, CONTEXT, Redactor())))
    validate(good, "report")
    broken = [
        {k: v for k, v in good.items() if k != "checks"},
        {**good, "status": "fine"},
        {**good, "findings": [{**good["findings"][0], "severity": "bad"}]},
        {**good, "findings": [{k: v for k, v in good["findings"][0].items() if k != "vars"}]},
        {**good, "checks": [{**good["checks"][0], "status": "ok"}]},
    ]
    for document in broken:
        with pytest.raises(jsonschema.ValidationError):
            validate(document, "report")
    extended = {**good, "future_key": 1, "findings": [{**good["findings"][0], "caused_by": "dotenv.bom"}]}
    validate(extended, "report")  # schema 1 may gain keys


def test_every_renderer_escapes_control_characters_from_peer_text() -> None:
    hostile = "pwned \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x1b[2J\rcleared"
    finding = Finding("redis.unreachable", Severity.ERROR, hostile, hostile, Fix(hostile, (hostile,)))
    report = build_report([result("redis", [finding])], {**CONTEXT, "environment": hostile}, Redactor())
    out = io.StringIO()
    render_text(report, out)
    for rendered in (out.getvalue(), render_markdown(report)):
        assert "\x1b" not in rendered and "\r" not in rendered and "\x07" not in rendered
        assert "\\x1b" in rendered
    assert "\x1b" not in render_json(report)  # JSON escapes it as \u001b

"""Cause and consequence in the engine: links, ranking, folding, defused fixes, silencing, JSON."""

from __future__ import annotations

import io
import json

from doctor.model import CheckResult, Finding, Fix, Severity, Status
from doctor.render.json import render_json
from doctor.render.markdown import render_markdown
from doctor.render.text import render_text
from doctor.report import build_report
from doctor.secret import Redactor
from tests.schema import validate

CONTEXT = {"environment": "development", "platform": "local", "sources": [".env"], "offline": False}


def result(check_id: str, findings: list[Finding], stage: int = 2, network: bool = False,
           status: Status = Status.FAILED) -> CheckResult:
    return CheckResult(check_id, check_id.title(), status, findings, 5, network=network, stage=stage)


def f(fid: str, severity: Severity, vars: tuple[str, ...] = (), **extra: object) -> Finding:
    return Finding(fid, severity, f"title of {fid}", "detail", Fix(f"fix {fid}", (f"cmd-{fid}",)), vars, **extra)


def report(results: list[CheckResult], silence: frozenset[str] = frozenset()):
    return build_report(results, CONTEXT, Redactor(), silence=silence)


def ids(rep) -> list[tuple[str, str | None]]:
    return [(r.finding.id, r.finding.caused_by or None) for r in rep.findings]


def text(rep, verbose: bool = False) -> str:
    out = io.StringIO()
    render_text(rep, out, verbose=verbose)
    return out.getvalue()


def shadow_case() -> list[CheckResult]:
    return [
        result("env", [f("env.shadowed", Severity.WARNING, ("DATABASE_URL",), root_cause=True)], stage=1),
        result("fernet", [f("fernet.truncated", Severity.CRITICAL, ("ENCRYPTION_KEY",))]),
        result("postgres", [f("postgres.auth_failed", Severity.CRITICAL, ("DATABASE_URL",))], network=True),
    ]


def test_an_earlier_stage_root_causes_later_findings_about_its_variable_and_ranks_first() -> None:
    rep = report(shadow_case())
    assert ids(rep) == [("env.shadowed", None), ("postgres.auth_failed", "env.shadowed"),
                        ("fernet.truncated", None)]
    assert [r.root_rank for r in rep.findings] == [None, 1, None]
    consequence = rep.findings[1].finding
    assert consequence.fix is not None and consequence.fix.commands == ()  # its own command is not offered
    assert consequence.fix.text.startswith("Caused by env.shadowed: fix that first")
    assert rep.status == "critical" and rep.exit_code == 1


def test_json_names_the_root_and_is_valid() -> None:
    data = json.loads(render_json(report(shadow_case())))
    validate(data, "report")
    assert [(x["id"], x["rank"], x["caused_by"]) for x in data["findings"]] == [
        ("env.shadowed", 1, None), ("postgres.auth_failed", 2, "env.shadowed"), ("fernet.truncated", 3, None)]
    assert data["findings"][1]["commands"] == []


def test_text_folds_consequences_and_the_verdict_counts_causes() -> None:
    rep = report(shadow_case())
    plain = text(rep)
    assert "Findings, most important first (2); 1 more they cause are folded under them" in plain
    assert "Causes 1 more: postgres.auth_failed (-v lists them" in plain
    assert "title of postgres.auth_failed" not in plain
    assert "✗ 2 critical (and 1 more they cause). Start with #1: title of env.shadowed (exit 1)" in plain
    assert " 2.  CRITICAL  title of fernet.truncated" in plain  # numbered among the causes shown
    verbose = text(rep, verbose=True)
    assert "#2 CRITICAL postgres.auth_failed · DATABASE_URL: title of postgres.auth_failed" in verbose
    markdown = render_markdown(rep)
    assert "### 1. WARNING: title of env.shadowed" in markdown and "### 2. CRITICAL: title of fernet" in markdown
    assert "- #2 CRITICAL postgres.auth_failed" in markdown and "cmd-postgres.auth_failed" not in markdown


def test_a_premise_links_too_and_the_earliest_stage_wins() -> None:
    results = [
        result("dotenv", [f("dotenv.duplicate_key", Severity.WARNING, ("ENVIRONMENT",), root_cause=True)], stage=0),
        result("env", [f("env.frontend_localhost", Severity.ERROR, ("FRONTEND_URL",), assumes=("ENVIRONMENT",)),
                       f("env.environment_invalid", Severity.ERROR, ("ENVIRONMENT",), root_cause=True)], stage=1),
        result("stripe", [f("stripe.test_keys_in_production", Severity.ERROR, ("STRIPE_SECRET_KEY",),
                            assumes=("ENVIRONMENT",))]),
    ]
    rep = report(results)
    assert ids(rep)[0] == ("dotenv.duplicate_key", None)
    assert {i: c for i, c in ids(rep)[1:]} == {"env.frontend_localhost": "dotenv.duplicate_key",
                                              "env.environment_invalid": "dotenv.duplicate_key",
                                              "stripe.test_keys_in_production": "dotenv.duplicate_key"}


def test_same_stage_findings_are_not_linked_by_the_engine() -> None:
    results = [result("postgres", [f("postgres.dns", Severity.CRITICAL, ("DATABASE_URL",), root_cause=True)]),
               result("fernet", [f("fernet.x", Severity.ERROR, ("DATABASE_URL",))])]
    assert [c for _, c in ids(report(results))] == [None, None]


def test_a_check_links_its_own_findings_and_chains_resolve_to_the_ultimate_root() -> None:
    results = [
        result("dotenv", [f("dotenv.on_dyno", Severity.ERROR, ("X",), root_cause=True)], stage=0),
        result("env", [f("env.shadowed", Severity.WARNING, ("X",), root_cause=True)], stage=1),
        result("oauth", [f("oauth.redirect_path", Severity.WARNING, ("GOOGLE_REDIRECT_URI",)),
                         f("oauth.redirect_uri_not_registered", Severity.ERROR, ("GOOGLE_REDIRECT_URI",),
                           caused_by="oauth.redirect_path"),
                         f("oauth.stray", Severity.ERROR, ("X",))]),
    ]
    got = dict(ids(report(results)))
    assert got["env.shadowed"] == "dotenv.on_dyno" and got["oauth.stray"] == "dotenv.on_dyno"
    assert got["oauth.redirect_uri_not_registered"] == "oauth.redirect_path"
    order = [i for i, _ in ids(report(results))]
    assert order.index("oauth.redirect_path") == order.index("oauth.redirect_uri_not_registered") - 1


def test_dangling_and_cyclic_links_are_dropped_never_hiding_a_finding() -> None:
    results = [result("a", [f("a.one", Severity.ERROR, caused_by="nothing.here"),
                            f("a.two", Severity.ERROR, caused_by="a.three"),
                            f("a.three", Severity.ERROR, caused_by="a.two")])]
    rep = report(results)
    assert len(rep.findings) == 3
    assert dict(ids(rep))["a.one"] is None
    assert sum(1 for _, c in ids(rep) if c is None) >= 2  # the cycle is broken: something stands alone
    assert len(rep.heads) >= 2


def network_results(symptoms: dict[str, str]) -> list[CheckResult]:
    return [result(check, [f(f"{check}.down", Severity.ERROR, (f"{check.upper()}_URL",), symptom=symptom)],
                   network=True) for check, symptom in symptoms.items()]


def test_the_same_network_failure_in_most_checks_is_one_machine_wide_root() -> None:
    rep = report(network_results({"postgres": "dns", "redis": "dns", "stripe": "dns", "s3": ""}))
    head = rep.findings[0].finding
    assert head.id == "network.no_dns" and head.check == "network"
    assert "3 integrations fail the same way (postgres, redis, stripe)" in head.title
    assert head.fix is not None and head.fix.commands[0].startswith("python3 -c ")
    assert dict(ids(rep)) == {"network.no_dns": None, "postgres.down": "network.no_dns",
                              "redis.down": "network.no_dns", "stripe.down": "network.no_dns", "s3.down": None}
    assert "network" not in [c.id for c in rep.checks]  # not an installed check: no status line
    validate(json.loads(render_json(rep)), "report")


def test_one_check_or_a_minority_is_not_machine_wide() -> None:
    assert "network.no_dns" not in dict(ids(report(network_results({"postgres": "dns", "redis": ""}))))
    rep = report(network_results({"postgres": "connect", "redis": "dns", "stripe": "", "s3": "", "smtp": ""}))
    assert not any(i.startswith("network.") for i, _ in ids(rep))


def test_silenced_findings_leave_status_exit_code_and_ranking_but_stay_in_json() -> None:
    results = [result("postgres", [f("postgres.ssl_disabled", Severity.ERROR, ("DATABASE_URL",))]),
               result("twilio", [f("twilio.trial", Severity.WARNING)])]
    rep = report(results, frozenset({"postgres.ssl_disabled"}))
    assert rep.status == "warning" and rep.exit_code == 0
    data = json.loads(render_json(rep))
    assert [(x["id"], x["silenced"]) for x in data["findings"]] == [("twilio.trial", False),
                                                                   ("postgres.ssl_disabled", True)]
    plain = text(rep)
    assert "title of postgres.ssl_disabled" not in plain and "1 warning; 1 silenced" in plain
    assert report(results, frozenset({"twilio", "postgres"})).status == "ok"  # a check id silences all of it

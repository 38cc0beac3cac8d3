"""Third-party checks go through the same entry-point path as the built-ins: discovery, load
failures, crash isolation, timeouts and dependency skips, all through the installed `doctor`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from doctor.runner import STRICT_CATALOG_ENV
from tests.helpers import clean_environ, run_doctor

PLUGIN_DIST = Path(__file__).parent / "plugin_dist"
CANARY = "CANARYplugin0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"


def plugin_env(**extra: str) -> dict[str, str]:
    return clean_environ(PYTHONPATH=str(PLUGIN_DIST), **extra)


def report(*args: str, **extra: str) -> tuple[dict, object]:
    proc = run_doctor("--format", "json", *args, env=plugin_env(**extra))
    return json.loads(proc.stdout), proc


def test_list_shows_third_party_checks_and_broken_ones(tmp_path: Path) -> None:
    proc = run_doctor("list", "--format", "json", env=plugin_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    ids = {c["id"] for c in listing["checks"]}
    assert {"sample", "sample_crash", "sample_slow", "sample_dependent"} <= ids
    assert {"env", "fernet", "postgres"} <= ids  # built-ins come through the same group
    assert [f["id"] for f in listing["failed_to_load"]] == ["sample_again", "sample_broken"]


def test_third_party_check_runs_and_reports(tmp_path: Path) -> None:
    data, proc = report("--only", "sample", SAMPLE_FLAG="off")
    assert proc.returncode == 1
    assert [f["id"] for f in data["findings"]] == ["sample.flag_off"]
    assert data["findings"][0]["vars"] == ["SAMPLE_FLAG"]
    data, proc = report("--only", "sample", SAMPLE_FLAG="on")
    assert proc.returncode == 0
    assert data["checks"] == [{"id": "sample", "status": "passed", "duration_ms": data["checks"][0]["duration_ms"],
                               "reason": None}]


def test_a_second_check_with_a_taken_id_is_refused() -> None:
    data, _ = report("--only", "sample,sample_again", SAMPLE_FLAG="on")
    assert {c["id"]: c["status"] for c in data["checks"]} == {"sample_again": "crashed", "sample": "passed"}
    assert "already registered" in data["findings"][0]["detail"]


def test_broken_plugin_is_a_finding_and_others_still_run() -> None:
    data, proc = report("--only", "sample,sample_broken", SAMPLE_FLAG="on")
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"sample_broken": "crashed", "sample": "passed"}
    assert [f["id"] for f in data["findings"]] == ["sample_broken.load_failed"]
    assert proc.returncode == 1


def test_crash_names_the_type_never_the_message() -> None:
    for fmt in ("json", "text", "markdown"):
        proc = run_doctor("--format", fmt, "--only", "sample_crash,sample", env=plugin_env(SECRET_KEY=CANARY))
        assert CANARY not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert "RuntimeError" in proc.stdout
    data, _ = report("--only", "sample_crash,sample", SECRET_KEY=CANARY, SAMPLE_FLAG="on")
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"sample_crash": "crashed", "sample": "passed"}
    assert data["findings"][0]["id"] == "sample_crash.crashed"


def test_hanging_check_times_out_and_the_run_ends_on_time() -> None:
    started = time.monotonic()
    data, proc = report("--only", "sample_slow,sample", "--timeout", "1", SAMPLE_FLAG="on")
    elapsed = time.monotonic() - started
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"sample_slow": "timed_out", "sample": "passed"}
    assert data["findings"][0]["id"] == "sample_slow.timed_out"
    assert elapsed < 20  # 3 x 1 s per network check, plus interpreter start-up


def test_whole_run_deadline_caps_everything() -> None:
    data, _ = report("--only", "sample_slow", "--timeout", "30", "--deadline", "1")
    assert data["checks"][0]["status"] == "timed_out"


def test_dependent_check_is_skipped_when_its_prerequisite_fails() -> None:
    data, _ = report("--only", "sample,sample_dependent", SAMPLE_FLAG="off")
    dependent = next(c for c in data["checks"] if c["id"] == "sample_dependent")
    assert dependent["status"] == "skipped"
    assert dependent["reason"].startswith("because sample failed")
    assert [f["id"] for f in data["findings"]] == ["sample.flag_off"]  # reported once, not twice
    data, _ = report("--only", "sample,sample_dependent", SAMPLE_FLAG="on")
    dependent = next(c for c in data["checks"] if c["id"] == "sample_dependent")
    assert dependent["status"] == "passed"


def test_verbose_text_and_markdown_show_what_each_check_read() -> None:
    text = run_doctor("-v", "--only", "sample", env=plugin_env(SAMPLE_FLAG="on")).stdout
    assert "reads SAMPLE_FLAG" in text
    markdown = run_doctor("--format", "markdown", "--only", "sample", env=plugin_env(SAMPLE_FLAG="on")).stdout
    assert "| ✓ | `sample` | passed |" in markdown and "| `SAMPLE_FLAG` |" in markdown


def test_findings_without_docs_get_the_checks_docs() -> None:
    data = json.loads(run_doctor("--format", "json", "--offline", "--only", "env", env=plugin_env()).stdout)
    assert data["findings"] and all(f["docs"].startswith("Secrets Management Guide") for f in data["findings"])


def test_a_check_returning_the_wrong_type_is_contained() -> None:
    data, proc = report("--only", "sample_malformed,sample", SAMPLE_FLAG="on")
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses == {"sample_malformed": "crashed", "sample": "passed"}
    assert data["findings"][0]["id"] == "sample_malformed.crashed" and proc.returncode == 1


def test_an_undeclared_finding_id_is_a_bug_in_strict_mode() -> None:
    """The suite (and a plugin author's suite) runs with DOCTOR_STRICT_CATALOG: the check crashes."""
    data, proc = report("--only", "sample_undeclared")
    assert data["checks"][0]["status"] == "crashed" and proc.returncode == 1
    assert data["checks"][0]["reason"] == "crashed: emitted undeclared finding id(s) sample_undeclared.surprise"
    assert [f["id"] for f in data["findings"]] == ["sample_undeclared.crashed"]


def test_an_undeclared_finding_id_passes_through_for_users() -> None:
    """Outside a test suite a third-party check's undeclared id is still shown: a user loses nothing."""
    env = {k: v for k, v in plugin_env().items() if not k.startswith("DOCTOR_")}


    proc = subprocess.run([sys.executable, "-m", "doctor", "--format", "json", "--only", "sample_undeclared"],
                          env={**env, STRICT_CATALOG_ENV: ""}, capture_output=True, text=True)
    data = json.loads(proc.stdout)
    assert [f["id"] for f in data["findings"]] == ["sample_undeclared.surprise"]


def test_explain_and_list_include_third_party_catalogs() -> None:
    proc = run_doctor("explain", "sample.flag_off", env=plugin_env())
    assert proc.returncode == 0 and "Set SAMPLE_FLAG=on." in proc.stdout and "Sample plugin README" in proc.stdout
    listing = json.loads(run_doctor("list", "--findings", "--format", "json", env=plugin_env()).stdout)
    assert "sample.flag_off" in {row["id"] for row in listing["findings"]}

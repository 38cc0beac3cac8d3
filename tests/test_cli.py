"""The installed `doctor` command, run as a subprocess: flags, formats, exit codes, imports,
interruption."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import HEALTHY_DEV, clean_environ, run_doctor

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_DIST = ROOT / "tests" / "engine" / "plugin_dist"
SDKS = ("psycopg", "redis", "aiosmtplib", "boto3", "botocore", "stripe", "twilio", "httpx", "aiohttp", "aiohttp_retry")


def env_file(tmp_path: Path, values: dict[str, str], name: str = ".env") -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def test_version_and_python_m() -> None:
    assert run_doctor("--version").stdout.strip() == "chaski-doctor 0.1.0"
    proc = subprocess.run([sys.executable, "-m", "doctor", "--version"], capture_output=True, text=True,
                          env=clean_environ())
    assert proc.returncode == 0 and proc.stdout.strip() == "chaski-doctor 0.1.0"


@pytest.mark.parametrize("args", [["--version"], ["list"], ["--offline", "--format", "json"]])
def test_no_sdk_is_imported(tmp_path: Path, args: list[str]) -> None:
    env_file(tmp_path, HEALTHY_DEV)
    code = (
        "import sys\nfrom doctor.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {SDKS!r})\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_environ())
    assert "LOADED=" in proc.stderr, proc.stderr
    assert proc.stderr.rsplit("LOADED=", 1)[1].strip() == ""


def test_healthy_offline_run_exits_zero_in_every_format(tmp_path: Path) -> None:
    path = env_file(tmp_path, HEALTHY_DEV)
    for fmt in ("text", "json", "markdown"):
        proc = run_doctor("--env-file", str(path), "--offline", "--format", fmt)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stderr == ""
    data = json.loads(run_doctor("--env-file", str(path), "--offline", "--format", "json").stdout)
    assert data["status"] in ("ok", "info")
    models = data["context"].pop("models")
    assert set(models) <= {"pydantic", "redis", "python-dotenv", "sqlalchemy"} and models["pydantic"]  # or builtin
    assert data["context"] == {"environment": "development", "platform": "local", "sources": [str(path)],
                               "offline": True}
    network = {c["id"]: c["reason"] for c in data["checks"] if c["id"] in ("postgres", "redis", "stripe")}
    assert set(network.values()) == {"offline: network probe not run"}


def test_dotenv_in_the_working_directory_is_read_by_default(tmp_path: Path) -> None:
    env_file(tmp_path, {**HEALTHY_DEV, "LOG_LEVEL": "LOUD"})
    proc = run_doctor("--offline", "--format", "json", "--only", "env", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert data["context"]["sources"] == [".env"]
    assert "env.log_level_invalid" in [f["id"] for f in data["findings"]]


def test_fail_on_only_and_skip(tmp_path: Path) -> None:
    path = env_file(tmp_path, {**HEALTHY_DEV, "LOG_LEVEL": "LOUD"})  # an error in `env`
    base = ("--env-file", str(path), "--offline", "--format", "json")
    assert run_doctor(*base).returncode == 1
    assert run_doctor(*base, "--fail-on", "critical").returncode == 0
    assert run_doctor(*base, "--skip", "env").returncode == 0
    only = json.loads(run_doctor(*base, "--only", "env,fernet").stdout)
    assert [c["id"] for c in only["checks"]] == ["env", "fernet"]


def test_fail_on_warning(tmp_path: Path) -> None:
    path = env_file(tmp_path, {**HEALTHY_DEV, "DATABASE_URL": HEALTHY_DEV["DATABASE_URL"].replace(
        "postgresql://", "postgres://")})
    base = ("--env-file", str(path), "--offline", "--only", "postgres")
    assert run_doctor(*base).returncode == 0
    assert run_doctor(*base, "--fail-on", "warning").returncode == 1


@pytest.mark.parametrize("args, message", [
    (["--env-file", "/nonexistent/.env"], "no such file"),
    (["--env-file", "/"], "is a directory"),
    (["--only", "nosuchcheck"], "unknown check id"),
    (["--timeout", "-1"], "--timeout"),
    (["--format", "yaml"], "--format"),
    (["--bogus"], "unrecognized arguments"),
])
def test_usage_errors_exit_2_with_a_clear_message(args: list[str], message: str, tmp_path: Path) -> None:
    proc = run_doctor(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_list_text_and_json() -> None:
    text = run_doctor("list").stdout
    for check_id in ("env", "dotenv", "secret_key", "fernet", "postgres", "redis", "smtp", "oauth", "s3", "stripe",
                     "twilio"):
        assert check_id in text
    data = json.loads(run_doctor("list", "--format", "json").stdout)
    postgres = next(c for c in data["checks"] if c["id"] == "postgres")
    assert postgres["network"] is True and "DATABASE_URL" in postgres["vars"]


def test_no_color_when_not_a_tty(tmp_path: Path) -> None:
    path = env_file(tmp_path, {**HEALTHY_DEV, "LOG_LEVEL": "LOUD"})
    proc = run_doctor("--env-file", str(path), "--offline")
    assert "\x1b[" not in proc.stdout


def test_ctrl_c_prints_what_finished_and_exits_130(tmp_path: Path) -> None:
    env = clean_environ(PYTHONPATH=str(PLUGIN_DIST), SAMPLE_FLAG="on")
    proc = subprocess.Popen(
        [sys.executable, "-m", "doctor", "--only", "sample,sample_slow", "--timeout", "60", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    time.sleep(2.5)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    data = json.loads(out)
    statuses = {c["id"]: (c["status"], c["reason"]) for c in data["checks"]}
    assert statuses["sample"] == ("passed", None)
    assert statuses["sample_slow"] == ("skipped", "interrupted before it finished")
    assert data["exit_code"] == 130
    assert "Traceback" not in err


def test_ascii_only_output_keeps_the_status_symbols(tmp_path: Path) -> None:
    path = env_file(tmp_path, {**HEALTHY_DEV, "LOG_LEVEL": "LOUD"})
    proc = run_doctor("--env-file", str(path), "--offline", env=clean_environ(PYTHONIOENCODING="ascii"))
    lines = proc.stdout.splitlines()
    assert any(re.fullmatch(r"  x env +Environment variables  \(1 finding\)", line) for line in lines), lines
    assert any(line.startswith("  + fernet ") for line in lines)
    assert "?" not in "".join(line[:4] for line in lines)


def test_explain_a_finding_id_prints_meaning_causes_fix_severity_guide_and_variables() -> None:
    proc = run_doctor("explain", "fernet.truncated")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("fernet.truncated  (critical by default)")
    for label in ("Check:", "Causes:", "Fix:", "Variables:", "Guide:"):
        assert f"\n{label}" in out, label
    assert "ENCRYPTION_KEY" in out and "Secrets Management Guide" in out
    data = json.loads(run_doctor("explain", "fernet.truncated", "--format", "json").stdout)
    assert data["id"] == "fernet.truncated" and data["severity"] == "critical" and data["check"] == "fernet"


def test_explain_a_check_id_lists_its_findings() -> None:
    proc = run_doctor("explain", "postgres")
    assert proc.returncode == 0
    assert "postgres.auth_failed" in proc.stdout and "postgres.crashed" in proc.stdout
    assert "DATABASE_URL" in proc.stdout
    data = json.loads(run_doctor("explain", "postgres", "--format", "json").stdout)
    assert {f["id"] for f in data["findings"]} >= {"postgres.auth_failed", "postgres.timed_out"}


@pytest.mark.parametrize(("wanted", "suggested"), [("postgres.auth_faild", "postgres.auth_failed"),
                                                   ("auth_failed", "postgres.auth_failed"),
                                                   ("fernt", "fernet")])
def test_explain_an_unknown_id_exits_2_with_the_closest_ids(wanted: str, suggested: str) -> None:
    proc = run_doctor("explain", wanted)
    assert proc.returncode == 2 and proc.stdout == ""
    assert suggested in proc.stderr and "Traceback" not in proc.stderr


def test_every_builtin_id_can_be_explained() -> None:
    listing = json.loads(run_doctor("list", "--findings", "--format", "json").stdout)
    ids = [row["id"] for row in listing["findings"]]
    assert len(ids) == len(set(ids)) > 100
    # every installed check's, plus the engine's machine-wide `network.*` roots
    assert {row["check"] for row in listing["findings"]} == {c["id"] for c in listing["checks"]} | {"network"}
    assert run_doctor("explain", "network.no_dns").returncode == 0
    sample = ids[:: max(1, len(ids) // 12)]
    for finding_id in sample:
        proc = run_doctor("explain", finding_id)
        assert proc.returncode == 0 and proc.stdout.startswith(finding_id), finding_id


def test_list_findings_text_has_id_severity_and_meaning() -> None:
    lines = run_doctor("list", "--findings").stdout.splitlines()
    row = next(line for line in lines if line.startswith("postgres.auth_failed "))
    assert row.split()[1] in ("critical", "error", "warning", "info")
    assert len(row.split()) > 3


def test_a_selected_check_skipped_for_an_unset_variable_is_not_healthy(tmp_path: Path) -> None:
    """`doctor --only postgres` with DATABASE_URL unset: not "no problems found" and exit 0."""
    proc = run_doctor("--only", "postgres", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["status"] == "critical"
    assert data["checks"][0]["status"] == "skipped"
    assert [(f["id"], f["vars"]) for f in data["findings"]] == [("postgres.unset", ["DATABASE_URL"])]
    with_env = json.loads(run_doctor("--only", "postgres,env", "--offline", "--format", "json", cwd=tmp_path).stdout)
    ids = [f["id"] for f in with_env["findings"]]
    assert "env.missing" in ids and "postgres.unset" not in ids  # the env check explains it already
    optional = run_doctor("--only", "twilio", "--format", "json", cwd=tmp_path)
    assert optional.returncode == 0 and json.loads(optional.stdout)["findings"] == []  # optional: nothing unset


@pytest.mark.parametrize(("args", "words"), [(["--only", ""], "names no check id"),
                                             (["--skip", " , "], "names no check id"),
                                             (["--send-test-email", "nobody"], "not an e-mail address")])
def test_bad_arguments_are_usage_errors_before_any_check_runs(args: list[str], words: str) -> None:
    proc = run_doctor(*args, "--offline", "--format", "json")
    assert proc.returncode == 2 and proc.stdout == "" and words in proc.stderr


def test_every_heroku_command_names_the_app_when_it_is_known(tmp_path: Path) -> None:
    """On a dyno with HEROKU_APP_NAME, every `heroku …` fix command carries `-a APP` (not only config:set)."""
    example = Path(__file__).resolve().parents[1] / "examples" / "broken.env"
    cases = [
        {"DYNO": "run.1", "HEROKU_APP_NAME": "chaski-app"},
        {"DYNO": "run.1", "HEROKU_APP_NAME": "chaski-app", "DATABASE_URL": "", "REDIS_URL": ""},
        {"DYNO": "run.1", "HEROKU_APP_NAME": "chaski-app",
         "DATABASE_URL": "postgresql://u:p@h/d?sslmode=disable", "ENVIRONMENT": "production"},
    ]
    seen = 0
    for extra in cases:
        proc = run_doctor("--env-file", str(example), "--offline", "--format", "json", env=clean_environ(**extra),
                          cwd=tmp_path)
        for finding in json.loads(proc.stdout)["findings"]:
            for command in finding["commands"]:
                if command.startswith("heroku "):
                    seen += 1
                    assert " -a chaski-app" in command, (finding["id"], command)
    assert seen >= 5


@pytest.mark.parametrize("extra", [{}, {"DYNO": "run.1", "HEROKU_APP_NAME": "chaski-app"}])
def test_no_fix_command_holds_a_placeholder_a_shell_would_accept(tmp_path: Path, extra: dict[str, str]) -> None:
    """Placeholders are `<…>` forms (a shell rejects them), never a bare `…` or `xxx` set as the value."""
    import re

    example = Path(__file__).resolve().parents[1] / "examples" / "broken.env"
    proc = run_doctor("--env-file", str(example), "--offline", "--format", "json", env=clean_environ(**extra),
                      cwd=tmp_path)
    commands = [c for f in json.loads(proc.stdout)["findings"] for c in f["commands"]]
    assert commands
    for command in commands:
        bare = re.sub(r"<[^<>]*>", "", command)
        assert "…" not in bare and "xxx" not in bare.lower(), command


def test_a_destructive_command_says_so_on_its_own_line(tmp_path: Path) -> None:
    """Generating a new SECRET_KEY or ENCRYPTION_KEY is marked where it is pasted (a shell comment)."""
    values = {"ENVIRONMENT": "production", "DYNO": "run.1", "SECRET_KEY": "changeme", "ENCRYPTION_KEY": "x" * 44}
    proc = run_doctor("--offline", "--format", "json", "--only", "secret_key,fernet", env=clean_environ(**values),
                      cwd=tmp_path)
    generated = [c for f in json.loads(proc.stdout)["findings"] for c in f["commands"] if "$(python3 -c" in c]
    assert any("SECRET_KEY=" in c and c.endswith("# DESTRUCTIVE: every user is logged out") for c in generated)
    assert any("ENCRYPTION_KEY=" in c and "# DESTRUCTIVE: data encrypted with the old key" in c for c in generated)
    done = subprocess.run(["bash", "-c", "echo ok  # DESTRUCTIVE: a shell ignores this"], capture_output=True,
                          text=True)
    assert done.stdout == "ok\n"


def test_a_destructive_command_is_never_offered_under_a_warning(tmp_path: Path) -> None:
    """Outside production a guessable SECRET_KEY is a warning: the words stay, the logging-out command does not."""
    values = {"ENVIRONMENT": "development", "SECRET_KEY": "ab" * 40, "ENCRYPTION_KEY": "x" * 44}
    proc = run_doctor("--offline", "--format", "json", "--only", "secret_key", env=clean_environ(**values),
                      cwd=tmp_path)
    findings = json.loads(proc.stdout)["findings"]
    weak = next(f for f in findings if f["severity"] == "warning")
    assert weak["id"].startswith("secret_key.") and "destructive" in weak["fix"]
    assert not any("DESTRUCTIVE" in c for f in findings if f["severity"] in ("warning", "info") for c in f["commands"])
    assert weak["commands"] and all("python3 -c" in c for c in weak["commands"])  # the generator alone is harmless


@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
def test_a_report_that_cannot_be_written_is_an_output_error(tmp_path: Path, redirect: str) -> None:
    exe = shutil.which("doctor") or f"{sys.executable} -m doctor"
    for args in ("--offline", "list"):
        done = subprocess.run(["bash", "-c", f"{exe} {args} {redirect}"], env=clean_environ(), cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().startswith("doctor: cannot write the report:"), done.stderr
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr

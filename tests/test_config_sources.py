"""Configuration sources (issue 8's cases, issue 11 part 1): `heroku config` output saved as .env,
`heroku config --json` and standard input as sources, an unreadable `./.env`, no configuration at
all, and a `.env` deployed on a dyno. Each runs the installed `doctor` the way a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dotenv import dotenv_values

from doctor.config import SECRET_VARS
from doctor.heroku import detect_dump, parse_dotenv
from tests.helpers import HEALTHY_PROD, clean_environ, run_doctor
from tests.test_cascades import assert_no_contradictory_advice, first_finding_line

PROD = {k: v for k, v in HEALTHY_PROD.items() if not k.startswith("TWILIO")}


def heroku_text_dump(values: dict[str, str], app: str = "chaski-prod") -> str:
    """What `heroku config -a APP` prints: a header, then names padded to one column."""
    width = max(map(len, values)) + 1
    return f"=== {app} Config Vars\n" + "".join(f"{k + ':':<{width}} {v}\n" for k, v in values.items())


def report(tmp_path: Path, *args: str, stdin: str | None = None, **environ: str) -> tuple[dict, str]:
    env = clean_environ(**environ)
    as_json = run_doctor("--offline", "--format", "json", *args, env=env, cwd=tmp_path, stdin=stdin)
    text = run_doctor("--offline", "-v", *args, env=env, cwd=tmp_path, stdin=stdin)
    markdown = run_doctor("--offline", "--format", "markdown", *args, env=env, cwd=tmp_path, stdin=stdin)
    assert as_json.returncode == text.returncode == markdown.returncode, (as_json.stderr, text.stderr)
    data = json.loads(as_json.stdout)
    assert_no_contradictory_advice(data)
    active = [f for f in data["findings"] if not f["silenced"]]
    if active:  # the root heads the Markdown report as it heads the others
        findings = markdown.stdout.split("## Findings", 1)[1]
        assert findings.index(f"`{active[0]['id']}`") < findings.index("### 2.") if "### 2." in findings else True
    return data, text.stdout + markdown.stdout


def assert_no_secret(output: str, values: dict[str, str]) -> None:
    for name in SECRET_VARS & set(values) - {"DATABASE_URL", "REDIS_URL"}:
        assert values[name] not in output, name
    for name in ("DATABASE_URL", "REDIS_URL"):
        password = values.get(name, "").rpartition("@")[0].rpartition(":")[2]
        assert len(password) < 4 or password not in output, name


# -- `heroku config` output where a dotenv file was expected --------------------------------------

@pytest.mark.parametrize("shape", ["text", "json"])
def test_a_heroku_config_dump_in_dotenv_is_one_root_and_never_missing(tmp_path: Path, shape: str) -> None:
    dump = heroku_text_dump(PROD) if shape == "text" else json.dumps(PROD, indent=2)
    (tmp_path / ".env").write_text(dump)
    data, text = report(tmp_path)

    ids = [f["id"] for f in data["findings"]]
    assert ids[0] == "dotenv.heroku_config_format", ids
    root = data["findings"][0]
    assert root["severity"] == "critical" and root["caused_by"] is None
    assert "heroku config --shell -a chaski-prod > .env" in root["commands"] or shape == "json"
    assert any(c.startswith("heroku config --shell") for c in root["commands"])
    # the values are in the file: nothing says they are missing, nothing generates a replacement
    assert "env.missing" not in ids and "dotenv.unparsed_line" not in ids, ids
    assert not any("generate" in c.lower() or "python3 -c" in c for c in (c for f in data["findings"]
                                                                             for c in f["commands"]))
    skipped = {c["id"]: c for c in data["checks"] if c["status"] == "skipped"}
    assert "dotenv.heroku_config_format" in skipped["secret_key"]["reason"]
    assert "dotenv.heroku_config_format" in skipped["postgres"]["reason"]
    assert first_finding_line(text).endswith("cannot read")
    assert_no_secret(text + json.dumps(data), PROD)
    assert data["status"] != "ok"


def test_a_dump_of_some_variables_reports_only_the_absent_ones_missing(tmp_path: Path) -> None:
    part = {k: PROD[k] for k in ("SECRET_KEY", "DATABASE_URL", "ENCRYPTION_KEY", "ENVIRONMENT")}
    (tmp_path / ".env").write_text(heroku_text_dump(part))
    data, _ = report(tmp_path)
    missing = {f["vars"][0] for f in data["findings"] if f["id"] == "env.missing"}
    assert missing and not missing & set(part), missing
    assert data["findings"][0]["id"] == "dotenv.heroku_config_format"


def test_the_dump_detector_agrees_with_python_dotenv_that_it_reads_none_of_it(tmp_path: Path) -> None:
    text = heroku_text_dump(PROD) + "MULTI:     line one\nline two\n"
    path = tmp_path / "dump.env"
    path.write_text(text)
    read = dotenv_values(path)
    parsed = parse_dotenv(text.encode(), "dump.env")
    assert parsed.heroku is not None
    names = parsed.heroku.names
    assert set(names) == set(PROD) | {"MULTI"}
    assert dict(parsed.heroku.entries[i][::2] for i in range(len(names)))["MULTI"] == "line one\nline two"
    # the oracle: python-dotenv gives none of these names the dumped value
    assert not any(read.get(name) == value for name, value in PROD.items())


@pytest.mark.parametrize("text", [
    "SECRET_KEY=abc\nNOTE: this line is a mistake\n",     # one stray line in a real .env
    "A=1\nB=2\nC=3\nX: 1\nY: 2\n",                         # more dotenv lines than `NAME: value` ones
    "",
])
def test_a_dotenv_file_with_a_few_colon_lines_is_not_a_dump(text: str) -> None:
    assert detect_dump(parse_dotenv(text.encode(), ".env")) is None


def test_a_headerless_dump_is_still_recognised() -> None:
    text = "".join(f"{k}: {v}\n" for k, v in list(PROD.items())[:5])
    assert detect_dump(parse_dotenv(text.encode(), ".env")) is not None


# -- `heroku config --json` and standard input as sources -----------------------------------------

def test_heroku_config_json_is_read_as_a_source_and_located_by_key(tmp_path: Path) -> None:
    (tmp_path / "prod.json").write_text(json.dumps(PROD, indent=2))
    shell = {"MAIL_FROM_NAME": "Chaski Local"}
    data, text = report(tmp_path, "--env-file", "prod.json", **shell)
    ids = {f["id"] for f in data["findings"]}
    assert "env.missing" not in ids and "dotenv.heroku_config_format" not in ids, ids
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses["secret_key"] == statuses["fernet"] == "passed", statuses
    shadowed = next(f for f in data["findings"] if f["id"] == "env.shadowed")
    assert "prod.json key MAIL_FROM_NAME" in shadowed["title"] + shadowed["detail"] + shadowed["fix"]
    assert_no_secret(text + json.dumps(data), PROD)


def test_heroku_config_json_piped_on_standard_input(tmp_path: Path) -> None:
    data, text = report(tmp_path, "--env-file", "-", stdin=json.dumps(PROD))
    ids = {f["id"] for f in data["findings"]}
    assert "env.missing" not in ids and "dotenv.not_found" not in ids, ids
    assert {c["id"]: c["status"] for c in data["checks"]}["fernet"] == "passed"
    assert_no_secret(text + json.dumps(data), PROD)


def test_a_dotenv_file_piped_on_standard_input(tmp_path: Path) -> None:
    dotenv = "".join(f"{k}={v}\n" for k, v in PROD.items())
    data, _ = report(tmp_path, "--env-file", "-", stdin=dotenv)
    assert {c["id"]: c["status"] for c in data["checks"]}["secret_key"] == "passed"


@pytest.mark.parametrize(("document", "said"), [
    ('["SECRET_KEY", "x"]', "not an object of strings"),
    ('{"SECRET_KEY": 12345}', "SECRET_KEY holds a number"),
    ('{"SECRET_KEY": "canary-Zq9W"', "invalid JSON"),
    ('{"BAD KEY": "canary-Zq9W"}', "is not a variable name"),
    ('{"SECRET_KEY=canary-Zq9W": "x"}', "is not a variable name"),  # a value pasted into the key
])
def test_json_that_is_not_an_object_of_strings_is_a_usage_error(tmp_path: Path, document: str, said: str) -> None:
    (tmp_path / "prod.json").write_text(document)
    done = run_doctor("--offline", "--env-file", "prod.json", env=clean_environ(), cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert said in done.stderr and "Traceback" not in done.stderr
    assert "canary-Zq9W" not in done.stderr + done.stdout and len(done.stderr.splitlines()) <= 2


# -- the file the app reads is not there, or not readable ------------------------------------------

def test_a_dotenv_that_is_a_directory_is_the_root_of_every_missing_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    data, text = report(tmp_path)
    assert data["findings"][0]["id"] == "dotenv.unreadable"
    missing = [f for f in data["findings"] if f["id"] == "env.missing"]
    assert missing and all(f["caused_by"] == "dotenv.unreadable" for f in missing)
    assert "Causes" in text and "env.missing" in text
    assert data["status"] != "ok"


def test_no_configuration_at_all_is_one_root_with_the_missing_folded_under_it(tmp_path: Path) -> None:
    data, text = report(tmp_path)
    assert data["findings"][0]["id"] == "dotenv.not_found"
    missing = [f for f in data["findings"] if f["id"] == "env.missing"]
    assert len(missing) > 10 and all(f["caused_by"] == "dotenv.not_found" for f in missing)
    plain = run_doctor("--offline", env=clean_environ(), cwd=tmp_path).stdout
    assert len(plain.splitlines()) < 40, plain  # not 190 lines: one root, its consequences folded


def test_a_selected_check_names_the_missing_configuration_not_healthy(tmp_path: Path) -> None:
    done = run_doctor("--offline", "--only", "secret_key", "--format", "json", env=clean_environ(), cwd=tmp_path)
    data = json.loads(done.stdout)
    assert done.returncode != 0 and data["status"] != "ok"
    assert "dotenv.not_found" in json.dumps(data)


# -- a .env deployed in the slug --------------------------------------------------------------------

def test_a_dotenv_on_a_dyno_is_one_root_over_what_it_shadows(tmp_path: Path) -> None:
    local = {**PROD, "SECRET_KEY": "local-" + PROD["SECRET_KEY"][6:], "DATABASE_URL": "postgresql://u:p@localhost/db",
             "FRONTEND_URL": "http://localhost:3000"}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in local.items()))
    config_vars = {k: v for k, v in PROD.items() if k not in ("MAIL_FROM_NAME",)}
    data, text = report(tmp_path, DYNO="web.1", HEROKU_APP_NAME="chaski-prod", **config_vars)
    root = next(f for f in data["findings"] if f["id"] == "dotenv.on_dyno")
    assert root["caused_by"] is None
    shadowed = [f for f in data["findings"] if f["id"] == "env.shadowed"]
    assert len(shadowed) >= 3 and all(f["caused_by"] == "dotenv.on_dyno" for f in shadowed)
    assert "git rm --cached -- .env" in root["commands"]
    assert "MAIL_FROM_NAME" in root["vars"]  # what the app takes from the file alone
    assert_no_secret(text + json.dumps(data), {**local, **config_vars})


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.env")
    done = run_doctor("--offline", "--env-file", "pipe.env", env=clean_environ(), cwd=tmp_path, timeout=20)
    assert done.returncode == 2 and "FIFO" in done.stderr and "--env-file -" in done.stderr, done.stderr
    os.mkfifo(tmp_path / ".env")  # the implicit ./.env: the app would hang on it; the doctor says so
    data, _ = report(tmp_path)
    assert data["findings"][0]["id"] == "dotenv.unreadable"

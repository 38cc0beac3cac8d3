"""Canary secrets through the whole CLI: every check, every format, damaged and swapped values,
refused and silent peers. No canary (nor any 8-character run of one) may appear in stdout or
stderr. Each check's own test file drives its deeper failure paths the same way."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import HEALTHY_PROD, clean_environ, free_port, run_doctor
from tests.servers.http import SilentListener

FORMATS = (("--format", "text", "-v"), ("--format", "json"), ("--format", "markdown"))


def canary(length: int, alphabet: str = "0123456789abcdef") -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def make_canaries() -> dict[str, str]:
    """Secret values in their right shapes, each made of fresh random material."""
    return {
        "SECRET_KEY": "K" + canary(79, "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"),
        "ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ENCRYPTION_KEY_NEW": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "MAIL_PASSWORD": canary(16, "abcdefghijklmnopqrstuvwxyz"),
        "GOOGLE_CLIENT_SECRET": "GOCSPX-" + canary(28, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"),
        "AWS_SECRET_ACCESS_KEY": canary(40, ALNUM + "/+"),
        "STRIPE_SECRET_KEY": "sk_live_" + canary(40, ALNUM),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + canary(32, ALNUM),
        "TWILIO_AUTH_TOKEN": canary(32),
        "DB_PASSWORD": canary(24, "abcdefghijklmnopqrstuvwxyz0123456789"),
        "REDIS_PASSWORD": canary(24, "abcdefghijklmnopqrstuvwxyz0123456789"),
    }


def needles(value: str) -> set[str]:
    """The value and every 8-character run of it, minus public prefixes and the last 4."""
    core = value
    for prefix in ("sk_live_", "whsec_", "GOCSPX-"):
        core = core.removeprefix(prefix)
    body = core[:-4]
    return {value} | {body[i : i + 8] for i in range(0, max(len(body) - 7, 0))}


def assert_no_leak(output: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        for needle in needles(value):
            assert needle not in output, f"{name} leaked ({needle!r})"


def configuration(values: dict[str, str], db_port: int, redis_port: int, other_port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{other_port}"
    return {
        **HEALTHY_PROD,
        **{k: v for k, v in values.items() if k not in ("DB_PASSWORD", "REDIS_PASSWORD")},
        "DATABASE_URL": f"postgresql://chaski:{values['DB_PASSWORD']}@127.0.0.1:{db_port}/chaski",
        "REDIS_URL": f"redis://:{values['REDIS_PASSWORD']}@127.0.0.1:{redis_port}/0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(other_port),
        "AWS_ENDPOINT_URL": base,
        "DOCTOR_STRIPE_API_BASE": base,
        "DOCTOR_TWILIO_API_BASE": base,
        "DOCTOR_GOOGLE_TOKEN_URL": base + "/token",
        "DOCTOR_GOOGLE_AUTH_URL": base + "/auth",
    }


def damaged(config: dict[str, str]) -> dict[str, str]:
    """The same secrets with the paste damage the checks look for."""
    out = dict(config)
    out["SECRET_KEY"] = f'  "{config["SECRET_KEY"]}"\t'
    out["ENCRYPTION_KEY"] = config["ENCRYPTION_KEY"][:-1]  # padding lost
    out["ENCRYPTION_KEY_NEW"] = "b'" + config["ENCRYPTION_KEY_NEW"] + "'"
    out["MAIL_PASSWORD"] = config["MAIL_PASSWORD"][:8] + "\u00a0" + config["MAIL_PASSWORD"][8:]
    out["STRIPE_PUBLISHABLE_KEY"] = config["STRIPE_SECRET_KEY"]  # a secret in the browser's slot
    out["STRIPE_SECRET_KEY"] = config["STRIPE_SECRET_KEY"] + " "
    out["AWS_ACCESS_KEY_ID"], out["AWS_SECRET_ACCESS_KEY"] = config["AWS_SECRET_ACCESS_KEY"], "AKIAIOSFODNN7EXAMPLE"
    out["TWILIO_AUTH_TOKEN"] = config["TWILIO_AUTH_TOKEN"][:-3]
    out["GOOGLE_CLIENT_SECRET"] = f"'{config['GOOGLE_CLIENT_SECRET']}'"
    out["DATABASE_URL"] = config["DATABASE_URL"].replace("@127.0.0.1", "@127.0.0.1:notaport")
    out["REDIS_URL"] = " " + config["REDIS_URL"]
    out["ENVIRONMENT"] = "Production"
    return out


def write_env(path: Path, config: dict[str, str], *, bom: bool = False, crlf: bool = False) -> Path:
    def line(key: str, value: str) -> str:
        return f"{key}='{value}'" if any(c in value for c in " \t\"#") else f"{key}={value}"

    end = "\r\n" if crlf else "\n"
    text = end.join(line(k, v) for k, v in config.items()) + end
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def silent() -> Iterator[SilentListener]:
    with SilentListener() as listener:
        yield listener


@pytest.mark.parametrize("scenario", ["refused", "silent", "damaged", "damaged_bom_crlf", "shadowed",
                                      "heroku_text", "heroku_json"])
def test_no_canary_in_any_output(scenario: str, tmp_path: Path, silent: SilentListener) -> None:
    values = make_canaries()
    port = silent.port if scenario == "silent" else free_port()
    config = configuration(values, port, port, port)
    environ = clean_environ()
    if scenario.startswith("damaged"):
        config = damaged(config)
    if scenario == "shadowed":  # the shell holds other secrets than the file
        shell = make_canaries()
        values.update({f"SHELL_{k}": v for k, v in shell.items()})
        environ.update({k: v for k, v in shell.items() if k not in ("DB_PASSWORD", "REDIS_PASSWORD")})
    env_file = write_env(tmp_path / ".env", config, bom=scenario == "damaged_bom_crlf",
                         crlf=scenario == "damaged_bom_crlf")
    if scenario == "heroku_text":  # `heroku config` output pasted into .env: the dump's values stay secret
        width = max(map(len, config)) + 1
        env_file.write_text("=== chaski-app Config Vars\n" + "".join(f"{k + ':':<{width}} {v}\n"
                                                                       for k, v in config.items()))
    if scenario == "heroku_json":
        env_file = tmp_path / "prod.json"
        env_file.write_text(json.dumps(config, indent=2))
    for fmt in FORMATS:
        proc = run_doctor("--env-file", str(env_file), "--timeout", "1", *fmt, env=environ)
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stdout.strip(), proc.stderr
        assert_no_leak(proc.stdout + proc.stderr, values)


def test_no_canary_under_heroku_fixes(tmp_path: Path) -> None:
    """On a dyno every fix is a `heroku config:set`: none may carry a value."""
    values = make_canaries()
    config = damaged(configuration(values, free_port(), free_port(), free_port()))
    environ = clean_environ(DYNO="run.1234", HEROKU_APP_NAME="chaski-app", **config)
    proc = run_doctor("--offline", "--format", "json", env=environ, cwd=tmp_path)
    assert "heroku config:set" in proc.stdout
    assert_no_leak(proc.stdout + proc.stderr, values)

"""Cascades as users met them (issue 8): the cause ranks first, its consequences fold under it,
and no fix does harm. Each case runs the installed `doctor` in text, JSON and Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import HEALTHY_DEV, HEALTHY_PROD, clean_environ, run_doctor
from tests.servers import google as google_servers
from tests.servers.google import GoogleServer
from tests.servers.postgres import (
    PostgresCluster,
    postgres_cluster,  # noqa: F401 - pytest fixture
)

google_oauth = google_servers.google_oauth  # fixtures, made visible to pytest in this module
google_server = google_servers.google_server


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


def three_formats(tmp_path: Path, *args: str, **environ: str) -> tuple[dict, str, str]:
    """The JSON report, the text report (-v) and the Markdown report of one configuration."""
    env = clean_environ(**environ)
    as_json = run_doctor(*args, "--format", "json", env=env, cwd=tmp_path)
    text = run_doctor(*args, "-v", env=env, cwd=tmp_path)
    markdown = run_doctor(*args, "--format", "markdown", env=env, cwd=tmp_path)
    assert as_json.returncode == text.returncode == markdown.returncode, (as_json.stderr, text.stderr)
    data = json.loads(as_json.stdout)
    assert_no_contradictory_advice(data)
    return data, text.stdout, markdown.stdout


def assert_no_contradictory_advice(data: dict) -> None:
    """No two findings set one variable to different values, or set and unset it."""
    told: dict[str, set[str]] = {}
    for command in commands(data):
        for pair in re.findall(r"(?:config:set |^)((?:[A-Z][A-Z0-9_]*=\S*\s?)+)", command):
            for name, value in re.findall(r"([A-Z][A-Z0-9_]*)=(\S*)", pair):
                told.setdefault(name, set()).add(value)
        for name in re.findall(r"config:unset ([A-Z][A-Z0-9_ ]*)", command):
            for one in name.split():
                told.setdefault(one, set()).add("<unset>")
    contradictions = {name: values for name, values in told.items() if len(values) > 1}
    assert not contradictions, contradictions


def commands(data: dict) -> list[str]:
    return [c for f in data["findings"] for c in f["commands"]]


def verdict(text: str) -> str:
    """The verdict, unwrapped (it is the last paragraph)."""
    return " ".join(text.rstrip().split("\n\n")[-1].split())


def first_finding_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith("1. "))


def test_a_stray_environment_production_line_is_the_root_of_every_production_only_finding(tmp_path: Path) -> None:
    values = {**HEALTHY_DEV, "DATABASE_URL": HEALTHY_DEV["DATABASE_URL"] + "?sslmode=disable"}
    (tmp_path / ".env").write_text(env_text(values) + "ENVIRONMENT=production\n")
    data, text, markdown = three_formats(tmp_path, "--offline")
    first = data["findings"][0]
    assert first["id"] == "dotenv.duplicate_key" and first["vars"] == ["ENVIRONMENT"] and first["caused_by"] is None
    caused = {f["id"] for f in data["findings"] if f["caused_by"] == "dotenv.duplicate_key"}
    assert {"env.frontend_not_https", "env.frontend_localhost", "redis.localhost_in_production",
            "postgres.ssl_disabled"} <= caused
    ranks = {f["id"]: f["rank"] for f in data["findings"]}
    assert all(ranks[c] > 1 for c in caused)
    # Nothing is moved toward production from a laptop: no command against the live app, no https://localhost.
    assert not any(c.startswith("heroku ") for c in commands(data)), commands(data)
    assert not any("localhost" in c and "https://" in c for c in commands(data))
    assert "ENVIRONMENT is set 2 times" in first_finding_line(text)
    assert "Causes " in text and "env.frontend_localhost" in text
    assert "(and " in verdict(text) and "they cause)" in verdict(text)
    assert markdown.count("### ") < len(data["findings"])  # consequences are folded in Markdown too
    assert "line 1: 'development'" in first["fix"] and "line " in first["fix"]


@pytest.mark.parametrize("keys", ["test", "live"])
def test_an_invalid_environment_assumes_no_side_and_moves_no_key(tmp_path: Path, keys: str) -> None:
    values = {**HEALTHY_PROD, "ENVIRONMENT": "prod"}
    if keys == "test":
        values |= {"STRIPE_SECRET_KEY": HEALTHY_DEV["STRIPE_SECRET_KEY"],
                   "STRIPE_PUBLISHABLE_KEY": HEALTHY_DEV["STRIPE_PUBLISHABLE_KEY"]}
    data, text, markdown = three_formats(tmp_path, "--offline", DYNO="run.1", HEROKU_APP_NAME="chaski-app",
                                         **values)
    found = [f["id"] for f in data["findings"]]
    assert found[0] == "env.environment_invalid", found
    assert not [i for i in found if i.startswith("stripe.")], found  # neither "test keys in production" nor the reverse
    assert not any("STRIPE" in c for c in commands(data))
    assert data["findings"][0]["commands"] == ["heroku config:set ENVIRONMENT=production -a chaski-app"]
    assert "assumes neither side" in data["findings"][0]["detail"]


def test_an_unknown_environment_value_gets_no_guess(tmp_path: Path) -> None:
    data, _, _ = three_formats(tmp_path, "--offline", **{**HEALTHY_DEV, "ENVIRONMENT": "qa"})
    invalid = next(f for f in data["findings"] if f["id"] == "env.environment_invalid")
    assert invalid["commands"] == ["ENVIRONMENT=<development-or-staging-or-production>"]


def test_a_shell_database_url_shadowing_the_right_one_is_the_cause_of_the_login_failure(
        tmp_path: Path, postgres_cluster: PostgresCluster) -> None:  # noqa: F811
    right = postgres_cluster.url()
    wrong = postgres_cluster.url(password="Wrong-Shadow-Canary-77")
    (tmp_path / ".env").write_text(env_text({**HEALTHY_DEV, "DATABASE_URL": right}))
    data, text, markdown = three_formats(tmp_path, "--only", "env,postgres", DATABASE_URL=wrong)
    ids = [(f["id"], f["caused_by"]) for f in data["findings"]]
    assert ids[0] == ("env.shadowed", None), ids
    assert ("postgres.auth_failed", "env.shadowed") in ids
    auth = next(f for f in data["findings"] if f["id"] == "postgres.auth_failed")
    assert auth["commands"] == [] and auth["fix"].startswith("Caused by env.shadowed")
    for out in (json.dumps(data), text, markdown):
        assert "\\password" not in out and "ALTER ROLE" not in out  # no password change for the wrong role
        assert "Wrong-Shadow-Canary-77" not in out
    assert "DATABASE_URL in the environment overrides" in first_finding_line(text)
    assert data["status"] == "critical" and data["exit_code"] == 1
    assert "1 critical" in verdict(text)  # the cause counts once, at the severity it explains


def test_a_wrong_callback_path_is_the_cause_of_googles_mismatch(tmp_path: Path, google_server: GoogleServer) -> None:
    uri = "https://chaski-app.herokuapp.com/auth/callback"
    values = {**HEALTHY_PROD, "GOOGLE_REDIRECT_URI": uri, "DOCTOR_GOOGLE_TOKEN_URL": google_server.token_url,
              "DOCTOR_GOOGLE_AUTH_URL": google_server.auth_url}
    data, text, markdown = three_formats(tmp_path, "--only", "oauth", **values)
    ids = [(f["id"], f["caused_by"]) for f in data["findings"]]
    assert ids[:2] == [("oauth.redirect_path", None), ("oauth.redirect_uri_not_registered", "oauth.redirect_path")]
    mismatch = data["findings"][1]
    assert mismatch["commands"] == [] and mismatch["fix"].startswith("Caused by oauth.redirect_path")
    assert "does not end in /api/auth/google/callback" in first_finding_line(text) or \
        "oauth.redirect_path" in text.split("\n 2.")[0]
    assert "1 error" in verdict(text)
    assert "### 2." not in markdown


def test_the_contradiction_check_itself_catches_two_values_for_one_variable() -> None:
    two = {"findings": [{"commands": ["heroku config:set A=1 B=2 -a app"]}, {"commands": ["A=3"]}]}
    with pytest.raises(AssertionError, match="'A'"):
        assert_no_contradictory_advice(two)
    assert_no_contradictory_advice({"findings": [{"commands": ["A=1"]}, {"commands": ["heroku config:set A=1"]}]})
    with pytest.raises(AssertionError):
        assert_no_contradictory_advice({"findings": [{"commands": ["A=1"]}, {"commands": ["heroku config:unset A"]}]})


def network_values(host: str, port: int | None = None) -> dict[str, str]:
    """HEALTHY_PROD with every service (and every API base) at `host` (and `port`)."""
    at = f"{host}:{port}" if port else host
    return {**HEALTHY_PROD, "DATABASE_URL": f"postgresql://u7f3k2:p9c8e7d6b5a4@{at}/d4k2m9?sslmode=require",
            "REDIS_URL": f"rediss://:p1q2w3e4r5t6y7u8@{at}/0", "MAIL_SERVER": host,
            **({"MAIL_PORT": str(port)} if port else {}),
            "DOCTOR_STRIPE_API_BASE": f"https://{at}", "DOCTOR_TWILIO_API_BASE": f"https://{at}",
            "DOCTOR_GOOGLE_TOKEN_URL": f"https://{at}/token", "DOCTOR_GOOGLE_AUTH_URL": f"https://{at}/auth",
            "AWS_ENDPOINT_URL": f"https://{at}"}


@pytest.mark.parametrize(("case", "root"), [("dns", "network.no_dns"), ("connect", "network.unreachable")])
def test_no_network_is_one_machine_wide_root_with_every_integration_under_it(tmp_path: Path, case: str,
                                                                            root: str) -> None:
    from tests.helpers import free_port

    values = network_values("services.invalid") if case == "dns" else network_values("127.0.0.1", free_port())
    data, text, markdown = three_formats(tmp_path, "--timeout", "5", "--skip", "dotenv,env", **values)
    first = data["findings"][0]
    assert first["id"] == root and first["check"] == "network", [f["id"] for f in data["findings"]][:5]
    folded = {f["check"] for f in data["findings"] if f["caused_by"] == root}
    assert len(folded) >= 5 and {"postgres", "stripe", "twilio"} <= folded, folded
    assert first["commands"] and first["commands"][0].startswith("python3 -c ")
    assert "network" not in {c["id"] for c in data["checks"]}
    assert "integrations fail the same way" in first_finding_line(text)
    assert verdict(text).startswith("✗ 1 ")  # one cause
    assert markdown.count("### ") == 1 + sum(1 for f in data["findings"] if f["caused_by"] is None) - 1


class InterceptingProxy:
    """A loopback TLS endpoint whose certificate no client trusts, as behind a TLS-intercepting proxy:
    it completes every handshake a client allows and then closes."""

    def __init__(self) -> None:
        import socket
        import ssl
        import threading

        import trustme

        cert = trustme.CA().issue_cert("127.0.0.1", "localhost")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.context)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn) -> None:
        try:
            conn.settimeout(5)
            with self.context.wrap_socket(conn, server_side=True):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.sock.close()


def test_every_certificate_failing_verification_is_one_interception_root(tmp_path: Path) -> None:
    proxy = InterceptingProxy()
    try:
        values = {**network_values("127.0.0.1", proxy.port), "ENVIRONMENT": "development",
                  "FRONTEND_URL": "http://localhost:3000", "AWS_S3_BUCKET": "chaski-dev-proofs",
                  "GOOGLE_REDIRECT_URI": "http://localhost:3000/api/auth/google/callback",
                  "STRIPE_SECRET_KEY": HEALTHY_DEV["STRIPE_SECRET_KEY"],
                  "STRIPE_PUBLISHABLE_KEY": HEALTHY_DEV["STRIPE_PUBLISHABLE_KEY"]}
        # postgres and smtp speak their own protocol before TLS: this endpoint fails them another way
        data, text, _ = three_formats(tmp_path, "--timeout", "5", "--skip", "dotenv,env,postgres,smtp", **values)
    finally:
        proxy.close()
    first = data["findings"][0]
    assert first["id"] == "network.tls_intercepted", [(f["id"], f["caused_by"]) for f in data["findings"]]
    folded = {f["check"] for f in data["findings"] if f["caused_by"] == first["id"]}
    assert {"stripe", "twilio", "oauth", "s3"} <= folded, folded
    assert "never turn verification off" in first["fix"]

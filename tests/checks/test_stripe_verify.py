"""`doctor stripe-verify` run as a subprocess on deliveries signed with Stripe's own scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.stripe import verify as stripe_verify
from doctor.config import Config
from tests.helpers import clean_environ, run_doctor

SECRET = "whsec_Prod4EndpointSecretAbCdEfGh12345678"
CLI_SECRET = "whsec_StripeListenSecretZyXwVuTs98765432"
EVENT = {"id": "evt_1PfakeEvent", "object": "event", "api_version": "2024-06-20", "created": 1718000000,
         "data": {"object": {"id": "cs_test_a1", "object": "checkout.session", "amount_total": 1999,
                             "customer_details": {"name": "José Ñandú"}}},
         "livemode": False, "pending_webhooks": 1, "type": "checkout.session.completed"}
# Stripe sends pretty-printed JSON (2-space indent, no trailing newline).
BODY = json.dumps(EVENT, indent=2, ensure_ascii=False)


def sign(body: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe's scheme: v1 = HMAC-SHA256(secret, f"{t}.{body}")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(tmp_path: Path, body: str | bytes, header: str, *extra: str, env: dict[str, str] | None = None,
           dotenv: str | None = None, fmt: str = "text"):
    """Write the payload (and .env) into tmp_path and run `doctor stripe-verify` there."""
    payload = tmp_path / "body.json"
    payload.write_bytes(body if isinstance(body, bytes) else body.encode())
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    return run_doctor("stripe-verify", "--payload", str(payload), "--signature", header, "--format", fmt, *extra,
                      env=clean_environ(**(env or {})), cwd=tmp_path, timeout=60)


def as_json(proc) -> dict:
    """The JSON verdict."""
    return json.loads(proc.stdout)


def test_valid_delivery(tmp_path: Path) -> None:
    proc = verify(tmp_path, BODY, sign(BODY, SECRET), dotenv=f"STRIPE_WEBHOOK_SECRET={SECRET}\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "VALID" in proc.stdout and ".env:1" in proc.stdout
    data = as_json(verify(tmp_path, BODY, sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json"))
    assert data["valid"] is True and data["reason"] == "valid" and data["exit_code"] == 0
    assert data["secret_source"] == "the environment"


def test_header_name_pasted_along_is_accepted(tmp_path: Path) -> None:
    proc = verify(tmp_path, BODY, "Stripe-Signature: " + sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET})
    assert proc.returncode == 0, proc.stdout


def test_wrong_secret_names_the_variable_that_matches(tmp_path: Path) -> None:
    dotenv = f"STRIPE_WEBHOOK_SECRET={SECRET}\nSTRIPE_CLI_WEBHOOK_SECRET={CLI_SECRET}\n"
    proc = verify(tmp_path, BODY, sign(BODY, CLI_SECRET), dotenv=dotenv, fmt="json")
    assert proc.returncode == 1
    data = as_json(proc)
    assert data["reason"] == "wrong_secret" and data["matching_variable"] == "STRIPE_CLI_WEBHOOK_SECRET"
    assert "STRIPE_CLI_WEBHOOK_SECRET (.env:2)" in " ".join(data["details"])
    text = verify(tmp_path, BODY, sign(BODY, CLI_SECRET), dotenv=dotenv)
    assert text.returncode == 1 and "STRIPE_CLI_WEBHOOK_SECRET" in text.stdout


def test_wrong_secret_found_in_another_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env.staging").write_text(f"STRIPE_WEBHOOK_SECRET={CLI_SECRET}\n")
    (tmp_path / ".env.production").write_text(f"STRIPE_WEBHOOK_SECRET={SECRET}\n")
    proc = verify(tmp_path, BODY, sign(BODY, CLI_SECRET), "--env-file", str(tmp_path / ".env.staging"),
                  "--env-file", str(tmp_path / ".env.production"), fmt="json")
    data = as_json(proc)
    assert proc.returncode == 1 and data["reason"] == "wrong_secret"
    assert data["matching_variable"] == "STRIPE_WEBHOOK_SECRET"
    assert ".env.staging:1" in " ".join(data["details"])


def test_no_secret_matches(tmp_path: Path) -> None:
    other = "whsec_SomeoneElsesSecret000000000000000"
    proc = verify(tmp_path, BODY, sign(BODY, other), env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json")
    data = as_json(proc)
    assert proc.returncode == 1 and data["reason"] == "no_match" and data["matching_variable"] is None
    assert "Signing secret" in data["fix"]


def test_expired_timestamp_says_by_how_much(tmp_path: Path) -> None:
    header = sign(BODY, SECRET, int(time.time()) - 3600)
    proc = verify(tmp_path, BODY, header, env={"STRIPE_WEBHOOK_SECRET": SECRET})
    assert proc.returncode == 1
    assert "55 min" in proc.stdout and "300 s tolerance" in proc.stdout and "signed 60 min" in proc.stdout
    data = as_json(verify(tmp_path, BODY, header, env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json"))
    assert data["reason"] == "timestamp_outside_tolerance" and 3590 <= data["age_seconds"] <= 3700
    assert verify(tmp_path, BODY, header, "--tolerance", "0", env={"STRIPE_WEBHOOK_SECRET": SECRET}).returncode == 0


def test_reserialised_body_is_detected(tmp_path: Path) -> None:
    header = sign(BODY, SECRET)
    compact = json.dumps(EVENT, separators=(",", ":"))
    proc = verify(tmp_path, compact, header, env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json")
    data = as_json(proc)
    assert proc.returncode == 1 and data["reason"] == "body_altered" and "re-serialised" in data["title"]


def test_trailing_newline_is_detected(tmp_path: Path) -> None:
    proc = verify(tmp_path, BODY + "\n", sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET})
    assert proc.returncode == 1 and "trailing newline" in proc.stdout


def test_unrecoverable_reserialisation_is_a_likely_cause(tmp_path: Path) -> None:
    reordered = json.dumps(dict(sorted(EVENT.items())), separators=(",", ":"))
    proc = verify(tmp_path, reordered, sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json")
    data = as_json(proc)
    assert proc.returncode == 1 and data["reason"] == "no_match"
    assert "likely re-serialised" in " ".join(data["details"])


def test_mode_hint(tmp_path: Path) -> None:
    live_event = json.dumps({**EVENT, "livemode": True}, indent=2)
    env = {"STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": "sk_test_" + "a" * 40}
    proc = verify(tmp_path, live_event, sign(live_event, "whsec_" + "b" * 32), env=env)
    assert proc.returncode == 1 and "live-mode event but STRIPE_SECRET_KEY is a test-mode key" in proc.stdout


def test_secret_with_whitespace(tmp_path: Path) -> None:
    proc = verify(tmp_path, BODY, sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET + " "}, fmt="json")
    assert proc.returncode == 1 and as_json(proc)["reason"] == "secret_has_whitespace"


@pytest.mark.parametrize("header,missing", [("v1=abcdef", "t=<timestamp>"), ("t=1718000000", "v1=<signature>"),
                                            ("t=1718000000,v0=abcdef", "v1=<signature>"), ("garbage", "t=<timestamp>")])
def test_malformed_header(tmp_path: Path, header: str, missing: str) -> None:
    proc = verify(tmp_path, BODY, header, env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json")
    data = as_json(proc)
    assert proc.returncode == 1 and data["reason"] == "header_malformed" and missing in data["title"]


def test_non_utf8_payload(tmp_path: Path) -> None:
    proc = verify(tmp_path, b"\xff\xfe{}", sign(BODY, SECRET), env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json")
    assert proc.returncode == 1 and as_json(proc)["reason"] == "payload_not_utf8"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run_doctor("stripe-verify", "--payload", str(tmp_path / "nope.json"), "--signature", "t=1,v1=a",
                         env=clean_environ(STRIPE_WEBHOOK_SECRET=SECRET), cwd=tmp_path)
    assert missing.returncode == 2 and "nope.json" in missing.stderr
    no_secret = verify(tmp_path, BODY, sign(BODY, SECRET))
    assert no_secret.returncode == 2 and "STRIPE_WEBHOOK_SECRET is not set" in no_secret.stderr
    no_flag = run_doctor("stripe-verify", "--payload", "x", env=clean_environ(), cwd=tmp_path)
    assert no_flag.returncode == 2
    bad_env_file = verify(tmp_path, BODY, sign(BODY, SECRET), "--env-file", str(tmp_path / "missing.env"))
    assert bad_env_file.returncode == 2 and "no such file" in bad_env_file.stderr


# -- canaries ---------------------------------------------------------------------------------
CANARY_WHSEC = "whsec_CANARYverifyWq3Er5Ty7Ui9Op1As"
CANARY_OTHER = "whsec_CANARYotherZx2Cv4Bn6Mm8Ll0Kk"
CANARY_KEY = "sk_live_CANARYverifyKeyPo9Iu8Yt7Re6Ww5Qq4"


def test_canaries_never_printed(tmp_path: Path) -> None:
    now = int(time.time())
    compact = json.dumps(EVENT, separators=(",", ":"))
    cases = [
        (BODY, sign(BODY, CANARY_WHSEC)),  # valid
        (BODY, sign(BODY, CANARY_OTHER)),  # wrong secret, other variable matches
        (BODY, sign(BODY, "whsec_" + "z" * 32)),  # nothing matches
        (BODY, sign(BODY, CANARY_WHSEC, now - 7200)),  # too old
        (compact, sign(BODY, CANARY_WHSEC)),  # re-serialised
        (BODY, "v1=deadbeef"),  # malformed
        (b"\xff\xfe", sign(BODY, CANARY_WHSEC)),  # not UTF-8
    ]
    env = {"STRIPE_SECRET_KEY": CANARY_KEY}
    dotenv = f"STRIPE_WEBHOOK_SECRET='{CANARY_WHSEC}'\nSTRIPE_LISTEN_SECRET={CANARY_OTHER}\n"
    codes = set()
    for body, header in cases:
        for fmt in ("text", "json"):
            proc = verify(tmp_path, body, header, env=env, dotenv=dotenv, fmt=fmt)
            codes.add(proc.returncode)
            for needle in ("CANARYverify", "CANARYother", "Op1As", "Ll0Kk"):
                assert needle not in proc.stdout + proc.stderr, (header, fmt)
    spaced = verify(tmp_path, BODY, sign(BODY, CANARY_WHSEC), env={"STRIPE_WEBHOOK_SECRET": f" {CANARY_WHSEC} "})
    assert "CANARYverify" not in spaced.stdout + spaced.stderr
    assert codes == {0, 1}


@settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=120), body=st.binary(max_size=200))
def test_verify_never_raises(header: str, body: bytes) -> None:
    config = Config([], {"STRIPE_WEBHOOK_SECRET": SECRET, "OTHER": CLI_SECRET})
    verdict = stripe_verify.verify(body, header, config, 300)
    assert verdict.valid is False and verdict.reason


def test_payload_from_standard_input(tmp_path: Path) -> None:
    env = clean_environ(STRIPE_WEBHOOK_SECRET=SECRET)
    done = run_doctor("stripe-verify", "--payload", "-", "--signature", sign(BODY, SECRET), "--format", "json",
                      env=env, cwd=tmp_path, stdin=BODY, timeout=60)
    assert as_json(done)["valid"] is True and done.returncode == 0


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "too_large"])
def test_a_payload_that_is_not_a_regular_file_is_a_usage_error_never_a_hang(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "body"
    if kind == "fifo":
        os.mkfifo(path)  # opening it would block until a writer appears
    elif kind == "directory":
        path.mkdir()
    elif kind == "too_large":
        path.write_bytes(b" " * (stripe_verify.MAX_PAYLOAD_BYTES + 1))
    else:
        path = Path("/dev/zero")  # reading it never ends
    done = run_doctor("stripe-verify", "--payload", str(path), "--signature", sign(BODY, SECRET), "--format", "json",
                      env=clean_environ(STRIPE_WEBHOOK_SECRET=SECRET), cwd=tmp_path, timeout=30)
    assert done.returncode == 2, done.stderr
    assert ("regular file" in done.stderr) if kind != "too_large" else ("larger than" in done.stderr)
    assert as_json(done)["exit_code"] == 2


@pytest.mark.parametrize(("body", "why"), [
    (json.dumps({"id": "evt_1", "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered"}),
     "thin event"),
    ("[]", "not an object"), ('"event"', "not an object"), ("", "not JSON"), ("not json at all", "not JSON"),
])
def test_a_signed_body_construct_event_refuses_is_not_valid(tmp_path: Path, body: str, why: str) -> None:
    import stripe

    header = sign(body, SECRET)
    with pytest.raises(Exception):  # noqa: B017 - the oracle: the app's own call refuses it
        stripe.Webhook.construct_event(body, header, SECRET)
    verdict = as_json(verify(tmp_path, body, header, env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json"))
    assert verdict["valid"] is False and verdict["reason"] == "not_an_event" and verdict["exit_code"] == 1
    assert why in " ".join(verdict["details"])


def test_a_header_with_spaces_is_named_not_called_a_wrong_secret(tmp_path: Path) -> None:
    header = sign(BODY, SECRET).replace(",", ", ")
    verdict = as_json(verify(tmp_path, BODY, header, env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json"))
    assert verdict["reason"] == "header_whitespace" and verdict["valid"] is False
    assert "the secret is right" in " ".join(verdict["details"])
    wrong = as_json(verify(tmp_path, BODY, sign(BODY, CLI_SECRET).replace(",", ", "),
                           env={"STRIPE_WEBHOOK_SECRET": SECRET}, fmt="json"))
    assert wrong["reason"] == "header_whitespace" and "does not match" in " ".join(wrong["details"])


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                    max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(JSONISH.map(json.dumps), st.text(max_size=40),
                      st.fixed_dictionaries({"object": st.sampled_from(["event", "v2.core.event", "x"]),
                                             "id": st.text(max_size=5)}).map(json.dumps)),
       secret=st.sampled_from([SECRET, CLI_SECRET]), spaced=st.booleans(),
       age=st.integers(-600, 900).filter(lambda a: abs(a - 300) > 5))  # away from the tolerance edge
def test_verdicts_agree_with_construct_event(body: str, secret: str, spaced: bool, age: int) -> None:
    """Differential: the doctor says valid exactly when the app's stripe.Webhook.construct_event accepts."""
    import stripe

    now = time.time()
    header = sign(body, secret, int(now) - age)
    if spaced:
        header = header.replace(",", ", ")
    try:
        stripe.Webhook.construct_event(body, header, SECRET, tolerance=300)
        accepted = True
    except Exception:
        accepted = False
    verdict = stripe_verify.verify(body.encode(), header, Config([], {"STRIPE_WEBHOOK_SECRET": SECRET}), 300, now)
    assert verdict.valid is accepted, (verdict.reason, body, header)

"""`doctor stripe-verify`: check one captured webhook delivery against STRIPE_WEBHOOK_SECRET, offline.

Verification is stripe-python's own (`stripe.WebhookSignature.verify_header`). When it fails the
command explains why: a malformed header, an old timestamp (by how much), another whsec_ value
in the configuration that does match (named, never shown), or a body changed after receipt.
Exit codes: 0 valid, 1 invalid, 2 usage error (missing file, no secret configured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from checks.common import strip_quotes
from checks.stripe.const import WEBHOOK
from doctor import arguments
from doctor.cli import add_config_arguments
from doctor.config import Config, ConfigError, load_config
from doctor.secret import fingerprint

VAR = WEBHOOK
MAX_PAYLOAD_BYTES = 1024 * 1024  # Stripe event bodies are kilobytes; a bigger file is not a delivery
EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
_HEADER_NAME = re.compile(r"^\s*stripe-signature\s*:\s*", re.IGNORECASE)


@dataclass
class Verdict:
    """The outcome: `reason` is a stable slug (`valid`, `wrong_secret`, `timestamp_outside_tolerance`…)."""

    valid: bool
    reason: str
    title: str
    details: list[str] = field(default_factory=list)
    fix: str = ""
    matching_variable: str | None = None
    timestamp: int | None = None
    age_seconds: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A whsec_ value found in some configuration source, and where (never the value when shown)."""

    label: str
    value: str


def _matches(payload: str, header: str, secret: str) -> bool:
    """stripe-python's own signature check, without the timestamp tolerance."""
    import stripe

    try:
        return bool(stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None))
    except stripe.SignatureVerificationError:
        return False


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min ({seconds} s)"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ({seconds} s)"
    return f"{seconds // 86400} days ({seconds} s)"


def _parse_header(header: str) -> tuple[int | None, list[str], list[str]]:
    """The `t=` timestamp, the `v1=` signatures and the other schemes present."""
    timestamp, v1, others = None, [], []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.strip().isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            v1.append(value)
        elif key:
            others.append(key)
    return timestamp, v1, others


def _candidates(config: Config, secret: str) -> list[Candidate]:
    """Every other whsec_ value in the process environment and the env files, labelled by origin."""
    found: list[Candidate] = []
    seen = {secret}
    pairs = [(f"{name} (the environment)", value) for name, value in sorted(config.environ.items())]
    for parsed in config.files:
        pairs += [(f"{b.key} ({parsed.path}:{b.line})", b.value or "") for b in parsed.assignments]
    for label, raw in pairs:
        value = strip_quotes(raw)[0].strip()
        if value.startswith("whsec_") and value not in seen:
            seen.add(value)
            found.append(Candidate(label, value))
    return found


def _body_variants(payload: str) -> list[tuple[str, str]]:
    """Bodies Stripe may originally have sent, if this one was changed after receipt."""
    variants: list[tuple[str, str]] = []
    if payload.endswith(("\n", "\r")):
        variants.append(("a trailing newline was added after receipt", payload.rstrip("\r\n")))
    if "\r\n" in payload:
        variants.append(("line endings were converted to CRLF", payload.replace("\r\n", "\n")))
    try:
        parsed = json.loads(payload)
    except ValueError:
        return variants
    for ascii_only in (False, True):
        variants.append(("the JSON was re-serialised (Stripe sends it pretty-printed with a 2-space indent)",
                         json.dumps(parsed, indent=2, ensure_ascii=ascii_only)))
    variants.append(("the JSON was re-serialised", json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)))
    variants.append(("the JSON was re-serialised", json.dumps(parsed, ensure_ascii=False)))
    return [(why, body) for why, body in variants if body != payload]


def _looks(payload: str, config: Config) -> list[str]:
    """Honest hints when nothing matches: what about this body or setup makes a cause likely."""
    hints: list[str] = []
    try:
        parsed = json.loads(payload)
    except ValueError:
        return ["The payload is not JSON, but Stripe always sends JSON: the file may hold something else "
                "(headers, a form-encoded body, a log line)."]
    stripped = payload.strip()
    if "\n" not in stripped and len(stripped) > 2:
        hints.append("The body is compact JSON on one line, while Stripe sends pretty-printed JSON: it was likely "
                     "re-serialised (e.g. json.dumps(await request.json())) before verification. Any change to the "
                     "bytes breaks the signature; verify the raw body (await request.body()).")
    elif payload.endswith("\n"):
        hints.append("The body ends with a newline; Stripe's bodies do not. If the capture added it, that alone "
                     "breaks the signature.")
    secret_key = config.lookup("STRIPE_SECRET_KEY")
    key_mode = "live" if secret_key and "_live_" in secret_key.value[:8] else "test" if secret_key else None
    if isinstance(parsed, dict) and isinstance(parsed.get("livemode"), bool) and key_mode:
        event_mode = "live" if parsed["livemode"] else "test"
        if event_mode != key_mode:
            hints.append(f"This is a {event_mode}-mode event but STRIPE_SECRET_KEY is a {key_mode}-mode key: "
                         f"{VAR} is probably the other mode's endpoint secret.")
    return hints


def verify(payload_bytes: bytes, header: str, config: Config, tolerance: int, now: float | None = None) -> Verdict:
    """Verify a delivery and explain a failure. Never includes a secret in the verdict."""
    import stripe

    effective = config.lookup(VAR)
    assert effective is not None and effective.value.strip()
    secret, where = effective.value, effective.where
    now = time.time() if now is None else now
    header = _HEADER_NAME.sub("", header).strip()
    timestamp, v1, others = _parse_header(header)
    if timestamp is None or not v1:
        parts = (("t=<timestamp>", timestamp is not None), ("v1=<signature>", bool(v1)))
        missing = " and ".join(part for part, present in parts if not present)
        extra = f" It has only: {', '.join(sorted(set(others)))[:100]}." if others else ""
        return Verdict(False, "header_malformed", f"The Stripe-Signature header has no {missing} part",
                       [f"A Stripe-Signature header looks like `t=1700000000,v1=5257a8…` (one v1 per secret).{extra}"],
                       "Pass the header's value exactly as received, e.g. --signature \"$(cat sig.txt)\".")
    try:
        payload = payload_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict(False, "payload_not_utf8", "The payload file is not UTF-8", [
            "Stripe sends UTF-8 JSON; the file was saved in another encoding or is not the request body."],
            "Save the raw request body bytes unchanged.", timestamp=timestamp)
    age = int(now - timestamp)
    spaced = _spaced(header)
    if spaced is not None:
        return _spaced_verdict(payload, spaced, secret, where, timestamp, age)
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance or None)
    except stripe.SignatureVerificationError as exc:
        message = str(exc)
    else:
        rejected = _construct_event_refusal(payload, header, secret)
        if rejected:
            return Verdict(False, "not_an_event", f"The signature matches {VAR}, but the body is not an event "
                           "stripe.Webhook.construct_event accepts", [
                               f"{rejected} The app's webhook handler calls construct_event, so it answers 400 to "
                               "this delivery even though the signature is right."],
                           "Capture the raw body of a snapshot event (Dashboard > Developers > Webhooks > the "
                           "endpoint > a delivery); a thin event destination needs parse_event_notification.",
                           timestamp=timestamp, age_seconds=age)
        return Verdict(True, "valid", f"The signature matches {VAR} ({where})",
                       [f"Signed {_duration(age)} {'ago' if age >= 0 else 'in the future'}; "
                        "stripe.Webhook.construct_event accepts the body."],
                       timestamp=timestamp, age_seconds=age)
    if "tolerance" in message:
        return Verdict(False, "timestamp_outside_tolerance",
                       f"The signature is right but the delivery is {_duration(age - tolerance)} older than the "
                       f"{tolerance} s tolerance", [
                           f"It was signed {_duration(age)} ago and the signature matches {VAR} ({where}). Either "
                           "this is an old capture replayed now, or this clock is wrong (compare `date -u`)."],
                       "To check only the signature of an old capture, pass --tolerance 0.",
                       timestamp=timestamp, age_seconds=age)
    return _explain_mismatch(payload, header, config, secret, where, timestamp, age)


def _spaced(header: str) -> str | None:
    """The header without the whitespace around its parts, when it has any (Stripe never sends it,
    and stripe-python does not strip it: ` v1=` is not the v1 scheme)."""
    parts = header.split(",")
    if all(part == part.strip() for part in parts):
        return None
    return ",".join(part.strip() for part in parts)


def _spaced_verdict(payload: str, cleaned: str, secret: str, where: str, timestamp: int, age: int) -> Verdict:
    matches = _matches(payload, cleaned, secret)
    after = (f"With the whitespace removed the signature matches {VAR} ({where}): the header was altered when it "
             "was copied, the secret is right." if matches else
             f"Even with the whitespace removed the signature does not match {VAR} ({where}).")
    return Verdict(False, "header_whitespace", "The Stripe-Signature header has whitespace around its parts", [
        "Stripe sends `t=…,v1=…` with no spaces, and stripe-python reads ` v1=` as another scheme, so this header "
        "fails whatever the secret.", after],
        "Pass the header exactly as received (copy it from the raw request, not from a formatted log).",
        matching_variable=VAR if matches else None, timestamp=timestamp, age_seconds=age)


def _construct_event_refusal(payload: str, header: str, secret: str) -> str:
    """Why stripe.Webhook.construct_event refuses a delivery whose signature is right, or ''."""
    import stripe

    try:
        stripe.Webhook.construct_event(payload, header, secret, tolerance=None)  # type: ignore[arg-type]
    except stripe.SignatureVerificationError:
        return ""  # the signature was checked before; only the body is judged here
    except ValueError as exc:  # not JSON, empty, or a thin event (stripe's message names it)
        if "thin event" in str(exc):
            return "It is a thin event notification (object v2.core.event), which construct_event refuses."
        return "It is not JSON (or it is empty): construct_event fails in json.loads."
    except Exception as exc:  # e.g. a JSON array or string: stripe-python fails on it with its own error
        return f"It is JSON but not an object (construct_event raises {type(exc).__name__})."
    return ""


def _explain_mismatch(payload: str, header: str, config: Config, secret: str, where: str, timestamp: int,
                      age: int) -> Verdict:
    cleaned = strip_quotes(secret)[0].strip()
    if cleaned != secret and _matches(payload, header, cleaned):
        return Verdict(False, "secret_has_whitespace", f"{VAR} ({where}) has stray quotes or whitespace around it", [
            "Without them it matches. stripe-python uses the secret exactly as given, so the app rejects every "
            "delivery."], f"Remove the quotes/whitespace around {VAR}.", timestamp=timestamp, age_seconds=age)
    others = _candidates(config, secret)
    for other in others:
        if _matches(payload, header, other.value):
            return Verdict(False, "wrong_secret", f"{VAR} ({where}) is not the secret this delivery was signed with", [
                f"The signature matches another value in the configuration: {other.label}. A `stripe listen` "
                "secret, the other mode's endpoint, or another environment's file is the usual mix-up."],
                f"Set {VAR} to the value of {other.label.split(' ')[0]} if this delivery came from the endpoint the "
                "app should trust.", matching_variable=other.label.split(" ")[0], timestamp=timestamp,
                age_seconds=age)
    for why, body in _body_variants(payload):
        for label, value in [(f"{VAR} ({where})", secret), *((o.label, o.value) for o in others)]:
            if _matches(body, header, value):
                return Verdict(False, "body_altered", f"The body was changed after Stripe sent it: {why}", [
                    f"The original formatting matches the signature with {label}. Verify the raw request body "
                    "bytes, never a parsed-and-re-serialised copy."],
                    "Pass the raw body to stripe.Webhook.construct_event (e.g. `await request.body()`).",
                    timestamp=timestamp, age_seconds=age)
    details = [f"Stripe says `No signatures found matching the expected signature for payload` with {VAR} "
               f"({where}) and with {len(others)} other whsec_ value(s) in the configuration.",
               "Likely causes: the secret belongs to another endpoint or mode (each endpoint, each mode and each "
               "`stripe listen` session has its own whsec_), or the body was changed before verification."]
    return Verdict(False, "no_match", f"The signature does not match {VAR}", details + _looks(payload, config),
                   f"Reveal the signing secret of the endpoint that sent this delivery (Stripe Dashboard > Developers "
                   f"> Webhooks > endpoint > Signing secret) and set {VAR} to it.",
                   timestamp=timestamp, age_seconds=age)


def _parser() -> argparse.ArgumentParser:
    parser = arguments.parser("doctor stripe-verify", "Verify a captured Stripe webhook delivery offline.")
    parser.add_argument("--payload", required=True, metavar="FILE",
                        help="the raw request body, as received (a file, or - for standard input)")
    parser.add_argument("--signature", required=True, metavar="HEADER", help="the Stripe-Signature header value")
    add_config_arguments(parser)
    parser.add_argument("--tolerance", type=int, default=300, metavar="SECONDS",
                        help="maximum age of the delivery (default 300, as stripe-python; 0 disables)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _emit(fmt: str, data: dict[str, Any], redact: Any) -> None:
    if fmt == "json":
        sys.stdout.write(redact(json.dumps({"schema": 1, **data}, indent=2)) + "\n")
        return
    if "error" in data:
        return
    word = "VALID" if data["valid"] else "INVALID"
    lines = [f"stripe-verify: {word}: {data['title']}", *(f"  {d}" for d in data["details"])]
    if data.get("fix"):
        lines.append(f"  Fix: {data['fix']}")
    sys.stdout.write(redact("\n".join(lines)) + "\n")


def main(argv: Sequence[str]) -> int:
    """Entry point of `doctor stripe-verify`; returns the exit code."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    def usage(message: str, redact: Any = str) -> int:
        print(f"doctor stripe-verify: {redact(message)}", file=sys.stderr)
        _emit(args.format, {"valid": False, "exit_code": EXIT_USAGE, "error": redact(message)}, redact)
        return EXIT_USAGE

    try:
        config = load_config(args.env_files, os.environ)
    except ConfigError as exc:
        return usage(str(exc))
    redact = config.redactor()
    effective = config.lookup(VAR)
    if effective is None or not effective.value.strip():
        return usage(f"{VAR} is not set in the environment or the env files read "
                     f"({', '.join(config.sources) or 'none'}); nothing to verify with", redact)
    from doctor.inputs import InputError, read_bounded

    try:
        payload = read_bounded(args.payload, MAX_PAYLOAD_BYTES, f"--payload {args.payload}")
    except InputError as exc:
        return usage(str(exc), redact)
    verdict = verify(payload, args.signature, config, max(0, args.tolerance))
    code = EXIT_VALID if verdict.valid else EXIT_INVALID
    data = {**asdict(verdict), "exit_code": code, "secret_variable": VAR, "secret_source": effective.where,
            "secret": fingerprint(effective.value)}
    _emit(args.format, data, redact)
    return code

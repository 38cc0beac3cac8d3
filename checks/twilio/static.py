"""The `twilio` check: optional SMS settings. Static shape checks of the account SID, auth token
and sender number, then (online) a read-only look at the account and the number through Twilio's
REST API (see `checks.twilio.probe`)."""

from __future__ import annotations

import re

from checks.common import cleaned, describe_stray, is_placeholder
from checks.twilio.const import ALL, PHONE, SID, TOKEN
from doctor import Context, Finding, Severity

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().\u00a0/]")


def static_findings(ctx: Context) -> tuple[list[Finding], tuple[str, str, str | None] | None]:
    """Findings about the three values, plus the cleaned (sid, token, phone-or-None) worth probing
    with, or None when the SID or token cannot be right (a probe would only repeat that)."""
    findings: list[Finding] = []
    raw = {name: ctx.get(name) or "" for name in ALL}
    placeholders = [name for name in ALL if is_placeholder(raw[name])]
    if placeholders:
        findings.append(Finding(
            "twilio.placeholder", Severity.ERROR,
            f"{', '.join(placeholders)} still hold the example value from the setup guide",
            "SMS cannot be sent with the guide's placeholders. Copy the real values from the Twilio Console "
            "(Account Info on the dashboard; the number from Phone Numbers > Manage > Active numbers).",
            ctx.set_fix(placeholders[0], f"<{placeholders[0].lower()}>", text="Set the real value."),
            tuple(placeholders),
        ))
    for name in ALL:
        findings += _stray_characters(ctx, name, raw[name])
    sid, token, phone = (cleaned(raw[name]) for name in ALL)
    sid_ok = SID in placeholders or _check_sid(ctx, sid, findings)
    token_ok = TOKEN in placeholders or _check_token(ctx, token, findings)
    phone_ok = PHONE in placeholders or _check_phone(ctx, phone, findings)
    if placeholders and (SID in placeholders or TOKEN in placeholders):
        return findings, None
    if not (sid_ok and token_ok):
        return findings, None
    return findings, (sid, token, phone if phone_ok and PHONE not in placeholders else None)


def _stray_characters(ctx: Context, name: str, raw: str) -> list[Finding]:
    what = describe_stray(raw)
    if not what:
        return []
    return [Finding(
        "twilio.stray_characters", Severity.ERROR,
        f"{name} has {what}",
        "The Twilio client sends the value exactly as set, so the extra characters become part of the "
        "account SID, token or sender number and Twilio rejects the request (error 20003 for credentials). "
        "The online check below was run with them removed.",
        ctx.set_fix(name, "<value without spaces or quotes>" if name == TOKEN else cleaned(raw),
                    text=f"Remove the extra characters from {name}."),
        (name,),
    )]


def _check_sid(ctx: Context, sid: str, findings: list[Finding]) -> bool:
    if _ACCOUNT_SID.match(sid):
        return True
    if sid.upper().startswith("SK"):
        findings.append(Finding(
            "twilio.api_key_sid_not_account_sid", Severity.ERROR,
            f"{SID} holds an API key SID (SK…), not an account SID (AC…)",
            "An API key SID (SK…) names an API key and is used with that key's own secret. The app passes "
            f"{SID} and {TOKEN} to Twilio as the account's credentials, which needs the account SID "
            "(AC followed by 32 hex characters, shown under Account Info on the Twilio Console dashboard) "
            "and its auth token. Twilio answers error 20003 (Authenticate) to the API key SID.",
            ctx.set_fix(SID, "<AC… account SID from the Console dashboard>",
                        text="Use the Account SID from the Twilio Console dashboard."),
            (SID,),
        ))
        return False
    findings.append(Finding(
        "twilio.account_sid_shape", Severity.ERROR,
        f"{SID} is not an account SID (expected AC + 32 hex characters; {_describe_sid(sid)})",
        "Twilio identifies the account by this SID in every request; a value of another shape is always "
        "rejected, so no SMS can be sent.",
        ctx.set_fix(SID, "<AC… account SID from the Console dashboard>",
                    text="Copy the Account SID from Account Info on the Twilio Console dashboard."),
        (SID,),
    ))
    return False


def _describe_sid(sid: str) -> str:
    if not sid.startswith("AC"):
        return "it does not start with AC"
    body = sid[2:]
    if len(body) != 32:
        return f"it has {len(body)} characters after AC"
    return "it contains characters other than 0-9 and a-f"


def _check_token(ctx: Context, token: str, findings: list[Finding]) -> bool:
    if _HEX32.match(token):
        return True
    problem = f"it is {len(token)} characters" if len(token) != 32 else "it contains characters other than 0-9, a-f"
    findings.append(Finding(
        "twilio.auth_token_shape", Severity.ERROR,
        f"{TOKEN} is not a Twilio auth token (expected 32 hex characters; {problem})",
        "Twilio rejects every request signed with a malformed token (error 20003). An API key secret or a "
        "test-credentials token pasted here is a common cause.",
        ctx.set_fix(TOKEN, "<auth token>",
                    text="Copy the Auth Token from Account Info on the Twilio Console dashboard."),
        (TOKEN,),
    ))
    return False


def normalise_phone(value: str) -> str | None:
    """The E.164 form of `value` when it is obvious (punctuation, `00` or a missing `+`), else None."""
    digits = _PHONE_PUNCTUATION.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+") and digits.isdigit() and len(digits) >= 11:
        digits = "+" + digits  # a country code is present (a bare 10-digit US number is not obvious)
    return digits if E164.match(digits) else None


def _check_phone(ctx: Context, phone: str, findings: list[Finding]) -> bool:
    if E164.match(phone):
        return True
    suggestion = normalise_phone(phone)
    hint = f" Did you mean {suggestion}?" if suggestion else ""
    shown = phone if len(phone) <= 40 and phone.isprintable() else f"a {len(phone)}-character value"
    findings.append(Finding(
        "twilio.phone_not_e164", Severity.ERROR,
        f"{PHONE} ({shown}) is not in E.164 format (+ country code and number, digits only)",
        "Twilio only accepts the sender number as + followed by the country code and number, without spaces, "
        f"dashes or parentheses (e.g. +14155550123); messages from any other form fail.{hint}",
        ctx.set_fix(PHONE, suggestion or "<+countrycode and number>",
                    text="Write the number in E.164 form as shown under Phone Numbers in the Twilio Console."),
        (PHONE,),
    ))
    return False

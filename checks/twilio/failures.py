"""The findings the twilio probe reports when Twilio's API cannot be judged or refuses the credentials."""

from __future__ import annotations

import shlex

from checks.common import network_symptom
from checks.twilio.const import SID, TOKEN
from doctor import Context, Finding, Fix, Severity


def auth_failed(ctx: Context, code: int | None) -> Finding:
    """Twilio answered 401: the SID and token are not a working pair."""
    code_text = f" (error {code})" if code is not None else ""
    return Finding(
        "twilio.auth_failed", Severity.ERROR,
        f"Twilio rejected {SID} and {TOKEN}{code_text}",
        "Twilio answered 401 Authenticate: the SID and token are not a pair (a token from another account or "
        "subaccount, a token that was rotated), there were stray spaces, or the account is suspended. "
        f"{TOKEN} in use: {ctx.secret(TOKEN)}.",
        ctx.set_fix(TOKEN, "<auth token>",
                    text="Copy the SID and Auth Token together from Account Info on the Twilio Console dashboard."),
        (SID, TOKEN),
    )


def timed_out(ctx: Context, base: str) -> Finding:
    """No whole answer within `ctx.timeout` (a silent peer, or one that trickles)."""
    return Finding(
        "twilio.timeout", Severity.ERROR,
        f"Twilio's API ({base}) did not answer within {ctx.timeout:g} s",
        "A firewall dropping outbound HTTPS or a wrong DOCTOR_TWILIO_API_BASE makes the connection hang; the app's "
        "SMS calls will hang the same way.",
        Fix("Check outbound HTTPS from this host, then run the doctor again with a longer --timeout.",
            (curl(base),)),
        (SID,),
    )


def unreachable(base: str, why: str, exc: BaseException | None = None) -> Finding:
    """No connection could be opened (`why` names the failure's kind)."""
    return Finding(
        "twilio.unreachable", Severity.ERROR,
        f"Could not connect to Twilio's API at {base}",
        f"The connection failed ({why}): DNS, a refused connection, or an invalid DOCTOR_TWILIO_API_BASE.",
        Fix("Check outbound HTTPS from this host and any DOCTOR_TWILIO_API_BASE override.",
            (curl(base),)),
        (SID,), symptom=network_symptom(exc) if exc is not None else "",
    )


def api_error(base: str, what: str) -> Finding:
    """An HTTP error, or an answer that is not JSON (`what` says which)."""
    return Finding(
        "twilio.api_error", Severity.ERROR,
        f"Twilio's API answered with an error ({what})",
        f"{base} did not give a usable answer, so the account and number could not be verified. A 5xx is "
        "Twilio's side: see https://status.twilio.com.",
        Fix("Retry in a few minutes; if it persists, check https://status.twilio.com."),
        (SID,),
    )


def not_the_service(base: str, what: str) -> Finding:
    """Something answered at `base`, but not Twilio's REST API (`what` says how)."""
    return Finding(
        "twilio.not_the_service", Severity.ERROR, f"Something other than Twilio's API answered at {base} ({what})",
        "The account and number could not be verified, and the app's SMS calls reach the same answer. A captive "
        "portal, a proxy, or a DOCTOR_TWILIO_API_BASE that is not Twilio's API would explain it.",
        Fix("Check DOCTOR_TWILIO_API_BASE (leave it unset for https://api.twilio.com) and any proxy in between.",
            (curl(base),)),
        (SID,),
    )


def curl(base: str) -> str:
    """A command that shows what answers at `base`."""
    return f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}\\n' {shlex.quote(base + '/2010-04-01')}"

"""The oauth probe's findings for endpoints that gave no judgeable answer: timeouts, failed connections, and
answers from something other than Google (checks/oauth/probe.py decides which)."""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from checks.oauth.const import CLIENT_ID, TOKEN_URL
from doctor import Context, Finding, Fix, Severity


def network_finding(ctx: Context, kind: str, where: list[str]) -> Finding:
    """One finding for the endpoints in `where` that failed the same way (`kind`: timeout, unreachable,
    not_the_service)."""
    places = " and ".join(where)
    if kind == "not_the_service":
        return Finding(
            "oauth.not_the_service", Severity.WARNING, "Something other than Google answered the OAuth requests",
            f"{places[0].upper()}{places[1:]} did not answer in Google's format, so the client was not checked; the "
            "app's sign-in reaches the same answer. A captive portal, a proxy, or a DOCTOR_GOOGLE_* override that "
            "is not Google would explain it.",
            Fix("Check any DOCTOR_GOOGLE_TOKEN_URL / DOCTOR_GOOGLE_AUTH_URL override and proxy in between.",
                (f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}\\n' {shlex.quote(TOKEN_URL)}",)),
            (CLIENT_ID,))
    if kind == "timeout":
        title, why = "Google's OAuth endpoints did not answer in time", "did not answer within the timeout"
    else:
        title, why = "Could not connect to Google's OAuth endpoints", "could not be reached"
    return Finding(
        f"oauth.{kind}", Severity.ERROR, title,
        f"{places[0].upper()}{places[1:]} {why}. The app's sign-in makes the same calls, so Google sign-in "
        "would fail or hang from this host (a firewall, DNS, or a wrong DOCTOR_GOOGLE_* override).",
        Fix("Check outbound HTTPS from this host, then run the doctor again (with a longer --timeout for slow "
            "networks).", (f"curl -sS -m 10 -o /dev/null -w '%{{http_code}}\\n' {shlex.quote(TOKEN_URL)}",)),
        (CLIENT_ID,),
    )


def shown(url: str) -> str:
    """`url` without user:password@, safe to print."""
    if not url.isprintable() or len(url) > 200:
        return "the configured URL"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url
